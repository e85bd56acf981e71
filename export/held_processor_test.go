package export

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"go.opentelemetry.io/otel"
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

// tracedClient is an OpenAI client of url traced into tp.
func tracedClient(url string, tp *sdktrace.TracerProvider) openai.Client {
	return openai.NewClient(option.WithBaseURL(url), option.WithAPIKey("k"), option.WithMaxRetries(0),
		openaitrace.WithTracing(openaitrace.WithTracerProvider(tp)))
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
	client := func(tp *sdktrace.TracerProvider) openai.Client { return tracedClient(srv.URL, tp) }
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

// TestShutdownProcessorShared: one processor registered in two providers
// (it serves one) cannot tell which of them is shutting down: it reports
// the mistake through otel.Handle and ends nothing, rather than end the
// held streams of a provider still running.
func TestShutdownProcessorShared(t *testing.T) {
	var reported atomic.Int32
	prev := otel.GetErrorHandler()
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
		if errors.Is(err, errSharedShutdownProcessor) {
			reported.Add(1)
		}
	}))
	t.Cleanup(func() { otel.SetErrorHandler(prev) })
	srv := stallingServer(t)
	p := NewShutdownProcessor()
	expA := &keepingExporter{InMemoryExporter: tracetest.NewInMemoryExporter()}
	expB := &keepingExporter{InMemoryExporter: tracetest.NewInMemoryExporter()}
	a := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(p), sdktrace.WithSpanProcessor(sdktrace.NewSimpleSpanProcessor(expA)))
	b := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(p), sdktrace.WithSpanProcessor(sdktrace.NewSimpleSpanProcessor(expB)))
	t.Cleanup(func() { _ = a.Shutdown(context.Background()) })
	holdStream(t, tracedClient(srv.URL, a))
	holdStream(t, tracedClient(srv.URL, b))

	if err := b.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := len(expA.GetSpans()); n != 0 {
		t.Errorf("b's shutdown ended %d span(s) of provider a, which is still running", n)
	}
	if n := reported.Load(); n != 1 {
		t.Errorf("the shared processor was reported %d times, want once", n)
	}
}
