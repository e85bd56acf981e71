package semconv

import (
	"encoding/json"
	"go.opentelemetry.io/otel/attribute"
	"testing"
	"unicode/utf8"

	"github.com/tracekit-go/tracekit/internal/genai"
)

func FuzzAppendJSONString(f *testing.F) {
	for _, s := range []string{"", "plain", "quote\" back\\slash", "ctl\x00\x1f\n\r\t", "\u2028\u2029", "é中😀", "\xff\xfe bad"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b := appendJSONString(nil, s)
		var got string
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("%q rendered as invalid JSON %s: %v", s, b, err)
		}
		// encoding/json also replaces each invalid byte with U+FFFD.
		ref, _ := json.Marshal(s)
		var want string
		_ = json.Unmarshal(ref, &want)
		if utf8.ValidString(s) && want != s {
			t.Fatalf("reference changed valid %q", s)
		}
		if got != want {
			t.Fatalf("round trip of %q gave %q", s, got)
		}
	})
}

func TestAppendJSONObjectValue(t *testing.T) {
	for in, want := range map[string]string{
		`{"a":1}`:   `{"a":1}`,
		` {"a":1} `: ` {"a":1} `,
		`[1,2]`:     `"[1,2]"`,
		`{"a":`:     `"{\"a\":"`,
		`hello`:     `"hello"`,
		``:          `""`,
	} {
		if got := string(appendJSONObjectValue(nil, in)); got != want {
			t.Errorf("%q: got %s, want %s", in, got, want)
		}
	}
}

func TestNormalizeFinishReason(t *testing.T) {
	for in, want := range map[string]string{
		"stop": "stop", "end_turn": "stop", "stop_sequence": "stop", "length": "length", "max_tokens": "length",
		"tool_calls": "tool_call", "tool_use": "tool_call", "content_filter": "content_filter",
		"guardrail_intervened": "content_filter", "": "error", "error": "error", "something_new": "something_new",
	} {
		if got := normalizeFinishReason(in); got != want {
			t.Errorf("%q -> %q, want %q", in, got, want)
		}
	}
}

func TestOpenInferenceSystem(t *testing.T) {
	for id, want := range map[string]string{
		"anthropic.claude-3-5-sonnet-20240620-v1:0":                                    "anthropic",
		"us.anthropic.claude-3-7-sonnet-20250219-v1:0":                                 "anthropic",
		"global.anthropic.claude-sonnet-4-20250514-v1:0":                               "anthropic",
		"meta.llama3-8b-instruct-v1:0":                                                 "meta",
		"mistral.mistral-large-2402-v1:0":                                              "mistralai",
		"amazon.nova-lite-v1:0":                                                        "amazon",
		"arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.meta.llama4-v1:0": "meta",
		"arn:aws:bedrock:us-east-1::foundation-model/cohere.command-r-plus-v1:0":       "cohere",
	} {
		c := &genai.Call{Provider: genai.ProviderBedrock, Request: genai.Request{Model: id}}
		if got := oiSystem(c); got != want {
			t.Errorf("%s -> %q, want %q", id, got, want)
		}
	}
}

func TestSpanNamePerConvention(t *testing.T) {
	bedrock := &genai.Call{Operation: genai.OpChat, Provider: genai.ProviderBedrock, API: "converse", Request: genai.Request{Model: "amazon.nova-lite-v1:0"}}
	emb := &genai.Call{Operation: genai.OpEmbeddings, Provider: genai.ProviderOpenAI, Request: genai.Request{Model: "text-embedding-3-small"}}
	for _, tc := range []struct {
		conv Convention
		c    *genai.Call
		want string
	}{
		{Tracekit, bedrock, "bedrock.converse"},
		{Tracekit | OTelGenAI, bedrock, "bedrock.converse"},
		{OTelGenAI, bedrock, "chat amazon.nova-lite-v1:0"},
		{OpenInference, emb, "CreateEmbeddings"},
		{OTelGenAI | OpenInference, emb, "embeddings text-embedding-3-small"},
		{0, emb, "embeddings text-embedding-3-small"},
	} {
		if got := (Renderer{Conventions: tc.conv}).SpanName(tc.c); got != tc.want {
			t.Errorf("%v: %q, want %q", tc.conv, got, tc.want)
		}
	}
}

// TestSharedKeysOnce: with Tracekit and OTel GenAI together, keys they share
// are emitted once.
func TestSharedKeysOnce(t *testing.T) {
	c := &genai.Call{Operation: genai.OpChat, Provider: genai.ProviderOpenAI, API: "chat.completions", ServerAddress: "api.openai.com",
		Request:  genai.Request{Model: "m", Temperature: genai.SetFloat(0.5), Messages: []genai.Message{{Role: "user", Content: "hi", HasContent: true}}},
		Response: genai.Response{ID: "id", Model: "m2", FinishReasons: []string{"stop"}, Choices: []genai.Choice{{Role: "assistant", FinishReason: "stop"}}, Usage: genai.Usage{InputTokens: genai.SetInt(3)}}}
	r := Renderer{Conventions: Tracekit | OTelGenAI | OpenInference, Capture: true}
	seen := map[string]int{}
	for _, part := range [][]attribute.KeyValue{r.Request(nil, c), r.Response(nil, c)} {
		once := map[string]int{}
		for _, kv := range part {
			once[string(kv.Key)]++
			seen[string(kv.Key)]++
		}
		for k, n := range once {
			if n > 1 {
				t.Errorf("%s emitted %d times", k, n)
			}
		}
	}
	for _, k := range []string{"gen_ai.system", "gen_ai.provider.name", "openinference.span.kind", "gen_ai.request.model", "gen_ai.input.messages", "llm.input_messages.0.message.content", "gen_ai.prompt.0.content"} {
		if seen[k] != 1 {
			t.Errorf("%s missing", k)
		}
	}
}
