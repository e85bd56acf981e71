package export

import (
	"context"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/tracekit-go/tracekit/openaitrace"
)

// ownProvider is a TracerProvider of one's own exporting to an in-memory
// exporter, with NewShutdownProcessor registered first when first is set.
func ownProvider(first bool) (*sdktrace.TracerProvider, *keepingExporter) {
	exp := &keepingExporter{InMemoryExporter: tracetest.NewInMemoryExporter()}
	var opts []sdktrace.TracerProviderOption
	if first {
		opts = append(opts, sdktrace.WithSpanProcessor(NewShutdownProcessor()))
	}
	opts = append(opts, sdktrace.WithSpanProcessor(sdktrace.NewSimpleSpanProcessor(exp)))
	return sdktrace.NewTracerProvider(opts...), exp
}

func shutdownCut(t *testing.T, exp *keepingExporter) bool {
	t.Helper()
	for _, s := range exp.GetSpans() {
		for _, kv := range s.Attributes {
			if kv.Key == "error.type" && kv.Value.AsString() == "shutdown" {
				return true
			}
		}
	}
	return false
}

// TestShutdownProcessor: with a TracerProvider of one's own, a stream its
// caller still holds at shutdown is exported, cut short, when the provider
// has NewShutdownProcessor first; without it, it is lost. Only the spans of
// the provider shutting down are ended: another provider's stay open until
// it shuts down.
func TestShutdownProcessor(t *testing.T) {
	srv := stallingServer(t)
	client := func(tp *sdktrace.TracerProvider) openai.Client {
		return openai.NewClient(option.WithBaseURL(srv.URL), option.WithAPIKey("k"), option.WithMaxRetries(0),
			openaitrace.WithTracing(openaitrace.WithTracerProvider(tp)))
	}
	ctx := context.Background()

	without, lost := ownProvider(false)
	holdStream(t, client(without))
	a, expA := ownProvider(true)
	holdStream(t, client(a))
	b, expB := ownProvider(true)
	holdStream(t, client(b))

	if err := a.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(expA.GetSpans()); n != 1 || !shutdownCut(t, expA) {
		t.Errorf("with the processor: %d spans exported (%v), want the held stream's, cut short", n, expA.GetSpans())
	}
	if n := len(expB.GetSpans()); n != 0 {
		t.Errorf("another provider's held stream ended with the first's shutdown: %d spans", n)
	}
	if err := b.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(expB.GetSpans()); n != 1 || !shutdownCut(t, expB) {
		t.Errorf("the second provider: %d spans exported, want its held stream's, cut short", n)
	}
	if err := without.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(lost.GetSpans()); n != 0 {
		t.Errorf("without the processor %d spans were exported: the test no longer shows what it adds", n)
	}
}
