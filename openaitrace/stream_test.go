package openaitrace

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"go.opentelemetry.io/otel/codes"
	"go.uber.org/goleak"
)

func TestStreamComplete(t *testing.T) {
	h := newHarness(t, sseHandler(dataEvents(streamChunks(20, true)...)...), true)
	p := chatParams()
	p.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
	st := h.client.Chat.Completions.NewStreaming(context.Background(), p)
	var acc openai.ChatCompletionAccumulator
	for st.Next() {
		acc.AddChunk(st.Current())
	}
	if err := st.Err(); err != nil {
		t.Fatal(err)
	}
	_ = st.Close()
	if got := acc.Choices[0].Message.Content; got != streamText(20) {
		t.Fatalf("caller got %q", got)
	}
	s := h.onlySpan()
	a := attrs(s)
	wantAttrs(t, a, map[string]any{
		"gen_ai.response.id":                        "chatcmpl-stream1",
		"gen_ai.response.model":                     "gpt-4o-mini-2024-07-18",
		"gen_ai.response.finish_reasons":            []string{"stop"}, // the reference records [] (a bug)
		"gen_ai.completion.0.finish_reason":         "stop",
		"gen_ai.completion.0.role":                  "assistant",
		"gen_ai.completion.0.content":               streamText(20),
		"gen_ai.usage.input_tokens":                 96,
		"gen_ai.usage.output_tokens":                20,
		"gen_ai.openai.response.service_tier":       "default",
		"gen_ai.openai.response.system_fingerprint": "fp_fixture",
		"gen_ai.prompt.1.content":                   userPrompt,
	})
	if v, ok := a["gen_ai.response.time_to_first_chunk"]; !ok || v.AsFloat64() <= 0 || v.AsFloat64() > 5 {
		t.Errorf("time_to_first_chunk = %v", v)
	}
	if s.Status().Code != codes.Unset {
		t.Errorf("status %v", s.Status())
	}
	if got := histogramSum(t, h.metrics(), "gen_ai.client.token.usage"); got != 116 {
		t.Errorf("stream token metric sum %d, want 116", got)
	}
}

func TestStreamWithoutUsage(t *testing.T) {
	h := newHarness(t, sseHandler(dataEvents(streamChunks(3, false)...)...), false)
	st := h.client.Chat.Completions.NewStreaming(context.Background(), chatParams())
	for st.Next() {
	}
	_ = st.Close()
	a := attrs(h.onlySpan())
	// llm-tracekit records 0/0 when a chat stream carried no usage.
	wantAttrs(t, a, map[string]any{"gen_ai.usage.input_tokens": 0, "gen_ai.usage.output_tokens": 0, "gen_ai.completion.0.content": nil})
	rm := h.metrics()
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name == "gen_ai.client.token.usage" {
				t.Error("token metric recorded for a stream with unknown usage")
			}
		}
	}
}

func TestStreamClosedEarly(t *testing.T) {
	h := newHarness(t, sseHandler(dataEvents(streamChunks(20, true)...)...), true)
	st := h.client.Chat.Completions.NewStreaming(context.Background(), chatParams())
	for i := 0; i < 3 && st.Next(); i++ {
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	s := h.onlySpan()
	a := attrs(s)
	wantAttrs(t, a, map[string]any{"gen_ai.completion.0.finish_reason": "error", "gen_ai.response.finish_reasons": []string{"error"}})
	if c := a["gen_ai.completion.0.content"].AsString(); !strings.HasPrefix(c, "word0 ") || c == streamText(20) {
		t.Errorf("partial content %q", c)
	}
	if s.Status().Code != codes.Unset {
		t.Errorf("a stream the caller closed is not an error: %v", s.Status())
	}
}

// TestStreamAbandonedEndsOnCancel: a stream that is neither read to its end
// nor closed still ends its span when the call's context is cancelled.
func TestStreamAbandonedEndsOnCancel(t *testing.T) {
	release := make(chan struct{})
	h := newHarness(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(200)
		for _, e := range dataEvents(streamChunks(3, false)[:2]...) {
			_, _ = w.Write([]byte(e))
		}
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}), true)
	defer close(release)
	ctx, cancel := context.WithCancel(context.Background())
	st := h.client.Chat.Completions.NewStreaming(ctx, chatParams())
	if !st.Next() {
		t.Fatal(st.Err())
	}
	cancel() // abandon: no Close, no further Next
	deadline := time.Now().Add(5 * time.Second)
	for len(h.rec.Ended()) == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	s := h.onlySpan()
	if s.Status().Code != codes.Error {
		t.Errorf("status %v", s.Status())
	}
	wantAttrs(t, attrs(s), map[string]any{"error.type": "canceled"})
	_ = st.Close()
	if n := len(h.rec.Ended()); n != 1 {
		t.Errorf("span ended %d times", n)
	}
}

