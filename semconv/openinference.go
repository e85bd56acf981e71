package semconv

import (
	"strings"

	"go.opentelemetry.io/otel/attribute"

	"github.com/tracekit-go/tracekit/internal/genai"
	"github.com/tracekit-go/tracekit/internal/safeurl"
)

// OpenInference (Arize Phoenix).

func oiRequest(dst []attribute.KeyValue, c *genai.Call, capture bool) []attribute.KeyValue {
	r := &c.Request
	if c.Operation == genai.OpRetrieval {
		dst = append(dst, KeyOISpanKind.String(OISpanKindRetriever))
		if capture && len(r.Messages) > 0 && r.Messages[0].HasContent {
			dst = append(dst, KeyOIInputValue.String(r.Messages[0].Content), KeyOIInputMimeType.String(MimeText))
		}
	} else if c.Operation == genai.OpRerank {
		dst = append(dst, KeyOISpanKind.String(OISpanKindReranker))
		dst = appendString(dst, KeyOIRerankerModelName, r.Model)
		if r.TopK.Set && r.TopK.V >= 0 && r.TopK.V <= 1<<31 { // (a count: not one outside int32)
			dst = append(dst, KeyOIRerankerTopK.Int64(int64(r.TopK.V)))
		}
		if capture {
			if len(r.Messages) > 0 && r.Messages[0].HasContent {
				q := r.Messages[0].Content
				dst = append(dst, KeyOIRerankerQuery.String(q), KeyOIInputValue.String(q), KeyOIInputMimeType.String(MimeText))
			}
			dst = appendDocuments(dst, prefixOIRerankerIn, "document.", r.Documents)
		}
	} else if c.Operation == genai.OpEmbeddings {
		dst = append(dst, KeyOISpanKind.String(OISpanKindEmbedding))
		dst = appendString(dst, KeyOIEmbeddingModelName, r.Model)
		if capture {
			for i := range r.Messages {
				if m := &r.Messages[i]; m.HasContent {
					dst = append(dst, oiEmbedText.at(i).String(m.Content))
				}
			}
		}
	} else if c.Operation == genai.OpInvokeWorkflow {
		// A CHAIN span: its input and output values only (llm.* are an
		// LLM span's).
		dst = append(dst, KeyOISpanKind.String(OISpanKindChain))
	} else if c.Operation == genai.OpApplyGuardrail || c.Operation == genai.OpModeration {
		// A GUARDRAIL span: its input and output values (the content
		// checked, and what a guardrail returned in its place); a
		// moderation's model too (a Bedrock guardrail has none).
		dst = append(dst, KeyOISpanKind.String(OISpanKindGuardrail))
		if c.Operation == genai.OpModeration {
			dst = appendString(dst, KeyOIModelName, r.Model)
		}
	} else {
		kind := OISpanKindLLM
		if c.Operation == genai.OpInvokeAgent {
			kind = OISpanKindAgent
		}
		dst = append(dst, KeyOISpanKind.String(kind))
		dst = appendString(dst, KeyOILLMSystem, oiSystem(c))
		dst = append(dst, KeyOILLMProvider.String(oiProvider(c)))
		dst = appendString(dst, KeyOIModelName, r.Model)
		for i := range r.Messages {
			m := &r.Messages[i]
			dst = append(dst, oiInRole.at(i).String(m.Role))
			if capture && len(m.Parts) > 0 && m.ToolCallID == "" {
				dst = appendOIContents(dst, i, m.Parts)
			} else if capture && m.HasContent {
				dst = append(dst, oiInContent.at(i).String(m.Content))
			}
			dst = appendString(dst, oiInToolCallID.at(i), m.ToolCallID)
			dst = appendToolCalls(dst, oiInToolCalls, i, m.ToolCalls, capture)
		}
		for i := range r.Tools {
			dst = append(dst, oiToolSchema.at(i).String(string(oiToolJSON(nil, &r.Tools[i]))))
		}
	}
	switch c.Operation {
	case genai.OpRetrieval, genai.OpInvokeWorkflow, genai.OpRerank, genai.OpApplyGuardrail, genai.OpModeration: // no model to parameterize (a reranker's are reranker.*), or not an LLM span
	case genai.OpEmbeddings:
		dst = append(dst, KeyOIEmbeddingInvocationParameters.String(string(invocationParamsJSON(nil, c))))
	default:
		dst = append(dst, KeyOIInvocationParameters.String(string(invocationParamsJSON(nil, c))))
	}
	dst = appendString(dst, KeyOIUserID, r.User)
	session := r.SessionID
	if session == "" {
		session = r.ConversationID
	}
	dst = appendString(dst, KeyOISessionID, session)
	if capture && len(r.Messages) > 0 && c.Operation != genai.OpRetrieval && c.Operation != genai.OpRerank { // (theirs is their query)
		dst = append(dst,
			KeyOIInputValue.String(string(oiMessagesJSON(nil, r.Messages))),
			KeyOIInputMimeType.String(MimeJSON))
	}
	return dst
}

