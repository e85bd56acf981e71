package instr

import (
	"sync/atomic"
	"testing"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/embedded"
	"go.opentelemetry.io/otel/trace/noop"
)

// funcTP is a TracerProvider of a type that is not comparable (a func
// field): comparing two of its values in interfaces panics.
type funcTP struct {
	embedded.TracerProvider
	f func(string) trace.Tracer
}

func (p funcTP) Tracer(name string, _ ...trace.TracerOption) trace.Tracer { return p.f(name) }

// TestResolvedKeptWithUncomparableGlobal: a global TracerProvider whose
// type is not comparable is still the global on the next call: the
// configuration is not resolved again (a new tracer, new instruments and
// empty caches) on every call.
func TestResolvedKeptWithUncomparableGlobal(t *testing.T) {
	prev := otel.GetTracerProvider()
	t.Cleanup(func() { otel.SetTracerProvider(prev) })
	var n atomic.Int64
	otel.SetTracerProvider(funcTP{f: func(string) trace.Tracer { n.Add(1); return noop.Tracer{} }})
	in := NewPackage("test", "v0").New()
	r1 := in.Resolved()
	for range 10 {
		in.Resolved()
	}
	if r2 := in.Resolved(); r2 != r1 || n.Load() != 1 {
		t.Fatalf("resolved again on every call: %d tracers made for 12 calls", n.Load())
	}
}
