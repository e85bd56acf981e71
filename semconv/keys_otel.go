package semconv

import otelsemconv "go.opentelemetry.io/otel/semconv/v1.41.0"

// Keys of the OpenTelemetry GenAI semantic conventions v1.41.0 that the
// Tracekit convention does not emit. (Keys both conventions share, such as
// gen_ai.request.model or gen_ai.usage.input_tokens, are in keys.go.) Each
// key is the constant of go.opentelemetry.io/otel/semconv/v1.41.0 where that
// package has one.
const (
	KeyProviderName       = otelsemconv.GenAIProviderNameKey               // gen_ai.provider.name
	KeyRequestSeed        = otelsemconv.GenAIRequestSeedKey                // gen_ai.request.seed
	KeyRequestStream      = otelsemconv.GenAIRequestStreamKey              // gen_ai.request.stream
	KeyRequestChoiceCount = otelsemconv.GenAIRequestChoiceCountKey         // gen_ai.request.choice.count
	KeyRequestStopSeqs    = otelsemconv.GenAIRequestStopSequencesKey       // gen_ai.request.stop_sequences
	KeyOutputType         = otelsemconv.GenAIOutputTypeKey                 // gen_ai.output.type
	KeyInputMessages      = otelsemconv.GenAIInputMessagesKey              // gen_ai.input.messages
	KeyOutputMessages     = otelsemconv.GenAIOutputMessagesKey             // gen_ai.output.messages
	KeySystemInstructions = otelsemconv.GenAISystemInstructionsKey         // gen_ai.system_instructions
	KeyToolDefinitions    = otelsemconv.GenAIToolDefinitionsKey            // gen_ai.tool.definitions
	KeyOpenAIAPIType      = otelsemconv.OpenAIAPITypeKey                   // openai.api.type
	KeyOpenAIReqTier      = otelsemconv.OpenAIRequestServiceTierKey        // openai.request.service_tier
	KeyOpenAIRespTier     = otelsemconv.OpenAIResponseServiceTierKey       // openai.response.service_tier
	KeyOpenAIRespFP       = otelsemconv.OpenAIResponseSystemFingerprintKey // openai.response.system_fingerprint
)

// Values of openai.api.type.
const (
	OpenAIAPIChatCompletions = "chat_completions"
	OpenAIAPIResponses       = "responses"
)

// providerAzureOpenAI is the gen_ai.provider.name of OpenAI's API served by
// Azure (Azure OpenAI).
const providerAzureOpenAI = "azure.ai.openai"
