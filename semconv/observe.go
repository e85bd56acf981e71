package semconv

import (
	"encoding/json"
	"sort"
	"strconv"

	"go.opentelemetry.io/otel/attribute"
	otelsemconv "go.opentelemetry.io/otel/semconv/v1.41.0"

	"github.com/tracekit-go/tracekit/internal/genai"
	"github.com/tracekit-go/tracekit/internal/reqctx"
)

// Keys of application spans (package observe), of the request context and of
// cost. See RenderObservation for which convention uses which.
const (
	// Tracekit convention (and fallbacks of the others).
	KeyTracekitSpanKind       = attribute.Key("tracekit.span.kind")
	KeyTracekitInput          = attribute.Key("tracekit.input.value")
	KeyTracekitInputMime      = attribute.Key("tracekit.input.mime_type")
	KeyTracekitOutput         = attribute.Key("tracekit.output.value")
	KeyTracekitOutputMime     = attribute.Key("tracekit.output.mime_type")
	KeyTracekitAgentTools     = attribute.Key("tracekit.agent.tools")
	KeyTracekitAgentHandoffs  = attribute.Key("tracekit.agent.handoffs")
	KeyTracekitOrganizationID = attribute.Key("tracekit.organization.id")
	KeyTracekitProjectID      = attribute.Key("tracekit.project.id")
	KeyTracekitTags           = attribute.Key("tracekit.tags")
	prefixTracekitMetadata    = "tracekit.metadata."
	prefixTracekitDocuments   = "tracekit.documents."
	// The documents given to a reranker (its results are the documents).
	prefixTracekitInputDocuments = "tracekit.input_documents."

	// OpenTelemetry GenAI (v1.41.0).
	KeyAgentName          = otelsemconv.GenAIAgentNameKey          // gen_ai.agent.name
	KeyWorkflowName       = otelsemconv.GenAIWorkflowNameKey       // gen_ai.workflow.name
	KeyToolName           = otelsemconv.GenAIToolNameKey           // gen_ai.tool.name
	KeyToolType           = otelsemconv.GenAIToolTypeKey           // gen_ai.tool.type
	KeyToolDescription    = otelsemconv.GenAIToolDescriptionKey    // gen_ai.tool.description
	KeyToolCallID         = otelsemconv.GenAIToolCallIDKey         // gen_ai.tool.call.id
	KeyToolCallArguments  = otelsemconv.GenAIToolCallArgumentsKey  // gen_ai.tool.call.arguments
	KeyToolCallResult     = otelsemconv.GenAIToolCallResultKey     // gen_ai.tool.call.result
	KeyRetrievalQueryText = otelsemconv.GenAIRetrievalQueryTextKey // gen_ai.retrieval.query.text
	KeyRetrievalDocuments = otelsemconv.GenAIRetrievalDocumentsKey // gen_ai.retrieval.documents

	// Cost: a tracekit extension of the GenAI conventions (total cost of the
	// call and the currency of the user's price table).
	KeyUsageCost         = attribute.Key("gen_ai.usage.cost")
	KeyUsageCostCurrency = attribute.Key("gen_ai.usage.cost.currency")

	// OpenInference.
	KeyOIAgentName      = attribute.Key("agent.name")
	KeyOIToolName       = attribute.Key("tool.name")
	KeyOIToolDesc       = attribute.Key("tool.description")
	KeyOIToolID         = attribute.Key("tool.id")
	KeyOIMetadata       = attribute.Key("metadata")
	KeyOITags           = attribute.Key("tag.tags")
	KeyOICostPrompt     = attribute.Key("llm.cost.prompt")
	KeyOICostCompletion = attribute.Key("llm.cost.completion")
	KeyOICostTotal      = attribute.Key("llm.cost.total")
	prefixOIRetrieval   = "retrieval.documents."
	prefixOIReranker    = "reranker.output_documents."
	prefixOIRerankerIn  = "reranker.input_documents."
)

