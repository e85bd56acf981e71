package openaitrace

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"go.opentelemetry.io/otel/metric"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/trace"

	"github.com/tracekit-go/tracekit/internal/sdkfloor"
	"github.com/tracekit-go/tracekit/semconv"
)

// BenchmarkPaired times an untraced and a traced call in every iteration,
// alternating which goes first, and reports both and the added share. On a
// shared machine whose speed drifts by tens of percent within seconds,
// pairing at this grain is what makes the overhead readable; the separate
// benchmarks (BenchmarkChat, ...) give the exact allocations and bytes.
func BenchmarkPaired(b *testing.B) {
	ctx := context.Background()
	chat := &fakeDoer{body: []byte(chatResponseJSON), contentType: "application/json"}
	p := chatParams()
	chatCall := func(c openai.Client) error { _, err := c.Chat.Completions.New(ctx, p); return err }

	stream := &fakeDoer{body: []byte(strings.Join(dataEvents(streamChunks(20, true)...), "")), contentType: "text/event-stream; charset=utf-8"}
	// stream_capture_on_plus100 differs from stream_capture_on only in having 100
	// more content chunks: the difference of their added times, divided by
	// 100, is the cost per chunk, free of the per-call cost.
	streamPlus100 := &fakeDoer{body: []byte(strings.Join(dataEvents(streamChunks(120, true)...), "")), contentType: stream.contentType}
	sp := chatParams()
	sp.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
	streamCall := func(c openai.Client) error {
		st := c.Chat.Completions.NewStreaming(ctx, sp)
		for st.Next() {
		}
		if err := st.Err(); err != nil {
			return err
		}
		return st.Close()
	}

	resp := &fakeDoer{body: []byte(responseJSON("resp_bench", "completed", outputReasoningJSON+","+outputMessageJSON, "")), contentType: "application/json"}
	rp := responsesParams()
	respCall := func(c openai.Client) error { _, err := c.Responses.New(ctx, rp); return err }

	rstream := &fakeDoer{body: []byte(strings.Join(responsesTextStream(20, "response.completed", "completed", ""), "")), contentType: "text/event-stream"}
	rstreamCall := func(c openai.Client) error {
		st := c.Responses.NewStreaming(ctx, rp)
		for st.Next() {
		}
		if err := st.Err(); err != nil {
			return err
		}
		return st.Close()
	}

	noop := option.WithMiddleware(func(r *http.Request, next option.MiddlewareNext) (*http.Response, error) { return next(r) })
	all := WithConventions(semconv.Tracekit, semconv.OTelGenAI, semconv.OpenInference)
	plain := benchClient(chat, false, false)
	bind := func(call func(openai.Client) error, c openai.Client) func() error {
		return func() error { return call(c) }
	}

	type pairedCase struct {
		name     string
		d        *fakeDoer
		call     func(openai.Client) error
		variant  func() error // nil: call on a traced client with opts
		capture  bool
		opts     []Option
		switchOf bool // Uninstrument during the run
	}
	cases := []pairedCase{
		{name: "chat_capture_off", d: chat, call: chatCall},
		{name: "chat_capture_on", d: chat, call: chatCall, capture: true},
		// chat_capture_on_no_metrics: the same with a no-op MeterProvider (the
		// span alone, as the prototype of perf-anchor.md recorded).
		{name: "chat_capture_on_no_metrics", d: chat, call: chatCall, capture: true, opts: []Option{WithMeterProvider(metricnoop.NewMeterProvider())}},
		{name: "chat_all_conventions", d: chat, call: chatCall, capture: true, opts: []Option{all}},
		{name: "chat_uninstrumented", d: chat, call: chatCall, capture: true, switchOf: true},
		{name: "chat_noop_middleware", d: chat, call: chatCall, variant: func() error {
			_, err := plain.Chat.Completions.New(ctx, p, noop)
			return err
		}},
		{name: "stream_capture_on", d: stream, call: streamCall, capture: true},
		{name: "stream_capture_on_plus100", d: streamPlus100, call: streamCall, capture: true},
		{name: "responses_capture_on", d: resp, call: respCall, capture: true},
		{name: "responses_stream_capture_on", d: rstream, call: rstreamCall, capture: true},
	}
	// chat_sdk_floor: the OpenTelemetry SDK's own work for the span and the
	// metrics of chat_capture_on, replayed without the tracer's (see
	// internal/sdkfloor).
	floor, err := sdkfloor.Capture(func(tp trace.TracerProvider, mp metric.MeterProvider) error {
		c := openai.NewClient(option.WithHTTPClient(chat), option.WithAPIKey("sk-test"), option.WithBaseURL("http://llm.test/v1"),
			option.WithMaxRetries(0), WithTracing(WithTracerProvider(tp), WithMeterProvider(mp), WithCaptureContent(true)))
		return chatCall(c)
	})
	if err != nil {
		b.Fatal(err)
	}
	floor.Install(benchProviders())
	floorMW := option.WithMiddleware(func(r *http.Request, next option.MiddlewareNext) (*http.Response, error) {
		ctx, end := floor.Start(r.Context())
		resp, err := next(r.WithContext(ctx))
		end()
		return resp, err
	})
	// chat_sdk_floor_span: the span's share of that floor (no metrics).
	spanMW := option.WithMiddleware(func(r *http.Request, next option.MiddlewareNext) (*http.Response, error) {
		ctx, end := floor.StartSpan(r.Context())
		resp, err := next(r.WithContext(ctx))
		end()
		return resp, err
	})
	cases = append(cases, pairedCase{name: "chat_sdk_floor", d: chat, call: chatCall, variant: func() error {
		_, err := plain.Chat.Completions.New(ctx, p, floorMW)
		return err
	}}, pairedCase{name: "chat_sdk_floor_span", d: chat, call: chatCall, variant: func() error {
		_, err := plain.Chat.Completions.New(ctx, p, spanMW)
		return err
	}})
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			calls := [2]func() error{bind(tc.call, benchClient(tc.d, false, false)), tc.variant}
			if calls[1] == nil {
				calls[1] = bind(tc.call, benchClient(tc.d, true, tc.capture, tc.opts...))
			}
			if tc.switchOf {
				Uninstrument()
				defer Instrument()
			}
			var sum [2]time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				for k := 0; k < 2; k++ {
					j := (i + k) % 2
					t0 := time.Now()
					err := calls[j]()
					sum[j] += time.Since(t0)
					if err != nil {
						b.Fatal(err)
					}
				}
			}
			u, tr := float64(sum[0].Nanoseconds())/float64(b.N), float64(sum[1].Nanoseconds())/float64(b.N)
			b.ReportMetric(u, "untraced-ns/op")
			b.ReportMetric(tr, "traced-ns/op")
			b.ReportMetric(tr-u, "added-ns/op")
			b.ReportMetric((tr-u)/u*100, "added-%")
		})
	}
}
