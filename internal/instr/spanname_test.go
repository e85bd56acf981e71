package instr

import (
	"testing"

	"github.com/tracekit-go/tracekit/internal/genai"
	"github.com/tracekit-go/tracekit/semconv"
)

// TestSpanNameCache: the cached name follows the call: another model, API,
// provider or operation gets its own name, the one the renderer gives.
func TestSpanNameCache(t *testing.T) {
	for _, conv := range []semconv.Convention{semconv.Tracekit, semconv.OpenInference} {
		r := NewPackage("scope", "v").New(WithConventions(conv)).Resolved()
		body := []byte("gpt-4o")
		call := func(op, provider, api string, model []byte) *genai.Call {
			return &genai.Call{Operation: op, Provider: provider, API: api, Request: genai.Request{Model: string(model)}}
		}
		for _, tc := range []struct {
			c    *genai.Call
			want string
		}{
			{call(genai.OpChat, genai.ProviderOpenAI, "chat.completions", body), "chat gpt-4o"},
			{call(genai.OpChat, genai.ProviderOpenAI, "chat.completions", body), "chat gpt-4o"},
			{call(genai.OpChat, genai.ProviderOpenAI, "chat.completions", []byte("o3")), "chat o3"},
			{call(genai.OpEmbeddings, genai.ProviderOpenAI, "embeddings", []byte("o3")), map[semconv.Convention]string{semconv.Tracekit: "embeddings o3", semconv.OpenInference: "CreateEmbeddings"}[conv]},
			{call(genai.OpChat, genai.ProviderBedrock, "converse", []byte("o3")), map[semconv.Convention]string{semconv.Tracekit: "bedrock.converse", semconv.OpenInference: "chat o3"}[conv]},
			{call(genai.OpChat, genai.ProviderBedrock, "invoke_model", []byte("o3")), map[semconv.Convention]string{semconv.Tracekit: "bedrock.invoke_model", semconv.OpenInference: "chat o3"}[conv]},
		} {
			if got := r.SpanName(tc.c); got != tc.want || got != r.Renderer.SpanName(tc.c) {
				t.Errorf("%v: %+v named %q, want %q", conv, tc.c, got, tc.want)
			}
		}
	}
}
