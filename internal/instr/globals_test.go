package instr

import (
	"strings"
	"sync/atomic"
	"testing"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/embedded"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/tracekit-go/tracekit/redact"
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

// TestInstrumentDefaults: Instrument's options become the defaults as a
// whole, replacing those of an earlier call; Instrument() without options
// clears them (the "opts become the defaults").
func TestInstrumentDefaults(t *testing.T) {
	t.Setenv(EnvCaptureContent, "")
	p := NewPackage("test", "v0")
	in := p.New()
	p.Instrument(WithCaptureContent(true), WithPricing(Pricing{"m": {Input: 1}}))
	if r := in.Resolved(); !r.Capture || r.pricing == nil {
		t.Fatalf("after Instrument(capture, pricing): capture %v, pricing %v", r.Capture, r.pricing != nil)
	}
	p.Instrument(WithPricing(Pricing{"m": {Input: 2}}))
	if r := in.Resolved(); r.Capture || r.pricing == nil {
		t.Errorf("Instrument(pricing) kept the earlier capture option or lost its own: capture %v, pricing %v", r.Capture, r.pricing != nil)
	}
	p.Uninstrument()
	p.Instrument()
	if !p.Enabled() {
		t.Fatal("Instrument() did not turn tracing on")
	}
	if r := in.Resolved(); r.Capture || r.pricing != nil {
		t.Errorf("Instrument() kept defaults: capture %v, pricing %v", r.Capture, r.pricing != nil)
	}
}

// TestInstrumentReportsDroppedRedactor: defaults that drop the redactor
// the earlier ones had are reported through otel.Handle (a later
// Instrument call made for pricing would otherwise turn redaction off
// unawares); keeping, replacing or explicitly clearing it is not.
func TestInstrumentReportsDroppedRedactor(t *testing.T) {
	var got []error
	prev := otel.GetErrorHandler()
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) { got = append(got, err) }))
	t.Cleanup(func() { otel.SetErrorHandler(prev) })
	red := redact.Func(func(s string) string { return s })
	p := NewPackage("test", "v0")
	p.Instrument(WithRedactor(red))
	p.Instrument(WithRedactor(red), WithPricing(Pricing{"m": {Input: 1}}))
	p.Instrument(WithRedactor(nil))
	p.Instrument(WithRedactor(red))
	if len(got) != 0 {
		t.Fatalf("reported %v", got)
	}
	p.Instrument(WithPricing(Pricing{"m": {Input: 1}}))
	if len(got) != 1 || !strings.Contains(got[0].Error(), "no longer redacted") {
		t.Fatalf("reported %v, want the dropped redactor", got)
	}
}
