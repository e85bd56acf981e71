package bedrocktrace

// InvokeModel and InvokeModelWithResponseStream: the model family decides how
// the request body, the response body and the stream chunks are read.

import (
	"strings"

	"github.com/tidwall/gjson"

	"github.com/tracekit-go/tracekit/internal/genai"
)

// family is an InvokeModel body format.
type family uint8

const (
	famUnknown  family = iota
	famClaude          // Anthropic Claude, messages API
	famLlama           // Meta Llama 2/3/4
	famTitan           // Amazon Titan Text
	famNova            // Amazon Nova, messages-v1
	famMistral         // Mistral: text (prompt/outputs) and chat (messages/choices)
	famCohere          // Cohere Command R / R+
	famJamba           // AI21 Jamba (chat completions)
	famDeepSeek        // DeepSeek: text (prompt/choices[].text) and chat
	famOpenAI          // OpenAI gpt-oss (chat completions)
	// famTextPrompt is a body sniffed as a bare text prompt that could be
	// Llama's or Mistral's: the response's shape decides ("generation" is
	// Llama's, "outputs" Mistral's).
	famTextPrompt
	famTitanEmbed  // Amazon Titan Embeddings (text v1/v2, multimodal G1): embeddings
	famCohereEmbed // Cohere Embed v3/v4: embeddings
	famRerank      // Amazon Rerank, Cohere Rerank: rerank
	famImage       // Titan Image Generator, Nova Canvas, Stability: generate_content (images)
)

// vendor returns the vendor of a family's models as their Bedrock model ids
// name it (the prefix of "anthropic.claude-..."); "" for the families whose
// body format several vendors share.
func (f family) vendor() string {
	switch f {
	case famClaude:
		return "anthropic"
	case famLlama:
		return "meta"
	case famTitan, famNova, famTitanEmbed:
		return "amazon"
	case famMistral:
		return "mistral"
	case famCohere, famCohereEmbed:
		return "cohere"
	}
	return ""
}

// familyOf picks the family from a model id: a bare id
// ("anthropic.claude-3-5-sonnet-20240620-v1:0"), a cross-region inference
// profile ("us.", "eu.", "apac.", "global." ... prefixes) or an ARN (whose
// resource part holds one of those).
func familyOf(model string) family {
	if i := strings.LastIndexByte(model, '/'); i >= 0 && strings.HasPrefix(model, "arn:") {
		model = model[i+1:]
	}
	switch {
	case strings.Contains(model, "amazon.nova-canvas"), strings.Contains(model, "amazon.titan-image"), strings.Contains(model, "stability."):
		return famImage
	case strings.Contains(model, "amazon.nova-reel"), strings.Contains(model, "amazon.nova-sonic"), strings.Contains(model, "multimodal-embeddings"):
		return famUnknown // Nova's video, speech and embedding models: no chat
	case strings.Contains(model, "amazon.rerank"), strings.Contains(model, "cohere.rerank"):
		return famRerank
	case strings.Contains(model, "amazon.titan-embed"):
		return famTitanEmbed
	case strings.Contains(model, "cohere.embed"):
		return famCohereEmbed
	case strings.Contains(model, "anthropic.claude"):
		return famClaude
	case strings.Contains(model, "meta.llama"):
		return famLlama
	case strings.Contains(model, "amazon.titan-text"), strings.Contains(model, "amazon.titan-tg1"):
		return famTitan
	case strings.Contains(model, "amazon.nova"):
		return famNova
	case strings.Contains(model, "mistral."):
		return famMistral
	case strings.Contains(model, "cohere.command-r"):
		return famCohere
	case strings.Contains(model, "ai21.jamba"):
		return famJamba
	case strings.Contains(model, "deepseek."):
		return famDeepSeek
	case strings.Contains(model, "openai."):
		return famOpenAI
	}
	return famUnknown
}

