package openaitrace

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3/option"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/tracekit-go/tracekit/internal/spantest"
	"github.com/tracekit-go/tracekit/redact"
)

// cancelAfterHeaders is a transport that cancels the call's context as soon
// as the response headers are in, as a caller's cancel or a deadline landing
// between the headers and the body would.
type cancelAfterHeaders struct{ cancel context.CancelFunc }

func (c cancelAfterHeaders) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	c.cancel()
	return resp, err
}

// TestCancelledAfterHeaders: openai-go sees the context done after the
// attempt, closes the unread body and returns context.Canceled: the span says
// canceled, for a plain call and for a stream (where the SDK's Close races
// with the context's AfterFunc: many rounds).
func TestCancelledAfterHeaders(t *testing.T) {
	t.Run("json", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		h := newHarness(t, jsonHandler(200, chatResponseJSON), true,
			option.WithHTTPClient(&http.Client{Transport: cancelAfterHeaders{cancel}}))
		_, err := h.client.Chat.Completions.New(ctx, chatParams())
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("caller got %v, want context.Canceled", err)
		}
		s := h.onlySpan()
		if a := attrs(s); s.Status().Code != codes.Error || a["error.type"].AsString() != "canceled" {
			t.Errorf("caller got %v but span status=%v error.type=%q", err, s.Status(), a["error.type"].AsString())
		}
	})
	t.Run("stream", func(t *testing.T) {
		bad := 0
		for i := 0; i < 30; i++ {
			ctx, cancel := context.WithCancel(context.Background())
			h := newHarness(t, sseHandler(dataEvents(`{"id":"c1","object":"chat.completion.chunk","model":"m","choices":[{"index":0,"delta":{"content":"hi"}}]}`, "[DONE]")...), true,
				option.WithHTTPClient(&http.Client{Transport: cancelAfterHeaders{cancel}}))
			st := h.client.Chat.Completions.NewStreaming(ctx, chatParams())
			for st.Next() {
			}
			_ = st.Close()
			if !errors.Is(st.Err(), context.Canceled) {
				t.Fatalf("caller got %v, want context.Canceled", st.Err())
			}
			if attrs(h.onlySpan())["error.type"].AsString() != "canceled" {
				bad++
			}
			cancel()
		}
		if bad > 0 {
			t.Errorf("%d/30 cancelled streams ended their span without error.type=canceled", bad)
		}
	})
}

// TestStreamChunksNotDelayedBySpanEnd: ending the span (an exporter's OnEnd
// may be slow) never holds back a chunk: not when the terminal event and the
// body's EOF come with the last bytes (a stream with a Content-Length, as
// from a buffering proxy), not when the server keeps the connection open
// after [DONE].
func TestStreamChunksNotDelayedBySpanEnd(t *testing.T) {
	body := strings.Join(dataEvents(`{"id":"c1","object":"chat.completion.chunk","model":"m","choices":[{"index":0,"delta":{"content":"hi"}}]}`,
		`{"id":"c1","object":"chat.completion.chunk","model":"m","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}`, "[DONE]"), "")
	for name, handler := range map[string]http.HandlerFunc{
		"content_length": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/event-stream")
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
			_, _ = io.WriteString(w, body)
		},
		"open_after_done": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/event-stream")
			_, _ = io.WriteString(w, body)
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		},
	} {
		t.Run(name, func(t *testing.T) {
			p := spantest.NewGate()
			h := newHarnessWith(t, handler, true, &harnessConfig{processors: []sdktrace.SpanProcessor{p}})
			st := h.client.Chat.Completions.NewStreaming(context.Background(), chatParams())
			var text string
			for st.Next() {
				ch := st.Current()
				if len(ch.Choices) > 0 && ch.Choices[0].FinishReason == "stop" {
					p.Open() // the last chunk is in: the span may end
					break
				}
				if len(ch.Choices) > 0 {
					text += ch.Choices[0].Delta.Content
				}
			}
			_ = st.Close()
			if p.TimedOut() {
				t.Errorf("the last chunk reached the caller only after the span's end gave up waiting")
			}
			if text != "hi" || st.Err() != nil {
				t.Errorf("caller got %q, %v", text, st.Err())
			}
			wantAttrs(t, attrs(h.onlySpan()), map[string]any{"gen_ai.response.finish_reasons": []string{"stop"}})
		})
	}
}

// TestPanickingRedactorEndsSpan: a redactor that panics on the response is
// recovered (the caller is unaffected) and the span still ends.
func TestPanickingRedactorEndsSpan(t *testing.T) {
	red := redact.Func(func(s string) string {
		if strings.HasPrefix(s, "Expect") {
			panic("redactor bug")
		}
		return s
	})
	h := newHarnessWith(t, jsonHandler(200, chatResponseJSON), true, &harnessConfig{tracing: []Option{WithRedactor(red)}})
	res, err := h.client.Chat.Completions.New(context.Background(), chatParams())
	if err != nil || res.ID != "chatcmpl-fixture1" {
		t.Fatalf("caller: %v %v", res, err)
	}
	if s, e := len(h.rec.Started()), len(h.rec.Ended()); s != 1 || e != 1 {
		t.Errorf("started %d spans, ended %d", s, e)
	}
}

// TestStreamErrorEventEndsTheRecord: openai-go ends a stream at the first
// event with an "error" member, whatever its value, and delivers nothing of
// it or after it. The span records the error and only what the caller got.
func TestStreamErrorEventEndsTheRecord(t *testing.T) {
	head := `{"id":"chatcmpl-e","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[`
	first := head + `{"index":0,"delta":{"role":"assistant","content":"Hel"},"finish_reason":null}]}`
	more := head + `{"index":0,"delta":{"content":"lo"},"finish_reason":null}]}`
	for name, tc := range map[string]struct {
		event, typ string
	}{
		"object": {`{"error":{"message":"The server had an error while processing your request.","type":"server_error","param":null,"code":null}}`, "server_error"},
		"string": {`{"error":"upstream timeout"}`, "stream_error"},
		"inline": {head + `{"index":0,"delta":{"content":" never"},"finish_reason":null}],"error":{"message":"cut","code":"cut_off"}}`, "cut_off"},
	} {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, sseHandler(dataEvents(first, tc.event, more, "[DONE]")...), true)
			st := h.client.Chat.Completions.NewStreaming(context.Background(), chatParams())
			var got string
			for st.Next() {
				got += st.Current().Choices[0].Delta.Content
			}
			_ = st.Close()
			if st.Err() == nil || got != "Hel" {
				t.Fatalf("caller got %q, %v", got, st.Err())
			}
			s := h.onlySpan()
			if s.Status().Code != codes.Error {
				t.Errorf("status %v", s.Status())
			}
			wantAttrs(t, attrs(s), map[string]any{"error.type": tc.typ, "gen_ai.completion.0.content": "Hel"})
		})
	}
}
