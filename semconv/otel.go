package semconv

import (
	"encoding/base64"

	"go.opentelemetry.io/otel/attribute"

	"github.com/tracekit-go/tracekit/internal/genai"
	"github.com/tracekit-go/tracekit/internal/safeurl"
)

// OpenTelemetry GenAI semantic conventions v1.41.0.

// providerName returns gen_ai.provider.name: for OpenAI's API served by
// another (c.Hosting), azure.ai.openai for Azure, else the hosting's name
// (aws.bedrock, groq, ...: genai's Hosting values are the conventions'
// provider names); else the record's provider.
func providerName(c *genai.Call) string {
	if c.Provider == genai.ProviderOpenAI && c.Hosting != "" {
		if c.Hosting == genai.HostingAzure {
			return providerAzureOpenAI
		}
		return c.Hosting
	}
	return c.Provider
}

func otelRequest(dst []attribute.KeyValue, c *genai.Call, capture, shared bool) []attribute.KeyValue {
	r := &c.Request
	if shared {
		dst = append(dst, KeyOperationName.String(c.Operation))
		dst = appendShared(dst, c)
		dst = appendString(dst, KeyConversationID, r.SessionID)
	}
	dst = append(dst, KeyProviderName.String(providerName(c)))
	dst = appendImplicitPort(dst, c)
	if c.Provider == genai.ProviderOpenAI {
		dst = appendInt(dst, KeyRequestSeed, r.Seed) // (others': see appendShared)
	}
	if r.ChoiceCount.Set && r.ChoiceCount.V != 1 {
		dst = append(dst, KeyRequestChoiceCount.Int64(r.ChoiceCount.V))
	}
	if len(r.StopSequences) > 0 {
		dst = append(dst, KeyRequestStopSeqs.StringSlice(r.StopSequences))
	}
	if c.Streaming {
		dst = append(dst, KeyRequestStream.Bool(true))
	}
	switch r.ResponseFormat {
	case "":
		dst = appendString(dst, KeyOutputType, r.OutputType)
	case "text":
		dst = append(dst, KeyOutputType.String("text"))
	case "json_object", "json_schema":
		dst = append(dst, KeyOutputType.String("json"))
	}
	if providerName(c) == genai.ProviderOpenAI { // openai.* are the OpenAI span's
		switch c.API {
		case apiChatCompletions:
			dst = append(dst, KeyOpenAIAPIType.String(OpenAIAPIChatCompletions))
		case "responses":
			dst = append(dst, KeyOpenAIAPIType.String(OpenAIAPIResponses))
		}
		if r.ServiceTier != "auto" {
			dst = appendString(dst, KeyOpenAIReqTier, r.ServiceTier)
		}
	}
	if r.ConversationID != "" && r.SessionID == "" {
		dst = append(dst, KeyConversationID.String(r.ConversationID))
	}
	if len(r.Tools) > 0 {
		dst = append(dst, KeyToolDefinitions.String(string(toolDefinitionsJSON(nil, r.Tools, capture))))
	}
	if c.Operation == genai.OpRerank {
		// No messages. The GenAI conventions name no attribute for a
		// reranker's query and documents: alone, they fall back to
		// tracekit's (as application spans of kinds they have no
		// operation for do).
		if capture && shared {
			if len(r.Messages) > 0 && r.Messages[0].HasContent {
				dst = append(dst, KeyTracekitInput.String(r.Messages[0].Content), KeyTracekitInputMime.String(MimeText))
			}
			dst = appendDocuments(dst, prefixTracekitInputDocuments, "", r.Documents)
		}
		return dst
	}
	if capture && shared && c.Operation == genai.OpApplyGuardrail {
		// A contextual grounding check's reference documents: no GenAI
		// attribute for them either (see the reranker's above).
		dst = appendDocuments(dst, prefixTracekitInputDocuments, "", r.Documents)
	}
	if c.Operation == genai.OpRetrieval { // a query and documents, no messages
		dst = appendString(dst, KeyDataSourceID, r.KnowledgeBaseID)
		if capture && len(r.Messages) > 0 && r.Messages[0].HasContent {
			dst = append(dst, KeyRetrievalQueryText.String(r.Messages[0].Content))
		}
		return dst
	}
	if capture && c.Operation != genai.OpEmbeddings { // embeddings spans carry no messages
		if b := systemInstructionsJSON(nil, r.Messages); b != nil {
			dst = append(dst, KeySystemInstructions.String(string(b)))
		}
		if b := inputMessagesJSON(nil, r.Messages); b != nil {
			dst = append(dst, KeyInputMessages.String(string(b)))
		}
	}
	return dst
}