func TestStreamParallelToolCalls(t *testing.T) {
	head := `{"id":"chatcmpl-tc","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini-2024-07-18","choices":[`
	chunks := []string{
		head + `{"index":0,"delta":{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_a","type":"function","function":{"name":"get_weather","arguments":""}}]},"finish_reason":null}]}`,
		head + `{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"loc"}}]},"finish_reason":null}]}`,
		head + `{"index":0,"delta":{"tool_calls":[{"index":1,"id":"call_b","type":"function","function":{"name":"get_time","arguments":""}}]},"finish_reason":null}]}`,
		head + `{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"ation\": \"Lisbon\"}"}}]},"finish_reason":null}]}`,
		head + `{"index":0,"delta":{"tool_calls":[{"index":1,"function":{"arguments":"{\"tz\": \"WET\"}"}}]},"finish_reason":null}]}`,
		head + `{"index":0,"delta":{},"finish_reason":"tool_calls"}]}`,
		"[DONE]",
	}
	for _, capture := range []bool{true, false} {
		h := newHarness(t, sseHandler(dataEvents(chunks...)...), capture)
		st := h.client.Chat.Completions.NewStreaming(context.Background(), chatParams())
		for st.Next() {
		}
		_ = st.Close()
		want := map[string]any{
			"gen_ai.completion.0.finish_reason":                   "tool_calls",
			"gen_ai.completion.0.tool_calls.0.id":                 "call_a",
			"gen_ai.completion.0.tool_calls.0.type":               "function",
			"gen_ai.completion.0.tool_calls.0.function.name":      "get_weather",
			"gen_ai.completion.0.tool_calls.1.id":                 "call_b",
			"gen_ai.completion.0.tool_calls.1.function.name":      "get_time",
			"gen_ai.completion.0.tool_calls.0.function.arguments": jsonValue(`{"location":"Lisbon"}`),
			"gen_ai.completion.0.tool_calls.1.function.arguments": jsonValue(`{"tz":"WET"}`),
			"gen_ai.completion.0.content":                         nil,
		}
		if !capture {
			want["gen_ai.completion.0.tool_calls.0.function.arguments"] = nil
			want["gen_ai.completion.0.tool_calls.1.function.arguments"] = nil
		}
		wantAttrs(t, attrs(h.onlySpan()), want)
	}
}

func TestStreamMultipleChoices(t *testing.T) {
	head := `{"id":"chatcmpl-n2","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini-2024-07-18","choices":[`
	chunks := []string{
		head + `{"index":1,"delta":{"role":"assistant","content":"B1 "},"finish_reason":null}]}`,
		head + `{"index":0,"delta":{"role":"assistant","content":"A1 "},"finish_reason":null}]}`,
		head + `{"index":0,"delta":{"content":"A2"},"finish_reason":null}]}`,
		head + `{"index":1,"delta":{"content":"B2"},"finish_reason":null}]}`,
		head + `{"index":1,"delta":{},"finish_reason":"length"}]}`,
		head + `{"index":0,"delta":{},"finish_reason":"stop"}]}`,
		"[DONE]",
	}
	h := newHarness(t, sseHandler(dataEvents(chunks...)...), true)
	st := h.client.Chat.Completions.NewStreaming(context.Background(), chatParams())
	for st.Next() {
	}
	_ = st.Close()
	wantAttrs(t, attrs(h.onlySpan()), map[string]any{
		"gen_ai.completion.0.content":       "A1 A2",
		"gen_ai.completion.1.content":       "B1 B2",
		"gen_ai.completion.0.finish_reason": "stop",
		"gen_ai.completion.1.finish_reason": "length",
		"gen_ai.response.finish_reasons":    []string{"stop", "length"},
	})
}

