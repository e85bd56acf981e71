package semconv

import (
	"strconv"

	"go.opentelemetry.io/otel/attribute"
	otelsemconv "go.opentelemetry.io/otel/semconv/v1.41.0"
)

// Keys shared by every convention and by the metrics.
const (
	KeyOperationName     = otelsemconv.GenAIOperationNameKey // gen_ai.operation.name
	KeySystem            = attribute.Key("gen_ai.system")
	KeyRequestModel      = otelsemconv.GenAIRequestModelKey             // gen_ai.request.model
	KeyResponseModel     = otelsemconv.GenAIResponseModelKey            // gen_ai.response.model
	KeyServerAddress     = otelsemconv.ServerAddressKey                 // server.address
	KeyServerPort        = otelsemconv.ServerPortKey                    // server.port
	KeyErrorType         = otelsemconv.ErrorTypeKey                     // error.type
	KeyTokenType         = otelsemconv.GenAITokenTypeKey                // gen_ai.token.type
	KeyResendCount       = otelsemconv.HTTPRequestResendCountKey        // http.request.resend_count
	KeyTimeToFirstChunk  = otelsemconv.GenAIResponseTimeToFirstChunkKey // gen_ai.response.time_to_first_chunk
	KeyRequestUser       = attribute.Key("gen_ai.request.user")
	KeyExceptionType     = otelsemconv.ExceptionTypeKey                      // exception.type
	KeyExceptionMessage  = otelsemconv.ExceptionMessageKey                   // exception.message
	KeyResponseID        = otelsemconv.GenAIResponseIDKey                    // gen_ai.response.id
	KeyFinishReasons     = otelsemconv.GenAIResponseFinishReasonsKey         // gen_ai.response.finish_reasons
	KeyInputTokens       = otelsemconv.GenAIUsageInputTokensKey              // gen_ai.usage.input_tokens
	KeyOutputTokens      = otelsemconv.GenAIUsageOutputTokensKey             // gen_ai.usage.output_tokens
	KeyCacheReadTokens   = otelsemconv.GenAIUsageCacheReadInputTokensKey     // gen_ai.usage.cache_read.input_tokens
	KeyCacheWriteTokens  = otelsemconv.GenAIUsageCacheCreationInputTokensKey // gen_ai.usage.cache_creation.input_tokens
	KeyReasoningTokens   = otelsemconv.GenAIUsageReasoningOutputTokensKey    // gen_ai.usage.reasoning.output_tokens
	KeyTemperature       = otelsemconv.GenAIRequestTemperatureKey            // gen_ai.request.temperature
	KeyTopP              = otelsemconv.GenAIRequestTopPKey                   // gen_ai.request.top_p
	KeyTopK              = otelsemconv.GenAIRequestTopKKey                   // gen_ai.request.top_k
	KeyMaxTokens         = otelsemconv.GenAIRequestMaxTokensKey              // gen_ai.request.max_tokens
	KeyPresencePenalty   = otelsemconv.GenAIRequestPresencePenaltyKey        // gen_ai.request.presence_penalty
	KeyFrequencyPenalty  = otelsemconv.GenAIRequestFrequencyPenaltyKey       // gen_ai.request.frequency_penalty
	KeyEncodingFormats   = otelsemconv.GenAIRequestEncodingFormatsKey        // gen_ai.request.encoding_formats
	KeyEmbeddingDims     = otelsemconv.GenAIEmbeddingsDimensionCountKey      // gen_ai.embeddings.dimension.count
	KeyAgentID           = otelsemconv.GenAIAgentIDKey                       // gen_ai.agent.id
	KeyConversationID    = otelsemconv.GenAIConversationIDKey                // gen_ai.conversation.id
	KeyBedrockAgentAlias = attribute.Key("gen_ai.bedrock.agent_alias.id")
	KeyGuardrailID       = otelsemconv.AWSBedrockGuardrailIDKey     // aws.bedrock.guardrail.id
	KeyKnowledgeBaseID   = otelsemconv.AWSBedrockKnowledgeBaseIDKey // aws.bedrock.knowledge_base.id
	KeyDataSourceID      = otelsemconv.GenAIDataSourceIDKey         // gen_ai.data_source.id

	KeyOpenAISeed               = attribute.Key("gen_ai.openai.request.seed")
	KeyOpenAIResponseFormat     = attribute.Key("gen_ai.openai.request.response_format")
	KeyOpenAIRequestTier        = attribute.Key("gen_ai.openai.request.service_tier")
	KeyOpenAIResponseTier       = attribute.Key("gen_ai.openai.response.service_tier")
	KeyOpenAIFingerprint        = attribute.Key("gen_ai.openai.response.system_fingerprint")
	KeyOpenAIPreviousResponseID = attribute.Key("gen_ai.openai.request.previous_response_id")
	KeyOpenAIConversationID     = attribute.Key("gen_ai.openai.request.conversation_id")
)