func otelResponse(dst []attribute.KeyValue, c *genai.Call, capture, shared bool) []attribute.KeyValue {
	r := &c.Response
	if shared {
		dst = appendSharedResponse(dst, c, Renderer{Conventions: OTelGenAI}.InputTokens(c), r.Usage.OutputTokens)
	}
	if providerName(c) == genai.ProviderOpenAI { // openai.* are the OpenAI span's
		dst = appendString(dst, KeyOpenAIRespTier, r.ServiceTier)
		dst = appendString(dst, KeyOpenAIRespFP, r.SystemFingerprint)
	}
	if capture && len(r.Choices) > 0 {
		dst = append(dst, KeyOutputMessages.String(string(outputMessagesJSON(nil, r.Choices, agentFinish(c)))))
	}
	if capture && c.Operation == genai.OpRetrieval { // (a retrieval span's attribute, not a chat span's)
		dst = appendRetrievalDocuments(dst, r.Documents)
	}
	if capture && shared && c.Operation == genai.OpRerank { // (see otelRequest)
		dst = appendDocuments(dst, prefixTracekitDocuments, "", r.Documents)
	}
	return dst
}

// agentFinish is the finish reason of an agent's answer, which has none of
// its own: the stop reason of its last model step, or stop when the call
// succeeded without one. An answer whose API states no reason
// (Response.Unreasoned) finishes with stop too. "" for other calls, whose
// choices tell.
func agentFinish(c *genai.Call) string {
	if c.Err != nil {
		return ""
	}
	if c.Response.Unreasoned {
		return "stop"
	}
	if c.Operation != genai.OpInvokeAgent {
		return ""
	}
	if fr := c.Response.FinishReasons; len(fr) > 0 {
		return fr[len(fr)-1]
	}
	return "stop"
}

// appendImplicitPort appends server.port when server.address is set and the
// port was left out for being the default one: the GenAI conventions require
// server.port whenever server.address is set (Tracekit omits it).
func appendImplicitPort(dst []attribute.KeyValue, c *genai.Call) []attribute.KeyValue {
	if c.ServerAddress != "" && c.ServerPort <= 0 && c.ImplicitPort > 0 {
		dst = append(dst, KeyServerPort.Int(c.ImplicitPort))
	}
	return dst
}

// toolDefinitionsJSON renders gen_ai.tool.definitions: the flattened
// FunctionToolDefinition / GenericToolDefinition shape. The description and
// the parameters are written only when content is captured: the schema says
// they are "NOT RECOMMENDED to be populated by default", and the spec's
// example of a span without content capture has only type and name.
func toolDefinitionsJSON(b []byte, tools []genai.Tool, capture bool) []byte {
	b = append(b, '[')
	for i := range tools {
		t := &tools[i]
		if i > 0 {
			b = append(b, ',')
		}
		var o jsonObject
		o.open(b)
		typ := functionOr(t.Type)
		o.str("type", typ)
		name := t.Name
		if name == "" {
			name = typ
		}
		o.str("name", name)
		if capture {
			appendToolSchema(&o, t)
		}
		b = o.close()
	}
	return append(b, ']')
}

// appendToolSchema writes the description and the parameters of a tool
// definition to o, each when the tool has one.
func appendToolSchema(o *jsonObject, t *genai.Tool) {
	if t.Description != "" {
		o.str("description", t.Description)
	}
	if t.Parameters != "" {
		o.key("parameters")
		o.b = appendJSONValue(o.b, t.Parameters)
	}
}

// systemInstructionsJSON renders the system messages that came from a
// separate instructions field as gen_ai.system_instructions (text parts);
// nil when there are none.
func systemInstructionsJSON(b []byte, msgs []genai.Message) []byte {
	n := 0
	for i := range msgs {
		m := &msgs[i]
		if !m.Instructions || !m.HasContent {
			continue
		}
		if n == 0 {
			b = append(b, '[')
		} else {
			b = append(b, ',')
		}
		n++
		b = appendTextPart(b, m.Content)
	}
	if n == 0 {
		return nil
	}
	return append(b, ']')
}

func appendTextPart(b []byte, text string) []byte { return appendContentPart(b, "text", text) }

// appendReasoningPart appends a ReasoningPart: the model's reasoning text.
func appendReasoningPart(b []byte, text string) []byte {
	return appendContentPart(b, "reasoning", text)
}

func appendContentPart(b []byte, typ, text string) []byte {
	var o jsonObject
	o.open(b)
	o.str("type", typ)
	o.str("content", text)
	return o.close()
}