// Operation names of application spans in the GenAI conventions.
const (
	OpInvokeAgent    = "invoke_agent"
	OpExecuteTool    = "execute_tool"
	OpInvokeWorkflow = "invoke_workflow"
	OpRetrieval      = "retrieval"
)

// Cost metric.
const (
	MetricCost     = "gen_ai.client.cost"
	MetricCostUnit = "{cost}"
	MetricCostDesc = "Cost of GenAI operations, in the currency of the user's price table (gen_ai.usage.cost.currency)"
)

// otelOperation maps an observe kind to its gen_ai.operation.name ("" when
// the GenAI conventions have none).
func otelOperation(kind string) string {
	switch kind {
	case genai.KindAgent:
		return OpInvokeAgent
	case genai.KindTool:
		return OpExecuteTool
	case genai.KindWorkflow:
		return OpInvokeWorkflow
	case genai.KindRetriever:
		return OpRetrieval
	}
	return ""
}

// oiKind maps an observe kind to openinference.span.kind.
func oiKind(kind string) string {
	switch kind {
	case genai.KindWorkflow, genai.KindTask:
		return OISpanKindChain
	case genai.KindAgent:
		return OISpanKindAgent
	case genai.KindTool:
		return OISpanKindTool
	case genai.KindRetriever:
		return OISpanKindRetriever
	case genai.KindReranker:
		return OISpanKindReranker
	case genai.KindEmbedding:
		return OISpanKindEmbedding
	case genai.KindGuardrail:
		return OISpanKindGuardrail
	case genai.KindEvaluator:
		return OISpanKindEvaluator
	}
	return "UNKNOWN"
}

// ObservationSpanName returns the span name of an application span: with the
// GenAI conventions on, "<operation> <name>" for kinds that have an
// operation (invoke_agent research_agent, execute_tool web_search,
// invoke_workflow answer, retrieval kb); otherwise the name as given.
func ObservationSpanName(o *genai.Observation, conv Convention) string {
	if conv.Has(OTelGenAI) {
		if op := otelOperation(o.Kind); op != "" {
			if o.Name == "" {
				return op
			}
			return op + " " + o.Name
		}
	}
	return o.Name
}

// ObservationStartAttrs appends the attributes known when an application
// span starts (its kind and name) to dst, for samplers.
func ObservationStartAttrs(dst []attribute.KeyValue, o *genai.Observation, conv Convention) []attribute.KeyValue {
	op := otelOperation(o.Kind)
	if conv.Has(Tracekit) || (conv.Has(OTelGenAI) && op == "") {
		dst = append(dst, KeyTracekitSpanKind.String(o.Kind))
	}
	if conv.Has(OpenInference) {
		dst = append(dst, KeyOISpanKind.String(oiKind(o.Kind)))
	}
	if conv.Has(OTelGenAI) && op != "" {
		dst = append(dst, KeyOperationName.String(op))
	}
	if conv.Has(Tracekit) || conv.Has(OTelGenAI) {
		switch o.Kind {
		case genai.KindAgent:
			dst = append(dst, KeyAgentName.String(o.Name))
		case genai.KindTool:
			dst = append(dst, KeyToolName.String(o.Name))
		case genai.KindWorkflow:
			dst = append(dst, KeyWorkflowName.String(o.Name))
		}
	}
	if conv.Has(OpenInference) {
		switch o.Kind {
		case genai.KindAgent:
			dst = append(dst, KeyOIAgentName.String(o.Name))
		case genai.KindTool:
			dst = append(dst, KeyOIToolName.String(o.Name))
		}
	}
	return dst
}