func oiResponse(dst []attribute.KeyValue, c *genai.Call, capture bool) []attribute.KeyValue {
	r := &c.Response
	if c.Operation == genai.OpEmbeddings {
		dst = appendString(dst, KeyOIEmbeddingModelName, r.Model)
		if capture {
			for _, e := range r.Embeddings {
				dst = append(dst, oiEmbedVector.at(e.Index).Float64Slice(e.Vector))
			}
		}
	} else if c.Operation == genai.OpRerank {
		if capture {
			dst = appendDocuments(dst, prefixOIReranker, "document.", r.Documents)
		}
	} else if c.Operation == genai.OpModeration {
		dst = appendString(dst, KeyOIModelName, r.Model) // (the model that answered)
	} else if c.Operation != genai.OpInvokeWorkflow && c.Operation != genai.OpApplyGuardrail { // (CHAIN and GUARDRAIL spans: output.value only)
		dst = appendString(dst, KeyOIModelName, r.Model)
		for i := range r.Choices {
			ch := &r.Choices[i]
			dst = append(dst, oiOutRole.at(i).String(roleOr(ch.Role)))
			if capture && ch.HasContent {
				dst = append(dst, oiOutContent.at(i).String(ch.Content))
			}
			dst = appendToolCalls(dst, oiOutToolCalls, i, ch.ToolCalls, capture)
		}
		if len(r.Choices) > 0 && r.Choices[0].FinishReason != "" {
			dst = append(dst, KeyOIFinishReason.String(r.Choices[0].FinishReason))
		}
		if capture {
			dst = appendDocuments(dst, prefixOIRetrieval, "document.", r.Documents)
		}
	}
	u := &r.Usage
	in := inputWithCache(c) // the prompt count includes cached tokens
	dst = appendInt(dst, KeyOITokensPrompt, in)
	dst = appendInt(dst, KeyOITokensCompletion, u.OutputTokens)
	if in.Set || u.OutputTokens.Set {
		dst = append(dst, KeyOITokensTotal.Int64(in.V+u.OutputTokens.V))
	}
	dst = appendInt(dst, KeyOITokensCacheRead, u.CacheReadInputTokens)
	dst = appendInt(dst, KeyOITokensCacheWrite, u.CacheWriteInputTokens)
	dst = appendInt(dst, KeyOITokensReasoning, u.ReasoningTokens)
	if capture && len(r.Choices) > 0 {
		if ch := &r.Choices[0]; len(r.Choices) == 1 && ch.HasContent && len(ch.ToolCalls) == 0 {
			dst = append(dst, KeyOIOutputValue.String(ch.Content), KeyOIOutputMimeType.String(MimeText))
		} else {
			dst = append(dst, KeyOIOutputValue.String(string(outputMessagesJSON(nil, r.Choices, agentFinish(c)))), KeyOIOutputMimeType.String(MimeJSON))
		}
	}
	return dst
}

// oiProviders are OpenInference's llm.provider values of the providers
// that serve OpenAI's API.
var oiProviders = map[string]string{
	genai.HostingAzure:          "azure",
	genai.HostingAzureInference: "azure",
	genai.HostingBedrock:        "aws",
	genai.HostingAnthropic:      "anthropic",
	genai.HostingCohere:         "cohere",
	genai.HostingDeepSeek:       "deepseek",
	genai.HostingGemini:         "google",
	genai.HostingVertexAI:       "google",
	genai.HostingGroq:           "groq",
	genai.HostingMistral:        "mistralai",
	genai.HostingPerplexity:     "perplexity",
	genai.HostingXAI:            "xai",
}

// oiProvider returns OpenInference's llm.provider: the hosting provider
// ("aws" for Bedrock, "azure" for OpenAI's API on Azure, "groq" for Groq's,
// ...).
func oiProvider(c *genai.Call) string {
	if c.Provider == genai.ProviderBedrock {
		return "aws"
	}
	if p, ok := oiProviders[c.Hosting]; ok {
		return p
	}
	return c.Provider
}

// oiSystem returns llm.system: the API shape for OpenAI, the model vendor
// for Bedrock (anthropic, meta, amazon, mistralai, cohere, ai21, deepseek),
// as OpenInference's Bedrock instrumentation does. A Bedrock model id that
// names no vendor (an application inference profile, provisioned or
// imported model ARN) takes the vendor the request body was read as; ""
// (no attribute) when that is unknown too.
func oiSystem(c *genai.Call) string {
	if c.Provider != genai.ProviderBedrock {
		return c.Provider
	}
	v := bedrockVendor(c.Request.Model)
	if v == "" {
		v = c.Request.ModelVendor
	}
	if v == "mistral" {
		return "mistralai"
	}
	return v
}

// bedrockVendor returns the vendor prefix of a Bedrock model id ("anthropic"
// for "us.anthropic.claude-..." or a foundation-model or inference-profile
// ARN of it); "" when the id has none.
func bedrockVendor(id string) string {
	if i := strings.LastIndexByte(id, '/'); i >= 0 { // ARN
		id = id[i+1:]
	}
	for {
		dot := strings.IndexByte(id, '.')
		if dot <= 0 {
			return ""
		}
		switch p := id[:dot]; p {
		case "us", "eu", "apac", "global", "us-gov", "ca", "jp", "au":
			id = id[dot+1:] // cross-region inference profile
		default:
			return p
		}
	}
}

