package semconv

import (
	"go.opentelemetry.io/otel/attribute"

	"github.com/tracekit-go/tracekit/internal/genai"
)

// Convention selects an attribute naming convention. Conventions combine as a
// bit set: one span can carry several at once.
type Convention uint8

const (
	// Tracekit is Coralogix llm-tracekit's convention: gen_ai.system and the
	// indexed gen_ai.prompt.<i>.*, gen_ai.completion.<i>.* and
	// gen_ai.request.tools.<i>.* keys. It is the default.
	Tracekit Convention = 1 << iota
	// OTelGenAI is the OpenTelemetry GenAI semantic conventions v1.41.0:
	// gen_ai.provider.name, gen_ai.input.messages / gen_ai.output.messages /
	// gen_ai.system_instructions / gen_ai.tool.definitions as JSON strings,
	// openai.* and aws.bedrock.* keys.
	OTelGenAI
	// OpenInference is Arize's OpenInference convention, read by Phoenix:
	// openinference.span.kind, llm.input_messages.<i>.message.*,
	// llm.output_messages.<i>.message.*, llm.token_count.*, input.value and
	// output.value.
	//
	// Application spans (package observe), the request context and cost
	// render every convention too: see ObservationEndAttrs, ContextAttrs and
	// CostAttrs.
	OpenInference
)

// Has reports whether every convention in o is in c.
func (c Convention) Has(o Convention) bool { return c&o == o }

// String names the conventions in c.
func (c Convention) String() string {
	s := ""
	for _, n := range []struct {
		c    Convention
		name string
	}{{Tracekit, "Tracekit"}, {OTelGenAI, "OTelGenAI"}, {OpenInference, "OpenInference"}} {
		if c.Has(n.c) {
			if s != "" {
				s += "+"
			}
			s += n.name
		}
	}
	if s == "" {
		return "none"
	}
	return s
}

// Renderer renders records of LLM calls in a set of conventions.
type Renderer struct {
	// Conventions to emit; zero means Tracekit.
	Conventions Convention
	// Capture turns on the content attributes (message text, tool-call
	// arguments, embedding vectors, input.value / output.value).
	Capture bool
}

func (r Renderer) conv() Convention {
	if r.Conventions == 0 {
		return Tracekit
	}
	return r.Conventions
}

// SpanName returns the span name of a call. Tracekit's names win when it is
// selected ("bedrock.<api>" for Bedrock, "<operation> <model>" otherwise);
// OTel GenAI names every span "<operation> <model>", except an agent
// invocation, "invoke_agent <agent name>" (a Bedrock inline agent's), or
// "invoke_agent" when the name is not known (a stored agent's id is not its
// name), and a guardrail check, "apply_guardrail <guardrail id>";
// OpenInference alone names embeddings "CreateEmbeddings".
func (r Renderer) SpanName(c *genai.Call) string {
	conv := r.conv()
	if conv.Has(Tracekit) && c.Provider == genai.ProviderBedrock && c.API != "" {
		return "bedrock." + c.API
	}
	if conv == OpenInference && c.Operation == genai.OpEmbeddings {
		return "CreateEmbeddings"
	}
	if c.Operation == genai.OpRetrieval {
		if id := c.Request.KnowledgeBaseID; id != "" {
			return genai.OpRetrieval + " " + id
		}
		return genai.OpRetrieval
	}
	if c.Operation == genai.OpInvokeWorkflow {
		if w := c.Request.WorkflowName; w != "" {
			return genai.OpInvokeWorkflow + " " + w
		}
		return genai.OpInvokeWorkflow
	}
	if c.Operation == genai.OpApplyGuardrail {
		if id := c.Request.GuardrailID; id != "" {
			return genai.OpApplyGuardrail + " " + id
		}
		return genai.OpApplyGuardrail
	}
	if c.Operation == genai.OpInvokeAgent {
		if c.Request.AgentName != "" {
			return genai.OpInvokeAgent + " " + c.Request.AgentName
		}
		return genai.OpInvokeAgent
	}
	if c.Request.Model == "" {
		return c.Operation
	}
	return c.Operation + " " + c.Request.Model
}

