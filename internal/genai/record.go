// Package genai holds the neutral record of one LLM call.
//
// Provider packages (openaitrace, bedrocktrace) fill a Call from wire data or
// typed SDK values; the semconv package renders it into span attributes and
// metric attributes. Nothing here knows an attribute name or parses JSON: the
// types are plain data so that every provider and every convention meet on the
// same shape.
package genai

import (
	"net/url"
	"strings"
)

// Operation names, as in gen_ai.operation.name.
const (
	OpChat           = "chat"
	OpEmbeddings     = "embeddings"
	OpTextCompletion = "text_completion"
	// OpInvokeAgent is a call to a remote agent service (a Bedrock agent's
	// InvokeAgent).
	OpInvokeAgent = "invoke_agent"
	// OpRetrieval is a query to a data source that returns documents (a
	// Bedrock knowledge base's Retrieve): the query is the user message,
	// Request.KnowledgeBaseID the data source, Response.Documents the
	// results.
	OpRetrieval = "retrieval"
	// OpInvokeWorkflow is a run of a remote workflow (a Bedrock flow's
	// InvokeFlow): Request.WorkflowName names it, its inputs are user
	// messages, its outputs the answer.
	OpInvokeWorkflow = "invoke_workflow"
	// OpRerank is a reranking of documents against a query (a Bedrock
	// Agent Runtime Rerank, or an InvokeModel call to a rerank model): the
	// query is the user message, Request.Documents the documents given,
	// Request.TopK the number of results asked for, Response.Documents the
	// results, most relevant first, with their relevance scores. The GenAI
	// conventions define no such operation: "rerank" is ours.
	OpRerank = "rerank"
	// OpGenerateContent is a generation of content other than text (a
	// Bedrock image model's InvokeModel: Titan Image Generator, Nova
	// Canvas, Stability): the prompt is the user message (with its input
	// images as parts), Request.OutputType says what is generated, each
	// generated image is a choice whose Media holds it.
	OpGenerateContent = "generate_content"
	// OpApplyGuardrail is a check of content against a guardrail, or
	// against checks configured in the call, without a model call (Bedrock
	// ApplyGuardrail, InvokeGuardrailChecks): the content checked is the
	// messages (ApplyGuardrail's: users' for the input source, the
	// assistant's for the output source, a query the user's; a grounding
	// source is a document given), Request.GuardrailID names the
	// guardrail, the content the guardrail returned in their place (when
	// it intervened) is the choices, Response.Guardrail its verdict. The
	// GenAI conventions define no such operation: "apply_guardrail" is
	// ours.
	OpApplyGuardrail = "apply_guardrail"
	// OpModeration is a check of content by a moderation model (OpenAI's
	// moderations): the inputs are user messages, Response.Guardrail the
	// verdict. There are no choices. The GenAI conventions define no such
	// operation: "moderation" is ours.
	OpModeration = "moderation"
)

// Providers, as in gen_ai.system.
const (
	ProviderOpenAI  = "openai"
	ProviderBedrock = "aws.bedrock"
)

// Hostings, as in Call.Hosting: who serves OpenAI's API when it is not
// OpenAI. Except HostingAzure, each is the provider's
// gen_ai.provider.name in the OpenTelemetry GenAI conventions.
const (
	// HostingAzure is OpenAI's API served by Azure (Azure OpenAI, Azure AI
	// Foundry).
	HostingAzure = "azure"
	// HostingAzureInference is the Azure AI Model Inference API, whose
	// chat completions are OpenAI's.
	HostingAzureInference = "azure.ai.inference"
	// HostingBedrock is OpenAI's API served by Amazon Bedrock (its
	// OpenAI-compatible Runtime and Mantle endpoints).
	HostingBedrock = "aws.bedrock"
	// The OpenAI-compatible endpoints of other model providers.
	HostingAnthropic  = "anthropic"
	HostingCohere     = "cohere"
	HostingDeepSeek   = "deepseek"
	HostingGemini     = "gcp.gemini"
	HostingVertexAI   = "gcp.vertex_ai"
	HostingGroq       = "groq"
	HostingMistral    = "mistral_ai"
	HostingPerplexity = "perplexity"
	HostingXAI        = "x_ai"
)