// invocationParamsJSON renders llm.invocation_parameters: the request
// parameters other than messages and tools.
func invocationParamsJSON(b []byte, c *genai.Call) []byte {
	r := &c.Request
	var o jsonObject
	o.open(b)
	if r.Model != "" {
		o.str("model", r.Model)
	}
	floatParam := func(k string, v genai.Float) {
		if v.Set {
			o.float(k, v.V)
		}
	}
	intParam := func(k string, v genai.Int) {
		if v.Set {
			o.int(k, v.V)
		}
	}
	floatParam("temperature", r.Temperature)
	floatParam("top_p", r.TopP)
	floatParam("top_k", r.TopK)
	intParam("max_tokens", r.MaxTokens)
	floatParam("presence_penalty", r.PresencePenalty)
	floatParam("frequency_penalty", r.FrequencyPenalty)
	intParam("seed", r.Seed)
	intParam("n", r.ChoiceCount)
	intParam("dimensions", r.Dimensions)
	if r.ResponseFormat != "" {
		o.str("response_format", r.ResponseFormat)
	}
	if r.ServiceTier != "" {
		o.str("service_tier", r.ServiceTier)
	}
	if len(r.StopSequences) > 0 {
		o.key("stop")
		o.b = appendStrings(o.b, r.StopSequences)
	}
	if len(r.EncodingFormats) > 0 {
		o.key("encoding_format")
		o.b = appendStrings(o.b, r.EncodingFormats)
	}
	if c.Streaming {
		o.key("stream")
		o.b = append(o.b, "true"...)
	}
	return o.close()
}

func appendStrings(b []byte, ss []string) []byte {
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, s)
	}
	return append(b, ']')
}

// oiToolJSON renders a tool definition in OpenAI's function-tool shape for
// llm.tools.<i>.tool.json_schema.
func oiToolJSON(b []byte, t *genai.Tool) []byte {
	var o jsonObject
	o.open(b)
	o.str("type", functionOr(t.Type))
	o.key("function")
	var f jsonObject
	f.open(o.b)
	if t.Name != "" {
		f.str("name", t.Name)
	}
	appendToolSchema(&f, t)
	o.b = f.close()
	return o.close()
}

// oiMessagesJSON renders input.value: the prompt as a JSON array of
// {role, content, tool_call_id, tool_calls}.
func oiMessagesJSON(b []byte, msgs []genai.Message) []byte {
	b = append(b, '[')
	for i := range msgs {
		m := &msgs[i]
		if i > 0 {
			b = append(b, ',')
		}
		var o jsonObject
		o.open(b)
		o.str("role", m.Role)
		if m.HasContent {
			o.str("content", m.Content)
		}
		if m.ToolCallID != "" {
			o.str("tool_call_id", m.ToolCallID)
		}
		if len(m.ToolCalls) > 0 {
			o.key("tool_calls")
			o.b = append(o.b, '[')
			for j := range m.ToolCalls {
				if j > 0 {
					o.b = append(o.b, ',')
				}
				o.b = appendToolCallPart(o.b, &m.ToolCalls[j])
			}
			o.b = append(o.b, ']')
		}
		b = o.close()
	}
	return append(b, ']')
}

// appendOIContents appends a prompt message's parts as its
// message.contents: text, and images by URL (a data URL for inline data up
// to MaxInlineData); audio, video and documents by their modality only.
func appendOIContents(dst []attribute.KeyValue, i int, parts []genai.Part) []attribute.KeyValue {
	for k := range parts {
		p := &parts[k]
		switch {
		case p.Kind == genai.PartText:
			dst = append(dst,
				oiInContentKey(i, k, oiContentType).String(OIContentText),
				oiInContentKey(i, k, oiContentText).String(p.Text))
		case p.Modality == genai.ModalityImage:
			dst = append(dst, oiInContentKey(i, k, oiContentType).String(OIContentImage))
			if url := oiImageURL(p); url != "" {
				dst = append(dst, oiInContentKey(i, k, oiContentImageURL).String(url))
			}
		default:
			modality := p.Modality
			if modality == "" {
				modality = genai.ModalityDocument
			}
			dst = append(dst, oiInContentKey(i, k, oiContentType).String(modality))
		}
	}
	return dst
}

// oiImageURL is the URL of an image part: its URI (credentials removed),
// or its inline data as a data URL; "" for a file id, or a URI or data
// above MaxInlineData.
func oiImageURL(p *genai.Part) string {
	switch p.Kind {
	case genai.PartURI:
		if len(p.URI) > MaxInlineData {
			return ""
		}
		return safeurl.Media(p.URI)
	case genai.PartBlob:
		if p.Unkept || inlineDataLen(p) > MaxInlineData {
			return ""
		}
		b := append([]byte("data:"), p.MimeType...)
		b = append(b, ";base64,"...)
		return string(appendBase64(b, p))
	}
	return ""
}
