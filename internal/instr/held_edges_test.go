package instr

import (
	"testing"
	"time"

	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

type panicTPSpan struct{ noop.Span }

func (panicTPSpan) TracerProvider() trace.TracerProvider { panic("boom") }

type fakeHolder struct{ s *Span }

func (h *fakeHolder) HeldSpan() *Span { return h.s }
func (h *fakeHolder) EndAtShutdown()  { Release(h) }

// TestEndHeldPanicKeepsLock: a span whose TracerProvider panics does not
// leave the held lock locked (every later Hold and Release, every stream's
// start and end, would block forever), nor crash the shutdown.
func TestEndHeldPanicKeepsLock(t *testing.T) {
	bad := &fakeHolder{s: &Span{span: panicTPSpan{}}}
	Hold(bad)
	func() {
		defer func() { _ = recover() }()
		EndHeld(noop.NewTracerProvider())
	}()
	done := make(chan struct{})
	go func() { Release(bad); close(done) }()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("Release blocked: EndHeld left the held lock locked after a panic")
	}
}
