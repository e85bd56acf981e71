package semconv

import (
	"go.opentelemetry.io/otel/attribute"

	"github.com/tracekit-go/tracekit/internal/genai"
)

// apiChatCompletions is the API name of OpenAI chat completions in the record.
const apiChatCompletions = "chat.completions"

func tracekitRequest(dst []attribute.KeyValue, c *genai.Call, capture bool) []attribute.KeyValue {
	r := &c.Request
	dst = append(dst,
		KeyOperationName.String(tracekitOperation(c)),
		KeySystem.String(c.Provider),
	)
	dst = appendShared(dst, c)
	if c.Provider == genai.ProviderOpenAI {
		dst = appendInt(dst, KeyOpenAISeed, r.Seed) // (others': gen_ai.request.seed, see appendShared)
	}
	dst = appendString(dst, KeyOpenAIResponseFormat, r.ResponseFormat)
	if r.ServiceTier != "auto" { // as llm-tracekit: "auto" is no choice
		dst = appendString(dst, KeyOpenAIRequestTier, r.ServiceTier)
	}
	dst = appendString(dst, KeyRequestUser, r.User)
	dst = appendString(dst, KeyOpenAIPreviousResponseID, r.PreviousResponseID)
	dst = appendString(dst, KeyOpenAIConversationID, r.ConversationID)
	dst = appendString(dst, KeyBedrockAgentAlias, r.AgentAliasID)
	dst = appendString(dst, KeyConversationID, r.SessionID)
	dst = PromptAttrs(dst, r.Messages, capture)
	if capture {
		dst = appendDocuments(dst, prefixTracekitInputDocuments, "", r.Documents)
	}
	for i := range r.Tools {
		t := &r.Tools[i]
		dst = append(dst, toolType.at(i).String(functionOr(t.Type)))
		dst = appendString(dst, toolName.at(i), t.Name)
		dst = appendString(dst, toolDesc.at(i), t.Description)
		dst = appendString(dst, toolParams.at(i), t.Parameters)
	}
	return dst
}

// tracekitOperation returns the gen_ai.operation.name of a call in
// llm-tracekit's convention, which names every Bedrock call chat: its agent
// invocations and its Titan Text completions too.
func tracekitOperation(c *genai.Call) string {
	switch op := c.Operation; op {
	case genai.OpInvokeAgent:
		return genai.OpChat
	case genai.OpTextCompletion, genai.OpGenerateContent:
		if c.Provider == genai.ProviderBedrock {
			return genai.OpChat
		}
		return op
	default:
		return op
	}
}

// appendShared appends the request attributes whose keys Tracekit and OTel
// GenAI share.
func appendShared(dst []attribute.KeyValue, c *genai.Call) []attribute.KeyValue {
	r := &c.Request
	dst = appendString(dst, KeyRequestModel, r.Model)
	dst = appendString(dst, KeyServerAddress, c.ServerAddress)
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
	if c.Provider != genai.ProviderOpenAI {
		// (An OpenAI request's seed is llm-tracekit's
		// gen_ai.openai.request.seed; OTel GenAI renders it apart.)
		dst = appendInt(dst, KeyRequestSeed, r.Seed)
	}
	if len(r.EncodingFormats) > 0 {
		dst = append(dst, KeyEncodingFormats.StringSlice(r.EncodingFormats))
	}
	dst = appendInt(dst, KeyEmbeddingDims, r.Dimensions)
	dst = appendString(dst, KeyAgentID, r.AgentID)
	dst = appendString(dst, KeyAgentName, r.AgentName)
	dst = appendString(dst, KeyGuardrailID, r.GuardrailID)
	dst = appendString(dst, KeyKnowledgeBaseID, r.KnowledgeBaseID)
	dst = appendString(dst, KeyWorkflowName, r.WorkflowName)
	return dst
}

// PromptAttrs appends Tracekit's gen_ai.prompt.<i>.* for msgs to dst.
func PromptAttrs(dst []attribute.KeyValue, msgs []genai.Message, capture bool) []attribute.KeyValue {
	for i := range msgs {
		m := &msgs[i]
		dst = append(dst, promptRole.at(i).String(m.Role))
		if capture && m.HasContent {
			dst = append(dst, promptContent.at(i).String(m.Content))
		}
		dst = appendString(dst, promptToolCallID.at(i), m.ToolCallID)
		dst = appendToolCalls(dst, promptToolCalls, i, m.ToolCalls, capture)
	}
	return dst
}