// Call is everything known about one LLM call (one HTTP attempt for OpenAI,
// one SDK operation for Bedrock).
type Call struct {
	// Operation is one of the Op constants (OpChat, OpEmbeddings, ...).
	// It names what the call is (a Bedrock Titan Text InvokeModel is a text
	// completion, an InvokeAgent an agent invocation); conventions that name
	// such calls otherwise (llm-tracekit's "chat") map it.
	Operation string
	// Provider is ProviderOpenAI or ProviderBedrock.
	Provider string
	// Hosting names who served the provider's API when it is not the
	// provider itself (one of the Hosting constants: Azure, Bedrock, another
	// model provider's OpenAI-compatible endpoint); "" otherwise.
	Hosting string
	// API names the provider API that was called, for conventions whose span
	// names depend on it (for example "converse" or "invoke_model" on Bedrock,
	// "chat.completions" or "responses" on OpenAI).
	API string
	// Streaming is true for streamed responses.
	Streaming bool

	// ServerAddress and ServerPort describe the endpoint (port 0: unknown or
	// the scheme's default).
	ServerAddress string
	ServerPort    int
	// ImplicitPort is the port of the endpoint when ServerPort is 0 because
	// it is the scheme's default or 443 (0: unknown). Conventions that
	// require server.port whenever server.address is set record it.
	ImplicitPort int
	// ResendCount is the number of the HTTP attempt (0 for the first).
	ResendCount int

	Request  Request
	Response Response

	// TimeToFirstChunk is the number of seconds from the start of the call to
	// the first streamed chunk; negative when unknown.
	TimeToFirstChunk float64

	// Err describes a failed call; nil on success.
	Err *Error
}

// Request holds the request parameters and the prompt.
type Request struct {
	Model string
	// ModelVendor is the vendor of the model when the provider learnt it
	// from the request rather than from the model id (a Bedrock
	// application inference profile, provisioned or imported model ARN,
	// whose body is read as Anthropic's, Meta's, ...): the model id prefix
	// of that vendor on Bedrock ("anthropic", "meta", "amazon", "mistral",
	// "cohere"). "" when unknown or when the model id tells.
	ModelVendor string
	// ModelLearnt is set when the request named no model and Model was
	// learnt from the response (a Bedrock agent's foundation model): spans
	// record it as the request model, metric points (as llm-tracekit's) only
	// as the response model.
	ModelLearnt      bool
	Temperature      Float
	TopP             Float
	TopK             Float
	MaxTokens        Int
	PresencePenalty  Float
	FrequencyPenalty Float
	Seed             Int
	// ResponseFormat is the requested response format type ("text",
	// "json_object", "json_schema").
	ResponseFormat string
	// OutputType is the type of output asked for when it is not text
	// ("image"), as in gen_ai.output.type.
	OutputType string
	// ServiceTier is the requested service tier.
	ServiceTier string
	// ChoiceCount is the number of choices asked for (OpenAI "n").
	ChoiceCount Int
	// OutputAudioFormat is the format asked for an audio answer (OpenAI
	// chat audio.format: wav, mp3, ...).
	OutputAudioFormat string
	// OutputImageFormat is the format asked for generated images (OpenAI
	// images output_format: png, jpeg, webp).
	OutputImageFormat string
	// StopSequences are the requested stop sequences.
	StopSequences []string
	// User is the end user the request was made for.
	User string
	// EncodingFormats and Dimensions describe an embeddings request.
	EncodingFormats []string
	Dimensions      Int
	// PreviousResponseID and ConversationID link a Responses API call to
	// earlier state.
	PreviousResponseID string
	ConversationID     string
	// AgentID, AgentAliasID, SessionID and GuardrailID describe Bedrock agent
	// and guardrail calls.
	AgentID      string
	AgentAliasID string
	SessionID    string
	GuardrailID  string
	// AgentName names an agent defined in the call itself (a Bedrock
	// inline agent).
	AgentName string
	// GuardrailVersion is the version of the guardrail an ApplyGuardrail
	// call applies, GuardrailSource what the content checked is ("input":
	// a user's, "output": a model's).
	GuardrailVersion string
	GuardrailSource  string
	// KnowledgeBaseID is the Bedrock knowledge base a retrieve-and-generate
	// call answers from, or a retrieval queries.
	KnowledgeBaseID string
	// WorkflowName names the workflow a workflow invocation runs (a
	// Bedrock flow's identifier).
	WorkflowName string
	// Documents are the documents given to a reranker (OpRerank), their
	// ids their positions in the request; only filled when content is
	// captured.
	Documents []Document

	Messages []Message
	Tools    []Tool
}

