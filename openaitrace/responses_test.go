package openaitrace

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/tracekit-go/tracekit/internal/genai"
)

// captureBody wraps h and keeps the last request body.
func captureBody(h http.Handler, body *[]byte) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		*body, _ = io.ReadAll(r.Body)
		h.ServeHTTP(w, r)
	}
}

func TestResponsesRequestAndResponse(t *testing.T) {
	body := responseJSON("resp_fixture1", "completed", outputReasoningJSON+","+outputMessageJSON, "")
	for _, capture := range []bool{true, false} {
		t.Run(map[bool]string{true: "capture", false: "no_capture"}[capture], func(t *testing.T) {
			var sent []byte
			h := newHarness(t, captureBody(jsonHandler(200, body), &sent), capture)
			res, err := h.client.Responses.New(context.Background(), responsesParams())
			if err != nil {
				t.Fatal(err)
			}
			if got := res.OutputText(); got != "Lisbon: 21°C and sunny. Porto: 17°C, cloudy." {
				t.Fatalf("caller got %q", got)
			}
			if !strings.Contains(string(sent), `{"content":`) || strings.Contains(string(sent), `"type":"message"`) {
				t.Fatalf("the SDK no longer sends an EasyInputMessage without type: %s", sent)
			}
			s := h.onlySpan()
			if s.Name() != "chat gpt-4o-mini" || s.SpanKind() != trace.SpanKindClient {
				t.Errorf("span %q kind %v", s.Name(), s.SpanKind())
			}
			if s.Status().Code != codes.Unset {
				t.Errorf("status %v", s.Status())
			}
			content := ifCaptured(capture)
			a := attrs(s)
			wantAttrs(t, a, map[string]any{
				"gen_ai.operation.name":                      "chat",
				"gen_ai.system":                              "openai",
				"gen_ai.request.model":                       "gpt-4o-mini",
				"gen_ai.request.temperature":                 0.3,
				"gen_ai.request.top_p":                       0.9,
				"gen_ai.request.max_tokens":                  256,
				"gen_ai.request.user":                        "user-hash-1",
				"gen_ai.openai.request.previous_response_id": "resp_previous",
				"gen_ai.openai.request.conversation_id":      "conv_trip",
				"gen_ai.openai.request.service_tier":         "flex",
				"gen_ai.prompt.0.role":                       "system",
				"gen_ai.prompt.0.content":                    content("You are a helpful travel assistant."),
				"gen_ai.prompt.1.role":                       "user",
				"gen_ai.prompt.1.content":                    content(userPrompt),
				"gen_ai.prompt.2.role":                       "assistant",
				"gen_ai.prompt.2.content":                    nil,
				"gen_ai.prompt.2.tool_calls.0.id":            "call_lisbon",
				"gen_ai.prompt.2.tool_calls.0.type":          "function",
				"gen_ai.prompt.2.tool_calls.0.function.name": "get_weather",
				"gen_ai.prompt.2.tool_calls.0.function.arguments": func() any {
					if capture {
						return jsonValue(`{"location":"Lisbon, PT"}`)
					}
					return nil
				}(),
				"gen_ai.prompt.2.tool_calls.1.id":             "call_porto",
				"gen_ai.prompt.2.tool_calls.1.function.name":  "get_weather",
				"gen_ai.prompt.3.role":                        "tool",
				"gen_ai.prompt.3.tool_call_id":                "call_lisbon",
				"gen_ai.prompt.3.content":                     content("21 degrees and sunny"),
				"gen_ai.prompt.4.role":                        "tool",
				"gen_ai.prompt.4.tool_call_id":                "call_porto",
				"gen_ai.prompt.4.content":                     content("17 degrees and cloudy"),
				"gen_ai.prompt.5.role":                        nil,
				"gen_ai.request.tools.0.type":                 "function",
				"gen_ai.request.tools.0.function.name":        "get_weather",
				"gen_ai.request.tools.0.function.parameters":  jsonValue(`{"type":"object","properties":{"location":{"type":"string"}},"required":["location"]}`),
				"gen_ai.request.tools.1.type":                 "web_search",
				"gen_ai.request.tools.1.function.name":        "web_search",
				"gen_ai.request.tools.1.function.description": "web_search",
				"gen_ai.response.id":                          "resp_fixture1",
				"gen_ai.response.model":                       "gpt-4o-mini-2024-07-18",
				"gen_ai.response.finish_reasons":              []string{"stop"},
				"gen_ai.openai.response.service_tier":         "flex",
				"gen_ai.usage.input_tokens":                   120,
				"gen_ai.usage.output_tokens":                  30,
				"gen_ai.usage.cache_read.input_tokens":        64,
				"gen_ai.usage.reasoning.output_tokens":        12,
				"gen_ai.completion.0.role":                    "assistant",
				"gen_ai.completion.0.finish_reason":           "stop",
				"gen_ai.completion.0.content":                 content("Lisbon: 21°C and sunny. Porto: 17°C, cloudy."),
				"gen_ai.completion.1.role":                    nil,
				"gen_ai.response.time_to_first_chunk":         nil,
			})
		})
	}
}

