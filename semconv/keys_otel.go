package semconv

import "go.opentelemetry.io/otel/attribute"

// Keys of the OpenTelemetry GenAI semantic conventions v1.41.0 that the
// Tracekit convention does not emit. (Keys both conventions share, such as
// gen_ai.request.model or gen_ai.usage.input_tokens, are in keys.go.)
const (
	KeyProviderName       = attribute.Key("gen_ai.provider.name")
	KeyRequestSeed        = attribute.Key("gen_ai.request.seed")
	KeyRequestStream      = attribute.Key("gen_ai.request.stream")
	KeyRequestChoiceCount = attribute.Key("gen_ai.request.choice.count")
	KeyRequestStopSeqs    = attribute.Key("gen_ai.request.stop_sequences")
	KeyOutputType         = attribute.Key("gen_ai.output.type")
	KeyInputMessages      = attribute.Key("gen_ai.input.messages")
	KeyOutputMessages     = attribute.Key("gen_ai.output.messages")
	KeySystemInstructions = attribute.Key("gen_ai.system_instructions")
	KeyToolDefinitions    = attribute.Key("gen_ai.tool.definitions")
	KeyOpenAIAPIType      = attribute.Key("openai.api.type")
	KeyOpenAIReqTier      = attribute.Key("openai.request.service_tier")
	KeyOpenAIRespTier     = attribute.Key("openai.response.service_tier")
	KeyOpenAIRespFP       = attribute.Key("openai.response.system_fingerprint")
)

// Values of openai.api.type.
const (
	OpenAIAPIChatCompletions = "chat_completions"
	OpenAIAPIResponses       = "responses"
)