// Response holds what the model answered.
type Response struct {
	ID                string
	Model             string
	ServiceTier       string
	SystemFingerprint string
	// FinishReasons lists the finish reason of every choice, in order.
	FinishReasons []string
	Choices       []Choice
	// Unreasoned is set when the API states no finish reason for an
	// answer that ended normally (Bedrock RetrieveAndGenerate): conventions
	// that require one record stop.
	Unreasoned bool
	Usage      Usage
	// Embeddings holds embedding vectors (only filled when content is captured).
	Embeddings []Embedding
	// Guardrail is the verdict of a guardrail check (OpApplyGuardrail), a
	// moderation, or the guardrail a call applied (a Bedrock Converse call
	// whose guardrail trace is on).
	Guardrail *GuardrailVerdict
	// Documents are the documents an answer was grounded in (a Bedrock
	// retrieve-and-generate call's retrieved references), a retrieval's
	// results, or a reranking's (in their new order, with the relevance
	// scores); only filled when content is captured.
	Documents []Document
}

// GuardrailVerdict is what a guardrail check (or a moderation) found: its
// action, the policies that acted, the scores of checks, the units each
// policy was billed.
type GuardrailVerdict struct {
	// Action is the guardrail's action: GUARDRAIL_INTERVENED or NONE
	// (Bedrock ApplyGuardrail, Converse); a moderation's FLAGGED or NONE;
	// "" when the check takes none (Bedrock InvokeGuardrailChecks).
	Action string
	// ActionReason is the reason the guardrail gives for its action
	// (content: it may quote what was checked).
	ActionReason string
	// Interventions are what the guardrail's policies detected, each once,
	// never what they matched (content).
	Interventions []GuardrailIntervention
	// Findings are the scores of checks: those configured in the call
	// (Bedrock InvokeGuardrailChecks: each category checked, and each type
	// of sensitive information found with its highest confidence, never
	// where nor what), a moderation's categories flagged with their
	// highest scores.
	Findings []GuardrailFinding
	// Truncated tells that findings or interventions were left out: the
	// service's own list was truncated (Bedrock InvokeGuardrailChecks'
	// sensitive information), or there were more than a span keeps.
	Truncated bool
	// Usage is what each policy used.
	Usage GuardrailUsage
}

// GuardrailIntervention is what one policy of a guardrail detected: the
// policy (topic, content, word, pii, regex, grounding,
// automated_reasoning), what it detected (a topic's or a regex's name, a
// filter's or an entity's type, custom for a custom word, an automated
// reasoning finding's kind), and its action (BLOCKED, ANONYMIZED, NONE; ""
// when it takes none).
type GuardrailIntervention struct {
	Policy, Name, Action string
}

// GuardrailFinding is the score a check gave a category: the check
// (content, prompt_attack, pii, moderation), the category (VIOLENCE,
// JAILBREAK, EMAIL, violence, ...), the score (a severity or a
// confidence), unset when not reported.
type GuardrailFinding struct {
	Check, Category string
	Score           Float
}

// GuardrailUsage is what the policies of a guardrail check used: text units
// (images for ContentPolicyImages), as billed; unset when not reported.
type GuardrailUsage struct {
	ContentPolicy, ContentPolicyImages, TopicPolicy, WordPolicy                     Int
	SensitiveInformationPolicy, SensitiveInformationPolicyFree                      Int
	ContextualGroundingPolicy, AutomatedReasoningPolicy, AutomatedReasoningPolicies Int
	PromptAttackPolicy                                                              Int
}

// Message is one prompt message.
type Message struct {
	Role string
	// Content is the text of the message; HasContent tells whether the message
	// had any text at all (an empty string is still content).
	Content    string
	HasContent bool
	// Instructions is true for a system message that came from a separate
	// instructions field of the API (Bedrock Converse and Claude "system",
	// Responses "instructions") rather than from the message list.
	Instructions bool
	ToolCallID   string
	ToolCalls    []ToolCall
	// Parts is the message's content part by part, in order, when it has
	// a part that is not text (an image, audio, a video, a document or a
	// file); nil otherwise, and always nil when content is not captured.
	// Content still holds the text parts joined, for conventions that
	// record text only. A tool message's (ToolCallID set) Parts are only
	// the parts of its result that are not text (a screenshot a tool
	// returned): its text is Content, the tool's response.
	Parts []Part
}

