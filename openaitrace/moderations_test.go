package openaitrace

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"go.opentelemetry.io/otel/codes"

	"github.com/tracekit-go/tracekit/internal/spantest"
	"github.com/tracekit-go/tracekit/semconv"
)

// moderationAnswer flags both inputs: the first for harassment and
// violence, the second for violence with a higher score (and harassment,
// scored, is not flagged in it).
const moderationAnswer = `{"id":"modr-1","model":"omni-moderation-2024-09-26","results":[` +
	`{"flagged":true,"categories":{"harassment":true,"harassment/threatening":false,"violence":true,"self-harm":false},` +
	`"category_scores":{"harassment":0.91,"harassment/threatening":0.2,"violence":0.55,"self-harm":0.001},` +
	`"category_applied_input_types":{"harassment":["text"],"violence":["text"]}},` +
	`{"flagged":true,"categories":{"harassment":false,"violence":true},"category_scores":{"harassment":0.95,"violence":0.8}}]}`

// TestModerations: a moderation is a moderation span, "moderation <model>"
// (the guardrail kind of OpenInference): each input a user prompt (text
// with capture on), the response id and model, the verdict (FLAGGED, the
// categories flagged with their highest scores) as tracekit.guardrail.*;
// no completion, no tokens, the duration metric alone.
func TestModerations(t *testing.T) {
	for _, capture := range []bool{true, false} {
		h := newHarnessWith(t, jsonHandler(200, moderationAnswer), capture,
			&harnessConfig{tracing: []Option{WithConventions(semconv.Tracekit, semconv.OTelGenAI, semconv.OpenInference)}})
		res, err := h.client.Moderations.New(context.Background(), openai.ModerationNewParams{
			Model: "omni-moderation-latest",
			Input: openai.ModerationNewParamsInputUnion{OfStringArray: []string{"I will hurt you", "have a nice day"}},
		})
		if err != nil || len(res.Results) != 2 || !res.Results[0].Flagged {
			t.Fatalf("caller got %+v, %v", res, err)
		}
		s := h.onlySpan()
		if s.Name() != "moderation omni-moderation-latest" || s.Status().Code != codes.Unset {
			t.Errorf("span %q %+v", s.Name(), s.Status())
		}
		a := attrs(s)
		c := ifCaptured(capture)
		wantAttrs(t, a, map[string]any{
			"gen_ai.operation.name":            "moderation",
			"gen_ai.system":                    "openai",
			"gen_ai.provider.name":             "openai",
			"gen_ai.request.model":             "omni-moderation-latest",
			"gen_ai.response.id":               "modr-1",
			"gen_ai.response.model":            "omni-moderation-2024-09-26",
			"gen_ai.prompt.0.role":             "user",
			"gen_ai.prompt.0.content":          c("I will hurt you"),
			"gen_ai.prompt.1.content":          c("have a nice day"),
			"tracekit.guardrail.action":        "FLAGGED",
			"tracekit.guardrail.findings":      []string{"moderation:harassment:0.91", "moderation:violence:0.8"},
			"openinference.span.kind":          "GUARDRAIL",
			"llm.model_name":                   "omni-moderation-2024-09-26", // (the model that answered)
			"gen_ai.response.finish_reasons":   nil,
			"gen_ai.completion.0.role":         nil,
			"gen_ai.output.messages":           nil,
			"gen_ai.usage.input_tokens":        nil,
			"llm.invocation_parameters":        nil,
			"tracekit.guardrail.interventions": nil,
			"output.value":                     nil,
		})
		if capture {
			wantAttrs(t, a, map[string]any{
				"gen_ai.input.messages": jsonValue(`[{"role":"user","parts":[{"type":"text","content":"I will hurt you"}]},{"role":"user","parts":[{"type":"text","content":"have a nice day"}]}]`),
			})
		} else if hasPrefixKey(a, "input.value") || hasPrefixKey(a, "gen_ai.input.messages") {
			t.Errorf("content recorded with capture off: %v", keys(a))
		}
		names := spantest.MetricNames(h.metrics())
		if strings.Join(names, ",") != "gen_ai.client.operation.duration" {
			t.Errorf("metrics %v, want the duration alone", names)
		}
	}
}

