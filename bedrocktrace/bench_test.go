package bedrocktrace

// Benchmarks on an in-memory transport (no network): untraced vs traced
// Converse, ConverseStream (30 events) and InvokeModel (Claude). Run them
// interleaved, for example:
//
//	go test ./bedrocktrace -run '^$' -bench . -benchmem -count 6

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/document"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/aws/smithy-go/middleware"
	"go.opentelemetry.io/otel/metric"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/tracekit-go/tracekit/internal/sdkfloor"
)

// memDoer answers every request from memory, by path suffix.
type memDoer struct {
	converse, stream, invoke []byte
}

func (d *memDoer) Do(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, r.Body)
		_ = r.Body.Close()
	}
	h := http.Header{}
	h.Set("X-Amzn-Requestid", "6f1c3a0e-0b8e-4d5e-9a57-3d1b2c4e5f60")
	var body []byte
	switch p := r.URL.Path; {
	case strings.HasSuffix(p, "/converse-stream"):
		h.Set("Content-Type", "application/vnd.amazon.eventstream")
		body = d.stream
	case strings.HasSuffix(p, "/converse"):
		h.Set("Content-Type", "application/json")
		body = d.converse
	default:
		h.Set("Content-Type", "application/json")
		h.Set("X-Amzn-Bedrock-Input-Token-Count", "120")
		h.Set("X-Amzn-Bedrock-Output-Token-Count", "40")
		body = d.invoke
	}
	return &http.Response{StatusCode: 200, Status: "200 OK", Header: h, ContentLength: -1,
		Body: io.NopCloser(bytes.NewReader(body)), Request: r, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1}, nil
}

const benchUser = "I am planning a three-day trip to Lisbon in early October and would like a short itinerary that balances museums, food and a day trip outside the city. Please keep it under two hundred words, mention one restaurant per day, and tell me whether I need to book anything in advance given the season and typical crowds."

func benchDoer(b *testing.B) *memDoer { return benchDoerN(b, 26) }

// benchDoerN is benchDoer with a ConverseStream of deltas content deltas
// (deltas+4 events in all).
func benchDoerN(b *testing.B, deltas int) *memDoer {
	var stream bytes.Buffer
	stream.Write(event(b, "messageStart", `{"role":"assistant"}`))
	for i := 0; i < deltas; i++ {
		stream.Write(event(b, "contentBlockDelta", fmt.Sprintf(`{"contentBlockIndex":0,"delta":{"text":"word%02d and more "}}`, i)))
	}
	stream.Write(event(b, "contentBlockStop", `{"contentBlockIndex":0}`))
	stream.Write(event(b, "messageStop", `{"stopReason":"end_turn"}`))
	stream.Write(event(b, "metadata", `{"usage":{"inputTokens":120,"outputTokens":40,"totalTokens":160},"metrics":{"latencyMs":300}}`))
	return &memDoer{
		converse: []byte(`{"metrics":{"latencyMs":812},"output":{"message":{"content":[{"text":"Day 1: Belem Tower and the Jeronimos Monastery, lunch at Pasteis de Belem, dinner at Cervejaria Ramiro. Day 2: Gulbenkian Museum and Alfama, dinner at Taberna da Rua das Flores. Day 3: a day trip to Sintra; book Pena Palace tickets in advance. October is shoulder season, so crowds are moderate."}],"role":"assistant"}},"stopReason":"end_turn","usage":{"inputTokens":120,"outputTokens":40,"totalTokens":160}}`),
		stream:   stream.Bytes(),
		invoke:   []byte(`{"id":"msg_bdrk_01XyZ","type":"message","role":"assistant","model":"claude-3-5-sonnet-20240620","content":[{"type":"text","text":"Day 1: Belem Tower and the Jeronimos Monastery, lunch at Pasteis de Belem. Day 2: Gulbenkian Museum and Alfama. Day 3: Sintra; book Pena Palace tickets in advance."}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":120,"output_tokens":40}}`),
	}
}

func benchClient(b *testing.B, traced bool) *bedrockruntime.Client {
	return benchClientOn(b, traced, benchDoer(b))
}