// familyOfBody guesses the family from a request body, for model ids that
// say nothing (application inference profiles, custom or imported models:
// ARNs). For a bare id of a model of no known family (an image, video or
// speech model: stability.*, amazon.nova-canvas, ...) only a chat-shaped
// body counts: their single input text is no chat prompt. Behind an ARN, a
// Titan Embeddings body (inputText with an embedding parameter, or an
// inputImage) and a Cohere Embed body (input_type with texts, images or
// inputs) are embeddings, a rerank body (a query string with documents) a
// reranking, an image model's body (see imageBody) an image generation; a
// bare {"inputText"} is read as Titan Text.
func familyOfBody(js string, arn bool) family {
	switch {
	case gjson.Get(js, "anthropic_version").Exists():
		return famClaude
	case gjson.Get(js, "max_gen_len").Exists():
		return famLlama
	case !arn:
		if gjson.Get(js, "messages").IsArray() {
			if novaBlocks(js) {
				return famNova
			}
			return famOpenAI
		}
		return famUnknown
	case gjson.Get(js, "inputText").Exists() && !gjson.Get(js, "textGenerationConfig").Exists() &&
		(gjson.Get(js, "dimensions").Exists() || gjson.Get(js, "normalize").Exists() || gjson.Get(js, "embeddingTypes").Exists() ||
			gjson.Get(js, "embeddingConfig").Exists() || gjson.Get(js, "inputImage").Exists()),
		gjson.Get(js, "inputImage").Exists():
		return famTitanEmbed
	case gjson.Get(js, "inputText").Exists(), gjson.Get(js, "textGenerationConfig").Exists():
		return famTitan
	case gjson.Get(js, "query").Type == gjson.String && gjson.Get(js, "documents").IsArray():
		return famRerank
	case imageBody(js):
		return famImage
	case gjson.Get(js, "input_type").Exists() && (gjson.Get(js, "texts").IsArray() || gjson.Get(js, "images").IsArray() || gjson.Get(js, "inputs").IsArray()):
		return famCohereEmbed
	case gjson.Get(js, "schemaVersion").Str == "messages-v1", gjson.Get(js, "inferenceConfig").Exists(), novaBlocks(js):
		return famNova
	case gjson.Get(js, "chat_history").Exists(), gjson.Get(js, "preamble").Exists():
		return famCohere
	case gjson.Get(js, "messages").IsArray():
		return famOpenAI
	case gjson.Get(js, "prompt").Exists():
		return textPromptFamily(js)
	}
	return famUnknown
}

// imageBody reports whether a body behind an opaque ARN is an image
// model's: Titan Image Generator's or Nova Canvas's (a taskType with its
// task's parameters or an imageGenerationConfig), SDXL's (text_prompts),
// Stability's (a prompt with a parameter only its models take: mode,
// aspect_ratio, output_format, negative_prompt, style_preset, an input
// image).
func imageBody(js string) bool {
	if gjson.Get(js, "taskType").Type == gjson.String {
		found := false
		gjson.Parse(js).ForEach(func(k, v gjson.Result) bool {
			found = k.Str == "imageGenerationConfig" || strings.HasSuffix(k.Str, "Params") && v.IsObject()
			return !found
		})
		return found
	}
	if gjson.Get(js, "text_prompts").IsArray() {
		return true
	}
	if gjson.Get(js, "prompt").Type != gjson.String {
		return false
	}
	found := false
	gjson.Parse(js).ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "mode", "aspect_ratio", "output_format", "negative_prompt", "style_preset":
			found = true
		default:
			found = isImageInput(k.Str) && v.Type == gjson.String
		}
		return !found
	})
	return found
}

// novaBlocks reports whether the first message's content blocks are Nova's:
// they have no "type" (chat completions' parts do).
func novaBlocks(js string) bool {
	return gjson.Get(js, "messages.0.content.0.text").Exists() && !gjson.Get(js, "messages.0.content.0.type").Exists()
}

// textPromptFamily tells a Llama prompt from a Mistral one: Llama 3's
// special tokens, Mistral's own parameters (Llama takes max_gen_len,
// temperature and top_p only); otherwise famTextPrompt.
func textPromptFamily(js string) family {
	p := gjson.Get(js, "prompt").Str
	switch {
	case strings.Contains(p, "<|begin_of_text|>"), strings.Contains(p, "<|start_header_id|>"):
		return famLlama
	case gjson.Get(js, "max_tokens").Exists(), gjson.Get(js, "top_k").Exists(), gjson.Get(js, "stop").Exists():
		return famMistral
	}
	return famTextPrompt
}

// resolveTextPrompt returns the family of a famTextPrompt call from a
// response body or stream chunk; other families are returned as they are.
func resolveTextPrompt(fam family, js string) family {
	if fam != famTextPrompt {
		return fam
	}
	if gjson.Get(js, "generation").Exists() {
		return famLlama
	}
	return famMistral
}

