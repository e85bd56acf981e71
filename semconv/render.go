package semconv

import (
	"go.opentelemetry.io/otel/attribute"

	"github.com/tracekit-go/tracekit/internal/genai"
)

// Convention selects an attribute naming convention. Conventions combine as a
// bit set.
type Convention uint8

const (
	// Tracekit is Coralogix llm-tracekit's convention: indexed
	// gen_ai.prompt.<i>.*, gen_ai.completion.<i>.* and
	// gen_ai.request.tools.<i>.* keys. It is the default.
	Tracekit Convention = 1 << iota
	// OTelGenAI is the OpenTelemetry GenAI semantic conventions (v1.41.0):
	// gen_ai.operation.name invoke_agent, execute_tool, invoke_workflow,
	// retrieval, gen_ai.agent.name, gen_ai.tool.*, gen_ai.conversation.id.
	// Application spans (package observe), the request context and cost
	// render it; LLM spans render it once the conventions work lands.
	OTelGenAI
	// OpenInference is Arize OpenInference: openinference.span.kind,
	// input.value / output.value, retrieval.documents.<i>.document.*,
	// tool.*, session.id, user.id, metadata, tag.tags, llm.cost.*.
	OpenInference
)

// Has reports whether every convention in o is in c.
func (c Convention) Has(o Convention) bool { return c&o == o }

// apiChatCompletions is the API name of OpenAI chat completions in the record.
const apiChatCompletions = "chat.completions"

// SpanName returns the span name of a call: "bedrock.<api>" for Bedrock (as
// llm-tracekit names them), "<operation> <request model>" otherwise.
func SpanName(c *genai.Call) string {
	if c.Provider == genai.ProviderBedrock && c.API != "" {
		return "bedrock." + c.API
	}
	if c.Request.Model == "" {
		return c.Operation
	}
	return c.Operation + " " + c.Request.Model
}

// RequestAttrs appends the attributes known before the call is sent (the
// request parameters, the prompt and the tool definitions) to dst. Content is
// included only when capture is true.
func RequestAttrs(dst []attribute.KeyValue, c *genai.Call, capture bool) []attribute.KeyValue {
	r := &c.Request
	dst = append(dst,
		KeyOperationName.String(c.Operation),
		KeySystem.String(c.Provider),
	)
	if r.Model != "" {
		dst = append(dst, KeyRequestModel.String(r.Model))
	}
	if c.ServerAddress != "" {
		dst = append(dst, KeyServerAddress.String(c.ServerAddress))
	}
	if c.ServerPort > 0 {
		dst = append(dst, KeyServerPort.Int(c.ServerPort))
	}
	if c.ResendCount > 0 {
		dst = append(dst, KeyResendCount.Int(c.ResendCount))
	}
	dst = appendFloat(dst, KeyTemperature, r.Temperature)
	dst = appendFloat(dst, KeyTopP, r.TopP)
	dst = appendFloat(dst, KeyTopK, r.TopK)
	dst = appendInt(dst, KeyMaxTokens, r.MaxTokens)
	dst = appendFloat(dst, KeyPresencePenalty, r.PresencePenalty)
	dst = appendFloat(dst, KeyFrequencyPenalty, r.FrequencyPenalty)
	dst = appendInt(dst, KeyOpenAISeed, r.Seed)
	dst = appendString(dst, KeyOpenAIResponseFormat, r.ResponseFormat)
	dst = appendString(dst, KeyOpenAIRequestTier, r.ServiceTier)
	dst = appendString(dst, KeyRequestUser, r.User)
	if len(r.EncodingFormats) > 0 {
		dst = append(dst, KeyEncodingFormats.StringSlice(r.EncodingFormats))
	}
	dst = appendInt(dst, KeyEmbeddingDims, r.Dimensions)
	dst = appendString(dst, KeyOpenAIPreviousResponseID, r.PreviousResponseID)
	dst = appendString(dst, KeyOpenAIConversationID, r.ConversationID)
	dst = appendString(dst, KeyAgentID, r.AgentID)
	dst = appendString(dst, KeyBedrockAgentAlias, r.AgentAliasID)
	dst = appendString(dst, KeyGuardrailID, r.GuardrailID)
	dst = PromptAttrs(dst, r.Messages, capture)
	for i := range r.Tools {
		t := &r.Tools[i]
		typ := t.Type
		if typ == "" {
			typ = "function"
		}
		dst = append(dst, toolType.at(i).String(typ))
		if t.Name != "" {
			dst = append(dst, toolName.at(i).String(t.Name))
		}
		if t.Description != "" {
			dst = append(dst, toolDesc.at(i).String(t.Description))
		}
		if t.Parameters != "" {
			dst = append(dst, toolParams.at(i).String(t.Parameters))
		}
	}
	return dst
}

// PromptAttrs appends gen_ai.prompt.<i>.* for msgs to dst.
func PromptAttrs(dst []attribute.KeyValue, msgs []genai.Message, capture bool) []attribute.KeyValue {
	for i := range msgs {
		m := &msgs[i]
		dst = append(dst, promptRole.at(i).String(m.Role))
		if capture && m.HasContent {
			dst = append(dst, promptContent.at(i).String(m.Content))
		}
		if m.ToolCallID != "" {
			dst = append(dst, promptToolCallID.at(i).String(m.ToolCallID))
		}
		dst = appendToolCalls(dst, promptToolCalls, i, m.ToolCalls, capture)
	}
	return dst
}