// Request appends the attributes known before the call is sent (the request
// parameters, the prompt, the tool definitions) to dst.
func (r Renderer) Request(dst []attribute.KeyValue, c *genai.Call) []attribute.KeyValue {
	conv := r.conv()
	if conv.Has(Tracekit) {
		dst = tracekitRequest(dst, c, r.Capture)
	}
	if conv.Has(OTelGenAI) {
		dst = otelRequest(dst, c, r.Capture, !conv.Has(Tracekit))
	}
	if conv.Has(OpenInference) {
		dst = oiRequest(dst, c, r.Capture)
	}
	return guardrailRequest(dst, c)
}

// Response appends the attributes learnt from a successful response to dst.
func (r Renderer) Response(dst []attribute.KeyValue, c *genai.Call) []attribute.KeyValue {
	conv := r.conv()
	if conv.Has(Tracekit) {
		dst = tracekitResponse(dst, c, r.Capture)
	}
	if conv.Has(OTelGenAI) {
		dst = otelResponse(dst, c, r.Capture, !conv.Has(Tracekit))
	}
	if conv.Has(OpenInference) {
		dst = oiResponse(dst, c, r.Capture)
	}
	return guardrailResponse(dst, c, r.Capture)
}

// inputWithCache is every input token of a call, the cached ones included:
// a Bedrock count leaves out the tokens read from or written to the prompt
// cache, which are added back; other providers' counts include them already.
func inputWithCache(c *genai.Call) genai.Int {
	u := &c.Response.Usage
	in := u.InputTokens
	if c.Provider != genai.ProviderBedrock || !in.Set {
		return in
	}
	if u.CacheReadInputTokens.Set {
		in.V += u.CacheReadInputTokens.V
	}
	if u.CacheWriteInputTokens.Set {
		in.V += u.CacheWriteInputTokens.V
	}
	return in
}

// InputTokens is the input token count a call's gen_ai.usage.input_tokens and
// its input token metric point carry: the provider's count, except with OTel
// GenAI and without Tracekit (whose llm-tracekit value shares the key), where
// a Bedrock count, which leaves out the tokens read from or written to the
// prompt cache, has them added back: OTel GenAI counts every input token,
// cached ones included (cache_read is a subset of it).
func (r Renderer) InputTokens(c *genai.Call) genai.Int {
	if conv := r.conv(); !conv.Has(OTelGenAI) || conv.Has(Tracekit) {
		return c.Response.Usage.InputTokens
	}
	return inputWithCache(c)
}

// EventException is the name of the span event that records the failure of
// a call (OpenTelemetry's exception event).
const EventException = "exception"

// RecordsException reports whether the selected conventions record the
// exception event of a failed call (see Exception).
func (r Renderer) RecordsException() bool { return r.conv()&(OTelGenAI|OpenInference) != 0 }

// Exception appends to dst the attributes of the exception span event of a
// failed call, with message as exception.message (the span status's
// description: the error's message once scrubbed of credentials and of
// withheld content), and reports whether the selected conventions record
// the event: OTel GenAI and OpenInference do (status Error plus an
// exception event), llm-tracekit records none. c.Err must be set.
func (r Renderer) Exception(dst []attribute.KeyValue, c *genai.Call, message string) ([]attribute.KeyValue, bool) {
	if r.conv()&(OTelGenAI|OpenInference) == 0 || c.Err == nil {
		return dst, false
	}
	dst = appendString(dst, KeyExceptionType, c.Err.Type)
	dst = appendString(dst, KeyExceptionMessage, message)
	return dst, true
}

