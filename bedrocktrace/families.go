package bedrocktrace

// Meta Llama, Amazon Titan Text, Amazon Nova and Cohere Command R bodies ->
// genai.Call.

import (
	"github.com/tidwall/gjson"

	"github.com/tracekit-go/tracekit/internal/genai"
)

// ---- Meta Llama 2/3/4: {prompt, max_gen_len, temperature, top_p} ->
// {generation, prompt_token_count, generation_token_count, stop_reason}.

func llamaRequest(c *genai.Call, js string, capture bool) {
	r := &c.Request
	setInt(&r.MaxTokens, gjson.Get(js, "max_gen_len"))
	setFloat(&r.Temperature, gjson.Get(js, "temperature"))
	setFloat(&r.TopP, gjson.Get(js, "top_p"))
	userPrompt(c, gjson.Get(js, "prompt"), capture)
}

func llamaResponse(c *genai.Call, js string, capture bool) {
	u := &c.Response.Usage
	setInt(&u.InputTokens, gjson.Get(js, "prompt_token_count"))
	setInt(&u.OutputTokens, gjson.Get(js, "generation_token_count"))
	oneChoice(c, gjson.Get(js, "generation"), gjson.Get(js, "stop_reason").Str, capture)
}

// llamaChunk: the chunk with a stop reason is the last one.
func llamaChunk(a *streamAcc, js string, capture bool) bool {
	ch := a.choice(0)
	if g := gjson.Get(js, "generation"); g.Exists() {
		a.appendText(ch, g.Str, capture)
	}
	setInt(&a.usage.InputTokens, gjson.Get(js, "prompt_token_count"))
	setInt(&a.usage.OutputTokens, gjson.Get(js, "generation_token_count"))
	if s := gjson.Get(js, "stop_reason"); s.Type == gjson.String {
		a.setIdent(&ch.finish, s.Str)
		return true
	}
	return false
}

// ---- Amazon Titan Text: {inputText, textGenerationConfig{maxTokenCount,
// temperature, topP}} -> {inputTextTokenCount, results[{tokenCount,
// outputText, completionReason}]}.

func titanRequest(c *genai.Call, js string, capture bool) {
	r := &c.Request
	cfg := gjson.Get(js, "textGenerationConfig")
	setInt(&r.MaxTokens, cfg.Get("maxTokenCount"))
	setFloat(&r.Temperature, cfg.Get("temperature"))
	setFloat(&r.TopP, cfg.Get("topP"))
	userPrompt(c, gjson.Get(js, "inputText"), capture)
}

func titanResponse(c *genai.Call, js string, capture bool) {
	u := &c.Response.Usage
	setInt(&u.InputTokens, gjson.Get(js, "inputTextTokenCount"))
	var out int64
	var outSet bool
	gjson.Get(js, "results").ForEach(func(_, res gjson.Result) bool {
		if n := res.Get("tokenCount"); n.Type == gjson.Number {
			out += n.Int()
			outSet = true
		}
		oneChoice(c, res.Get("outputText"), res.Get("completionReason").Str, capture)
		return true
	})
	if outSet {
		u.OutputTokens = genai.SetInt(out)
	}
}

// titanChunk: the chunk with a completion reason is the last one.
func titanChunk(a *streamAcc, js string, capture bool) bool {
	ch := a.choice(int(gjson.Get(js, "index").Int()))
	if t := gjson.Get(js, "outputText"); t.Exists() {
		a.appendText(ch, t.Str, capture)
	}
	setInt(&a.usage.InputTokens, gjson.Get(js, "inputTextTokenCount"))
	setInt(&a.usage.OutputTokens, gjson.Get(js, "totalOutputTextTokenCount"))
	if r := gjson.Get(js, "completionReason"); r.Type == gjson.String && ch != nil {
		a.setIdent(&ch.finish, r.Str)
		return true
	}
	return false
}

// ---- Amazon Nova (messages-v1): Converse-shaped JSON.