func benchClientOn(b *testing.B, traced bool, d *memDoer, extra ...Option) *bedrockruntime.Client {
	b.Setenv("AWS_BEARER_TOKEN_BEDROCK", "")
	cfg := aws.Config{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDTEST", "SECRETTEST", ""),
		BaseEndpoint:     aws.String("http://bedrock.test"),
		RetryMaxAttempts: 1,
		HTTPClient:       d,
	}
	if !traced {
		return bedrockruntime.NewFromConfig(cfg)
	}
	tp, mp := benchProviders()
	return bedrockruntime.NewFromConfig(cfg, WithTracing(append([]Option{WithTracerProvider(tp), WithMeterProvider(mp), WithCaptureContent(true)}, extra...)...))
}

// benchProviders returns the providers of a traced benchmark client: every
// span recorded (always sampled, exported to a no-op exporter), metrics read
// by a manual reader.
func benchProviders() (*sdktrace.TracerProvider, *sdkmetric.MeterProvider) {
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample()),
		sdktrace.WithSpanProcessor(sdktrace.NewSimpleSpanProcessor(noopExporter{})))
	return tp, sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
}

// floorClient returns an untraced client on d with, in place of the tracer,
// the SDK floor of call (captured from one traced call): an Initialize
// middleware that starts and ends the same span and records the same
// metrics, and does nothing else.
// floorClient is a client whose calls do only the SDK's work of the traced
// call (spanOnly: the span without the metrics).
func floorClient(b *testing.B, d *memDoer, call func(*bedrockruntime.Client) error, spanOnly bool) *bedrockruntime.Client {
	plain := benchClientOn(b, false, d)
	floor, err := sdkfloor.Capture(func(tp trace.TracerProvider, mp metric.MeterProvider) error {
		return call(bedrockruntime.New(plain.Options(), WithTracing(WithTracerProvider(tp), WithMeterProvider(mp), WithCaptureContent(true))))
	})
	if err != nil {
		b.Fatal(err)
	}
	floor.Install(benchProviders())
	mw := middleware.InitializeMiddlewareFunc("sdkfloor", func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
		start := floor.Start
		if spanOnly {
			start = floor.StartSpan
		}
		ctx, end := start(ctx)
		out, md, err := next.HandleInitialize(ctx, in)
		end()
		return out, md, err
	})
	return bedrockruntime.New(plain.Options(), func(o *bedrockruntime.Options) {
		o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error { return s.Initialize.Add(mw, middleware.Before) })
	})
}

type noopExporter struct{}

func (noopExporter) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (noopExporter) Shutdown(context.Context) error                             { return nil }

func benchConverseInput() *bedrockruntime.ConverseInput {
	return &bedrockruntime.ConverseInput{
		ModelId:         aws.String("anthropic.claude-3-5-sonnet-20240620-v1:0"),
		System:          []types.SystemContentBlock{&types.SystemContentBlockMemberText{Value: "You are a concise travel assistant."}},
		Messages:        []types.Message{{Role: types.ConversationRoleUser, Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: benchUser}}}},
		InferenceConfig: &types.InferenceConfiguration{Temperature: aws.Float32(0.2), MaxTokens: aws.Int32(400)},
		ToolConfig: &types.ToolConfiguration{Tools: []types.Tool{&types.ToolMemberToolSpec{Value: types.ToolSpecification{
			Name: aws.String("get_weather"), Description: aws.String("Current weather of a city"),
			InputSchema: &types.ToolInputSchemaMemberJson{Value: document.NewLazyDocument(map[string]any{
				"type": "object", "required": []string{"city"},
				"properties": map[string]any{"city": map[string]any{"type": "string"}, "unit": map[string]any{"type": "string", "enum": []string{"c", "f"}}},
			})}}}}},
		RequestMetadata: map[string]string{"user": "u-123"},
	}
}