func TestResponsesFunctionCallsAndRefusal(t *testing.T) {
	cases := []struct {
		name, output string
		want         map[string]any
	}{
		{"function_calls", outputReasoningJSON + "," + outputCallJSON, map[string]any{
			"gen_ai.response.finish_reasons":                      []string{"tool_calls"},
			"gen_ai.completion.0.finish_reason":                   "tool_calls",
			"gen_ai.completion.0.content":                         nil,
			"gen_ai.completion.0.tool_calls.0.id":                 "call_faro",
			"gen_ai.completion.0.tool_calls.0.type":               "function",
			"gen_ai.completion.0.tool_calls.0.function.name":      "get_weather",
			"gen_ai.completion.0.tool_calls.0.function.arguments": jsonValue(`{"location":"Faro, PT"}`),
		}},
		{"text_and_call", outputMessageJSON + "," + outputCallJSON, map[string]any{
			"gen_ai.completion.0.finish_reason":              "tool_calls",
			"gen_ai.completion.0.content":                    "Lisbon: 21°C and sunny. Porto: 17°C, cloudy.",
			"gen_ai.completion.0.tool_calls.0.function.name": "get_weather",
		}},
		{"refusal", outputRefusalJSON, map[string]any{
			"gen_ai.completion.0.finish_reason": "stop",
			"gen_ai.completion.0.content":       "I can't help with that.",
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, jsonHandler(200, responseJSON("resp_x", "completed", tc.output, "")), true)
			if _, err := h.client.Responses.New(context.Background(), responsesParams()); err != nil {
				t.Fatal(err)
			}
			wantAttrs(t, attrs(h.onlySpan()), tc.want)
		})
	}
}

func TestResponsesStatus(t *testing.T) {
	cases := []struct {
		status, extra, output string
		finish                string
		errType               string
	}{
		{"completed", "", outputMessageJSON, "stop", ""},
		{"completed", "", outputCallJSON, "tool_calls", ""},
		{"incomplete", `"incomplete_details":{"reason":"max_output_tokens"},`, outputMessageJSON, "max_output_tokens", ""},
		{"incomplete", "", outputMessageJSON, "incomplete", ""},
		{"cancelled", "", "", "cancelled", ""},
		{"in_progress", "", "", "in_progress", ""},
		{"queued", "", "", "queued", ""},
		{"failed", `"error":{"code":"server_error","message":"The model failed."},`, "", "", "server_error"},
		{"failed", "", "", "", "response_failed"},
	}
	for _, tc := range cases {
		t.Run(tc.status+"_"+tc.finish+tc.errType, func(t *testing.T) {
			body := responseJSON("resp_st", tc.status, tc.output, tc.extra)
			// A later member wins in gjson.Get, but our pass keeps the
			// first: drop the defaults the extra members replace.
			if strings.Contains(tc.extra, `"error"`) {
				body = strings.Replace(body, `"error":null,`, "", 1)
			}
			if strings.Contains(tc.extra, `"incomplete_details"`) {
				body = strings.Replace(body, `"incomplete_details":null,`, "", 1)
			}
			h := newHarness(t, jsonHandler(200, body), true)
			if _, err := h.client.Responses.New(context.Background(), responsesParams()); err != nil {
				t.Fatal(err)
			}
			s := h.onlySpan()
			a := attrs(s)
			if tc.errType != "" {
				if s.Status().Code != codes.Error {
					t.Errorf("status %v, want Error", s.Status())
				}
				// A failed response keeps what the server said about it.
				wantAttrs(t, a, map[string]any{"error.type": tc.errType, "gen_ai.response.finish_reasons": []string{"error"}, "gen_ai.response.id": "resp_st"})
				return
			}
			if s.Status().Code != codes.Unset {
				t.Errorf("status %v", s.Status())
			}
			wantAttrs(t, a, map[string]any{
				"gen_ai.response.finish_reasons":    []string{tc.finish},
				"gen_ai.completion.0.finish_reason": tc.finish,
				"error.type":                        nil,
			})
		})
	}
}