// Values of gen_ai.token.type.
const (
	TokenTypeInput  = "input"
	TokenTypeOutput = "output"
)

// Metric instrument names, units and descriptions (the same in every convention).
const (
	MetricOperationDuration     = "gen_ai.client.operation.duration"
	MetricOperationDurationUnit = "s"
	MetricOperationDurationDesc = "GenAI operation duration"
	MetricTokenUsage            = "gen_ai.client.token.usage"
	MetricTokenUsageUnit        = "{token}"
	MetricTokenUsageDesc        = "Measures number of input and output tokens used"
)

// DurationBuckets and TokenBuckets are the explicit bucket boundaries of the
// two metrics, as in the GenAI semantic conventions and llm-tracekit.
var (
	DurationBuckets = []float64{0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92}
	TokenBuckets    = []float64{1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864}
)

// Indexed keys of the Tracekit convention. Each family is a prefix, an index
// and a suffix, e.g. "gen_ai.prompt." + "3" + ".role".
const (
	prefixPrompt     = "gen_ai.prompt."
	prefixCompletion = "gen_ai.completion."
	prefixTools      = "gen_ai.request.tools."
	prefixEmbeddings = "gen_ai.embeddings."

	sufRole         = ".role"
	sufContent      = ".content"
	sufToolCallID   = ".tool_call_id"
	sufFinishReason = ".finish_reason"
	sufType         = ".type"
	sufFuncName     = ".function.name"
	sufFuncDesc     = ".function.description"
	sufFuncParams   = ".function.parameters"
	sufVector       = ".vector"

	// tool_calls.<j>.* below a prompt or completion index.
	midToolCalls = ".tool_calls."
	sufTCID      = ".id"
	sufTCType    = ".type"
	sufTCName    = ".function.name"
	sufTCArgs    = ".function.arguments"
)

// precomputed is the number of indices whose keys are built once at init, so
// that rendering a typical call allocates no key strings.
const precomputed = 32

// keyTable holds the precomputed keys of one family for indices < precomputed.
type keyTable struct {
	prefix, suffix string
	keys           [precomputed]attribute.Key
}

func newKeyTable(prefix, suffix string) *keyTable {
	t := &keyTable{prefix: prefix, suffix: suffix}
	for i := range t.keys {
		t.keys[i] = attribute.Key(prefix + strconv.Itoa(i) + suffix)
	}
	return t
}

func (t *keyTable) at(i int) attribute.Key {
	if i < precomputed {
		return t.keys[i]
	}
	return attribute.Key(t.prefix + strconv.Itoa(i) + t.suffix)
}

// toolCallKeys holds the keys of the tool calls below one message family:
// prefix + i + mid + j + suffix, e.g. "gen_ai.prompt." 2 ".tool_calls." 0
// ".function.name". An empty suffix means the family has no such key.
type toolCallKeys struct {
	prefix, mid string
	suffix      [4]string // id, type, name, arguments
	keys        [4][precomputedTC][precomputedTC]attribute.Key
}

const (
	tcID = iota
	tcType
	tcName
	tcArgs
)

const precomputedTC = 8

func newToolCallKeys(prefix, mid, id, typ, name, args string) *toolCallKeys {
	t := &toolCallKeys{prefix: prefix, mid: mid, suffix: [4]string{id, typ, name, args}}
	for f, suf := range t.suffix {
		if suf == "" {
			continue
		}
		for i := 0; i < precomputedTC; i++ {
			for j := 0; j < precomputedTC; j++ {
				t.keys[f][i][j] = t.build(i, j, suf)
			}
		}
	}
	return t
}

func (t *toolCallKeys) build(i, j int, suffix string) attribute.Key {
	return attribute.Key(t.prefix + strconv.Itoa(i) + t.mid + strconv.Itoa(j) + suffix)
}