func novaRequest(c *genai.Call, js string, capture bool) {
	r := &c.Request
	inf := gjson.Get(js, "inferenceConfig")
	setInt(&r.MaxTokens, first(inf, "max_new_tokens", "maxTokens"))
	setFloat(&r.Temperature, inf.Get("temperature"))
	setFloat(&r.TopP, first(inf, "top_p", "topP"))
	setFloat(&r.TopK, first(inf, "top_k", "topK"))
	gjson.Get(js, "system").ForEach(func(_, b gjson.Result) bool {
		if t := b.Get("text"); t.Exists() {
			m := genai.Message{Role: "system", Instructions: true}
			if capture {
				m.Content, m.HasContent = t.Str, true
			}
			r.Messages = append(r.Messages, m)
		}
		return true
	})
	gjson.Get(js, "messages").ForEach(func(_, msg gjson.Result) bool {
		r.Messages = appendConverseJSONMessage(r.Messages, msg.Get("role").Str, msg.Get("content"), capture)
		return true
	})
	gjson.Get(js, "toolConfig.tools").ForEach(func(_, t gjson.Result) bool {
		if spec := t.Get("toolSpec"); spec.Exists() {
			tool := genai.Tool{Type: "function", Name: spec.Get("name").Str, Description: spec.Get("description").Str}
			if s := spec.Get("inputSchema.json"); s.Exists() {
				tool.Parameters = s.Raw
			}
			r.Tools = append(r.Tools, tool)
		}
		return true
	})
}

// first returns the first member of v that exists among keys.
func first(v gjson.Result, keys ...string) gjson.Result {
	for _, k := range keys {
		if r := v.Get(k); r.Exists() {
			return r
		}
	}
	return gjson.Result{}
}

// appendConverseJSONMessage is appendConverseMessage over JSON.
func appendConverseJSONMessage(dst []genai.Message, role string, content gjson.Result, capture bool) []genai.Message {
	start := len(dst)
	var text textJoiner
	var calls []genai.ToolCall
	media := false
	content.ForEach(func(_, b gjson.Result) bool {
		if t := b.Get("text"); t.Exists() {
			text.add(t.Str)
		} else if tu := b.Get("toolUse"); tu.Exists() {
			tc := genai.ToolCall{ID: tu.Get("toolUseId").Str, Type: "function", Name: tu.Get("name").Str}
			if capture {
				tc.Arguments = tu.Get("input").Raw
			}
			calls = append(calls, tc)
		} else if tr := b.Get("toolResult"); tr.Exists() {
			m := genai.Message{Role: "tool", ToolCallID: tr.Get("toolUseId").Str}
			if capture {
				var tj textJoiner
				json := ""
				media := false
				tr.Get("content").ForEach(func(_, cb gjson.Result) bool {
					if j := cb.Get("json"); j.Exists() && json == "" {
						json = j.Raw
					} else if t := cb.Get("text"); t.Exists() {
						tj.add(t.Str)
					} else if novaMedia(cb).Exists() {
						media = true
					}
					return true
				})
				if json != "" {
					m.Content, m.HasContent = json, true
				} else {
					m.Content, m.HasContent = tj.String(), tj.n > 0
				}
				if media { // what the tool returned that is not text
					m.Parts = genai.ToolParts(m.ToolCallID, novaParts(tr.Get("content")))
				}
			}
			dst = append(dst, m)
		} else if capture && novaMedia(b).Exists() {
			media = true
		}
		return true
	})
	var parts []genai.Part
	if media {
		parts = novaParts(content)
	}
	if role == "assistant" || text.n > 0 || len(calls) > 0 || parts != nil {
		m := genai.Message{Role: role, ToolCalls: calls, Parts: parts}
		if text.n > 0 && capture {
			m.Content, m.HasContent = text.String(), true
		}
		dst = append(dst, m)
	}
	if len(dst) == start {
		dst = append(dst, genai.Message{Role: role})
	}
	return dst
}

// novaModalities are the members of a Converse-shaped JSON content block
// that hold media, and their modalities.
var novaModalities = [...][2]string{
	{"image", genai.ModalityImage},
	{"document", genai.ModalityDocument},
	{"video", genai.ModalityVideo},
	{"audio", genai.ModalityAudio},
}

