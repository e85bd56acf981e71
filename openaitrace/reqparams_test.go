package openaitrace

import (
	"context"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/responses"

	"github.com/tracekit-go/tracekit/semconv"
)

// TestRequestParametersAcrossAPIs: the request parameters each API takes are
// recorded from its request, as for chat: whether the call streams (known
// from the request, at the span's start, also for a streamed call the server
// rejects), a legacy completion's n and stop sequences, a Responses call's
// output format (text.format, as chat's response_format); and the request's
// service tier as llm-tracekit records it (not "auto").
func TestRequestParametersAcrossAPIs(t *testing.T) {
	ctx := context.Background()
	otel := &harnessConfig{tracing: []Option{WithConventions(semconv.OTelGenAI)}}
	t.Run("responses_stream", func(t *testing.T) {
		h := newHarnessWith(t, sseHandler(responsesTextStream(2, "response.completed", "completed", "")...), false, otel)
		st := h.client.Responses.NewStreaming(ctx, responsesParams())
		for st.Next() {
		}
		_ = st.Close()
		wantAttrs(t, attrs(h.onlySpan()), map[string]any{"gen_ai.request.stream": true})
	})
	t.Run("responses_stream_rejected", func(t *testing.T) {
		h := newHarnessWith(t, jsonHandler(429, `{"error":{"message":"slow down","type":"rate_limit_error","code":"rate_limit_exceeded"}}`), false, otel)
		st := h.client.Responses.NewStreaming(ctx, responsesParams())
		for st.Next() {
		}
		_ = st.Close()
		wantAttrs(t, attrs(h.onlySpan()), map[string]any{"gen_ai.request.stream": true, "error.type": "rate_limit_exceeded"})
	})
	t.Run("completions", func(t *testing.T) {
		h := newHarnessWith(t, jsonHandler(200, completionsJSON), false, otel)
		_, err := h.client.Completions.New(ctx, openai.CompletionNewParams{
			Model:  openai.CompletionNewParamsModelGPT3_5TurboInstruct,
			Prompt: openai.CompletionNewParamsPromptUnion{OfString: openai.String("Say this is a test")},
			N:      openai.Int(2),
			Stop:   openai.CompletionNewParamsStopUnion{OfStringArray: []string{"\n", "END"}},
		})
		if err != nil {
			t.Fatal(err)
		}
		wantAttrs(t, attrs(h.onlySpan()), map[string]any{"gen_ai.request.choice.count": 2, "gen_ai.request.stop_sequences": []string{"\n", "END"}})
	})
	t.Run("responses_text_format", func(t *testing.T) {
		h := newHarnessWith(t, jsonHandler(200, responseJSON("resp_1", "completed", outputMessageJSON, "")), false,
			&harnessConfig{tracing: []Option{WithConventions(semconv.Tracekit, semconv.OTelGenAI)}})
		p := responsesParams()
		p.Text = responses.ResponseTextConfigParam{Format: responses.ResponseFormatTextConfigParamOfJSONSchema("weather",
			map[string]any{"type": "object", "properties": map[string]any{"c": map[string]any{"type": "number"}}})}
		if _, err := h.client.Responses.New(ctx, p); err != nil {
			t.Fatal(err)
		}
		wantAttrs(t, attrs(h.onlySpan()), map[string]any{"gen_ai.output.type": "json", "gen_ai.openai.request.response_format": "json_schema"})
	})
	for tier, want := range map[responses.ResponseNewParamsServiceTier]any{responses.ResponseNewParamsServiceTierAuto: nil, responses.ResponseNewParamsServiceTierFlex: "flex"} {
		t.Run("tier_"+string(tier), func(t *testing.T) {
			h := newHarness(t, jsonHandler(200, responseJSON("resp_1", "completed", outputMessageJSON, "")), false)
			p := responsesParams()
			p.ServiceTier = tier
			if _, err := h.client.Responses.New(ctx, p); err != nil {
				t.Fatal(err)
			}
			wantAttrs(t, attrs(h.onlySpan()), map[string]any{"gen_ai.openai.request.service_tier": want})
		})
	}
}