// ResponseAttrs appends the attributes learnt from a successful response to dst.
func ResponseAttrs(dst []attribute.KeyValue, c *genai.Call, capture bool) []attribute.KeyValue {
	r := &c.Response
	dst = appendString(dst, KeyResponseID, r.ID)
	dst = appendString(dst, KeyResponseModel, r.Model)
	if r.FinishReasons != nil {
		dst = append(dst, KeyFinishReasons.StringSlice(r.FinishReasons))
	}
	in, out := r.Usage.InputTokens, r.Usage.OutputTokens
	if c.Streaming && c.API == apiChatCompletions && !in.Set && !out.Set {
		// llm-tracekit records 0/0 on a chat stream that carried no usage
		// (the caller did not ask for it, or the stream was cut short);
		// Coralogix reads it that way. Metrics record no tokens then.
		in, out = genai.SetInt(0), genai.SetInt(0)
	}
	dst = appendInt(dst, KeyInputTokens, in)
	dst = appendInt(dst, KeyOutputTokens, out)
	dst = appendInt(dst, KeyCacheReadTokens, r.Usage.CacheReadInputTokens)
	dst = appendInt(dst, KeyCacheWriteTokens, r.Usage.CacheWriteInputTokens)
	dst = appendInt(dst, KeyReasoningTokens, r.Usage.ReasoningTokens)
	dst = appendString(dst, KeyOpenAIResponseTier, r.ServiceTier)
	dst = appendString(dst, KeyOpenAIFingerprint, r.SystemFingerprint)
	if c.Streaming && c.TimeToFirstChunk >= 0 {
		dst = append(dst, KeyTimeToFirstChunk.Float64(c.TimeToFirstChunk))
	}
	for i := range r.Choices {
		ch := &r.Choices[i]
		role := ch.Role
		if role == "" {
			role = "assistant"
		}
		dst = append(dst, completionRole.at(i).String(role))
		if ch.FinishReason != "" {
			dst = append(dst, completionFinish.at(i).String(ch.FinishReason))
		}
		if capture && ch.HasContent {
			dst = append(dst, completionContent.at(i).String(ch.Content))
		}
		dst = appendToolCalls(dst, completionToolCalls, i, ch.ToolCalls, capture)
	}
	if capture {
		for _, e := range r.Embeddings {
			dst = append(dst, embeddingVector.at(e.Index).Float64Slice(e.Vector))
		}
	}
	return dst
}

// MetricAttrs appends the attributes of the gen_ai.client.* data points of a
// call to dst (without gen_ai.token.type).
func MetricAttrs(dst []attribute.KeyValue, c *genai.Call) []attribute.KeyValue {
	dst = append(dst,
		KeyOperationName.String(c.Operation),
		KeySystem.String(c.Provider),
	)
	dst = appendString(dst, KeyRequestModel, c.Request.Model)
	if c.Err == nil {
		dst = appendString(dst, KeyResponseModel, c.Response.Model)
		dst = appendString(dst, KeyOpenAIResponseTier, c.Response.ServiceTier)
		dst = appendString(dst, KeyOpenAIFingerprint, c.Response.SystemFingerprint)
	}
	dst = appendString(dst, KeyServerAddress, c.ServerAddress)
	if c.ServerPort > 0 {
		dst = append(dst, KeyServerPort.Int(c.ServerPort))
	}
	if c.Err != nil {
		dst = append(dst, KeyErrorType.String(c.Err.Type))
	}
	return dst
}

func appendToolCalls(dst []attribute.KeyValue, keys *toolCallKeys, i int, calls []genai.ToolCall, capture bool) []attribute.KeyValue {
	for j := range calls {
		tc := &calls[j]
		if tc.ID != "" {
			dst = append(dst, keys.key(&keys.id, i, j, sufTCID).String(tc.ID))
		}
		typ := tc.Type
		if typ == "" {
			typ = "function"
		}
		dst = append(dst, keys.key(&keys.typ, i, j, sufTCType).String(typ))
		if tc.Name != "" {
			dst = append(dst, keys.key(&keys.name, i, j, sufTCName).String(tc.Name))
		}
		if capture && tc.Arguments != "" {
			dst = append(dst, keys.key(&keys.args, i, j, sufTCArgs).String(tc.Arguments))
		}
	}
	return dst
}

func appendString(dst []attribute.KeyValue, k attribute.Key, v string) []attribute.KeyValue {
	if v == "" {
		return dst
	}
	return append(dst, k.String(v))
}

func appendInt(dst []attribute.KeyValue, k attribute.Key, v genai.Int) []attribute.KeyValue {
	if !v.Set {
		return dst
	}
	return append(dst, k.Int64(v.V))
}

func appendFloat(dst []attribute.KeyValue, k attribute.Key, v genai.Float) []attribute.KeyValue {
	if !v.Set {
		return dst
	}
	return append(dst, k.Float64(v.V))
}

// ErrorType returns the error.type attribute for t.
func ErrorType(t string) attribute.KeyValue { return KeyErrorType.String(t) }

// TokenType returns the gen_ai.token.type attribute for t.
func TokenType(t string) attribute.KeyValue { return KeyTokenType.String(t) }