// ObservationEndAttrs appends what was learnt while an application span ran
// to dst. Content (input, output, tool arguments, documents) is included
// only when capture is true.
//
// Tracekit (the default) renders tracekit.input.value / .mime_type,
// tracekit.output.value / .mime_type, tracekit.documents.<i>.{id,content,
// score,metadata}, gen_ai.tool.{description,call.id,call.arguments},
// tracekit.agent.tools and tracekit.agent.handoffs.
//
// OTelGenAI renders, per operation, gen_ai.tool.{type,description,call.id,
// call.arguments,call.result} (execute_tool), gen_ai.retrieval.query.text and
// gen_ai.retrieval.documents [{id, score}] (retrieval),
// gen_ai.input.messages / gen_ai.output.messages as one text part each and
// gen_ai.tool.definitions (invoke_agent, invoke_workflow); kinds without an
// operation fall back to the tracekit.* keys.
//
// OpenInference renders input.value / output.value with their mime types,
// tool.{description,id}, retrieval.documents.<i>.document.* (retriever),
// reranker.output_documents.<i>.document.* (reranker) and
// llm.tools.<i>.tool.json_schema (agent).
func ObservationEndAttrs(dst []attribute.KeyValue, o *genai.Observation, conv Convention, capture bool) []attribute.KeyValue {
	op := otelOperation(o.Kind)
	if conv.Has(Tracekit) || (conv.Has(OTelGenAI) && op == "") {
		dst = tracekitObservation(dst, o, capture)
	}
	if conv.Has(OTelGenAI) && op != "" {
		dst = otelObservation(dst, o, op, capture)
	}
	if conv.Has(OpenInference) {
		dst = oiObservation(dst, o, capture)
	}
	return dst
}

func tracekitObservation(dst []attribute.KeyValue, o *genai.Observation, capture bool) []attribute.KeyValue {
	if capture {
		dst = appendValue(dst, KeyTracekitInput, KeyTracekitInputMime, o.Input)
		dst = appendValue(dst, KeyTracekitOutput, KeyTracekitOutputMime, o.Output)
		if o.ToolArguments.Set {
			dst = append(dst, KeyToolCallArguments.String(o.ToolArguments.Text))
		}
		dst = appendDocuments(dst, prefixTracekitDocuments, "", o.Documents)
	}
	dst = appendString(dst, KeyToolDescription, o.ToolDescription)
	dst = appendString(dst, KeyToolCallID, o.ToolCallID)
	dst = appendToolNames(dst, o.Tools)
	if len(o.Handoffs) > 0 {
		dst = append(dst, KeyTracekitAgentHandoffs.StringSlice(o.Handoffs))
	}
	return dst
}

func otelObservation(dst []attribute.KeyValue, o *genai.Observation, op string, capture bool) []attribute.KeyValue {
	switch op {
	case OpExecuteTool:
		dst = append(dst, KeyToolType.String("function"))
		dst = appendString(dst, KeyToolDescription, o.ToolDescription)
		dst = appendString(dst, KeyToolCallID, o.ToolCallID)
		if capture {
			args := o.ToolArguments
			if !args.Set {
				args = o.Input
			}
			if args.Set {
				dst = append(dst, KeyToolCallArguments.String(args.Text))
			}
			if o.Output.Set {
				dst = append(dst, KeyToolCallResult.String(o.Output.Text))
			}
		}
	case OpRetrieval:
		if capture {
			if o.Input.Set {
				dst = append(dst, KeyRetrievalQueryText.String(o.Input.Text))
			}
			dst = appendRetrievalDocuments(dst, o.Documents)
		}
	default: // invoke_agent, invoke_workflow
		if capture {
			if o.Input.Set {
				dst = appendJSON(dst, KeyInputMessages, []message{{Role: "user", Parts: []part{{Type: "text", Content: o.Input.Text}}}})
			}
			if o.Output.Set {
				dst = appendJSON(dst, KeyOutputMessages, []message{{Role: "assistant", Parts: []part{{Type: "text", Content: o.Output.Text}}, FinishReason: "stop"}})
			}
		}
		if len(o.Tools) > 0 {
			type def struct {
				Type        string `json:"type"`
				Name        string `json:"name"`
				Description string `json:"description,omitempty"`
			}
			defs := make([]def, len(o.Tools))
			for i, t := range o.Tools {
				defs[i] = def{Type: "function", Name: t.Name, Description: t.Description}
			}
			dst = appendJSON(dst, KeyToolDefinitions, defs)
		}
		if len(o.Handoffs) > 0 {
			dst = append(dst, KeyTracekitAgentHandoffs.StringSlice(o.Handoffs))
		}
	}
	return dst
}

