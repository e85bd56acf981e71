package openaitrace

import (
	"context"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/responses"
	"github.com/openai/openai-go/v3/shared"

	"github.com/tracekit-go/tracekit/semconv"
)

// TestResponsesFunctionOutputMedia: a function's output given as a list of
// parts (text, an image, a file) is its text as the tool's response and,
// with capture on, its image and file as parts of the OTel GenAI tool
// message; with capture off none of it.
func TestResponsesFunctionOutputMedia(t *testing.T) {
	input := []any{
		map[string]any{"type": "function_call_output", "call_id": "call_1", "output": []any{
			map[string]any{"type": "input_text", "text": "the page"},
			map[string]any{"type": "input_image", "image_url": "data:image/png;base64,AQI="},
			map[string]any{"type": "input_file", "file_id": "file-9"},
		}},
	}
	for _, capture := range []bool{true, false} {
		h := newHarnessWith(t, jsonHandler(200, responseJSON("resp_1", "completed", outputMessageJSON, "")), capture,
			&harnessConfig{tracing: []Option{WithConventions(semconv.Tracekit, semconv.OTelGenAI)}})
		if _, err := h.client.Responses.New(context.Background(), responses.ResponseNewParams{Model: shared.ResponsesModel("gpt-4o-mini")}, option.WithJSONSet("input", input)); err != nil {
			t.Fatal(err)
		}
		a := attrs(h.onlySpan())
		if !capture {
			wantAttrs(t, a, map[string]any{"gen_ai.input.messages": nil, "gen_ai.prompt.0.role": "tool", "gen_ai.prompt.0.content": nil})
			continue
		}
		wantAttrs(t, a, map[string]any{
			"gen_ai.prompt.0.role":    "tool",
			"gen_ai.prompt.0.content": "the page",
			"gen_ai.input.messages": `[{"role":"tool","parts":[{"type":"tool_call_response","id":"call_1","response":"the page"},` +
				`{"type":"blob","modality":"image","mime_type":"image/png","content":"AQI="},{"type":"file","modality":"document","file_id":"file-9"}]}]`,
		})
		if strings.Contains(a["gen_ai.prompt.0.content"].AsString(), "AQI=") {
			t.Error("image data in the text")
		}
	}
}