// novaMedia returns the image, document, video or audio member of a content
// block (a Result that does not exist for other blocks).
func novaMedia(b gjson.Result) gjson.Result {
	_, v := novaMediaOf(b)
	return v
}

func novaMediaOf(b gjson.Result) (modality string, v gjson.Result) {
	for _, m := range novaModalities {
		if v := b.Get(m[0]); v.Exists() {
			return m[1], v
		}
	}
	return "", gjson.Result{}
}

// novaParts reads a Converse-shaped JSON block list as the record's parts:
// text blocks, and image, document, video and audio blocks (base64 bytes or
// an S3 location).
func novaParts(content gjson.Result) []genai.Part {
	var parts []genai.Part
	content.ForEach(func(_, b gjson.Result) bool {
		if t := b.Get("text"); t.Exists() {
			parts = append(parts, genai.Part{Kind: genai.PartText, Text: t.Str})
			return true
		}
		modality, v := novaMediaOf(b)
		if modality == "" {
			return true
		}
		p := genai.Part{Modality: modality, MimeType: formatMime(modality, v.Get("format").Str)}
		src := v.Get("source")
		if data := src.Get("bytes"); data.Type == gjson.String {
			p.Kind, p.Data = genai.PartBlob, data.Str
		} else if uri := src.Get("s3Location.uri"); uri.Type == gjson.String {
			p.Kind, p.URI = genai.PartURI, uri.Str
		} else if text := src.Get("text"); text.Type == gjson.String {
			p.Kind, p.Text = genai.PartBlob, text.Str
		} else {
			return true
		}
		parts = append(parts, p)
		return true
	})
	return parts
}

func novaResponse(c *genai.Call, js string, capture bool) {
	r := &c.Response
	finish := gjson.Get(js, "stopReason").Str
	u := gjson.Get(js, "usage")
	setInt(&r.Usage.InputTokens, u.Get("inputTokens"))
	setInt(&r.Usage.OutputTokens, u.Get("outputTokens"))
	setInt(&r.Usage.CacheReadInputTokens, first(u, "cacheReadInputTokenCount", "cacheReadInputTokens"))
	setInt(&r.Usage.CacheWriteInputTokens, first(u, "cacheWriteInputTokenCount", "cacheWriteInputTokens"))
	var one [1]genai.Message
	msgs := appendConverseJSONMessage(one[:0], "assistant", gjson.Get(js, "output.message.content"), capture)
	ch := genai.Choice{Role: "assistant", FinishReason: finish}
	if len(msgs) > 0 {
		ch.Content, ch.HasContent, ch.ToolCalls = msgs[0].Content, msgs[0].HasContent, msgs[0].ToolCalls
	}
	r.Choices = append(r.Choices, ch)
	if finish != "" {
		r.FinishReasons = append(r.FinishReasons[:0], finish)
	}
}

// novaChunk: each chunk holds one Converse-shaped event under its name;
// metadata is the last one.
func novaChunk(a *streamAcc, js string, capture bool) bool {
	done := false
	gjson.Parse(js).ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "messageStart", "contentBlockStart", "contentBlockDelta", "contentBlockStop", "messageStop":
			converseStreamEvent(a, k.Str, v.Raw, capture)
		case "metadata":
			u := v.Get("usage")
			setInt(&a.usage.InputTokens, u.Get("inputTokens"))
			setInt(&a.usage.OutputTokens, u.Get("outputTokens"))
			setInt(&a.usage.CacheReadInputTokens, first(u, "cacheReadInputTokenCount", "cacheReadInputTokens"))
			setInt(&a.usage.CacheWriteInputTokens, first(u, "cacheWriteInputTokenCount", "cacheWriteInputTokens"))
			done = true
		}
		return true
	})
	return done
}

// ---- Cohere Command R: {message, chat_history[{role, message}], preamble,
// max_tokens, temperature, p, k, tools} -> {response_id, text,
// finish_reason, tool_calls[{name, parameters}]}.

func cohereRole(r string) string {
	switch r {
	case "USER", "user":
		return "user"
	case "CHATBOT", "chatbot", "assistant":
		return "assistant"
	case "SYSTEM", "system":
		return "system"
	case "TOOL", "tool":
		return "tool"
	}
	return r
}

