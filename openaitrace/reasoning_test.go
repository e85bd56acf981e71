package openaitrace

import (
	"context"
	"strings"
	"testing"

	"github.com/tracekit-go/tracekit/internal/schemacheck"
	"github.com/tracekit-go/tracekit/redact"
	"github.com/tracekit-go/tracekit/semconv"
)

// TestResponsesReasoningOutput: a Responses reasoning item's summary (and
// reasoning text) is an OTel GenAI "reasoning" part of the output message,
// before the text, when content is captured, and nothing with capture off.
func TestResponsesReasoningOutput(t *testing.T) {
	schemas := schemacheck.New(t)
	reasoning := `{"type":"reasoning","id":"rs_1","summary":[{"type":"summary_text","text":"Compare the cities."},{"type":"summary_text","text":" Pick one."}],` +
		`"content":[{"type":"reasoning_text","text":" Lisbon is warmer."}]}`
	body := responseJSON("resp_r", "completed", reasoning+`,`+outputMessageJSON, "")
	for _, capture := range []bool{true, false} {
		h := newHarnessWith(t, jsonHandler(200, body), capture,
			&harnessConfig{tracing: []Option{WithConventions(semconv.OTelGenAI)}})
		if _, err := h.client.Responses.New(context.Background(), responsesParams()); err != nil {
			t.Fatal(err)
		}
		s := h.onlySpan()
		schemas.Check(s.Name(), s.Attributes())
		got, ok := attrs(s)["gen_ai.output.messages"]
		want := `[{"role":"assistant","parts":[{"type":"reasoning","content":"Compare the cities. Pick one. Lisbon is warmer."},` +
			`{"type":"text","content":"Lisbon: 21°C and sunny. Porto: 17°C, cloudy."}],"finish_reason":"stop"}]`
		switch {
		case capture && (!ok || got.AsString() != want):
			t.Errorf("gen_ai.output.messages = %s\nwant %s", got.AsString(), want)
		case !capture && ok:
			t.Errorf("capture off: gen_ai.output.messages = %s", got.AsString())
		}
	}
	for _, err := range schemas.Errors() {
		t.Error(err)
	}
}

// TestResponsesReasoningRedacted: the reasoning text is content: the
// redactor applies to it as to the answer.
func TestResponsesReasoningRedacted(t *testing.T) {
	reasoning := `{"type":"reasoning","id":"rs_1","summary":[{"type":"summary_text","text":"Mail ann@example.org the plan."}]}`
	h := newHarnessWith(t, jsonHandler(200, responseJSON("resp_r", "completed", reasoning+`,`+outputMessageJSON, "")), true,
		&harnessConfig{tracing: []Option{WithConventions(semconv.OTelGenAI), WithRedactor(redact.New())}})
	if _, err := h.client.Responses.New(context.Background(), responsesParams()); err != nil {
		t.Fatal(err)
	}
	got := attrs(h.onlySpan())["gen_ai.output.messages"].AsString()
	if strings.Contains(got, "ann@example.org") || !strings.Contains(got, `"type":"reasoning"`) {
		t.Errorf("gen_ai.output.messages = %s", got)
	}
}