// RecordsLateServer reports whether the selected conventions record the
// server of a call whose endpoint is resolved only after its span started
// (a Bedrock call: the SDK resolves its endpoint below the middleware that
// starts the span). OTel GenAI does (server.address is recommended,
// server.port required with it); llm-tracekit records no server on Bedrock
// spans and metrics, and OpenInference has no such attribute. A provider
// fills the record's server fields only when it does, so that Tracekit's
// spans and metric points stay as they are.
func (r Renderer) RecordsLateServer() bool { return r.conv().Has(OTelGenAI) }

// LateServer appends server.address and server.port (the explicit port, or
// the scheme's default one) of a call whose endpoint was learnt after its
// span started (see RecordsLateServer) to dst, when the record has them.
func (r Renderer) LateServer(dst []attribute.KeyValue, c *genai.Call) []attribute.KeyValue {
	if !r.RecordsLateServer() || c.ServerAddress == "" {
		return dst
	}
	dst = append(dst, KeyServerAddress.String(c.ServerAddress))
	if c.ServerPort > 0 {
		return append(dst, KeyServerPort.Int(c.ServerPort))
	}
	return appendImplicitPort(dst, c)
}

// Metric appends the attributes of the gen_ai.client.* data points of a call
// to dst (without gen_ai.token.type). Metric names are the same in every
// convention; their attributes follow the selected conventions.
func (r Renderer) Metric(dst []attribute.KeyValue, c *genai.Call) []attribute.KeyValue {
	conv := r.conv()
	op := c.Operation
	if conv.Has(Tracekit) {
		op = tracekitOperation(c)
	}
	dst = append(dst, KeyOperationName.String(op))
	if conv.Has(Tracekit) || conv == OpenInference {
		dst = append(dst, KeySystem.String(c.Provider))
	}
	if conv.Has(OTelGenAI) {
		dst = append(dst, KeyProviderName.String(providerName(c)))
	}
	if !c.Request.ModelLearnt {
		dst = appendString(dst, KeyRequestModel, c.Request.Model)
	}
	if c.Err == nil {
		dst = appendString(dst, KeyResponseModel, c.Response.Model)
		if conv.Has(Tracekit) || conv == OpenInference {
			dst = appendString(dst, KeyOpenAIResponseTier, c.Response.ServiceTier)
			dst = appendString(dst, KeyOpenAIFingerprint, c.Response.SystemFingerprint)
		}
		if conv.Has(OTelGenAI) {
			dst = appendString(dst, KeyOpenAIRespTier, c.Response.ServiceTier)
			dst = appendString(dst, KeyOpenAIRespFP, c.Response.SystemFingerprint)
		}
	}
	dst = appendString(dst, KeyServerAddress, c.ServerAddress)
	if c.ServerPort > 0 {
		dst = append(dst, KeyServerPort.Int(c.ServerPort))
	} else if conv.Has(OTelGenAI) {
		dst = appendImplicitPort(dst, c)
	}
	if c.Err != nil {
		dst = append(dst, KeyErrorType.String(c.Err.Type))
	}
	return dst
}

// SpanName returns the Tracekit span name of a call.
func SpanName(c *genai.Call) string { return Renderer{}.SpanName(c) }

// RequestAttrs appends the Tracekit request attributes of c to dst.
func RequestAttrs(dst []attribute.KeyValue, c *genai.Call, capture bool) []attribute.KeyValue {
	return Renderer{Capture: capture}.Request(dst, c)
}

// ResponseAttrs appends the Tracekit response attributes of c to dst.
func ResponseAttrs(dst []attribute.KeyValue, c *genai.Call, capture bool) []attribute.KeyValue {
	return Renderer{Capture: capture}.Response(dst, c)
}

// MetricAttrs appends the Tracekit metric attributes of c to dst.
func MetricAttrs(dst []attribute.KeyValue, c *genai.Call) []attribute.KeyValue {
	return Renderer{}.Metric(dst, c)
}

// ErrorType returns the error.type attribute for t.
func ErrorType(t string) attribute.KeyValue { return KeyErrorType.String(t) }

// TokenType returns the gen_ai.token.type attribute for t.
func TokenType(t string) attribute.KeyValue { return KeyTokenType.String(t) }

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