func tracekitResponse(dst []attribute.KeyValue, c *genai.Call, capture bool) []attribute.KeyValue {
	r := &c.Response
	in, out := r.Usage.InputTokens, r.Usage.OutputTokens
	if c.Streaming && c.API == apiChatCompletions && !in.Set && !out.Set {
		// llm-tracekit records 0/0 on a chat stream that carried no usage
		// (the caller did not ask for it, or the stream was cut short);
		// Coralogix reads it that way. Metrics record no tokens then.
		in, out = genai.SetInt(0), genai.SetInt(0)
	}
	dst = appendSharedResponse(dst, c, in, out)
	dst = appendString(dst, KeyOpenAIResponseTier, r.ServiceTier)
	dst = appendString(dst, KeyOpenAIFingerprint, r.SystemFingerprint)
	for i := range r.Choices {
		ch := &r.Choices[i]
		dst = append(dst, completionRole.at(i).String(roleOr(ch.Role)))
		dst = appendString(dst, completionFinish.at(i), ch.FinishReason)
		if capture && ch.HasContent {
			dst = append(dst, completionContent.at(i).String(ch.Content))
		}
		dst = appendToolCalls(dst, completionToolCalls, i, ch.ToolCalls, capture)
	}
	if capture {
		for _, e := range r.Embeddings {
			dst = append(dst, embeddingVector.at(e.Index).Float64Slice(e.Vector))
		}
		dst = appendDocuments(dst, prefixTracekitDocuments, "", r.Documents)
	}
	return dst
}

// appendSharedResponse appends the response attributes whose keys Tracekit
// and OTel GenAI share.
func appendSharedResponse(dst []attribute.KeyValue, c *genai.Call, in, out genai.Int) []attribute.KeyValue {
	r := &c.Response
	dst = appendString(dst, KeyResponseID, r.ID)
	dst = appendString(dst, KeyResponseModel, r.Model)
	if len(r.FinishReasons) > 0 {
		dst = append(dst, attribute.KeyValue{Key: KeyFinishReasons, Value: finishReasonsValue(r.FinishReasons)})
	}
	dst = appendInt(dst, KeyInputTokens, in)
	dst = appendInt(dst, KeyOutputTokens, out)
	dst = appendInt(dst, KeyCacheReadTokens, r.Usage.CacheReadInputTokens)
	dst = appendInt(dst, KeyCacheWriteTokens, r.Usage.CacheWriteInputTokens)
	dst = appendInt(dst, KeyReasoningTokens, r.Usage.ReasoningTokens)
	if c.Streaming && c.TimeToFirstChunk >= 0 {
		dst = append(dst, KeyTimeToFirstChunk.Float64(c.TimeToFirstChunk))
	}
	return dst
}

func roleOr(role string) string {
	if role == "" {
		return "assistant"
	}
	return role
}

// functionOr returns a tool or tool call type: function when there is none.
func functionOr(typ string) string {
	if typ == "" {
		return "function"
	}
	return typ
}

func appendToolCalls(dst []attribute.KeyValue, keys *toolCallKeys, i int, calls []genai.ToolCall, capture bool) []attribute.KeyValue {
	for j := range calls {
		tc := &calls[j]
		dst = appendString(dst, keys.key(tcID, i, j), tc.ID)
		if k := keys.key(tcType, i, j); k != "" {
			dst = append(dst, k.String(functionOr(tc.Type)))
		}
		dst = appendString(dst, keys.key(tcName, i, j), tc.Name)
		if capture {
			dst = appendString(dst, keys.key(tcArgs, i, j), tc.Arguments)
		}
	}
	return dst
}

// commonFinishReasons are the values of gen_ai.response.finish_reasons of
// most calls (one reason, a common one), built once: a slice value is an
// allocation.
var commonFinishReasons = func() []attribute.KeyValue {
	var kv []attribute.KeyValue
	for _, r := range []string{
		"stop", "end_turn", "tool_calls", "tool_use", "length", "max_tokens", "content_filter", "function_call", // OpenAI, Anthropic
		"stop_sequence", "guardrail_intervened", "content_filtered", // Bedrock
	} {
		kv = append(kv, attribute.KeyValue{Key: attribute.Key(r), Value: attribute.StringSliceValue([]string{r})})
	}
	return kv
}()

// finishReasonsValue is attribute.StringSliceValue(reasons), without an
// allocation for one common reason.
func finishReasonsValue(reasons []string) attribute.Value {
	if len(reasons) == 1 {
		for _, kv := range commonFinishReasons {
			if string(kv.Key) == reasons[0] {
				return kv.Value
			}
		}
	}
	return attribute.StringSliceValue(reasons)
}
