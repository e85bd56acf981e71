package openaitrace

import (
	"context"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/responses"
	"github.com/openai/openai-go/v3/shared"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/tracekit-go/tracekit/internal/schemacheck"
	"github.com/tracekit-go/tracekit/redact"
	"github.com/tracekit-go/tracekit/semconv"
)

// TestAPIErrorExceptionEventPerConvention: a failed chat completion's span
// has status Error and, when OTel GenAI or OpenInference is selected, an
// exception event whose type is error.type and whose message is the status
// description (semconv.md §4 Error row, §3.6); with the default Tracekit
// convention (llm-tracekit) it has no event.
func TestAPIErrorExceptionEventPerConvention(t *testing.T) {
	for _, tc := range []struct {
		name  string
		opts  []Option
		event bool
	}{
		{"default", nil, false},
		{"tracekit", []Option{WithConventions(semconv.Tracekit)}, false},
		{"openinference", []Option{WithConventions(semconv.OpenInference)}, true},
		{"otel_genai", []Option{WithConventions(semconv.OTelGenAI)}, true},
		{"all", []Option{WithConventions(semconv.Tracekit, semconv.OTelGenAI, semconv.OpenInference)}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarnessWith(t, jsonHandler(400, `{"error":{"message":"Invalid value for temperature","type":"invalid_request_error","param":"temperature","code":"invalid_value"}}`), true,
				&harnessConfig{tracing: tc.opts})
			if _, err := h.client.Chat.Completions.New(context.Background(), chatParams()); err == nil {
				t.Fatal("no error")
			}
			s := h.onlySpan()
			if s.Status().Code != codes.Error {
				t.Fatalf("status %v", s.Status())
			}
			ev := s.Events()
			if !tc.event {
				if len(ev) != 0 {
					t.Errorf("events %v, want none", ev)
				}
				return
			}
			if len(ev) != 1 || ev[0].Name != semconv.EventException {
				t.Fatalf("events %v, want one exception event", ev)
			}
			got := map[string]string{}
			for _, kv := range ev[0].Attributes {
				got[string(kv.Key)] = kv.Value.AsString()
			}
			if got["exception.type"] != attrs(s)["error.type"].AsString() || got["exception.type"] == "" {
				t.Errorf("exception.type %q, error.type %q", got["exception.type"], attrs(s)["error.type"].AsString())
			}
			if got["exception.message"] != s.Status().Description || got["exception.message"] == "" {
				t.Errorf("exception.message %q, status %q", got["exception.message"], s.Status().Description)
			}
		})
	}
}

// TestResponsesBuiltinToolCallsAsServerToolCallParts: the built-in tool
// calls of a Responses answer (web_search_call, file_search_call,
// code_interpreter_call, image_generation_call, mcp_call items) are
// server_tool_call parts of gen_ai.output.messages when content is captured
// (semconv.md §1.6, example "Tool calls (built-in)"), with what the model
// asked of the tool as their arguments (redacted like other arguments),
// valid against the output-messages schema; they are no client tool calls in
// any convention, and Tracekit's attributes do not change.
func TestResponsesBuiltinToolCallsAsServerToolCallParts(t *testing.T) {
	out := `{"type":"web_search_call","id":"ws_1","status":"completed","action":{"type":"search","query":"weather lisbon"}},` +
		`{"type":"code_interpreter_call","id":"ci_1","status":"completed","code":"print(1)","container_id":"cntr_1","outputs":[]},` +
		`{"type":"mcp_call","id":"mcp_1","server_label":"deepwiki","name":"ask_question","arguments":"{\"q\":\"how?\"}","output":"ok"},` +
		`{"type":"image_generation_call","id":"ig_1","status":"completed","output_format":"webp","result":"UklGRhIAAABXRUJQ"},` +
		outputMessageJSON
	p := responses.ResponseNewParams{
		Model: shared.ResponsesModel("gpt-4o-mini"),
		Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("Weather in Lisbon?")},
	}
	redactor := redact.Func(func(s string) string { return strings.ReplaceAll(s, "lisbon", "[CITY]") })
	for _, capture := range []bool{true, false} {
		schemas := schemacheck.New(t)
		h := newHarnessWith(t, jsonHandler(200, responseJSON("resp_ws", "completed", out, "")), capture,
			&harnessConfig{tracing: []Option{WithConventions(semconv.Tracekit, semconv.OTelGenAI, semconv.OpenInference), WithRedactor(redactor)},
				processors: []sdktrace.SpanProcessor{schemas}})
		if _, err := h.client.Responses.New(context.Background(), p); err != nil {
			t.Fatal(err)
		}
		a := attrs(h.onlySpan())
		om := a["gen_ai.output.messages"].AsString()
		for k := range a {
			if strings.Contains(k, "tool_calls") {
				t.Errorf("capture %v: a built-in tool call recorded as a client tool call: %s", capture, k)
			}
		}
		if !capture {
			if strings.Contains(om, "server_tool_call") {
				t.Errorf("capture off: %s", om)
			}
			continue
		}
		for _, part := range []string{
			`{"type":"server_tool_call","id":"ws_1","name":"web_search","server_tool_call":{"type":"web_search","action":{"type":"search","query":"weather [CITY]"}}}`,
			`{"type":"server_tool_call","id":"ci_1","name":"code_interpreter","server_tool_call":{"type":"code_interpreter","code":"print(1)","container_id":"cntr_1"}}`,
			`{"type":"server_tool_call","id":"mcp_1","name":"ask_question","server_tool_call":{"type":"mcp","server_label":"deepwiki","arguments":{"q":"how?"}}}`,
			`{"type":"server_tool_call","id":"ig_1","name":"image_generation","server_tool_call":{"type":"image_generation"}}`,
			`{"type":"blob","modality":"image","mime_type":"image/webp","content":"UklGRhIAAABXRUJQ"}`, // the generated image
		} {
			if !strings.Contains(om, part) {
				t.Errorf("gen_ai.output.messages lacks %s: %s", part, om)
			}
		}
		if strings.Contains(om, "lisbon") {
			t.Errorf("a built-in tool's arguments not redacted: %s", om)
		}
		if schemas.Checked[semconv.KeyOutputMessages] == 0 {
			t.Error("no output messages validated")
		}
		for _, e := range schemas.Errors() {
			t.Error(e)
		}
	}
}
