package export

import (
	"context"
	"sync/atomic"

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
// Register it before your exporters' processors: the provider shuts its
// processors down in the order they were registered, and a processor
// already shut down drops what ends after. Use one per provider.
//
//	tp := sdktrace.NewTracerProvider(
//		sdktrace.WithSpanProcessor(export.NewShutdownProcessor()), // first
//		sdktrace.WithBatcher(exporter),
//	)
func NewShutdownProcessor() sdktrace.SpanProcessor { return &shutdownProcessor{} }

// shutdownProcessor learns its provider from the first span it sees start
// (a held call's span started through it, so that is enough).
type shutdownProcessor struct{ tp atomic.Pointer[providerRef] }

type providerRef struct{ tp trace.TracerProvider }

// OnStart notes the span's provider, once.
func (p *shutdownProcessor) OnStart(_ context.Context, s sdktrace.ReadWriteSpan) {
	if p.tp.Load() == nil {
		p.tp.CompareAndSwap(nil, &providerRef{s.TracerProvider()})
	}
}

// OnEnd does nothing.
func (*shutdownProcessor) OnEnd(sdktrace.ReadOnlySpan) {}

// Shutdown ends the spans of the held calls its provider made.
func (p *shutdownProcessor) Shutdown(context.Context) error {
	if r := p.tp.Load(); r != nil {
		instr.EndHeld(r.tp)
	}
	return nil
}

// ForceFlush does nothing.
func (*shutdownProcessor) ForceFlush(context.Context) error { return nil }