func TestResponsesHTTPError(t *testing.T) {
	h := newHarness(t, jsonHandler(400, `{"error":{"message":"Invalid 'input': empty.","type":"invalid_request_error","param":"input","code":"invalid_value"}}`), true)
	_, err := h.client.Responses.New(context.Background(), responsesParams())
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 {
		t.Fatalf("caller got %v", err)
	}
	s := h.onlySpan()
	if s.Status().Code != codes.Error {
		t.Errorf("status %v", s.Status())
	}
	wantAttrs(t, attrs(s), map[string]any{
		"error.type":           "invalid_value",
		"gen_ai.prompt.1.role": "user",
		"gen_ai.response.id":   nil,
	})
}

// TestResponsesRequestShapes covers input shapes the typed client does not
// produce the same way, by parsing wire JSON directly.
func TestResponsesRequestShapes(t *testing.T) {
	cases := []struct {
		name, body string
		want       []genai.Message
		check      func(t *testing.T, r *genai.Request)
	}{
		{"string_input", `{"model":"m","input":"Say this is a test","instructions":"be brief"}`,
			[]genai.Message{{Role: "system", Content: "be brief", HasContent: true}, {Role: "user", Content: "Say this is a test", HasContent: true}}, nil},
		{"typed_and_easy_messages", `{"model":"m","input":[
			{"role":"developer","content":"rules"},
			{"type":"message","role":"user","content":[{"type":"input_text","text":"look at "},{"type":"input_image","image_url":"https://x/y.png"},{"type":"input_text","text":"this"}]},
			{"type":"message","role":"assistant","content":[{"type":"output_text","text":"A cat."},{"type":"refusal","refusal":" No more."}]},
			{"role":"user","content":[{"type":"input_image","file_id":"file_1"}]},
			{"type":"item_reference","id":"msg_0"},
			{"role":"system","content":"sys"}]}`,
			[]genai.Message{
				{Role: "system", Content: "rules", HasContent: true},
				{Role: "user", Content: "look at this", HasContent: true},
				{Role: "assistant", Content: "A cat. No more.", HasContent: true},
				{Role: "user"},
				{Role: "system", Content: "sys", HasContent: true},
			}, nil},
		{"calls_after_text_and_reasoning", `{"input":[
			{"role":"user","content":"weather?"},
			{"type":"message","role":"assistant","content":[{"type":"output_text","text":"Checking."}]},
			{"type":"reasoning","id":"rs_1","summary":[]},
			{"type":"function_call","id":"fc_1","call_id":"call_1","name":"f","arguments":"{}"},
			{"type":"image_generation_call","id":"ig_1","status":"completed","result":"AAAA"},
			{"type":"function_call","id":"fc_2","name":"g","arguments":"{\"x\":1}"},
			{"type":"function_call_output","call_id":"call_1","output":[{"type":"input_text","text":"sunny"},{"type":"input_image","file_id":"f"}]},
			{"type":"custom_tool_call","call_id":"call_3","name":"sql","input":"SELECT 1"},
			{"type":"custom_tool_call_output","call_id":"call_3","output":"1"}]}`,
			[]genai.Message{
				{Role: "user", Content: "weather?", HasContent: true},
				{Role: "assistant", Content: "Checking.", HasContent: true, ToolCalls: []genai.ToolCall{{ID: "call_1", Type: "function", Name: "f", Arguments: "{}"}}},
				{Role: "assistant", ToolCalls: []genai.ToolCall{{ID: "fc_2", Type: "function", Name: "g", Arguments: `{"x":1}`}}},
				{Role: "tool", ToolCallID: "call_1", Content: "sunny", HasContent: true},
				{Role: "assistant", ToolCalls: []genai.ToolCall{{ID: "call_3", Type: "custom", Name: "sql", Arguments: "SELECT 1"}}},
				{Role: "tool", ToolCallID: "call_3", Content: "1", HasContent: true},
			}, nil},
		{"params", `{"model":"gpt-5","conversation":"conv_1","user":"u1","safety_identifier":"s1","service_tier":"auto",
			"tools":[{"type":"function","function":{"name":"nested","description":"d","parameters":{"type":"object"}}},
			{"type":"custom","name":"sql","description":"run sql"},{"type":"mcp","server_label":"deepwiki"},{"type":"file_search","vector_store_ids":["vs"]}]}`,
			nil, func(t *testing.T, r *genai.Request) {
				if r.ConversationID != "conv_1" || r.User != "u1" || r.ServiceTier != "auto" || r.Model != "gpt-5" {
					t.Errorf("request %+v", r)
				}
				want := []genai.Tool{
					{Type: "function", Name: "nested", Description: "d", Parameters: `{"type":"object"}`},
					{Type: "custom", Name: "sql", Description: "run sql"},
					{Type: "mcp", Name: "mcp", Description: "mcp"},
					{Type: "file_search", Name: "file_search", Description: "file_search"},
				}
				if len(r.Tools) != len(want) {
					t.Fatalf("tools %+v", r.Tools)
				}
				for i := range want {
					if r.Tools[i] != want[i] {
						t.Errorf("tool %d = %+v, want %+v", i, r.Tools[i], want[i])
					}
				}
			}},
		{"safety_identifier_as_user", `{"safety_identifier":"s1","input":[]}`, nil, func(t *testing.T, r *genai.Request) {
			if r.User != "s1" {
				t.Errorf("user %q", r.User)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var c genai.Call
			parseResponsesRequest(tc.body, &c, true)
			if tc.check != nil {
				tc.check(t, &c.Request)
			}
			if tc.want == nil {
				return
			}
			if got := c.Request.Messages; !equalMessages(got, tc.want) {
				t.Errorf("messages\n got %+v\nwant %+v", got, tc.want)
			}
			// Without content: the same roles, ids and names, no text.
			var off genai.Call
			parseResponsesRequest(tc.body, &off, false)
			if len(off.Request.Messages) != len(tc.want) {
				t.Fatalf("no content: %d messages, want %d", len(off.Request.Messages), len(tc.want))
			}
			for i, m := range off.Request.Messages {
				if m.HasContent || m.Content != "" || m.Role != tc.want[i].Role || m.ToolCallID != tc.want[i].ToolCallID || len(m.ToolCalls) != len(tc.want[i].ToolCalls) {
					t.Errorf("no content: message %d = %+v", i, m)
				}
				for j, c := range m.ToolCalls {
					if c.Arguments != "" || c.Name != tc.want[i].ToolCalls[j].Name {
						t.Errorf("no content: message %d call %d = %+v", i, j, c)
					}
				}
			}
		})
	}
}

func equalMessages(a, b []genai.Message) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if x.Role != y.Role || x.Content != y.Content || x.HasContent != y.HasContent || x.ToolCallID != y.ToolCallID || len(x.ToolCalls) != len(y.ToolCalls) {
			return false
		}
		for j := range x.ToolCalls {
			if x.ToolCalls[j] != y.ToolCalls[j] {
				return false
			}
		}
	}
	return true
}

