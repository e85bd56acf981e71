package openaitrace

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/tracekit-go/tracekit/semconv"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// fakeDoer answers every request in memory, as a transport would: it drains
// the request body and returns a fresh response.
type fakeDoer struct {
	body        []byte
	contentType string
}

func (d *fakeDoer) Do(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		_, _ = io.Copy(io.Discard, req.Body)
		_ = req.Body.Close()
	}
	return &http.Response{
		StatusCode:    200,
		Header:        http.Header{"Content-Type": []string{d.contentType}},
		Body:          io.NopCloser(bytes.NewReader(d.body)),
		ContentLength: -1,
		Request:       req,
	}, nil
}

type nopExporter struct{}

func (nopExporter) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (nopExporter) Shutdown(context.Context) error                             { return nil }

// benchClient returns a client on the in-memory doer; traced clients record
// every span (always sampled, exported to a no-op exporter) and the metrics.
func benchClient(d *fakeDoer, traced, capture bool, extra ...Option) openai.Client {
	opts := []option.RequestOption{
		option.WithHTTPClient(d), option.WithAPIKey("sk-test"),
		option.WithBaseURL("http://llm.test/v1"), option.WithMaxRetries(0),
	}
	if traced {
		tp, mp := benchProviders()
		opts = append(opts, WithTracing(append([]Option{WithTracerProvider(tp), WithMeterProvider(mp), WithCaptureContent(capture)}, extra...)...))
	}
	return openai.NewClient(opts...)
}

// benchProviders returns the providers of a traced benchmark client: every
// span recorded (always sampled, exported to a no-op exporter), metrics read
// by a manual reader.
func benchProviders() (*sdktrace.TracerProvider, *sdkmetric.MeterProvider) {
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample()),
		sdktrace.WithSpanProcessor(sdktrace.NewSimpleSpanProcessor(nopExporter{})))
	return tp, sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
}

func runChat(b *testing.B, c openai.Client, p openai.ChatCompletionNewParams) {
	b.Helper()
	runChatCtx(b, context.Background(), c, p)
}

func runChatCtx(b *testing.B, ctx context.Context, c openai.Client, p openai.ChatCompletionNewParams) {
	b.Helper()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := c.Chat.Completions.New(ctx, p)
		if err != nil || len(res.Choices) != 1 {
			b.Fatal(err)
		}
	}
}

// BenchmarkChat compares an in-memory chat call untraced, traced with
// content capture off and on, and with tracing switched off by Uninstrument.
func BenchmarkChat(b *testing.B) {
	d := &fakeDoer{body: []byte(chatResponseJSON), contentType: "application/json"}
	p := chatParams()
	b.Run("untraced", func(b *testing.B) { runChat(b, benchClient(d, false, false), p) })
	b.Run("traced_capture_off", func(b *testing.B) { runChat(b, benchClient(d, true, false), p) })
	b.Run("traced_capture_on", func(b *testing.B) { runChat(b, benchClient(d, true, true), p) })
	// A context that can be cancelled (a server request's, one with a
	// deadline) costs the traced call a context.AfterFunc registration: the
	// span of a body the caller abandons then still ends on cancellation.
	b.Run("untraced_cancelable_ctx", func(b *testing.B) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		runChatCtx(b, ctx, benchClient(d, false, false), p)
	})
	b.Run("traced_capture_on_cancelable_ctx", func(b *testing.B) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		runChatCtx(b, ctx, benchClient(d, true, true), p)
	})
	b.Run("noop_middleware", func(b *testing.B) {
		// The floor for any middleware: openai-go builds its middleware
		// chain per request, which costs 2 allocations by itself.
		c := benchClient(d, false, false)
		noop := option.WithMiddleware(func(r *http.Request, next option.MiddlewareNext) (*http.Response, error) { return next(r) })
		ctx := context.Background()
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := c.Chat.Completions.New(ctx, p, noop); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("uninstrumented", func(b *testing.B) {
		c := benchClient(d, true, true)
		Uninstrument()
		defer Instrument()
		runChat(b, c, p)
	})
}

// BenchmarkConventions measures a traced chat call (content on) in each
// convention and in all three at once.
func BenchmarkConventions(b *testing.B) {
	d := &fakeDoer{body: []byte(chatResponseJSON), contentType: "application/json"}
	p := chatParams()
	b.Run("untraced", func(b *testing.B) { runChat(b, benchClient(d, false, false), p) })
	for _, cc := range []struct {
		name string
		conv []semconv.Convention
	}{
		{"tracekit", []semconv.Convention{semconv.Tracekit}},
		{"otel_genai", []semconv.Convention{semconv.OTelGenAI}},
		{"openinference", []semconv.Convention{semconv.OpenInference}},
		{"all_three", []semconv.Convention{semconv.Tracekit, semconv.OTelGenAI, semconv.OpenInference}},
	} {
		b.Run(cc.name, func(b *testing.B) { runChat(b, benchClient(d, true, true, WithConventions(cc.conv...)), p) })
	}
}

// BenchmarkChatStream reads a 20-chunk stream (plus the finish and usage
// chunks) to its end.
func BenchmarkChatStream(b *testing.B) {
	d := &fakeDoer{body: []byte(strings.Join(dataEvents(streamChunks(20, true)...), "")), contentType: "text/event-stream; charset=utf-8"}
	p := chatParams()
	p.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
	run := func(b *testing.B, c openai.Client) {
		ctx := context.Background()
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			st := c.Chat.Completions.NewStreaming(ctx, p)
			n := 0
			for st.Next() {
				n++
			}
			if st.Err() != nil || n != 23 {
				b.Fatal(n, st.Err())
			}
			_ = st.Close()
		}
	}
	b.Run("untraced", func(b *testing.B) { run(b, benchClient(d, false, false)) })
	b.Run("traced_capture_on", func(b *testing.B) { run(b, benchClient(d, true, true)) })
}

// BenchmarkChatLargePrompt sends a 1 MiB user prompt: tracing's extra cost
// must grow linearly with it (one pass over the bytes).
func BenchmarkChatLargePrompt(b *testing.B) {
	d := &fakeDoer{body: []byte(chatResponseJSON), contentType: "application/json"}
	for _, size := range []int{64 << 10, 1 << 20} {
		p := chatParams()
		p.Messages = append(p.Messages, openai.UserMessage(strings.Repeat("All work and no play. ", size/22+1)[:size]))
		name := map[int]string{64 << 10: "64KiB", 1 << 20: "1MiB"}[size]
		b.Run(name+"/untraced", func(b *testing.B) { b.SetBytes(int64(size)); runChat(b, benchClient(d, false, false), p) })
		b.Run(name+"/traced_capture_on", func(b *testing.B) { b.SetBytes(int64(size)); runChat(b, benchClient(d, true, true), p) })
	}
}

// BenchmarkParse measures the parsers alone on the benchmark's bodies.
func BenchmarkParse(b *testing.B) {
	req, _ := json.Marshal(chatParams())
	b.Run("request", func(b *testing.B) {
		b.ReportAllocs()
		body := string(req)
		for i := 0; i < b.N; i++ {
			var c callRecord
			parseChatRequest(body, &c.Call, true)
		}
	})
	b.Run("response", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			var c callRecord
			parseChatResponse(chatResponseJSON, &c.Call, true)
		}
	})
}