func TestStreamErrorEvent(t *testing.T) {
	chunks := append(streamChunks(2, false)[:2], `{"error":{"message":"overloaded","type":"server_error","code":"server_overloaded"}}`)
	h := newHarness(t, sseHandler(dataEvents(chunks...)...), true)
	st := h.client.Chat.Completions.NewStreaming(context.Background(), chatParams())
	for st.Next() {
	}
	if st.Err() == nil {
		t.Fatal("the SDK should report the error event")
	}
	_ = st.Close()
	s := h.onlySpan()
	if s.Status().Code != codes.Error || s.Status().Description != "overloaded" {
		t.Errorf("status %+v", s.Status())
	}
	wantAttrs(t, attrs(s), map[string]any{"error.type": "server_overloaded"})
}

func TestStreamReadErrorEndsSpan(t *testing.T) {
	h := newHarness(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.Header().Set("Content-Length", "100000") // promise more than is sent
		w.WriteHeader(200)
		_, _ = w.Write([]byte(dataEvents(streamChunks(1, false)[0])[0]))
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler) // cut the connection
	}), true)
	st := h.client.Chat.Completions.NewStreaming(context.Background(), chatParams())
	for st.Next() {
	}
	if st.Err() == nil {
		t.Fatal("expected a read error")
	}
	_ = st.Close()
	wantAttrs(t, attrs(h.onlySpan()), map[string]any{"error.type": "connection_error"})
}

// TestStreamNoGoroutineLeak checks that no goroutine outlives a stream that
// finishes, is closed early, or is cancelled.
func TestStreamNoGoroutineLeak(t *testing.T) {
	for _, tc := range []struct {
		name string
		run  func(c openai.Client)
	}{
		{"finished", func(c openai.Client) {
			st := c.Chat.Completions.NewStreaming(context.Background(), chatParams())
			for st.Next() {
			}
			_ = st.Close()
		}},
		{"closed early", func(c openai.Client) {
			st := c.Chat.Completions.NewStreaming(context.Background(), chatParams())
			st.Next()
			_ = st.Close()
		}},
		{"cancelled", func(c openai.Client) {
			ctx, cancel := context.WithCancel(context.Background())
			st := c.Chat.Completions.NewStreaming(ctx, chatParams())
			st.Next()
			cancel()
			for st.Next() {
			}
			_ = st.Close()
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			transport := &http.Transport{}
			h := newHarness(t, sseHandler(dataEvents(streamChunks(10, true)...)...), true,
				option.WithHTTPClient(&http.Client{Transport: transport}))
			ignore := goleak.IgnoreCurrent()
			tc.run(h.client)
			transport.CloseIdleConnections()
			h.srv.CloseClientConnections()
			if err := goleak.Find(ignore); err != nil {
				t.Error(err)
			}
			if len(h.rec.Started()) != 1 || len(h.rec.Ended()) != 1 {
				t.Errorf("started %d, ended %d spans", len(h.rec.Started()), len(h.rec.Ended()))
			}
		})
	}
}

// TestStreamAlreadyCancelledContext: the call's context is done before the
// response is handed over; the span still ends exactly once, race-free.
func TestStreamAlreadyCancelledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	h := newHarness(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(200)
		w.(http.Flusher).Flush()
		cancel() // cancel while the client is receiving the headers
		<-r.Context().Done()
	}), true)
	st := h.client.Chat.Completions.NewStreaming(ctx, chatParams())
	for st.Next() {
	}
	_ = st.Close()
	deadline := time.Now().Add(5 * time.Second)
	for len(h.rec.Ended()) == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if len(h.rec.Ended()) != 1 || len(h.rec.Started()) != 1 {
		t.Fatalf("started %d, ended %d", len(h.rec.Started()), len(h.rec.Ended()))
	}
	wantAttrs(t, attrs(h.onlySpan()), map[string]any{"error.type": "canceled"})
}
