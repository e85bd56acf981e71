package bedrocktrace

// A caller that drains a stream and then cancels its context.

import (
	"context"
	"io"
	"net/http"
	"testing"
	"time"
)

// slowCloseTransport delays the Close of every response body (below the
// tee): a transport that does work on Close (HTTP/2, otelhttp, a proxy
// client) widens the window between the SDK closing Events() and closing
// the body.
type slowCloseTransport struct {
	rt    http.RoundTripper
	delay time.Duration
}

type slowCloseBody struct {
	io.ReadCloser
	delay time.Duration
}

func (b slowCloseBody) Close() error {
	time.Sleep(b.delay)
	return b.ReadCloser.Close()
}

func (s slowCloseTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	res, err := s.rt.RoundTrip(r)
	if err == nil && res.Body != nil {
		res.Body = slowCloseBody{res.Body, s.delay}
	}
	return res, err
}

// TestAgentDrainedThenCancel: the caller drains an InvokeAgent stream
// (which has no terminal event, so its span ends when the SDK closes the
// body), sees Err() == nil, and cancels its context (defer cancel(), a
// request context ending). The SDK's reader closes Events() before it
// closes the body, so the cancellation can reach the span first: the span
// then says "canceled" for a call the caller saw succeed. (The tee notes
// the Read that met the end: the cancellation then leaves the outcome to the
// SDK.)
func TestAgentDrainedThenCancel(t *testing.T) {
	for _, slow := range []time.Duration{0, 50 * time.Millisecond} {
		t.Run("close_delay_"+slow.String(), func(t *testing.T) {
			e := newEnv(t)
			if slow > 0 {
				e.http = &http.Client{Transport: slowCloseTransport{rt: e.http.Transport, delay: slow}}
			}
			f := newFake(t, reply{frames: [][]byte{agentTrace(t, "orchestrationTrace", modelOutput(200, 20, "end_turn")), chunk(t, "It is "), chunk(t, "sunny.")}})
			ctx, cancel := context.WithCancel(context.Background())
			v, stream := runAgentView(t, e, f.URL, ctx)
			cancel() // the caller is done
			_ = stream.Close()
			if v.err != nil || v.text != "It is sunny." {
				t.Fatalf("premise: caller got %q, %v", v.text, v.err)
			}
			compare(t, spanFor(t, e), v, "gen_ai.completion.0.content")
			e.leakCheck(t, f)
		})
	}
}

// TestConverseNoTerminalDrainedThenCancel: the same race for a
// ConverseStream that ends (EOF) without its metadata event: the SDK
// reports no error.
func TestConverseNoTerminalDrainedThenCancel(t *testing.T) {
	e := newEnv(t)
	e.http = &http.Client{Transport: slowCloseTransport{rt: e.http.Transport, delay: 50 * time.Millisecond}}
	f := newFake(t, reply{frames: [][]byte{fStart(t), fDelta(t, "Hi"), fStop(t)}})
	ctx, cancel := context.WithCancel(context.Background())
	v, out := runConverseView(t, e, f.URL, ctx, 0)
	cancel()
	if out != nil {
		_ = out.GetStream().Close()
	}
	if v.err != nil {
		t.Fatalf("premise: %v", v.err)
	}
	compare(t, spanFor(t, e), v, "gen_ai.completion.0.content")
	e.leakCheck(t, f)
}
