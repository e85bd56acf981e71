package export

import (
	"context"
	"errors"
	"sync/atomic"

	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/tracekit-go/tracekit/internal/instr"
)

// NewShutdownProcessor returns a span processor for a TracerProvider of
// your own (Setup and New do its work themselves). When the provider shuts
// down, it first ends the spans of the calls whose answers their callers
// still hold: a stream never closed, on a context that never ends, or a raw
// answer body. Each is ended cut short (error.type=shutdown), unless its
// answer was complete, so that the provider's exporters get it rather than
// lose it with the process.
//
// Register it when you build the provider, before your exporters'
// processors: the provider shuts its processors down in the order they were
// registered, and a processor already shut down drops what ends after.
//
//	tp := sdktrace.NewTracerProvider(
//		sdktrace.WithSpanProcessor(export.NewShutdownProcessor()), // first
//		sdktrace.WithBatcher(exporter),
//	)
//
// Its Shutdown is what ends those spans, and the provider calls it when
// you unregister it too (UnregisterSpanProcessor): do not unregister it
// while streams are open. It learns its provider from the spans it sees
// start, so it ends only those of calls that started after it was
// registered. It serves one provider: registered in a second, it reports
// the mistake through otel.Handle and ends nothing.
func NewShutdownProcessor() sdktrace.SpanProcessor { return &shutdownProcessor{} }

// shutdownProcessor learns its provider from the first span it sees start.
type shutdownProcessor struct {
	tp     atomic.Pointer[providerRef]
	shared atomic.Bool // it saw spans of a second provider
}

type providerRef struct{ tp trace.TracerProvider }

var errSharedShutdownProcessor = errors.New("export: a NewShutdownProcessor is registered in two TracerProviders; it serves one, and ends no span at shutdown")

// OnStart notes the span's provider (one atomic load once it knows it).
func (p *shutdownProcessor) OnStart(_ context.Context, s sdktrace.ReadWriteSpan) {
	if r := p.tp.Load(); r != nil {
		if r.tp != s.TracerProvider() && !p.shared.Swap(true) {
			otel.Handle(errSharedShutdownProcessor)
		}
		return
	}
	p.tp.CompareAndSwap(nil, &providerRef{s.TracerProvider()})
}

// OnEnd does nothing.
func (*shutdownProcessor) OnEnd(sdktrace.ReadOnlySpan) {}

// Shutdown ends the spans of the held calls its provider made.
func (p *shutdownProcessor) Shutdown(context.Context) error {
	if r := p.tp.Load(); r != nil && !p.shared.Load() {
		instr.EndHeld(r.tp)
	}
	return nil
}

// ForceFlush does nothing.
func (*shutdownProcessor) ForceFlush(context.Context) error { return nil }
