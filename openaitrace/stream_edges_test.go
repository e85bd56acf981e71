package openaitrace

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"go.opentelemetry.io/otel/codes"
)

// TestResponsesStreamErrorMemberEndsRecord: openai-go ends a Responses
// stream with an error on any event that has a top-level "error" member (of
// any value, whatever the event's type) and delivers nothing of it or of later
// events. The span must end there as an error, not go on to record the
// events the caller never got (here a complete response).
func TestResponsesStreamErrorMemberEndsRecord(t *testing.T) {
	for name, bad := range map[string]string{
		"string_untyped": "data: {\"error\":\"overloaded\"}\n\n",
		"object_typed": sseEvent("response.output_text.delta",
			`{"type":"response.output_text.delta","sequence_number":5,"item_id":"msg_s1","output_index":0,"content_index":0,"delta":"LOST ","error":{"code":"server_error","message":"upstream failed"}}`),
	} {
		t.Run(name, func(t *testing.T) {
			ev := responsesTextStream(2, "response.completed", "completed", "")
			ev = append(ev[:5], append([]string{bad}, ev[5:]...)...)
			h := newHarness(t, sseHandler(ev...), true)
			st := h.client.Responses.NewStreaming(context.Background(), responsesParams())
			for st.Next() {
			}
			if st.Err() == nil {
				t.Fatal("the caller got no error")
			}
			_ = st.Close()
			s := h.onlySpan()
			if s.Status().Code != codes.Error {
				t.Errorf("status %v, want Error", s.Status())
			}
			a := attrs(s)
			if c := a["gen_ai.completion.0.content"].AsString(); strings.Contains(c, "word1") || strings.Contains(c, "LOST") {
				t.Errorf("content %q holds events the caller never got", c)
			}
			wantAttrs(t, a, map[string]any{
				"gen_ai.usage.input_tokens":         nil, // only response.completed carries usage
				"gen_ai.completion.0.finish_reason": "error",
			})
			if name == "object_typed" {
				wantAttrs(t, a, map[string]any{"error.type": "server_error"})
			}
		})
	}
}

// TestStreamWithoutEventStreamContentType: openai-go decodes the answer to
// NewStreaming as server-sent events whatever its Content-Type (its decoder
// falls back to SSE for any type it has no decoder for), so a server that
// labels its stream text/plain, or not at all, still streams to the caller.
// The span must record that stream, not buffer it as a JSON body that fails
// to parse and record no response at all.
func TestStreamWithoutEventStreamContentType(t *testing.T) {
	for _, ct := range []string{"text/plain; charset=utf-8", ""} {
		t.Run("ct="+ct, func(t *testing.T) {
			h := newHarness(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header()["Content-Type"] = nil // no sniffing
				if ct != "" {
					w.Header().Set("Content-Type", ct)
				}
				w.WriteHeader(200)
				for _, e := range dataEvents(streamChunks(3, true)...) {
					_, _ = w.Write([]byte(e))
				}
			}), true)
			st := h.client.Chat.Completions.NewStreaming(context.Background(), chatParams())
			var text strings.Builder
			for st.Next() {
				if c := st.Current(); len(c.Choices) > 0 {
					text.WriteString(c.Choices[0].Delta.Content)
				}
			}
			if err := st.Err(); err != nil || text.String() != streamText(3) {
				t.Fatalf("caller got %q, %v", text.String(), err)
			}
			_ = st.Close()
			wantAttrs(t, attrs(h.onlySpan()), map[string]any{
				"gen_ai.response.id":             "chatcmpl-stream1",
				"gen_ai.response.finish_reasons": []string{"stop"},
				"gen_ai.completion.0.content":    streamText(3),
				"gen_ai.usage.input_tokens":      96,
				"gen_ai.usage.output_tokens":     3,
			})
		})
	}
}

// TestResponsesStreamDoneEndsRecord: openai-go ends any stream at a
// "data: [DONE]" event (a proxy may add one), and the caller gets nothing
// after it: the span must not record the events that follow.
func TestResponsesStreamDoneEndsRecord(t *testing.T) {
	ev := responsesTextStream(2, "response.completed", "completed", "")
	ev = append(ev[:5], append([]string{"data: [DONE]\n\n"}, ev[5:]...)...)
	h := newHarness(t, sseHandler(ev...), true)
	st := h.client.Responses.NewStreaming(context.Background(), responsesParams())
	for st.Next() {
	}
	if err := st.Err(); err != nil {
		t.Fatal(err)
	}
	_ = st.Close()
	a := attrs(h.onlySpan())
	if c := a["gen_ai.completion.0.content"].AsString(); strings.Contains(c, "word1") {
		t.Errorf("content %q holds events the caller never got", c)
	}
	wantAttrs(t, a, map[string]any{"gen_ai.usage.input_tokens": nil})
}