func BenchmarkConverse(b *testing.B) {
	for _, traced := range []bool{false, true} {
		b.Run(map[bool]string{false: "untraced", true: "traced"}[traced], func(b *testing.B) {
			c := benchClient(b, traced)
			in := benchConverseInput()
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := c.Converse(ctx, in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkConverseStream(b *testing.B) {
	for _, traced := range []bool{false, true} {
		b.Run(map[bool]string{false: "untraced", true: "traced"}[traced], func(b *testing.B) {
			c := benchClient(b, traced)
			ci := benchConverseInput()
			in := &bedrockruntime.ConverseStreamInput{ModelId: ci.ModelId, System: ci.System, Messages: ci.Messages,
				InferenceConfig: ci.InferenceConfig, ToolConfig: ci.ToolConfig, RequestMetadata: ci.RequestMetadata}
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				out, err := c.ConverseStream(ctx, in)
				if err != nil {
					b.Fatal(err)
				}
				n := 0
				for range out.GetStream().Events() {
					n++
				}
				if err := out.GetStream().Err(); err != nil || n != 30 {
					b.Fatal(err, n)
				}
				_ = out.GetStream().Close()
			}
		})
	}
}

func BenchmarkInvokeModelClaude(b *testing.B) {
	body := []byte(`{"anthropic_version":"bedrock-2023-05-31","max_tokens":400,"temperature":0.2,"system":"You are a concise travel assistant.","messages":[{"role":"user","content":"` + benchUser + `"}],"tools":[{"name":"get_weather","description":"Current weather of a city","input_schema":{"type":"object","required":["city"],"properties":{"city":{"type":"string"},"unit":{"type":"string","enum":["c","f"]}}}}]}`)
	for _, traced := range []bool{false, true} {
		b.Run(map[bool]string{false: "untraced", true: "traced"}[traced], func(b *testing.B) {
			c := benchClient(b, traced)
			in := &bedrockruntime.InvokeModelInput{ModelId: aws.String("anthropic.claude-3-5-sonnet-20240620-v1:0"), Body: body,
				ContentType: aws.String("application/json")}
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := c.InvokeModel(ctx, in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkTeeConverseStream measures what the tracer adds per event, without
// the SDK: a traced call state is started, the 30-event stream goes through
// the tee (4 KiB reads, as a buffered reader would do) and the span ends on
// the metadata event. ns/event is the cost of one event, span start and end
// included.
func BenchmarkTeeConverseStream(b *testing.B) {
	stream := benchDoer(b).stream
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample()),
		sdktrace.WithSpanProcessor(sdktrace.NewSimpleSpanProcessor(noopExporter{})))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	h := &hooks{in: pkg.New(WithTracerProvider(tp), WithMeterProvider(mp), WithCaptureContent(true))}
	ci := benchConverseInput()
	in := &bedrockruntime.ConverseStreamInput{ModelId: ci.ModelId, Messages: ci.Messages}
	buf := make([]byte, 4096)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		st := h.begin(context.Background(), in)
		st.teeing = true
		tee := newFrameTee(io.NopCloser(bytes.NewReader(stream)), st)
		for {
			if _, err := tee.Read(buf); err != nil {
				break
			}
		}
		if !st.ended {
			b.Fatal("span not ended")
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/30, "ns/event")
}

// BenchmarkHooksConverse measures the tracer's own work for one Converse call
// without the SDK: request record and span start, response record, span end
// and metrics.
func BenchmarkHooksConverse(b *testing.B) {
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample()),
		sdktrace.WithSpanProcessor(sdktrace.NewSimpleSpanProcessor(noopExporter{})))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	h := &hooks{in: pkg.New(WithTracerProvider(tp), WithMeterProvider(mp), WithCaptureContent(true))}
	in := benchConverseInput()
	out := &bedrockruntime.ConverseOutput{
		Output: &types.ConverseOutputMemberMessage{Value: types.Message{Role: types.ConversationRoleAssistant,
			Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: "Day 1: Belem Tower and the Jeronimos Monastery."}}}},
		StopReason: types.StopReasonEndTurn,
		Usage:      &types.TokenUsage{InputTokens: aws.Int32(120), OutputTokens: aws.Int32(40), TotalTokens: aws.Int32(160)},
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		st := h.begin(context.Background(), in)
		st.call.Response.ID = "6f1c3a0e-0b8e-4d5e-9a57-3d1b2c4e5f60"
		st.afterCall(out, nil)
	}
}

// BenchmarkPaired runs an untraced and a traced call in every iteration
// (alternating which goes first) and reports both times and their ratio:
// pairing at this grain cancels most of the drift of a shared machine.
// Allocations are measured by the unpaired benchmarks above.
//
// converse_stream (30 events) and converse_stream_plus100 (130 events) differ
// only in the number of content deltas: the difference of their added times,
// divided by 100, is the tracer's cost per stream event, free of the
// per-call cost.
func BenchmarkPaired(b *testing.B) {
	ci := benchConverseInput()
	si := &bedrockruntime.ConverseStreamInput{ModelId: ci.ModelId, System: ci.System, Messages: ci.Messages,
		InferenceConfig: ci.InferenceConfig, ToolConfig: ci.ToolConfig, RequestMetadata: ci.RequestMetadata}
	ii := &bedrockruntime.InvokeModelInput{ModelId: aws.String("anthropic.claude-3-5-sonnet-20240620-v1:0"), ContentType: aws.String("application/json"),
		Body: []byte(`{"anthropic_version":"bedrock-2023-05-31","max_tokens":400,"temperature":0.2,"system":"You are a concise travel assistant.","messages":[{"role":"user","content":"` + benchUser + `"}]}`)}
	ctx := context.Background()
	calls := map[string]func(*bedrockruntime.Client) error{
		"converse": func(c *bedrockruntime.Client) error { _, err := c.Converse(ctx, ci); return err },
		"converse_stream": func(c *bedrockruntime.Client) error {
			out, err := c.ConverseStream(ctx, si)
			if err != nil {
				return err
			}
			for range out.GetStream().Events() {
			}
			return out.GetStream().Close()
		},
		"invoke_model_claude": func(c *bedrockruntime.Client) error { _, err := c.InvokeModel(ctx, ii); return err },
	}
	calls["converse_stream_plus100"] = calls["converse_stream"]
	// X_sdk_floor: the OpenTelemetry SDK's own work for the span and the
	// metrics of X, replayed without the tracer's (see internal/sdkfloor).
	calls["converse_sdk_floor"] = calls["converse"]
	calls["invoke_model_claude_sdk_floor"] = calls["invoke_model_claude"]
	// converse_sdk_floor_span: the span's share of the floor (no metrics);
	// converse_no_metrics: the tracer with a no-op MeterProvider.
	calls["converse_sdk_floor_span"] = calls["converse"]
	calls["converse_no_metrics"] = calls["converse"]
	for _, name := range []string{"converse", "converse_no_metrics", "converse_sdk_floor", "converse_sdk_floor_span", "converse_stream", "converse_stream_plus100", "invoke_model_claude", "invoke_model_claude_sdk_floor"} {
		call := calls[name]
		b.Run(name, func(b *testing.B) {
			d := benchDoer(b)
			if name == "converse_stream_plus100" {
				d = benchDoerN(b, 126)
			}
			clients := [2]*bedrockruntime.Client{benchClientOn(b, false, d), benchClientOn(b, true, d)}
			if name == "converse_no_metrics" {
				clients[1] = benchClientOn(b, true, d, WithMeterProvider(metricnoop.NewMeterProvider()))
			}
			if strings.HasSuffix(name, "_sdk_floor") || strings.HasSuffix(name, "_sdk_floor_span") {
				clients[1] = floorClient(b, d, call, strings.HasSuffix(name, "_span"))
			}
			var sum [2]time.Duration
			for i := 0; i < b.N; i++ {
				for k := 0; k < 2; k++ {
					j := (i + k) % 2
					t0 := time.Now()
					if err := call(clients[j]); err != nil {
						b.Fatal(err)
					}
					sum[j] += time.Since(t0)
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

// BenchmarkHooksInvokeClaude measures the tracer's own work for one
// InvokeModel call with a Claude body, without the SDK.
func BenchmarkHooksInvokeClaude(b *testing.B) {
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample()),
		sdktrace.WithSpanProcessor(sdktrace.NewSimpleSpanProcessor(noopExporter{})))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	h := &hooks{in: pkg.New(WithTracerProvider(tp), WithMeterProvider(mp), WithCaptureContent(true))}
	in := &bedrockruntime.InvokeModelInput{ModelId: aws.String("anthropic.claude-3-5-sonnet-20240620-v1:0"),
		Body: []byte(`{"anthropic_version":"bedrock-2023-05-31","max_tokens":400,"temperature":0.2,"system":"You are a concise travel assistant.","messages":[{"role":"user","content":"` + benchUser + `"}],"tools":[{"name":"get_weather","description":"Current weather of a city","input_schema":{"type":"object","required":["city"],"properties":{"city":{"type":"string"},"unit":{"type":"string","enum":["c","f"]}}}}]}`)}
	out := &bedrockruntime.InvokeModelOutput{Body: benchDoer(b).invoke}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		st := h.begin(context.Background(), in)
		st.afterCall(out, nil)
	}
}