func TestResponsesStreamText(t *testing.T) {
	for _, capture := range []bool{true, false} {
		t.Run(map[bool]string{true: "capture", false: "no_capture"}[capture], func(t *testing.T) {
			h := newHarness(t, sseHandler(responsesTextStream(5, "response.completed", "completed", "")...), capture)
			stream := h.client.Responses.NewStreaming(context.Background(), responsesParams())
			var text strings.Builder
			n := 0
			for stream.Next() {
				n++
				if ev := stream.Current(); ev.Type == "response.output_text.delta" {
					text.WriteString(ev.Delta)
				}
			}
			if err := stream.Err(); err != nil {
				t.Fatal(err)
			}
			if n != 12 || text.String() != streamText(5) {
				t.Fatalf("caller got %d events, text %q", n, text.String())
			}
			_ = stream.Close()
			s := h.onlySpan()
			a := attrs(s)
			content := any(nil)
			if capture {
				content = streamText(5)
			}
			wantAttrs(t, a, map[string]any{
				"gen_ai.request.model":                 "gpt-4o-mini",
				"gen_ai.response.id":                   "resp_stream1",
				"gen_ai.response.model":                "gpt-4o-mini-2024-07-18",
				"gen_ai.response.finish_reasons":       []string{"stop"},
				"gen_ai.openai.response.service_tier":  "default",
				"gen_ai.usage.input_tokens":            120,
				"gen_ai.usage.output_tokens":           30,
				"gen_ai.usage.reasoning.output_tokens": 12,
				"gen_ai.completion.0.role":             "assistant",
				"gen_ai.completion.0.finish_reason":    "stop",
				"gen_ai.completion.0.content":          content,
			})
			if v, ok := a["gen_ai.response.time_to_first_chunk"]; !ok || v.AsFloat64() <= 0 {
				t.Errorf("time_to_first_chunk = %v", v)
			}
		})
	}
}