// message and part are the GenAI conventions' message JSON (one text part).
type message struct {
	Role         string `json:"role"`
	Parts        []part `json:"parts"`
	FinishReason string `json:"finish_reason,omitempty"`
}

type part struct {
	Type    string `json:"type"`
	Content string `json:"content"`
}

func oiObservation(dst []attribute.KeyValue, o *genai.Observation, capture bool) []attribute.KeyValue {
	if capture {
		in := o.Input
		if !in.Set && o.Kind == genai.KindTool {
			in = o.ToolArguments
		}
		dst = appendValue(dst, KeyOIInputValue, KeyOIInputMimeType, in)
		dst = appendValue(dst, KeyOIOutputValue, KeyOIOutputMimeType, o.Output)
		prefix := prefixOIRetrieval
		if o.Kind == genai.KindReranker {
			prefix = prefixOIReranker
		}
		dst = appendDocuments(dst, prefix, "document.", o.Documents)
	}
	if o.Kind == genai.KindTool {
		dst = appendString(dst, KeyOIToolDesc, o.ToolDescription)
		dst = appendString(dst, KeyOIToolID, o.ToolCallID)
	}
	for i := range o.Tools {
		dst = append(dst, oiToolSchema.at(i).String(string(oiToolJSON(nil, &o.Tools[i]))))
	}
	if len(o.Handoffs) > 0 {
		dst = append(dst, KeyTracekitAgentHandoffs.StringSlice(o.Handoffs))
	}
	return dst
}

func appendValue(dst []attribute.KeyValue, k, mime attribute.Key, v genai.Value) []attribute.KeyValue {
	if !v.Set {
		return dst
	}
	m := MimeText
	if v.JSON {
		m = MimeJSON
	}
	return append(dst, k.String(v.Text), mime.String(m))
}

// appendRetrievalDocuments appends OTel GenAI's gen_ai.retrieval.documents,
// the documents' ids and scores as a JSON array, when there are documents.
func appendRetrievalDocuments(dst []attribute.KeyValue, docs []genai.Document) []attribute.KeyValue {
	if len(docs) == 0 {
		return dst
	}
	type doc struct {
		ID    string   `json:"id"`
		Score *float64 `json:"score,omitempty"`
	}
	out := make([]doc, 0, len(docs))
	for i := range docs {
		if d := &docs[i]; d.Score.Set { // the schema requires a score
			out = append(out, doc{ID: d.ID, Score: &d.Score.V})
		}
	}
	if len(out) == 0 {
		return dst
	}
	return appendJSON(dst, KeyRetrievalDocuments, out)
}

// appendDocuments appends <prefix><i>.<mid>{id,content,score,metadata}.
func appendDocuments(dst []attribute.KeyValue, prefix, mid string, docs []genai.Document) []attribute.KeyValue {
	for i := range docs {
		d := &docs[i]
		p := prefix + strconv.Itoa(i) + "." + mid
		dst = appendString(dst, attribute.Key(p+"id"), d.ID)
		dst = appendString(dst, attribute.Key(p+"content"), d.Content)
		if d.Score.Set {
			dst = append(dst, attribute.Key(p+"score").Float64(d.Score.V))
		}
		dst = appendString(dst, attribute.Key(p+"metadata"), d.Metadata)
	}
	return dst
}

