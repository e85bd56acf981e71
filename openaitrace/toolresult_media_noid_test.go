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

// TestFunctionOutputMediaNoCallID: a function_call_output without a
// call_id whose output is text and an image keeps its text under OTel
// GenAI and OpenInference (see genai.ToolParts).
func TestFunctionOutputMediaNoCallID(t *testing.T) {
	input := []any{
		map[string]any{"type": "function_call_output", "output": []any{
			map[string]any{"type": "input_text", "text": "the page"},
			map[string]any{"type": "input_image", "image_url": "data:image/png;base64,AQI="},
		}},
	}
	h := newHarnessWith(t, jsonHandler(200, responseJSON("resp_1", "completed", outputMessageJSON, "")), true,
		&harnessConfig{tracing: []Option{WithConventions(semconv.Tracekit, semconv.OTelGenAI, semconv.OpenInference)}})
	if _, err := h.client.Responses.New(context.Background(), responses.ResponseNewParams{Model: shared.ResponsesModel("gpt-4o-mini")}, option.WithJSONSet("input", input)); err != nil {
		t.Fatal(err)
	}
	a := attrs(h.onlySpan())
	if in := a["gen_ai.input.messages"].AsString(); !strings.Contains(in, "the page") {
		t.Errorf("OTel GenAI lost the function's text: %s", in)
	}
	if _, ok := a["llm.input_messages.0.message.content"]; !ok && a["llm.input_messages.0.message.contents.0.message_content.text"].AsString() != "the page" {
		t.Errorf("OpenInference lost the function's text")
	}
}
