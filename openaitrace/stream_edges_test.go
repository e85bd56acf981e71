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

// TestStreamIdentifiersBounded: the identifiers a stream keeps (tool-call
// ids, types and names here) are bounded in total, like its text: a stream
// of 128 tool calls with 2 KiB names keeps at most maxStreamIdents bytes of
// them, and the caller still gets every call.
func TestStreamIdentifiersBounded(t *testing.T) {
	name := strings.Repeat("n", 2048)
	var calls []string
	for i := 0; i < 128; i++ {
		calls = append(calls, fmt.Sprintf(`{"index":%d,"id":"call_%d","type":"function","function":{"name":"%s","arguments":"{}"}}`, i, i, name))
	}
	chunk := `{"id":"chatcmpl-b","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"role":"assistant","tool_calls":[` +
		strings.Join(calls, ",") + `]},"finish_reason":"tool_calls"}]}`
	h := newHarness(t, sseHandler(dataEvents(chunk, "[DONE]")...), false)
	st := h.client.Chat.Completions.NewStreaming(context.Background(), chatParams())
	var acc openai.ChatCompletionAccumulator
	for st.Next() {
		acc.AddChunk(st.Current())
	}
	if err := st.Err(); err != nil || len(acc.Choices) != 1 || len(acc.Choices[0].Message.ToolCalls) != 128 {
		t.Fatalf("caller: %v", err)
	}
	_ = st.Close()
	kept, names := 0, 0
	for k, v := range attrs(h.onlySpan()) {
		if strings.Contains(k, ".tool_calls.") && (strings.HasSuffix(k, ".id") || strings.HasSuffix(k, ".type") || strings.HasSuffix(k, ".name")) {
			kept += len(v.AsString())
			if strings.HasSuffix(k, ".name") {
				names++
			}
		}
	}
	if kept > maxStreamIdents || names == 0 || names >= 128 {
		t.Fatalf("kept %d bytes of identifiers (%d names), bound %d", kept, names, maxStreamIdents)
	}
}
