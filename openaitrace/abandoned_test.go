package openaitrace

import (
	"context"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// stallingSSE sends events, then holds the connection open without ending
// the body until release is closed (or the client goes).
func stallingSSE(release chan struct{}, events ...string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(200)
		for _, e := range events {
			_, _ = w.Write([]byte(e))
		}
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
}

// newStallingHarness is a harness whose server sends events and then stalls
// until the test ends (released before the server closes, which waits for
// it).
func newStallingHarness(t *testing.T, events ...string) *harness {
	release := make(chan struct{})
	h := newHarness(t, stallingSSE(release, events...), true)
	t.Cleanup(func() { close(release) }) // runs before the server's Close
	return h
}

// collected runs the collector until h has an ended span (a runtime cleanup
// runs after the collection that finds its object unreachable, on a goroutine
// of its own), or 10 s have passed, and returns that one span.
func collected(t *testing.T, h *harness) sdktrace.ReadOnlySpan {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for len(h.rec.Ended()) == 0 && time.Now().Before(deadline) {
		runtime.GC()
		time.Sleep(5 * time.Millisecond)
	}
	spans := h.rec.Ended()
	if len(spans) != 1 {
		t.Fatalf("got %d ended spans, want 1: the abandoned stream's span did not end", len(spans))
	}
	return spans[0]
}

// TestStreamAbandonedEndsWhenCollected: a stream its caller lets go of without
// reading it to its end or closing it, on a context that never ends, still
// ends its span (once the collector finds the body unreachable), as a Close
// would: what was read, no error, and dated at the last read, not at the
// collection.
func TestStreamAbandonedEndsWhenCollected(t *testing.T) {
	h := newStallingHarness(t, dataEvents(streamChunks(5, false)[:3]...)...)
	lastNext := func() time.Time {
		st := h.client.Chat.Completions.NewStreaming(context.Background(), chatParams())
		for i := 0; i < 3; i++ {
			if !st.Next() {
				t.Fatalf("event %d: %v", i, st.Err())
			}
		}
		return time.Now() // st is let go of here: no Close, no further Next
	}()
	if n := len(h.rec.Ended()); n != 0 {
		t.Fatalf("%d spans ended before the stream was let go of", n)
	}
	time.Sleep(50 * time.Millisecond) // so that a span dated at the collection shows
	s := collected(t, h)
	if s.Status().Code != codes.Unset {
		t.Errorf("status %v: the caller saw no error", s.Status())
	}
	if s.EndTime().After(lastNext) {
		t.Errorf("span ends at %v, after the last read (%v): dated at the collection", s.EndTime(), lastNext)
	}
	a := attrs(s)
	wantAttrs(t, a, map[string]any{"gen_ai.response.id": "chatcmpl-stream1", "error.type": nil})
	if c := a["gen_ai.completion.0.content"].AsString(); c != "word0 word1 " {
		t.Errorf("content %q, want what arrived before the stream was let go of", c)
	}
	if d := histogramCount(t, h.metrics(), "gen_ai.client.operation.duration"); d != 1 {
		t.Errorf("%d duration points, want 1", d)
	}
}

// TestResponsesAbandonedAtCompletedEndsWhenCollected: a Responses stream left
// at its response.completed event, without a Close (the pattern README warns
// about), ends its span, complete and successful, once collected.
func TestResponsesAbandonedAtCompletedEndsWhenCollected(t *testing.T) {
	h := newStallingHarness(t, responsesTextStream(3, "response.completed", "completed", "")...)
	func() {
		st := h.client.Responses.NewStreaming(context.Background(), responsesParams())
		for st.Next() {
			if st.Current().Type == "response.completed" {
				return // no Close
			}
		}
		t.Fatalf("no response.completed: %v", st.Err())
	}()
	s := collected(t, h)
	if s.Status().Code != codes.Unset {
		t.Errorf("status %v", s.Status())
	}
	if got := attrs(s)["gen_ai.response.finish_reasons"].AsStringSlice(); len(got) == 0 || strings.Contains(strings.Join(got, ","), "error") {
		t.Errorf("finish_reasons %v: the stream was complete", got)
	}
}

// TestStreamEndedNotEndedAgainWhenCollected: a stream read to its end and
// closed has one span, which its collection leaves as it is.
func TestStreamEndedNotEndedAgainWhenCollected(t *testing.T) {
	h := newHarness(t, sseHandler(dataEvents(streamChunks(2, true)...)...), true)
	p := chatParams()
	p.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
	func() {
		st := h.client.Chat.Completions.NewStreaming(context.Background(), p)
		for st.Next() {
		}
		_ = st.Close()
	}()
	before := h.onlySpan()
	for i := 0; i < 5; i++ {
		runtime.GC()
		time.Sleep(5 * time.Millisecond)
	}
	s := h.onlySpan()
	if s.EndTime() != before.EndTime() {
		t.Errorf("span changed after collection")
	}
	if d := histogramCount(t, h.metrics(), "gen_ai.client.operation.duration"); d != 1 {
		t.Errorf("%d duration points, want 1", d)
	}
}

// histogramCount returns how many values a float64 histogram recorded.
func histogramCount(t testing.TB, rm metricdata.ResourceMetrics, name string) uint64 {
	t.Helper()
	var n uint64
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if h, ok := m.Data.(metricdata.Histogram[float64]); ok && m.Name == name {
				for _, dp := range h.DataPoints {
					n += dp.Count
				}
			}
		}
	}
	return n
}