func cohereRequest(c *genai.Call, js string, capture bool) {
	r := &c.Request
	setInt(&r.MaxTokens, gjson.Get(js, "max_tokens"))
	setFloat(&r.Temperature, gjson.Get(js, "temperature"))
	setFloat(&r.TopP, gjson.Get(js, "p"))
	setFloat(&r.TopK, gjson.Get(js, "k"))
	add := func(role string, v gjson.Result) {
		m := genai.Message{Role: role}
		if capture && v.Exists() {
			m.Content, m.HasContent = v.Str, true
		}
		r.Messages = append(r.Messages, m)
	}
	if p := gjson.Get(js, "preamble"); p.Exists() {
		add("system", p)
	}
	gjson.Get(js, "chat_history").ForEach(func(_, h gjson.Result) bool {
		add(cohereRole(h.Get("role").Str), h.Get("message"))
		return true
	})
	gjson.Get(js, "tool_results").ForEach(func(_, tr gjson.Result) bool {
		m := genai.Message{Role: "tool"}
		if capture {
			m.Content, m.HasContent = tr.Get("outputs").Raw, tr.Get("outputs").Exists()
		}
		r.Messages = append(r.Messages, m)
		return true
	})
	if m := gjson.Get(js, "message"); m.Exists() {
		add("user", m)
	}
	gjson.Get(js, "tools").ForEach(func(_, t gjson.Result) bool {
		tool := genai.Tool{Type: "function", Name: t.Get("name").Str, Description: t.Get("description").Str}
		if p := t.Get("parameter_definitions"); p.Exists() {
			tool.Parameters = p.Raw
		}
		r.Tools = append(r.Tools, tool)
		return true
	})
}

func cohereResponse(c *genai.Call, js string, capture bool) {
	r := &c.Response
	r.ID = first(gjson.Parse(js), "response_id", "generation_id").Str
	bu := gjson.Get(js, "meta.billed_units")
	setInt(&r.Usage.InputTokens, bu.Get("input_tokens"))
	setInt(&r.Usage.OutputTokens, bu.Get("output_tokens"))
	oneChoice(c, gjson.Get(js, "text"), gjson.Get(js, "finish_reason").Str, capture)
	ch := &r.Choices[len(r.Choices)-1]
	gjson.Get(js, "tool_calls").ForEach(func(_, t gjson.Result) bool {
		tc := genai.ToolCall{Type: "function", Name: t.Get("name").Str}
		if capture {
			tc.Arguments = t.Get("parameters").Raw
		}
		ch.ToolCalls = append(ch.ToolCalls, tc)
		return true
	})
}

// cohereChunk: {"is_finished":false,"event_type":"text-generation","text":..}
// ... {"is_finished":true,"event_type":"stream-end","finish_reason":..,
// "response":{..}}.
func cohereChunk(a *streamAcc, js string, capture bool) bool {
	ch := a.choice(0)
	switch gjson.Get(js, "event_type").Str {
	case "stream-start":
		a.setIdent(&a.id, gjson.Get(js, "generation_id").Str)
	case "text-generation":
		a.appendText(ch, gjson.Get(js, "text").Str, capture)
	case "tool-calls-generation":
		gjson.Get(js, "tool_calls").ForEach(func(_, t gjson.Result) bool {
			if tc := a.tool(ch, len(ch.tools)); tc != nil {
				a.setIdent(&tc.name, t.Get("name").Str)
				a.appendArgs(tc, t.Get("parameters").Raw, capture)
			}
			return true
		})
	case "stream-end":
		resp := gjson.Get(js, "response")
		a.setIdent(&a.id, resp.Get("response_id").Str)
		fr := gjson.Get(js, "finish_reason").Str
		if fr == "" {
			fr = resp.Get("finish_reason").Str
		}
		a.setIdent(&ch.finish, fr)
		bu := resp.Get("meta.billed_units")
		setInt(&a.usage.InputTokens, bu.Get("input_tokens"))
		setInt(&a.usage.OutputTokens, bu.Get("output_tokens"))
	}
	return gjson.Get(js, "is_finished").Type == gjson.True
}