// TestModerationsMultiModalNoModel: a list of text and image parts is one
// input (its text joined; with capture on, the image a part of it); a
// request that names no model records none (the span is "moderation"); an
// answer that flags nothing is NONE with no findings.
func TestModerationsMultiModalNoModel(t *testing.T) {
	h := newHarnessWith(t, jsonHandler(200, `{"id":"modr-2","model":"omni-moderation-2024-09-26","results":[{"flagged":false,"categories":{"violence":false},"category_scores":{"violence":0.02}}]}`), true,
		&harnessConfig{tracing: []Option{WithConventions(semconv.Tracekit, semconv.OTelGenAI)}})
	_, err := h.client.Moderations.New(context.Background(), openai.ModerationNewParams{
		Input: openai.ModerationNewParamsInputUnion{OfModerationMultiModalArray: []openai.ModerationMultiModalInputUnionParam{
			openai.ModerationMultiModalInputParamOfText("look at "),
			openai.ModerationMultiModalInputParamOfImageURL(openai.ModerationImageURLInputImageURLParam{URL: "https://example.com/cat.png"}),
			openai.ModerationMultiModalInputParamOfText("this"),
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	s := h.onlySpan()
	if s.Name() != "moderation" {
		t.Errorf("span name %q", s.Name())
	}
	wantAttrs(t, attrs(s), map[string]any{
		"gen_ai.request.model":    nil,
		"gen_ai.prompt.0.content": "look at this",
		"gen_ai.prompt.1.role":    nil,
		"gen_ai.input.messages": jsonValue(`[{"role":"user","parts":[{"type":"text","content":"look at "},` +
			`{"type":"uri","modality":"image","uri":"https://example.com/cat.png"},{"type":"text","content":"this"}]}]`),
		"tracekit.guardrail.action":   "NONE",
		"tracekit.guardrail.findings": nil,
	})
}

// TestModerationsError: a failed moderation is an error span with the
// API's error code; no verdict.
func TestModerationsError(t *testing.T) {
	h := newHarness(t, jsonHandler(400, `{"error":{"message":"bad input","type":"invalid_request_error","code":"invalid_value"}}`), false)
	if _, err := h.client.Moderations.New(context.Background(), openai.ModerationNewParams{
		Input: openai.ModerationNewParamsInputUnion{OfString: openai.String("x")}}); err == nil {
		t.Fatal("want an error")
	}
	s := h.onlySpan()
	if s.Status().Code != codes.Error {
		t.Errorf("status %+v", s.Status())
	}
	wantAttrs(t, attrs(s), map[string]any{"error.type": "invalid_value", "gen_ai.operation.name": "moderation", "tracekit.guardrail.action": nil})
}

// TestModerationsTruncated: an answer flagging more categories than a span
// keeps records the first maxInterventions, and tracekit.guardrail.truncated.
func TestModerationsTruncated(t *testing.T) {
	var cats, scores []string
	for i := 0; i < maxInterventions+5; i++ {
		cats = append(cats, fmt.Sprintf(`"c%d":true`, i))
		scores = append(scores, fmt.Sprintf(`"c%d":0.5`, i))
	}
	body := `{"id":"modr-2","model":"omni-moderation-2024-09-26","results":[{"flagged":true,"categories":{` +
		strings.Join(cats, ",") + `},"category_scores":{` + strings.Join(scores, ",") + `}}]}`
	for _, tc := range []struct {
		body      string
		truncated bool
	}{{body, true}, {moderationAnswer, false}} {
		h := newHarness(t, jsonHandler(200, tc.body), false)
		if _, err := h.client.Moderations.New(context.Background(), openai.ModerationNewParams{
			Input: openai.ModerationNewParamsInputUnion{OfString: openai.String("hi")},
		}); err != nil {
			t.Fatal(err)
		}
		a := attrs(h.onlySpan())
		got, ok := a["tracekit.guardrail.truncated"]
		if ok != tc.truncated || ok && !got.AsBool() {
			t.Errorf("truncated = %v (present %v), want %v", got.String(), ok, tc.truncated)
		}
		if n := len(a["tracekit.guardrail.findings"].AsStringSlice()); tc.truncated && n != maxInterventions {
			t.Errorf("%d findings, want %d", n, maxInterventions)
		}
	}
}

// TestModerationsOpenInferenceModel: under OpenInference alone a
// moderation's model is llm.model_name: the model that answered, or the
// model asked for when no answer came.
func TestModerationsOpenInferenceModel(t *testing.T) {
	for _, tc := range []struct {
		status int
		body   string
		want   string
	}{
		{200, moderationAnswer, "omni-moderation-2024-09-26"},
		{400, `{"error":{"message":"bad input","type":"invalid_request_error","code":"invalid_value"}}`, "omni-moderation-latest"},
	} {
		h := newHarnessWith(t, jsonHandler(tc.status, tc.body), false,
			&harnessConfig{tracing: []Option{WithConventions(semconv.OpenInference)}})
		_, _ = h.client.Moderations.New(context.Background(), openai.ModerationNewParams{
			Model: "omni-moderation-latest",
			Input: openai.ModerationNewParamsInputUnion{OfString: openai.String("hi")},
		})
		wantAttrs(t, attrs(h.onlySpan()), map[string]any{
			"openinference.span.kind": "GUARDRAIL",
			"llm.model_name":          tc.want,
		})
	}
}