// Part kinds, as in Part.Kind.
const (
	PartText = "text"
	// PartBlob is data sent inline (Part.Data or Part.Bytes).
	PartBlob = "blob"
	// PartURI is data sent by reference to a URL or an object store URI.
	PartURI = "uri"
	// PartFile is a file uploaded to the provider beforehand (Part.FileID).
	PartFile = "file"
)

// Modalities of the data of a part, as in Part.Modality.
const (
	ModalityImage    = "image"
	ModalityAudio    = "audio"
	ModalityVideo    = "video"
	ModalityDocument = "document"
)

// Part is one part of a message's content.
type Part struct {
	// Kind is PartText, PartBlob, PartURI or PartFile.
	Kind string
	// Text is a text part's text, or a PartBlob's data when that is text
	// (a text document, a data URL that is not base64): content like any
	// text (redacted), encoded by the renderers.
	Text string
	// Modality is the kind of data of the other parts (a Modality
	// constant); MimeType its media type when known ("image/png").
	Modality string
	MimeType string
	// URI is a PartURI's reference (as sent: renderers remove credentials);
	// for a PartBlob from a data URL that is not base64, that URL as sent
	// (not rendered: error messages may quote it).
	URI string
	// FileID is a PartFile's identifier at the provider.
	FileID string
	// Data is a PartBlob's data in base64 (standard encoding) when it came
	// encoded; Bytes is its raw data when it came as bytes.
	Data  string
	Bytes []byte
	// Unkept is set on a PartBlob whose data was not kept (a streamed
	// audio answer's): renderers record the part without content.
	Unkept bool
}

// ModalityOf returns the modality of a media type: image, audio or video
// for those top-level types, document for any other non-empty one.
func ModalityOf(mime string) string {
	top, _, _ := strings.Cut(mime, "/")
	switch strings.ToLower(top) {
	case "":
		return ""
	case "image":
		return ModalityImage
	case "audio":
		return ModalityAudio
	case "video":
		return ModalityVideo
	}
	return ModalityDocument
}

// DataURL splits a data URL ("data:image/png;base64,iVBOR..."): its media
// type and its data, and whether the data is base64. ok is false when s is
// not a data URL.
func DataURL(s string) (mime, data string, base64, ok bool) {
	if len(s) < 5 || !strings.EqualFold(s[:5], "data:") {
		return "", "", false, false
	}
	meta, data, found := strings.Cut(s[5:], ",")
	if !found {
		return "", "", false, false
	}
	mime, params, _ := strings.Cut(meta, ";")
	for params != "" {
		var p string
		p, params, _ = strings.Cut(params, ";")
		if strings.EqualFold(strings.TrimSpace(p), "base64") {
			base64 = true
		}
	}
	return strings.TrimSpace(mime), data, base64, true
}

// Choice is one completion the model returned.
type Choice struct {
	Role         string
	FinishReason string
	Content      string
	HasContent   bool
	ToolCalls    []ToolCall
	// ServerToolCalls are the calls of built-in tools the provider ran
	// itself (Responses API web_search_call, file_search_call,
	// code_interpreter_call, image_generation_call and mcp_call items),
	// recorded only when content is captured: Type is the tool's type
	// ("web_search", "mcp", ...), Name the tool's name (its type, or an MCP
	// server's tool), ID the item's id, Arguments the JSON object of what
	// the model asked of the tool (a search's action, ...), or "".
	ServerToolCalls []ToolCall
	// Media are the parts of the answer that are not text (an audio
	// reply's audio, whose transcript is then Content), recorded only
	// when content is captured.
	Media []Part
	// Reasoning is the model's reasoning (thinking) text that came with the
	// answer, when the provider returns it (content: captured only).
	Reasoning string
}

// ToolCall is a function call requested by the model.
type ToolCall struct {
	ID   string
	Type string
	Name string
	// Arguments is the JSON text of the arguments.
	Arguments string
}

// Tool is a tool definition offered to the model.
type Tool struct {
	Type        string
	Name        string
	Description string
	// Parameters is the JSON schema of the parameters, as JSON text.
	Parameters string
}