func appendToolNames(dst []attribute.KeyValue, tools []genai.Tool) []attribute.KeyValue {
	if len(tools) == 0 {
		return dst
	}
	names := make([]string, len(tools))
	for i, t := range tools {
		names[i] = t.Name
	}
	return append(dst, KeyTracekitAgentTools.StringSlice(names))
}

func appendJSON(dst []attribute.KeyValue, k attribute.Key, v any) []attribute.KeyValue {
	b, err := json.Marshal(v)
	if err != nil {
		return dst
	}
	return append(dst, k.String(string(b)))
}

// ContextAttrs appends the attributes of a request context (package observe:
// WithUser, WithSession, WithOrganization, WithProject, WithMetadata,
// WithTags) to dst. Every span started below the context carries them.
//
//   - Tracekit: user.id, session.id, tracekit.organization.id,
//     tracekit.project.id, tracekit.metadata.<key>, tracekit.tags.
//   - OTelGenAI: user.id, gen_ai.conversation.id (the session),
//     tracekit.organization.id, tracekit.project.id, tracekit.metadata.<key>,
//     tracekit.tags.
//   - OpenInference: user.id, session.id, metadata (a JSON object of the
//     metadata), tag.tags, tracekit.organization.id, tracekit.project.id.
//
// LLM spans also carry the user as gen_ai.request.user when the request
// itself names none (the record's Request.User is filled by instr).
func ContextAttrs(dst []attribute.KeyValue, v *reqctx.Values, conv Convention) []attribute.KeyValue {
	if v.Empty() {
		return dst
	}
	dst = appendString(dst, KeyOIUserID, v.User)
	if conv.Has(Tracekit) || conv.Has(OpenInference) {
		dst = appendString(dst, KeyOISessionID, v.Session)
	}
	if conv.Has(OTelGenAI) {
		dst = appendString(dst, KeyConversationID, v.Session)
	}
	dst = appendString(dst, KeyTracekitOrganizationID, v.Organization)
	dst = appendString(dst, KeyTracekitProjectID, v.Project)
	if conv.Has(Tracekit) || conv.Has(OTelGenAI) {
		if len(v.Metadata) > 0 {
			keys := make([]string, 0, len(v.Metadata))
			for k := range v.Metadata {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				dst = append(dst, attribute.Key(prefixTracekitMetadata+k).String(v.Metadata[k]))
			}
		}
		if len(v.Tags) > 0 {
			dst = append(dst, KeyTracekitTags.StringSlice(v.Tags))
		}
	}
	if conv.Has(OpenInference) {
		if len(v.Metadata) > 0 {
			dst = appendJSON(dst, KeyOIMetadata, v.Metadata)
		}
		if len(v.Tags) > 0 {
			dst = append(dst, KeyOITags.StringSlice(v.Tags))
		}
	}
	return dst
}

// CostAttrs appends the cost of an LLM call to dst: llm.cost.prompt,
// llm.cost.completion and llm.cost.total for OpenInference; for Tracekit and
// OTelGenAI the tracekit extension gen_ai.usage.cost (the total). Every
// convention also gets gen_ai.usage.cost.currency when the price names one.
func CostAttrs(dst []attribute.KeyValue, c genai.Cost, conv Convention) []attribute.KeyValue {
	if conv.Has(Tracekit) || conv.Has(OTelGenAI) {
		dst = append(dst, KeyUsageCost.Float64(c.Total))
	}
	if conv.Has(OpenInference) {
		dst = append(dst, KeyOICostPrompt.Float64(c.Prompt), KeyOICostCompletion.Float64(c.Completion), KeyOICostTotal.Float64(c.Total))
	}
	return appendString(dst, KeyUsageCostCurrency, c.Currency)
}

// CostMetricAttrs appends the currency of a gen_ai.client.cost data point to
// dst, which holds the call's metric attributes (Renderer.Metric).
func CostMetricAttrs(dst []attribute.KeyValue, cost genai.Cost) []attribute.KeyValue {
	return appendString(dst, KeyUsageCostCurrency, cost.Currency)
}
