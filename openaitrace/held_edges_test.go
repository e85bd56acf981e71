package openaitrace

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/tracekit-go/tracekit/internal/instr"
)

// TestHeldStress: streams read to the end, closed early, cancelled,
// abandoned (collected), while EndHeld runs concurrently: every span ends
// once, nothing stays held, no race, no deadlock.
func TestHeldStress(t *testing.T) {
	h := newStallingHarness(t, dataEvents(streamChunks(4, false)[:4]...)...)
	full := newHarness(t, sseHandler(dataEvents(streamChunks(3, true)...)...), true)
	const n = 24
	var wg sync.WaitGroup
	stop := make(chan struct{})
	var ew sync.WaitGroup
	ew.Add(1)
	go func() {
		defer ew.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			instr.EndHeld(h.tp)
			instr.EndHeld(full.tp)
			runtime.GC()
			time.Sleep(time.Millisecond)
		}
	}()
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			switch i % 4 {
			case 0:
				s := full.client.Chat.Completions.NewStreaming(context.Background(), chatParams())
				for s.Next() {
				}
				_ = s.Close()
			case 1:
				s := h.client.Chat.Completions.NewStreaming(context.Background(), chatParams())
				s.Next()
				_ = s.Close()
			case 2:
				ctx, cancel := context.WithCancel(context.Background())
				s := h.client.Chat.Completions.NewStreaming(ctx, chatParams())
				s.Next()
				cancel()
				_ = s.Close()
			case 3:
				s := h.client.Chat.Completions.NewStreaming(context.Background(), chatParams())
				s.Next() // abandoned
			}
		}(i)
	}
	wg.Wait()
	deadline := time.Now().Add(10 * time.Second)
	for len(h.rec.Ended())+len(full.rec.Ended()) < n && time.Now().Before(deadline) {
		instr.EndHeld(h.tp)
		runtime.GC()
		time.Sleep(5 * time.Millisecond)
	}
	close(stop)
	ew.Wait()
	if got := len(h.rec.Ended()) + len(full.rec.Ended()); got != n {
		t.Fatalf("%d spans ended, want %d", got, n)
	}
	if k := instr.EndHeld(h.tp) + instr.EndHeld(full.tp); k != 0 {
		t.Fatalf("%d still held", k)
	}
}

// TestHeldSpeechReadWhole: a speech answer read whole (all of its
// Content-Length, as io.ReadFull does) but not closed is not reported cut
// short at shutdown.
func TestHeldSpeechReadWhole(t *testing.T) {
	h := newHarness(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "audio/mpeg")
		w.Header().Set("Content-Length", "1024")
		_, _ = w.Write(bytes.Repeat([]byte{0xff}, 1024))
	}), true)
	res, err := h.client.Audio.Speech.New(context.Background(), speechParams())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(res.Body, make([]byte, 1024)); err != nil {
		t.Fatal(err)
	}
	instr.EndHeld(h.tp)
	a := attrs(h.onlySpan())
	if v, ok := a["error.type"]; ok {
		t.Fatalf("whole answer, yet error.type=%v", v.String())
	}
	_ = res.Body.Close()
}
