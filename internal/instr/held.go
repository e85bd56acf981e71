package instr

import (
	"sync"

	"go.opentelemetry.io/otel/trace"
)

// Holder is a call whose answer its caller holds and reads at its own pace
// (a stream, a raw body): its span ends when the caller is done with it, or
// its context, or when the collector finds the body unreachable. A
// provider that shuts down first ends it through EndHeld, so that a span
// still open at exit is exported rather than lost.
type Holder interface {
	// HeldSpan returns the call's span.
	HeldSpan() *Span
	// EndAtShutdown ends the call's span now, unless it has ended: as cut
	// short by the shutdown, unless the call's answer was complete. It
	// calls Release.
	EndAtShutdown()
}

// held is the set of held calls. Only calls with a held answer enter it,
// once each, so the lock is not on the path of other calls.
var held struct {
	sync.Mutex
	m map[Holder]struct{}
}

// Hold adds a call to the held set. Call it once the call's answer is
// handed to its caller, under the call's own lock and only if its span has
// not ended, so that Release, called when it ends, comes after.
func Hold(h Holder) {
	held.Lock()
	if held.m == nil {
		held.m = make(map[Holder]struct{})
	}
	held.m[h] = struct{}{}
	held.Unlock()
}

// Release removes a call from the held set (when its span ends).
func Release(h Holder) {
	held.Lock()
	delete(held.m, h)
	held.Unlock()
}

// EndHeld ends the spans of the held calls that tp made (all of them when
// tp is nil) and returns how many it ended. A TracerProvider about to shut
// down calls it first: those spans then reach its exporters.
func EndHeld(tp trace.TracerProvider) int {
	hs := heldOf(tp)
	for _, h := range hs {
		h.EndAtShutdown()
	}
	return len(hs)
}

// heldOf returns the held calls whose spans tp made. A span whose
// TracerProvider panics is left out.
func heldOf(tp trace.TracerProvider) []Holder {
	held.Lock()
	defer held.Unlock()
	var hs []Holder
	for h := range held.m {
		if tp == nil || madeBy(h, tp) {
			hs = append(hs, h)
		}
	}
	return hs
}

// madeBy reports whether tp made the span of h (false when its provider
// cannot be compared, or telling panics).
func madeBy(h Holder, tp trace.TracerProvider) (same bool) {
	defer func() {
		if recover() != nil {
			same = false
		}
	}()
	s := h.HeldSpan()
	return s != nil && s.span != nil && s.span.TracerProvider() == tp
}
