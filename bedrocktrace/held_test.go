package bedrocktrace

import (
	"context"
	"testing"
	"time"

	"github.com/tracekit-go/tracekit/internal/instr"
)

// TestHeldStreamEndedAtShutdown: a ConverseStream its caller still holds,
// unfinished and unclosed, on a context that never ends, is ended by
// instr.EndHeld (what export's shutdown calls), cut short
// (error.type=shutdown), and leaves the held set; a finished stream leaves
// it when it ends.
func TestHeldStreamEndedAtShutdown(t *testing.T) {
	e := newEnv(t)
	f := newFake(t, reply{frames: [][]byte{fStart(t), fDelta(t, "A"), fDelta(t, "B")}, hang: true})
	out, err := e.runtime(f.URL, true).ConverseStream(context.Background(), streamInput())
	if err != nil {
		t.Fatal(err)
	}
	<-out.GetStream().Events()
	if n := instr.EndHeld(e.tp); n != 1 {
		t.Fatalf("ended %d, want 1", n)
	}
	attrsOf(e.oneSpan()).want(t, map[string]any{"error.type": "shutdown"})
	if n := instr.EndHeld(e.tp); n != 0 {
		t.Errorf("%d still held after the shutdown", n)
	}
	_ = out.GetStream().Close()

	e2 := newEnv(t)
	f2 := newFake(t, reply{frames: converseStreamFrames(t, 2)})
	out2, err := e2.runtime(f2.URL, true).ConverseStream(context.Background(), streamInput())
	if err != nil {
		t.Fatal(err)
	}
	for range out2.GetStream().Events() {
	}
	_ = out2.GetStream().Close()
	deadline := time.Now().Add(5 * time.Second)
	for len(e2.spans()) == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if n := instr.EndHeld(e2.tp); n != 0 || len(e2.spans()) != 1 {
		t.Errorf("%d still held; %d spans", n, len(e2.spans()))
	}
}
