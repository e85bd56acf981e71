package semconv

import (
	"strconv"

	"go.opentelemetry.io/otel/attribute"
	otelsemconv "go.opentelemetry.io/otel/semconv/v1.41.0"
)

// Keys of the OpenInference semantic conventions (Arize Phoenix). They are
// written out here rather than imported from
// github.com/Arize-ai/openinference/go/openinference-semantic-conventions,
// which the module proxy this project builds with does not serve; the names
// follow its spec (semantic_conventions.md, llm_spans.md, embedding_spans.md).
const (
	KeyOISpanKind             = attribute.Key("openinference.span.kind")
	KeyOILLMSystem            = attribute.Key("llm.system")
	KeyOILLMProvider          = attribute.Key("llm.provider")
	KeyOIModelName            = attribute.Key("llm.model_name")
	KeyOIInvocationParameters = attribute.Key("llm.invocation_parameters")
	// KeyOIEmbeddingInvocationParameters is the invocation parameters' key
	// on an EMBEDDING span.
	KeyOIEmbeddingInvocationParameters = attribute.Key("embedding.invocation_parameters")
	KeyOIFinishReason                  = attribute.Key("llm.finish_reason")
	KeyOITokensPrompt                  = attribute.Key("llm.token_count.prompt")
	KeyOITokensCompletion              = attribute.Key("llm.token_count.completion")
	KeyOITokensTotal                   = attribute.Key("llm.token_count.total")
	KeyOITokensCacheRead               = attribute.Key("llm.token_count.prompt_details.cache_read")
	KeyOITokensCacheWrite              = attribute.Key("llm.token_count.prompt_details.cache_write")
	KeyOITokensReasoning               = attribute.Key("llm.token_count.completion_details.reasoning")
	KeyOIInputValue                    = attribute.Key("input.value")
	KeyOIInputMimeType                 = attribute.Key("input.mime_type")
	KeyOIOutputValue                   = attribute.Key("output.value")
	KeyOIOutputMimeType                = attribute.Key("output.mime_type")
	KeyOIUserID                        = otelsemconv.UserIDKey    // user.id
	KeyOISessionID                     = otelsemconv.SessionIDKey // session.id
	KeyOIEmbeddingModelName            = attribute.Key("embedding.model_name")
	KeyOIRerankerQuery                 = attribute.Key("reranker.query")
	KeyOIRerankerModelName             = attribute.Key("reranker.model_name")
	KeyOIRerankerTopK                  = attribute.Key("reranker.top_k")
)

// Values of openinference.span.kind.
const (
	OISpanKindLLM       = "LLM"
	OISpanKindEmbedding = "EMBEDDING"
	OISpanKindChain     = "CHAIN"
	OISpanKindTool      = "TOOL"
	OISpanKindAgent     = "AGENT"
	OISpanKindRetriever = "RETRIEVER"
	OISpanKindReranker  = "RERANKER"
	OISpanKindGuardrail = "GUARDRAIL"
	OISpanKindEvaluator = "EVALUATOR"
)

// MIME types of input.value and output.value.
const (
	MimeText = "text/plain"
	MimeJSON = "application/json"
)

// OpenInference indexed keys.
var (
	oiInRole       = newKeyTable("llm.input_messages.", ".message.role")
	oiInContent    = newKeyTable("llm.input_messages.", ".message.content")
	oiInToolCallID = newKeyTable("llm.input_messages.", ".message.tool_call_id")
	oiInToolCalls  = newToolCallKeys("llm.input_messages.", ".message.tool_calls.", ".tool_call.id", "", ".tool_call.function.name", ".tool_call.function.arguments")
	oiOutRole      = newKeyTable("llm.output_messages.", ".message.role")
	oiOutContent   = newKeyTable("llm.output_messages.", ".message.content")
	oiOutToolCalls = newToolCallKeys("llm.output_messages.", ".message.tool_calls.", ".tool_call.id", "", ".tool_call.function.name", ".tool_call.function.arguments")
	oiToolSchema   = newKeyTable("llm.tools.", ".tool.json_schema")
	oiEmbedText    = newKeyTable("embedding.embeddings.", ".embedding.text")
	oiEmbedVector  = newKeyTable("embedding.embeddings.", ".embedding.vector")
)

// OpenInference message content types (message_content.type).
const (
	OIContentText  = "text"
	OIContentImage = "image"
)

// Suffixes of a prompt message's content keys, below
// llm.input_messages.<i>.message.contents.<k>.
const (
	oiContentType     = ".message_content.type"
	oiContentText     = ".message_content.text"
	oiContentImageURL = ".message_content.image.image.url"
)

// oiInContentKey returns llm.input_messages.<i>.message.contents.<k> with a
// suffix (built on use: only messages with media have them).
func oiInContentKey(i, k int, suffix string) attribute.Key {
	return attribute.Key("llm.input_messages." + strconv.Itoa(i) + ".message.contents." + strconv.Itoa(k) + suffix)
}
