package openaitrace

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"go.opentelemetry.io/otel/sdk/trace"
)

// TestContextCauseErrorType: a call whose context ends with a cause
// (context.WithTimeoutCause, WithCancelCause) failed by a timeout or a
// cancellation all the same: error.type is timeout or canceled, not
// connection_error (the transport and context.Cause report the cause, which
// is neither context error), before the response and while a stream is read.
func TestContextCauseErrorType(t *testing.T) {
	cause := errors.New("caller's own cause")
	for _, tc := range []struct {
		name   string
		ctx    func() (context.Context, func())
		stream bool
		want   string
	}{
		{"timeout_cause", func() (context.Context, func()) {
			return context.WithTimeoutCause(context.Background(), 50*time.Millisecond, cause)
		}, false, "timeout"},
		{"cancel_cause", func() (context.Context, func()) {
			ctx, cancel := context.WithCancelCause(context.Background())
			tm := time.AfterFunc(50*time.Millisecond, func() { cancel(cause) })
			return ctx, func() { tm.Stop(); cancel(nil) }
		}, false, "canceled"},
		{"timeout_cause_stream", func() (context.Context, func()) {
			return context.WithTimeoutCause(context.Background(), 50*time.Millisecond, cause)
		}, true, "timeout"},
		{"cancel_cause_stream", func() (context.Context, func()) {
			ctx, cancel := context.WithCancelCause(context.Background())
			tm := time.AfterFunc(50*time.Millisecond, func() { cancel(cause) })
			return ctx, func() { tm.Stop(); cancel(nil) }
		}, true, "canceled"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			block := make(chan struct{})
			defer close(block)
			h := newHarness(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tc.stream {
					w.Header().Set("Content-Type", "text/event-stream")
					w.WriteHeader(200)
					_, _ = w.Write([]byte(dataEvents(streamChunks(3, true)...)[0]))
					w.(http.Flusher).Flush()
				}
				select {
				case <-block:
				case <-r.Context().Done():
				}
			}), false)
			ctx, cancel := tc.ctx()
			defer cancel()
			if tc.stream {
				st := h.client.Chat.Completions.NewStreaming(ctx, chatParams())
				for st.Next() {
				}
				if st.Err() == nil {
					t.Fatal("no error")
				}
				_ = st.Close()
			} else if _, err := h.client.Chat.Completions.New(ctx, chatParams()); err == nil {
				t.Fatal("no error")
			}
			var s trace.ReadOnlySpan
			for deadline := time.Now().Add(2 * time.Second); len(h.spans()) == 0 && time.Now().Before(deadline); {
				time.Sleep(5 * time.Millisecond)
			}
			s = h.onlySpan()
			wantAttrs(t, attrs(s), map[string]any{"error.type": tc.want})
		})
	}
}