// TestStreamIdentifiersBounded: what a stream keeps of its identifiers is
// bounded: each at most maxStreamIdent bytes (a longer one, here every other
// tool name, is not recorded), and at most maxStreamCalls tool calls over all
// choices; every call is treated alike (a call with a short name keeps its id
// and name wherever it comes). The caller gets every call.
func TestStreamIdentifiersBounded(t *testing.T) {
	long := strings.Repeat("n", 2048)
	var choices []string
	for ch := 0; ch < 2; ch++ {
		var calls []string
		for i := 0; i < 100; i++ {
			name := fmt.Sprintf("tool_%d_%d", ch, i)
			if i%2 == 1 {
				name = long
			}
			calls = append(calls, fmt.Sprintf(`{"index":%d,"id":"call_%d_%d","type":"function","function":{"name":"%s","arguments":"{}"}}`, i, ch, i, name))
		}
		choices = append(choices, fmt.Sprintf(`{"index":%d,"delta":{"role":"assistant","tool_calls":[%s]},"finish_reason":"tool_calls"}`, ch, strings.Join(calls, ",")))
	}
	chunk := `{"id":"chatcmpl-b","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","choices":[` + strings.Join(choices, ",") + `]}`
	h := newHarnessWith(t, sseHandler(dataEvents(chunk, "[DONE]")...), false, &harnessConfig{spanLimits: true})
	st := h.client.Chat.Completions.NewStreaming(context.Background(), chatParams())
	var acc openai.ChatCompletionAccumulator
	for st.Next() {
		acc.AddChunk(st.Current())
	}
	if err := st.Err(); err != nil || len(acc.Choices) != 2 || len(acc.Choices[0].Message.ToolCalls) != 100 {
		t.Fatalf("caller: %v", err)
	}
	_ = st.Close()
	a := attrs(h.onlySpan())
	calls := 0
	for ch := 0; ch < 2; ch++ {
		for i := 0; i < 100; i++ {
			p := fmt.Sprintf("gen_ai.completion.%d.tool_calls.%d.", ch, i)
			id, hasID := a[p+"id"]
			if !hasID {
				continue
			}
			calls++
			name, hasName := a[p+"function.name"]
			if want := fmt.Sprintf("call_%d_%d", ch, i); id.AsString() != want {
				t.Fatalf("%sid = %q, want %q", p, id.AsString(), want)
			}
			if hasName == (i%2 == 1) || hasName && len(name.AsString()) > maxStreamIdent {
				t.Fatalf("%sfunction.name recorded: %v (%d bytes)", p, hasName, len(name.AsString()))
			}
		}
	}
	if calls != maxStreamCalls {
		t.Fatalf("%d tool calls recorded, want the bound %d", calls, maxStreamCalls)
	}
}

// TestStreamLineTooLong: an event line longer than openai-go's scanner reads
// (32 MiB) ends the caller's stream with bufio.ErrTooLong; the span fails
// too, keeping what came before.
func TestStreamLineTooLong(t *testing.T) {
	chunk := func(s string) string {
		return `{"id":"chatcmpl-big","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"content":"` + s + `"}}]}`
	}
	h := newHarness(t, sseHandler(dataEvents(chunk("Hi"), chunk(strings.Repeat("z", 33<<20)), "[DONE]")...), true)
	st := h.client.Chat.Completions.NewStreaming(context.Background(), chatParams())
	var got string
	for st.Next() {
		got += st.Current().Choices[0].Delta.Content
	}
	err := st.Err()
	_ = st.Close()
	if err == nil || got != "Hi" {
		t.Fatalf("premise: the caller got %q, %v", got, err)
	}
	s := h.onlySpan()
	if s.Status().Code != codes.Error {
		t.Fatalf("span status %v", s.Status())
	}
	wantAttrs(t, attrs(s), map[string]any{"error.type": "stream_decode_error"})
}