// Usage counts tokens. Each count is meaningful only when its Has flag is set.
type Usage struct {
	InputTokens           Int
	OutputTokens          Int
	CacheReadInputTokens  Int
	CacheWriteInputTokens Int
	ReasoningTokens       Int
}

// Bounds on the embedding vectors a span records (with content capture on
// only): at most MaxEmbeddingVectors vectors, the first ones of the
// response, each of at most MaxEmbeddingDims values; a longer vector is not
// recorded at all (rather than cut). That is at most 1 MiB of float64
// attribute values per span.
const (
	MaxEmbeddingVectors = 32
	MaxEmbeddingDims    = 4096
)

// Embedding is one embedding vector and its index in the response.
type Embedding struct {
	Index  int
	Vector []float64
}

// Error describes a failed call.
type Error struct {
	// Type is a short, low-cardinality error type (an API error code, an
	// exception name, an HTTP status code or "timeout").
	Type string
	// Message is a human-readable description.
	Message string
}

// Float is an optional float64.
type Float struct {
	V   float64
	Set bool
}

// Int is an optional int64.
type Int struct {
	V   int64
	Set bool
}

// SetFloat returns a set Float.
func SetFloat(v float64) Float { return Float{V: v, Set: true} }

// SetInt returns a set Int.
func SetInt(v int64) Int { return Int{V: v, Set: true} }

// Reset clears c for reuse while keeping the capacity of its slices.
func (c *Call) Reset() {
	msgs := c.Request.Messages[:0]
	tools := c.Request.Tools[:0]
	choices := c.Response.Choices[:0]
	fr := c.Response.FinishReasons[:0]
	*c = Call{TimeToFirstChunk: -1}
	c.Request.Messages = msgs
	c.Request.Tools = tools
	c.Response.Choices = choices
	c.Response.FinishReasons = fr
}

// AppendPart appends p to parts unless it has no kind (a media part whose
// data or source was missing or not understood).
func AppendPart(parts []Part, p Part) []Part {
	if p.Kind == "" {
		return parts
	}
	return append(parts, p)
}

// ToolParts returns a tool message's Parts from the parts of its result:
// those that are not text (see MediaParts); none for a result that names no
// tool call (its message is recorded as text).
func ToolParts(toolCallID string, parts []Part) []Part {
	if toolCallID == "" {
		return nil
	}
	return MediaParts(parts)
}

// MediaParts returns the parts that are not text, in place (nil when
// none).
func MediaParts(parts []Part) []Part {
	out := parts[:0]
	for _, p := range parts {
		if p.Kind != PartText {
			out = append(out, p)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// URLPart is the part of a URL given for an image or a file: the data of a
// data URL as a blob (its media type, when it names one, tells the
// modality), any other URL as a reference (renderers remove its
// credentials). An empty URL gives no part (Kind "").
func URLPart(u, modality string) Part {
	if u == "" {
		return Part{}
	}
	if p, ok := dataURLPart(u, modality); ok {
		return p
	}
	return Part{Kind: PartURI, Modality: modality, URI: u}
}

// DataPart is the part of file data: a data URL's data, or else the data
// itself (base64), as a blob; a URL (some OpenAI-compatible gateways take
// one) as a reference. Empty data gives no part (Kind "").
func DataPart(data, modality string) Part {
	if data == "" {
		return Part{}
	}
	if p, ok := dataURLPart(data, modality); ok {
		return p
	}
	if strings.Contains(data, "://") {
		return Part{Kind: PartURI, Modality: modality, URI: data}
	}
	return Part{Kind: PartBlob, Modality: modality, Data: data}
}

// dataURLPart is the blob of a data URL; ok is false when s is not one. A
// data URL that is not base64 holds text (percent-encoded), kept as text
// for the redactor and encoded by the renderers.
func dataURLPart(s, modality string) (Part, bool) {
	m, data, b64, ok := DataURL(s)
	if !ok {
		return Part{}, false
	}
	if mod := ModalityOf(m); mod != "" {
		modality = mod
	}
	p := Part{Kind: PartBlob, Modality: modality, MimeType: m, Data: data}
	if !b64 {
		if text, err := url.PathUnescape(data); err == nil {
			data = text
		}
		// URI keeps the URL as sent, which an error message would quote
		// (a blob's URI is not rendered).
		p.Data, p.Text, p.URI = "", data, s
	}
	return p, true
}