// inputMessagesJSON renders gen_ai.input.messages (ChatMessage items with
// parts); messages from a separate instructions field are left to
// gen_ai.system_instructions. nil when there is no message.
func inputMessagesJSON(b []byte, msgs []genai.Message) []byte {
	n := 0
	for i := range msgs {
		m := &msgs[i]
		if m.Instructions {
			continue
		}
		if n == 0 {
			b = append(b, '[')
		} else {
			b = append(b, ',')
		}
		n++
		var o jsonObject
		o.open(b)
		o.str("role", m.Role)
		o.key("parts")
		o.b = append(o.b, '[')
		parts := 0
		sep := func() {
			if parts > 0 {
				o.b = append(o.b, ',')
			}
			parts++
		}
		if m.ToolCallID != "" {
			sep()
			var p jsonObject
			p.open(o.b)
			p.str("type", "tool_call_response")
			p.str("id", m.ToolCallID)
			p.key("response")
			if m.HasContent {
				p.b = appendJSONString(p.b, m.Content)
			} else {
				p.b = append(p.b, "null"...)
			}
			o.b = p.close()
			for j := range m.Parts { // what the tool returned that is not text
				if m.Parts[j].Kind != genai.PartText {
					sep()
					o.b = appendPart(o.b, &m.Parts[j])
				}
			}
		} else if len(m.Parts) > 0 {
			for j := range m.Parts {
				sep()
				o.b = appendPart(o.b, &m.Parts[j])
			}
		} else if m.HasContent {
			sep()
			o.b = appendTextPart(o.b, m.Content)
		}
		for j := range m.ToolCalls {
			sep()
			o.b = appendToolCallPart(o.b, &m.ToolCalls[j])
		}
		o.b = append(o.b, ']')
		b = o.close()
	}
	if n == 0 {
		return nil
	}
	return append(b, ']')
}

// MaxInlineData is the largest inline media data (an image, audio, a
// document sent in the request, base64-encoded) that a span records, in
// bytes of base64: 32,000, OpenInference's default; and the longest media
// URI. Larger data or URIs are left out (the part is recorded without
// them), so that one call's attachments do not make its span, and the
// export batch it travels in, too large to send.
const MaxInlineData = 32000

// inlineDataLen is the length of a blob part's data in base64.
func inlineDataLen(p *genai.Part) int {
	switch {
	case p.Bytes != nil:
		return base64.StdEncoding.EncodedLen(len(p.Bytes))
	case p.Data == "" && p.Text != "":
		return base64.StdEncoding.EncodedLen(len(p.Text))
	}
	return len(p.Data)
}

// appendBase64 appends a blob part's data in base64.
func appendBase64(b []byte, p *genai.Part) []byte {
	switch {
	case p.Bytes != nil:
		return base64.StdEncoding.AppendEncode(b, p.Bytes)
	case p.Data == "" && p.Text != "":
		return base64.StdEncoding.AppendEncode(b, []byte(p.Text))
	}
	return append(b, p.Data...)
}

// appendInlineData appends a blob part's data in base64, as a JSON string.
func appendInlineData(b []byte, p *genai.Part) []byte {
	if p.Bytes == nil && p.Text == "" {
		return appendJSONString(b, p.Data) // as received: escape what needs it
	}
	b = append(b, '"')
	b = appendBase64(b, p)
	return append(b, '"')
}

// appendPart appends a content part: text, or a blob (inline data, left
// out above MaxInlineData), uri (credentials removed; left out above
// MaxInlineData) or file part.
func appendPart(b []byte, p *genai.Part) []byte {
	if p.Kind == genai.PartText {
		return appendTextPart(b, p.Text)
	}
	var o jsonObject
	o.open(b)
	o.str("type", p.Kind)
	modality := p.Modality
	if modality == "" {
		modality = genai.ModalityDocument
	}
	o.str("modality", modality)
	if p.MimeType != "" {
		o.str("mime_type", p.MimeType)
	}
	switch p.Kind {
	case genai.PartBlob:
		if !p.Unkept && inlineDataLen(p) <= MaxInlineData {
			o.key("content")
			o.b = appendInlineData(o.b, p)
		}
	case genai.PartURI:
		if len(p.URI) <= MaxInlineData {
			o.str("uri", safeurl.Media(p.URI))
		}
	case genai.PartFile:
		o.str("file_id", p.FileID)
	}
	return o.close()
}

func appendToolCallPart(b []byte, tc *genai.ToolCall) []byte {
	var p jsonObject
	p.open(b)
	p.str("type", "tool_call")
	if tc.ID != "" {
		p.str("id", tc.ID)
	}
	p.str("name", tc.Name)
	if tc.Arguments != "" {
		p.key("arguments")
		p.b = appendJSONObjectValue(p.b, tc.Arguments)
	}
	return p.close()
}