// TestStreamAbandonedOverHTTP2EndsWhenCollected: over HTTP/2 (what
// api.openai.com speaks, and what net/http negotiates over TLS), the
// transport keeps the response of an open stream, and so the tee in its
// Body, until the server ends the stream: an abandoned stream's span ends
// once the server has, and the collector has found the tee unreachable;
// dated at the last read still.
func TestStreamAbandonedOverHTTP2EndsWhenCollected(t *testing.T) {
	release := make(chan struct{})
	var proto atomic.Int32
	inner := stallingSSE(release, dataEvents(streamChunks(5, false)[:3]...)...)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		proto.Store(int32(r.ProtoMajor))
		inner.ServeHTTP(w, r)
	}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(srv.Close)
	h := newHarness(t, http.NotFoundHandler(), true,
		option.WithBaseURL(srv.URL+"/v1"), option.WithHTTPClient(srv.Client()))
	lastNext := func() time.Time {
		st := h.client.Chat.Completions.NewStreaming(context.Background(), chatParams())
		for i := 0; i < 3; i++ {
			if !st.Next() {
				t.Fatalf("event %d: %v", i, st.Err())
			}
		}
		return time.Now()
	}() // abandoned: no Close, no further Next
	if p := proto.Load(); p != 2 {
		t.Fatalf("served over HTTP/%d, want HTTP/2", p)
	}
	close(release) // the server ends the stream
	if s := collected(t, h); s.EndTime().After(lastNext) || s.Status().Code != codes.Unset {
		t.Errorf("span ends at %v (last read before %v), status %v", s.EndTime(), lastNext, s.Status())
	}
}

// blockingProcessor is a span processor whose OnEnd waits for block (as an
// exporter behind a SimpleSpanProcessor waits for its network).
type blockingProcessor struct {
	entered chan struct{}
	block   chan struct{}
}

func (p *blockingProcessor) OnStart(context.Context, sdktrace.ReadWriteSpan) {}
func (p *blockingProcessor) OnEnd(sdktrace.ReadOnlySpan) {
	select {
	case p.entered <- struct{}{}:
	default:
	}
	<-p.block
}
func (p *blockingProcessor) Shutdown(context.Context) error   { return nil }
func (p *blockingProcessor) ForceFlush(context.Context) error { return nil }

// TestAbandonedDoesNotBlockOtherCleanups: call.abandoned runs on the
// runtime's cleanup goroutine (max(GOMAXPROCS/4, 1) of them for the whole
// process) and ends the span there, synchronously: span processors and
// exporters (a SimpleSpanProcessor exports on End), redactors, pricing and
// metric instruments all run on it. runtime.AddCleanup's documentation asks
// a cleanup that may run long to start a goroutine: while the span's end
// blocks, no other cleanup of the process runs.
func TestAbandonedDoesNotBlockOtherCleanups(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2)) // one cleanup goroutine, as on a 2-7 core machine
	proc := &blockingProcessor{entered: make(chan struct{}, 1), block: make(chan struct{})}
	release := make(chan struct{})
	h := newHarnessWith(t, stallingSSE(release, dataEvents(streamChunks(5, false)[:3]...)...), true,
		&harnessConfig{processors: []sdktrace.SpanProcessor{proc}})
	t.Cleanup(func() { close(release) })
	t.Cleanup(func() { close(proc.block) }) // runs first
	func() {
		st := h.client.Chat.Completions.NewStreaming(context.Background(), chatParams())
		for i := 0; i < 3; i++ {
			if !st.Next() {
				t.Fatalf("event %d: %v", i, st.Err())
			}
		}
	}() // abandoned
	deadline := time.Now().Add(5 * time.Second)
	entered := false
	for !entered && time.Now().Before(deadline) {
		runtime.GC()
		select {
		case <-proc.entered:
			entered = true
		case <-time.After(5 * time.Millisecond):
		}
	}
	if !entered {
		t.Fatal("the abandoned stream's span never ended")
	}
	// An unrelated object of the program, with a cleanup of its own.
	ran := make(chan struct{})
	func() {
		o := new([64]byte)
		runtime.AddCleanup(o, func(ch chan struct{}) { close(ch) }, ran)
	}()
	deadline = time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		runtime.GC()
		select {
		case <-ran:
			return
		case <-time.After(5 * time.Millisecond):
		}
	}
	t.Fatal("an unrelated cleanup did not run in 2 s: the span's end, run by call.abandoned on the runtime's cleanup goroutine, holds it")
}
