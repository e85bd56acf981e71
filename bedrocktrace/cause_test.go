package bedrocktrace

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// TestContextCauseErrorType: a call whose context ends with a cause
// (context.WithTimeoutCause, WithCancelCause) failed by a timeout or a
// cancellation all the same: error.type is timeout or canceled, not the Go
// type of the cause the transport reports, before the response and while a
// stream is read.
func TestContextCauseErrorType(t *testing.T) {
	cause := errors.New("caller's own cause")
	for _, tc := range []struct {
		name   string
		stream bool
		cancel bool
		want   string
	}{{"timeout", false, false, "timeout"}, {"cancel", false, true, "canceled"}, {"timeout_stream", true, false, "timeout"}, {"cancel_stream", true, true, "canceled"}} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			var url string
			if tc.stream {
				url = newFake(t, reply{frames: converseStreamFrames(t, 2)[:2], hang: true}).URL
			} else {
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					_, _ = io.Copy(io.Discard, r.Body) // so that the server sees the client go
					<-r.Context().Done()
				}))
				defer srv.Close()
				url = srv.URL
			}
			var ctx context.Context
			var stop func()
			if tc.cancel {
				c, cancel := context.WithCancelCause(context.Background())
				tm := time.AfterFunc(100*time.Millisecond, func() { cancel(cause) })
				ctx, stop = c, func() { tm.Stop(); cancel(nil) }
			} else {
				ctx, stop = context.WithTimeoutCause(context.Background(), 100*time.Millisecond, cause)
			}
			defer stop()
			client := e.runtime(url, true)
			if tc.stream {
				out, err := client.ConverseStream(ctx, streamInput())
				if err != nil {
					t.Fatal(err)
				}
				for range out.GetStream().Events() {
				}
				_ = out.GetStream().Close()
			} else if _, err := client.Converse(ctx, converseInput()); err == nil {
				t.Fatal("want an error")
			}
			deadline := time.Now().Add(5 * time.Second)
			for len(e.spans()) == 0 && time.Now().Before(deadline) {
				time.Sleep(time.Millisecond)
			}
			attrsOf(e.oneSpan()).want(t, map[string]any{"error.type": tc.want})
		})
	}
}