func TestResponsesStreamFunctionCalls(t *testing.T) {
	h := newHarness(t, sseHandler(responsesCallStream()...), true)
	stream := h.client.Responses.NewStreaming(context.Background(), responsesParams())
	for stream.Next() {
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	_ = stream.Close()
	wantAttrs(t, attrs(h.onlySpan()), map[string]any{
		"gen_ai.response.finish_reasons":                      []string{"tool_calls"},
		"gen_ai.completion.0.tool_calls.0.id":                 "call_a",
		"gen_ai.completion.0.tool_calls.0.function.name":      "get_weather",
		"gen_ai.completion.0.tool_calls.0.function.arguments": jsonValue(`{"location":"Lisbon, PT"}`),
		"gen_ai.completion.0.tool_calls.1.id":                 "call_b",
		"gen_ai.completion.0.tool_calls.1.function.arguments": jsonValue(`{"location":"Porto, PT"}`),
		"gen_ai.completion.0.content":                         nil,
	})
}

// TestResponsesStreamCutShort reads part of a stream, then closes it: the
// span ends once, with what the deltas carried and finish reason error.
func TestResponsesStreamCutShort(t *testing.T) {
	t.Run("text", func(t *testing.T) {
		block := make(chan struct{})
		defer close(block)
		ev := responsesTextStream(5, "response.completed", "completed", "")
		h := newHarness(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			sseHandler(ev[:7]...)(w, r)
			<-block
		}), true)
		stream := h.client.Responses.NewStreaming(context.Background(), responsesParams())
		// Read every event the server sent (the span then has seen them
		// all, whatever the network's timing), then close the stream while
		// the server still holds it open, before any terminal event.
		for i := 0; i < 7 && stream.Next(); i++ {
		}
		_ = stream.Close()
		_ = stream.Close()
		s := h.onlySpan()
		if s.Status().Code != codes.Unset {
			t.Errorf("status %v", s.Status())
		}
		wantAttrs(t, attrs(s), map[string]any{
			"gen_ai.response.id":                "resp_stream1",
			"gen_ai.response.model":             "gpt-4o-mini-2024-07-18",
			"gen_ai.response.finish_reasons":    []string{"error"},
			"gen_ai.completion.0.finish_reason": "error",
			"gen_ai.completion.0.content":       "word0 word1 word2 ",
			"gen_ai.usage.input_tokens":         nil,
		})
	})
	t.Run("function_call", func(t *testing.T) {
		ev := responsesCallStream()
		h := newHarness(t, sseHandler(ev[:len(ev)-1]...), true) // EOF before response.completed
		stream := h.client.Responses.NewStreaming(context.Background(), responsesParams())
		for stream.Next() {
		}
		_ = stream.Close()
		wantAttrs(t, attrs(h.onlySpan()), map[string]any{
			"gen_ai.completion.0.finish_reason":                   "error",
			"gen_ai.completion.0.tool_calls.0.id":                 "call_a",
			"gen_ai.completion.0.tool_calls.0.function.arguments": jsonValue(`{"location":"Lisbon, PT"}`),
			"gen_ai.completion.0.tool_calls.1.id":                 "call_b",
			"gen_ai.completion.0.tool_calls.1.function.name":      "get_weather",
			"gen_ai.completion.0.tool_calls.1.function.arguments": jsonValue(`{"location":"Porto, PT"}`),
		})
	})
}

