package semconv

import (
	"testing"

	"go.opentelemetry.io/otel/attribute"

	"github.com/tracekit-go/tracekit/internal/genai"
)

func kvMap(kvs []attribute.KeyValue) map[attribute.Key]attribute.Value {
	m := map[attribute.Key]attribute.Value{}
	for _, kv := range kvs {
		m[kv.Key] = kv.Value
	}
	return m
}

// TestFinishReasonNormalizedPerProvider: every finish reason the parsers
// record (OpenAI chat, completions and Responses; Bedrock Converse, Nova,
// Claude, Llama, Mistral, Titan Text, Cohere Command R, DeepSeek) maps to
// the output-message enum in gen_ai.output.messages, except the few with
// no equivalent, which stay as they are.
func TestFinishReasonNormalizedPerProvider(t *testing.T) {
	for in, want := range map[string]string{
		// OpenAI chat / completions / OpenAI-compatible bodies
		"stop": "stop", "length": "length", "tool_calls": "tool_call", "function_call": "tool_call",
		"content_filter": "content_filter", "model_length": "length", "insufficient_system_resource": "error",
		// Responses (status, incomplete reason)
		"max_output_tokens": "length", "incomplete": "length", "failed": "error", "cancelled": "error",
		"in_progress": "in_progress",
		// Converse / Nova / Claude
		"end_turn": "stop", "stop_sequence": "stop", "max_tokens": "length", "tool_use": "tool_call",
		"guardrail_intervened": "content_filter", "content_filtered": "content_filter",
		"malformed_model_output": "error", "malformed_tool_use": "error",
		"model_context_window_exceeded": "length", "refusal": "content_filter", "pause_turn": "pause_turn",
		// Titan Text
		"FINISHED": "stop", "STOP_CRITERIA_MET": "stop", "LENGTH": "length", "CONTENT_FILTERED": "content_filter",
		"RAG_QUERY_WHEN_RAG_DISABLED": "RAG_QUERY_WHEN_RAG_DISABLED",
		// Cohere Command R
		"COMPLETE": "stop", "STOP_SEQUENCE": "stop", "MAX_TOKENS": "length", "ERROR": "error",
		"ERROR_TOXIC": "content_filter", "ERROR_LIMIT": "length", "USER_CANCEL": "error",
		// a choice that never finished
		"": "error",
	} {
		if got := normalizeFinishReason(in); got != want {
			t.Errorf("normalizeFinishReason(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestOpenInferenceSystemVendorlessModelID: a Bedrock model id that names
// no vendor (application inference profile, provisioned or imported model
// ARN) takes llm.system from the vendor the request body was read as, and
// has no llm.system when that is unknown: never a guessed "amazon".
func TestOpenInferenceSystemVendorlessModelID(t *testing.T) {
	ids := []string{
		"arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3d4",
		"arn:aws:bedrock:us-east-1:123456789012:provisioned-model/xyz",
		"arn:aws:bedrock:us-east-1:123456789012:imported-model/abc",
		"my-model",
	}
	for _, id := range ids {
		for vendor, want := range map[string]string{"": "", "anthropic": "anthropic", "mistral": "mistralai", "amazon": "amazon"} {
			c := &genai.Call{Provider: genai.ProviderBedrock, Operation: genai.OpChat, Request: genai.Request{Model: id, ModelVendor: vendor}}
			if got := oiSystem(c); got != want {
				t.Errorf("%s (body vendor %q): llm.system %q, want %q", id, vendor, got, want)
			}
			a := kvMap(Renderer{Conventions: OpenInference}.Request(nil, c))
			if v, ok := a[KeyOILLMSystem]; ok != (want != "") || ok && v.AsString() != want {
				t.Errorf("%s (body vendor %q): rendered llm.system %v (present %v)", id, vendor, v.String(), ok)
			}
		}
	}
	// An id that names its vendor wins over the body's.
	c := &genai.Call{Provider: genai.ProviderBedrock, Request: genai.Request{Model: "us.meta.llama3-70b-instruct-v1:0", ModelVendor: "anthropic"}}
	if got := oiSystem(c); got != "meta" {
		t.Errorf("llm.system %q, want meta", got)
	}
}

// TestOpenInferencePromptTokensIncludeCache: llm.token_count.prompt and
// .total count cached tokens (semconv.md §3.3): a Bedrock count, which
// leaves them out, gets the cache read and write counts added back, as
// gen_ai.usage.input_tokens in OTel GenAI; an OpenAI count, which has them,
// is kept.
func TestOpenInferencePromptTokensIncludeCache(t *testing.T) {
	usage := genai.Usage{InputTokens: genai.SetInt(17), OutputTokens: genai.SetInt(8),
		CacheReadInputTokens: genai.SetInt(3), CacheWriteInputTokens: genai.SetInt(2)}
	for _, tc := range []struct {
		provider      string
		prompt, total int64
	}{{genai.ProviderBedrock, 22, 30}, {genai.ProviderOpenAI, 17, 25}} {
		c := &genai.Call{Provider: tc.provider, Operation: genai.OpChat, Response: genai.Response{Usage: usage}}
		for _, conv := range []Convention{OpenInference, OpenInference | Tracekit, OpenInference | OTelGenAI} {
			a := kvMap(Renderer{Conventions: conv}.Response(nil, c))
			if p, tot := a[KeyOITokensPrompt].AsInt64(), a[KeyOITokensTotal].AsInt64(); p != tc.prompt || tot != tc.total {
				t.Errorf("%s %v: prompt %d total %d, want %d %d", tc.provider, conv, p, tot, tc.prompt, tc.total)
			}
			if conv == OpenInference|OTelGenAI && a[KeyInputTokens].AsInt64() != a[KeyOITokensPrompt].AsInt64() {
				t.Errorf("%s: gen_ai.usage.input_tokens %d != llm.token_count.prompt %d", tc.provider, a[KeyInputTokens].AsInt64(), a[KeyOITokensPrompt].AsInt64())
			}
		}
		// Tracekit keeps llm-tracekit's raw count.
		if got := kvMap(Renderer{}.Response(nil, c))[KeyInputTokens].AsInt64(); got != 17 {
			t.Errorf("%s Tracekit: gen_ai.usage.input_tokens %d, want 17", tc.provider, got)
		}
	}
}

// TestOperationNamePerConvention: the record names an agent invocation
// invoke_agent and a Bedrock Titan Text call text_completion; OTel GenAI
// says so (span name "invoke_agent", semconv.md §1.5 and §1.7),
// OpenInference makes the agent an AGENT span, and Tracekit keeps
// llm-tracekit's "chat" and "bedrock.<api>" span names, on spans and
// metrics. A legacy OpenAI completion stays text_completion in Tracekit.
func TestOperationNamePerConvention(t *testing.T) {
	agent := &genai.Call{Operation: genai.OpInvokeAgent, Provider: genai.ProviderBedrock, API: "invoke_agent", Streaming: true,
		Request: genai.Request{AgentID: "A1"}}
	titan := &genai.Call{Operation: genai.OpTextCompletion, Provider: genai.ProviderBedrock, API: "invoke_model",
		Request: genai.Request{Model: "amazon.titan-text-express-v1"}}
	legacy := &genai.Call{Operation: genai.OpTextCompletion, Provider: genai.ProviderOpenAI, API: "completions",
		Request: genai.Request{Model: "gpt-3.5-turbo-instruct"}}
	for _, tc := range []struct {
		conv     Convention
		c        *genai.Call
		op, name string
		kind     string
	}{
		{0, agent, "chat", "bedrock.invoke_agent", ""},
		{Tracekit | OTelGenAI | OpenInference, agent, "chat", "bedrock.invoke_agent", OISpanKindAgent},
		{OTelGenAI, agent, "invoke_agent", "invoke_agent", ""},
		{OTelGenAI | OpenInference, agent, "invoke_agent", "invoke_agent", OISpanKindAgent},
		{OpenInference, agent, "", "invoke_agent", OISpanKindAgent},
		{0, titan, "chat", "bedrock.invoke_model", ""},
		{Tracekit | OTelGenAI, titan, "chat", "bedrock.invoke_model", ""},
		{OTelGenAI, titan, "text_completion", "text_completion amazon.titan-text-express-v1", ""},
		{OpenInference, titan, "", "text_completion amazon.titan-text-express-v1", OISpanKindLLM},
		{0, legacy, "text_completion", "text_completion gpt-3.5-turbo-instruct", ""},
	} {
		r := Renderer{Conventions: tc.conv}
		a := kvMap(r.Request(nil, tc.c))
		if got := a[KeyOperationName].AsString(); got != tc.op {
			t.Errorf("%v %s: gen_ai.operation.name %q, want %q", tc.conv, tc.c.API, got, tc.op)
		}
		if got := r.SpanName(tc.c); got != tc.name {
			t.Errorf("%v %s: span name %q, want %q", tc.conv, tc.c.API, got, tc.name)
		}
		if got := a[KeyOISpanKind].AsString(); got != tc.kind {
			t.Errorf("%v %s: openinference.span.kind %q, want %q", tc.conv, tc.c.API, got, tc.kind)
		}
		wantMetricOp := tc.op
		if wantMetricOp == "" { // OpenInference alone: the record's operation
			wantMetricOp = tc.c.Operation
		}
		if got := kvMap(r.Metric(nil, tc.c))[KeyOperationName].AsString(); got != wantMetricOp {
			t.Errorf("%v %s: metric gen_ai.operation.name %q, want %q", tc.conv, tc.c.API, got, wantMetricOp)
		}
	}
}

// TestExceptionEventPerConvention: the exception event of a failed call is
// OTel GenAI's and OpenInference's, not llm-tracekit's; its attributes are
// the error type and the message given (the status description).
func TestExceptionEventPerConvention(t *testing.T) {
	c := &genai.Call{Err: &genai.Error{Type: "rate_limit_exceeded", Message: "raw"}}
	for conv, want := range map[Convention]bool{0: false, Tracekit: false, OTelGenAI: true, OpenInference: true, Tracekit | OpenInference: true} {
		kv, ok := Renderer{Conventions: conv}.Exception(nil, c, "scrubbed")
		if ok != want {
			t.Errorf("%v: event %v, want %v", conv, ok, want)
			continue
		}
		if !ok {
			if len(kv) != 0 {
				t.Errorf("%v: attributes %v without an event", conv, kv)
			}
			continue
		}
		a := kvMap(kv)
		if a[KeyExceptionType].AsString() != "rate_limit_exceeded" || a[KeyExceptionMessage].AsString() != "scrubbed" || len(a) != 2 {
			t.Errorf("%v: attributes %v", conv, kv)
		}
	}
	if _, ok := (Renderer{Conventions: OTelGenAI}).Exception(nil, &genai.Call{}, "x"); ok {
		t.Error("an event for a call that did not fail")
	}
}

// TestLateServerOTelOnly: the server learnt after a span started is OTel
// GenAI's to record (server.address, and server.port, the implicit one when
// the URL had none); Tracekit alone and OpenInference alone record none.
func TestLateServerOTelOnly(t *testing.T) {
	c := &genai.Call{Provider: genai.ProviderBedrock, ServerAddress: "bedrock-runtime.us-east-1.amazonaws.com", ImplicitPort: 443}
	for conv, want := range map[Convention]int{0: 0, Tracekit: 0, OpenInference: 0, OTelGenAI: 2, Tracekit | OTelGenAI: 2} {
		r := Renderer{Conventions: conv}
		kv := r.LateServer(nil, c)
		if len(kv) != want || r.RecordsLateServer() != (want > 0) {
			t.Errorf("%v: %v", conv, kv)
			continue
		}
		if want > 0 {
			a := kvMap(kv)
			if a[KeyServerAddress].AsString() != c.ServerAddress || a[KeyServerPort].AsInt64() != 443 {
				t.Errorf("%v: %v", conv, kv)
			}
		}
	}
	explicit := &genai.Call{ServerAddress: "localhost", ServerPort: 8080}
	if a := kvMap(Renderer{Conventions: OTelGenAI}.LateServer(nil, explicit)); a[KeyServerPort].AsInt64() != 8080 {
		t.Errorf("explicit port: %v", a)
	}
	if kv := (Renderer{Conventions: OTelGenAI}).LateServer(nil, &genai.Call{}); len(kv) != 0 {
		t.Errorf("no server: %v", kv)
	}
}
