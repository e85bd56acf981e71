package openaitrace

import (
	"context"
	"net/http"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// TestResponsesStreamNoLeak checks that a Responses stream leaves no
// goroutine behind, whether it is read to its end, closed early or
// cancelled, and that its span ends in each case.
func TestResponsesStreamNoLeak(t *testing.T) {
	ev := responsesTextStream(4, "response.completed", "completed", "")
	// blocking serves the first events, then waits for the client to go.
	blocking := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sseHandler(ev[:5]...)(w, r)
		<-r.Context().Done()
	})
	cases := []struct {
		name    string
		handler http.Handler
		run     func(h *harness)
	}{
		{"finished", sseHandler(ev...), func(h *harness) {
			stream := h.client.Responses.NewStreaming(context.Background(), responsesParams())
			for stream.Next() {
			}
		}},
		{"closed", blocking, func(h *harness) {
			stream := h.client.Responses.NewStreaming(context.Background(), responsesParams())
			stream.Next()
			stream.Next()
			_ = stream.Close()
		}},
		{"cancelled", blocking, func(h *harness) {
			ctx, cancel := context.WithCancel(context.Background())
			stream := h.client.Responses.NewStreaming(ctx, responsesParams())
			stream.Next()
			cancel()
			for stream.Next() {
			}
			_ = stream.Close()
		}},
		{"abandoned_then_cancelled", blocking, func(h *harness) {
			// Never closed nor drained: the context ends the span.
			ctx, cancel := context.WithCancel(context.Background())
			stream := h.client.Responses.NewStreaming(ctx, responsesParams())
			stream.Next()
			cancel()
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			opt := goleak.IgnoreCurrent()
			h := newHarness(t, tc.handler, true)
			tc.run(h)
			// Cancellation ends the span from context.AfterFunc's goroutine.
			deadline := time.Now().Add(5 * time.Second)
			for len(h.rec.Ended()) == 0 && time.Now().Before(deadline) {
				time.Sleep(time.Millisecond)
			}
			if n := len(h.rec.Ended()); n != 1 {
				t.Fatalf("%d spans ended, want 1", n)
			}
			h.srv.CloseClientConnections()
			h.srv.Close()
			goleak.VerifyNone(t, opt)
		})
	}
}