// invokeRequest fills the request part of c from an InvokeModel body and
// returns the family. The body is copied once; attribute strings alias the
// copy, never the caller's buffer.
//
// A Titan Text call is a text completion; the others are chats. When the
// model id tells no family, the body's family gives the model's vendor.
func invokeRequest(c *genai.Call, body []byte, capture bool) family {
	fam := familyOf(c.Request.Model)
	if view := bstr(body); view != "" && fam == famUnknown {
		fam = familyOfBody(view, strings.HasPrefix(c.Request.Model, "arn:")) // (keeps nothing of it)
		c.Request.ModelVendor = fam.vendor()
	}
	if fam == famImage {
		// An image's body is read in place (it may hold megabytes of
		// input images): what the record keeps of it is cloned.
		c.Operation = genai.OpGenerateContent
		imageRequest(c, bstr(body), capture)
		return fam
	}
	js := string(body) // the one copy
	switch fam {
	case famTitan:
		c.Operation = genai.OpTextCompletion
	case famTitanEmbed, famCohereEmbed:
		c.Operation = genai.OpEmbeddings
		c.Request.EncodingFormats = floatFormat
		c.Response.FinishReasons = nil // embeddings have none: no (empty) attribute
	case famRerank:
		c.Operation = genai.OpRerank
		c.Response.FinishReasons = nil
	}
	if js == "" {
		return fam
	}
	switch fam {
	case famClaude:
		claudeRequest(c, js, capture)
	case famLlama:
		llamaRequest(c, js, capture)
	case famTitan:
		titanRequest(c, js, capture)
	case famNova:
		novaRequest(c, js, capture)
	case famCohere:
		cohereRequest(c, js, capture)
	case famMistral, famJamba, famDeepSeek, famOpenAI:
		if gjson.Get(js, "messages").IsArray() {
			chatRequest(c, js, capture)
		} else {
			promptRequest(c, js, capture)
		}
	case famTextPrompt:
		promptRequest(c, js, capture)
	case famTitanEmbed:
		titanEmbedRequest(c, js, capture)
	case famCohereEmbed:
		cohereEmbedRequest(c, js, capture)
	case famRerank:
		rerankBodyRequest(c, js, capture)
	}
	// Of a large body (a Claude or Nova request with images), the record
	// takes copies of its short strings: the span's attributes alias them
	// until it is exported.
	genai.OwnRequest(&c.Request, js)
	return fam
}

// invokeResponse fills the response part of c from an InvokeModel response
// body.
func invokeResponse(c *genai.Call, fam family, body []byte, capture bool) {
	c.Response.Model = c.Request.Model
	if len(body) == 0 || fam == famUnknown {
		return
	}
	if fam == famImage {
		imageResponse(c, bstr(body), capture) // in place: see invokeRequest
		return
	}
	js := string(body)
	switch resolveTextPrompt(fam, js) {
	case famClaude:
		claudeResponse(c, js, capture)
	case famLlama:
		llamaResponse(c, js, capture)
	case famTitan:
		titanResponse(c, js, capture)
	case famNova:
		novaResponse(c, js, capture)
	case famCohere:
		cohereResponse(c, js, capture)
	case famMistral, famJamba, famDeepSeek, famOpenAI:
		choicesResponse(c, js, capture)
	case famTitanEmbed:
		titanEmbedResponse(c, js, capture)
	case famCohereEmbed:
		cohereEmbedResponse(c, js, capture)
	case famRerank:
		rerankBodyResponse(c, js, capture)
	}
	if u := &c.Response.Usage; !u.InputTokens.Set || !u.OutputTokens.Set {
		invocationMetrics(u, js) // one more scan, only when the body had no usage
	}
	genai.OwnResult(c, js) // (see invokeRequest)
}

// invokeStreamChunk applies one decoded chunk of an
// InvokeModelWithResponseStream response; done reports the final chunk.
func invokeStreamChunk(fam family, a *streamAcc, js string, capture bool) (done bool) {
	switch resolveTextPrompt(fam, js) {
	case famClaude:
		done = claudeChunk(a, js, capture)
	case famLlama:
		done = llamaChunk(a, js, capture)
	case famTitan:
		done = titanChunk(a, js, capture)
	case famNova:
		done = novaChunk(a, js, capture)
	case famCohere:
		done = cohereChunk(a, js, capture)
	case famMistral, famJamba, famDeepSeek, famOpenAI:
		done = choicesChunk(a, js, capture)
	}
	if m := gjson.Get(js, "amazon-bedrock-invocationMetrics"); m.Exists() {
		setInt(&a.usage.InputTokens, m.Get("inputTokenCount"))
		setInt(&a.usage.OutputTokens, m.Get("outputTokenCount"))
		if fam != famClaude { // Claude ends on message_stop, which carries them too
			done = true
		}
	}
	return done
}

// invocationMetrics reads amazon-bedrock-invocationMetrics when a body has it.
func invocationMetrics(u *genai.Usage, js string) {
	if m := gjson.Get(js, "amazon-bedrock-invocationMetrics"); m.Exists() {
		setInt(&u.InputTokens, m.Get("inputTokenCount"))
		setInt(&u.OutputTokens, m.Get("outputTokenCount"))
	}
}

// userPrompt records a whole prompt string as one user message.
func userPrompt(c *genai.Call, v gjson.Result, capture bool) {
	if !v.Exists() {
		return
	}
	m := genai.Message{Role: "user"}
	if capture && v.Type == gjson.String {
		m.Content, m.HasContent = v.Str, true
	}
	c.Request.Messages = append(c.Request.Messages, m)
}

// oneChoice records a single completion.
func oneChoice(c *genai.Call, text gjson.Result, finish string, capture bool) {
	ch := genai.Choice{Role: "assistant", FinishReason: finish}
	if text.Exists() && capture {
		ch.Content, ch.HasContent = text.String(), true
	}
	c.Response.Choices = append(c.Response.Choices, ch)
	if finish != "" {
		c.Response.FinishReasons = append(c.Response.FinishReasons, finish)
	}
}