// appendServerToolCallPart appends a ServerToolCallPart: a built-in tool
// the provider ran, its details an object with the tool's type.
func appendServerToolCallPart(b []byte, tc *genai.ToolCall) []byte {
	var p jsonObject
	p.open(b)
	p.str("type", "server_tool_call")
	if tc.ID != "" {
		p.str("id", tc.ID)
	}
	p.str("name", tc.Name)
	p.key("server_tool_call")
	var d jsonObject
	d.open(p.b)
	d.str("type", tc.Type)
	if tc.Arguments != "" {
		// What the model asked of the tool (a search's action, the code
		// run, ...): its members sit beside the type, as in the
		// conventions' example; text that is no JSON object (a redactor
		// may have made it so) is "arguments".
		if m, ok := objectMembers(tc.Arguments); ok && !hasMember(tc.Arguments, "type") {
			if m != "" {
				d.b = append(append(d.b, ','), m...)
				d.first = false
			}
		} else {
			d.key("arguments")
			d.b = appendJSONObjectValue(d.b, tc.Arguments)
		}
	}
	p.b = d.close()
	return p.close()
}

// outputMessagesJSON renders gen_ai.output.messages: one OutputMessage per
// choice, with the finish reason normalized to the convention's enum
// (fallback for a choice that has none, when not "").
func outputMessagesJSON(b []byte, choices []genai.Choice, fallback string) []byte {
	b = append(b, '[')
	for i := range choices {
		ch := &choices[i]
		if i > 0 {
			b = append(b, ',')
		}
		var o jsonObject
		o.open(b)
		o.str("role", roleOr(ch.Role))
		o.key("parts")
		o.b = append(o.b, '[')
		parts := 0
		if ch.Reasoning != "" {
			o.b = appendReasoningPart(o.b, ch.Reasoning)
			parts++
		}
		for j := range ch.ServerToolCalls {
			if parts > 0 {
				o.b = append(o.b, ',')
			}
			parts++
			o.b = appendServerToolCallPart(o.b, &ch.ServerToolCalls[j])
		}
		for j := range ch.Media {
			if parts > 0 {
				o.b = append(o.b, ',')
			}
			parts++
			o.b = appendPart(o.b, &ch.Media[j])
		}
		if ch.HasContent {
			if parts > 0 {
				o.b = append(o.b, ',')
			}
			o.b = appendTextPart(o.b, ch.Content)
			parts++
		}
		for j := range ch.ToolCalls {
			if parts > 0 {
				o.b = append(o.b, ',')
			}
			parts++
			o.b = appendToolCallPart(o.b, &ch.ToolCalls[j])
		}
		o.b = append(o.b, ']')
		reason := ch.FinishReason
		if reason == "" && fallback != "" {
			reason = fallback
		}
		o.str("finish_reason", normalizeFinishReason(reason))
		b = o.close()
	}
	return append(b, ']')
}

// normalizeFinishReason maps provider finish reasons to the values of the
// OTel output-message schema (stop, length, content_filter, tool_call,
// error). Covered: OpenAI chat and completions (and the OpenAI-compatible
// APIs: Mistral, AI21 Jamba, DeepSeek, gpt-oss), the Responses API (status
// and incomplete reason), Anthropic Claude, Bedrock Converse and Nova,
// Llama, Titan Text and Cohere Command R. Other values pass through: Claude's
// pause_turn (a long turn paused, to be resumed: none of the enum's),
// Titan's RAG_QUERY_WHEN_RAG_DISABLED, a response still in_progress or
// queued.
func normalizeFinishReason(r string) string {
	switch r {
	case "", "error", "failed", "cancelled", // no reason (the choice never finished); Responses statuses
		"ERROR", "USER_CANCEL", // Cohere: generation failed or cancelled
		"malformed_model_output", "malformed_tool_use", // Converse: unusable output
		"insufficient_system_resource": // DeepSeek
		return "error"
	case "stop", "end_turn", "stop_sequence", "COMPLETE", "FINISH", "eos_token", "completed",
		"SUCCESS",                       // a Bedrock flow's completion
		"STOP_SEQUENCE",                 // Cohere
		"FINISHED", "STOP_CRITERIA_MET": // Titan Text
		return "stop"
	case "length", "max_tokens", "LENGTH", "MAX_TOKENS", "incomplete", "max_output_tokens", "model_context_window_exceeded",
		"model_length", // Mistral: the model's context length
		"ERROR_LIMIT":  // Cohere: the model's context limit was reached
		return "length"
	case "tool_calls", "tool_use", "function_call", "TOOL_CALL":
		return "tool_call"
	case "content_filter", "content_filtered", "guardrail_intervened", "CONTENT_FILTERED", "refusal",
		"ERROR_TOXIC": // Cohere: the reply was found toxic
		return "content_filter"
	}
	return r
}
