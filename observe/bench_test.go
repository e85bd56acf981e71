package observe_test

import (
	"context"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/tracekit-go/tracekit/observe"
	"github.com/tracekit-go/tracekit/redact"
)

// BenchmarkRun measures one application span through Run (start, input,
// output, end) with a recording SDK tracer.
func BenchmarkRun(b *testing.B) {
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sdktrace.NewSimpleSpanProcessor(tracetest.NewNoopExporter())))
	ctx := observe.WithSession(observe.WithUser(context.Background(), "user-42"), "sess-7")
	for _, bc := range []struct {
		name string
		opts []observe.Option
	}{
		{"capture_off", []observe.Option{observe.WithCaptureContent(false)}},
		{"capture_on", []observe.Option{observe.WithCaptureContent(true), observe.WithRedactor(nil)}},
		{"capture_on_redacted", []observe.Option{observe.WithCaptureContent(true), observe.WithRedactor(redact.New())}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			obs := observe.New(append([]observe.Option{observe.WithTracerProvider(tp)}, bc.opts...)...)
			b.ReportAllocs()
			for b.Loop() {
				_, _ = observe.RunWith(obs, ctx, observe.Tool, "web_search", "weather in Paris", func(context.Context) (string, error) {
					return "sunny, 21°C", nil
				})
			}
		})
	}
}
