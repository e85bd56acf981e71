package openaitrace

import (
	"context"
	"io"
	"testing"

	"github.com/tracekit-go/tracekit/internal/instr"
)

// TestHeldEndedAtShutdown: a stream (or a speech answer) its caller still
// holds, unfinished and unclosed, on a context that never ends, is ended
// by instr.EndHeld (what export's shutdown calls), cut short
// (error.type=shutdown), and leaves the held set; a finished stream leaves
// it when it ends. (Counts are of this test's provider: other tests' streams
// may end meanwhile.) Another provider's shutdown ends none of them.
func TestHeldEndedAtShutdown(t *testing.T) {
	h := newStallingHarness(t, dataEvents(streamChunks(2, false)[:2]...)...)
	stream := h.client.Chat.Completions.NewStreaming(context.Background(), chatParams())
	if !stream.Next() {
		t.Fatal(stream.Err())
	}
	other, _ := benchProviders()
	if n := instr.EndHeld(other); n != 0 || len(h.rec.Ended()) != 0 {
		t.Fatalf("another provider's shutdown ended %d", n)
	}
	if n := instr.EndHeld(h.tp); n != 1 {
		t.Fatalf("ended %d, want 1", n)
	}
	s := h.onlySpan()
	wantAttrs(t, attrs(s), map[string]any{"error.type": "shutdown"})
	if n := instr.EndHeld(h.tp); n != 0 {
		t.Errorf("%d still held after the shutdown", n)
	}
	_ = stream.Close() // the caller's stream is untouched: it closes as ever
	if len(h.rec.Ended()) != 1 {
		t.Errorf("%d spans", len(h.rec.Ended()))
	}

	// A stream read to its end and closed leaves the held set.
	h2 := newHarness(t, sseHandler(dataEvents(streamChunks(3, true)...)...), true)
	s2 := h2.client.Chat.Completions.NewStreaming(context.Background(), chatParams())
	for s2.Next() {
	}
	_ = s2.Close()
	if n := instr.EndHeld(h2.tp); n != 0 || len(h2.rec.Ended()) != 1 {
		t.Errorf("%d still held; %d spans", n, len(h2.rec.Ended()))
	}

	// A speech answer read in part.
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	h3 := newHarness(t, stallingAudio(release), true)
	res, err := h3.client.Audio.Speech.New(context.Background(), speechParams())
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.ReadFull(res.Body, make([]byte, 1024))
	if n := instr.EndHeld(h3.tp); n != 1 {
		t.Fatalf("ended %d, want 1", n)
	}
	wantAttrs(t, attrs(h3.onlySpan()), map[string]any{"error.type": "shutdown"})
	_ = res.Body.Close()
	if n := instr.EndHeld(h3.tp); n != 0 {
		t.Errorf("%d still held", n)
	}
}