func TestResponsesStreamIncompleteFailedError(t *testing.T) {
	t.Run("incomplete", func(t *testing.T) {
		ev := responsesTextStream(2, "response.incomplete", "incomplete", "")
		ev[len(ev)-1] = strings.Replace(ev[len(ev)-1], `"incomplete_details":null`, `"incomplete_details":{"reason":"content_filter"}`, 1)
		h := newHarness(t, sseHandler(ev...), true)
		stream := h.client.Responses.NewStreaming(context.Background(), responsesParams())
		for stream.Next() {
		}
		_ = stream.Close()
		s := h.onlySpan()
		if s.Status().Code != codes.Unset {
			t.Errorf("status %v", s.Status())
		}
		wantAttrs(t, attrs(s), map[string]any{
			"gen_ai.response.finish_reasons": []string{"content_filter"},
			"gen_ai.completion.0.content":    "word0 word1 ",
		})
	})
	t.Run("failed", func(t *testing.T) {
		ev := responsesTextStream(2, "response.failed", "failed", "")
		ev[len(ev)-1] = strings.Replace(ev[len(ev)-1], `"error":null`, `"error":{"code":"server_error","message":"The server had an error."}`, 1)
		h := newHarness(t, sseHandler(ev...), true)
		stream := h.client.Responses.NewStreaming(context.Background(), responsesParams())
		n := 0
		for stream.Next() {
			n++
		}
		_ = stream.Close()
		if n != len(ev) {
			t.Errorf("caller got %d events, want %d", n, len(ev))
		}
		s := h.onlySpan()
		if s.Status().Code != codes.Error || s.Status().Description != "The server had an error." {
			t.Errorf("status %v", s.Status())
		}
		wantAttrs(t, attrs(s), map[string]any{"error.type": "server_error"})
	})
	t.Run("error_event", func(t *testing.T) {
		ev := responsesTextStream(2, "response.completed", "completed", "")
		ev = append(ev[:5], sseEvent("error", `{"type":"error","sequence_number":5,"code":"rate_limit_exceeded","message":"Slow down.","param":null}`))
		h := newHarness(t, sseHandler(ev...), true)
		stream := h.client.Responses.NewStreaming(context.Background(), responsesParams())
		sawError := false
		for stream.Next() {
			if stream.Current().Type == "error" {
				sawError = true
			}
		}
		_ = stream.Close()
		if !sawError {
			t.Error("the caller did not get the error event")
		}
		s := h.onlySpan()
		if s.Status().Code != codes.Error || s.Status().Description != "Slow down." {
			t.Errorf("status %v", s.Status())
		}
		wantAttrs(t, attrs(s), map[string]any{"error.type": "rate_limit_exceeded"})
	})
}

// TestResponsesStreamEndsOnce checks that the span of a stream ends once
// however it stops: terminal event, EOF, Close, read error, cancellation.
func TestResponsesStreamEndsOnce(t *testing.T) {
	ev := responsesTextStream(3, "response.completed", "completed", "")
	t.Run("cancel", func(t *testing.T) {
		block := make(chan struct{})
		defer close(block)
		h := newHarness(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			sseHandler(ev[:4]...)(w, r)
			select {
			case <-block:
			case <-r.Context().Done():
			}
		}), true)
		ctx, cancel := context.WithCancel(context.Background())
		stream := h.client.Responses.NewStreaming(ctx, responsesParams())
		stream.Next()
		cancel()
		for stream.Next() {
		}
		_ = stream.Close()
		s := h.onlySpan()
		if s.Status().Code != codes.Error {
			t.Errorf("status %v", s.Status())
		}
		wantAttrs(t, attrs(s), map[string]any{"error.type": "canceled"})
	})
	t.Run("read_error", func(t *testing.T) {
		h := newHarness(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "100000")
			w.Header().Set("Content-Type", "text/event-stream")
			w.WriteHeader(200)
			_, _ = w.Write([]byte(ev[0]))
			w.(http.Flusher).Flush()
			hj, ok := w.(http.Hijacker)
			if !ok {
				return
			}
			conn, _, _ := hj.Hijack()
			_ = conn.Close()
		}), true)
		stream := h.client.Responses.NewStreaming(context.Background(), responsesParams())
		for stream.Next() {
		}
		if stream.Err() == nil {
			t.Fatal("want a read error")
		}
		_ = stream.Close()
		s := h.onlySpan()
		if s.Status().Code != codes.Error {
			t.Errorf("status %v", s.Status())
		}
	})
}

func TestResponsesStreamParser(t *testing.T) {
	// Without event: lines (the type is in the data) and with a chat-style
	// error payload.
	s := newResponsesStream(true).(*responsesStream)
	for _, d := range []string{
		`{"type":"response.created","response":{"id":"resp_1","model":"m"}}`,
		`{"type":"response.output_text.delta","delta":"a"}`,
		`{"type":"response.refusal.delta","delta":"b"}`,
	} {
		if s.consume(nil, []byte(d)) {
			t.Fatalf("%s: done", d)
		}
	}
	if !s.consume([]byte("error"), []byte(`{"error":{"code":"overloaded","message":"busy"}}`)) {
		t.Fatal("error payload not terminal")
	}
	var c genai.Call
	s.finish(&c, false)
	if c.Err == nil || c.Err.Type != "overloaded" || c.Response.ID != "resp_1" || c.Response.Choices[0].Content != "ab" {
		t.Fatalf("call %+v err %+v", c.Response, c.Err)
	}
}