// key returns the key of field f of tool call j of message i ("" when the
// family has no such field).
func (t *toolCallKeys) key(f, i, j int) attribute.Key {
	if t.suffix[f] == "" {
		return ""
	}
	if i < precomputedTC && j < precomputedTC {
		return t.keys[f][i][j]
	}
	return t.build(i, j, t.suffix[f])
}

var (
	promptRole       = newKeyTable(prefixPrompt, sufRole)
	promptContent    = newKeyTable(prefixPrompt, sufContent)
	promptToolCallID = newKeyTable(prefixPrompt, sufToolCallID)
	promptToolCalls  = newToolCallKeys(prefixPrompt, midToolCalls, sufTCID, sufTCType, sufTCName, sufTCArgs)

	completionRole      = newKeyTable(prefixCompletion, sufRole)
	completionContent   = newKeyTable(prefixCompletion, sufContent)
	completionFinish    = newKeyTable(prefixCompletion, sufFinishReason)
	completionToolCalls = newToolCallKeys(prefixCompletion, midToolCalls, sufTCID, sufTCType, sufTCName, sufTCArgs)

	toolType   = newKeyTable(prefixTools, sufType)
	toolName   = newKeyTable(prefixTools, sufFuncName)
	toolDesc   = newKeyTable(prefixTools, sufFuncDesc)
	toolParams = newKeyTable(prefixTools, sufFuncParams)

	embeddingVector = newKeyTable(prefixEmbeddings, sufVector)
)

// PromptRoleKey returns gen_ai.prompt.<i>.role.
func PromptRoleKey(i int) attribute.Key { return promptRole.at(i) }

// PromptContentKey returns gen_ai.prompt.<i>.content.
func PromptContentKey(i int) attribute.Key { return promptContent.at(i) }

// CompletionRoleKey returns gen_ai.completion.<i>.role.
func CompletionRoleKey(i int) attribute.Key { return completionRole.at(i) }

// CompletionContentKey returns gen_ai.completion.<i>.content.
func CompletionContentKey(i int) attribute.Key { return completionContent.at(i) }

// CompletionFinishReasonKey returns gen_ai.completion.<i>.finish_reason.
func CompletionFinishReasonKey(i int) attribute.Key { return completionFinish.at(i) }

// Keys of a guardrail check (Bedrock ApplyGuardrail, InvokeGuardrailChecks)
// or a moderation (OpenAI's), tracekit's own: no convention names them.
// Every convention renders them (the guardrail's id is
// aws.bedrock.guardrail.id, KeyGuardrailID).
const (
	KeyGuardrailVersion       = attribute.Key("tracekit.guardrail.version")
	KeyGuardrailSource        = attribute.Key("tracekit.guardrail.source")
	KeyGuardrailAction        = attribute.Key("tracekit.guardrail.action")
	KeyGuardrailActionReason  = attribute.Key("tracekit.guardrail.action_reason")
	KeyGuardrailInterventions = attribute.Key("tracekit.guardrail.interventions")
	KeyGuardrailFindings      = attribute.Key("tracekit.guardrail.findings")
	KeyGuardrailTruncated     = attribute.Key("tracekit.guardrail.truncated")

	// The units each policy used (tracekit.guardrail.units.<policy>).
	KeyGuardrailUnitsContent                  = attribute.Key("tracekit.guardrail.units.content_policy")
	KeyGuardrailUnitsContentImages            = attribute.Key("tracekit.guardrail.units.content_policy_images")
	KeyGuardrailUnitsTopic                    = attribute.Key("tracekit.guardrail.units.topic_policy")
	KeyGuardrailUnitsWord                     = attribute.Key("tracekit.guardrail.units.word_policy")
	KeyGuardrailUnitsSensitiveInformation     = attribute.Key("tracekit.guardrail.units.sensitive_information_policy")
	KeyGuardrailUnitsSensitiveInformationFree = attribute.Key("tracekit.guardrail.units.sensitive_information_policy_free")
	KeyGuardrailUnitsContextualGrounding      = attribute.Key("tracekit.guardrail.units.contextual_grounding_policy")
	KeyGuardrailUnitsAutomatedReasoning       = attribute.Key("tracekit.guardrail.units.automated_reasoning_policy")
	KeyGuardrailUnitsPromptAttack             = attribute.Key("tracekit.guardrail.units.prompt_attack_policy")
	// The number of automated reasoning policies the check ran.
	KeyGuardrailAutomatedReasoningPolicies = attribute.Key("tracekit.guardrail.automated_reasoning_policies")
)
