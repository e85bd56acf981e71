package bedrocktrace

// Mistral, AI21 Jamba, DeepSeek and OpenAI gpt-oss bodies: either a prompt
// ({prompt, max_tokens, temperature, top_p, top_k} -> {outputs[{text,
// stop_reason}]} or {choices[{text, stop_reason}]}) or chat completions
// ({messages, tools, ...} -> {id, choices[{message, finish_reason}], usage}).

import (
	"github.com/tidwall/gjson"

	"github.com/tracekit-go/tracekit/internal/genai"
)

func promptRequest(c *genai.Call, js string, capture bool) {
	r := &c.Request
	setInt(&r.MaxTokens, gjson.Get(js, "max_tokens"))
	setFloat(&r.Temperature, gjson.Get(js, "temperature"))
	setFloat(&r.TopP, gjson.Get(js, "top_p"))
	setFloat(&r.TopK, gjson.Get(js, "top_k"))
	userPrompt(c, gjson.Get(js, "prompt"), capture)
}

func chatRequest(c *genai.Call, js string, capture bool) {
	r := &c.Request
	setInt(&r.MaxTokens, first(gjson.Parse(js), "max_tokens", "max_completion_tokens"))
	setFloat(&r.Temperature, gjson.Get(js, "temperature"))
	setFloat(&r.TopP, gjson.Get(js, "top_p"))
	setFloat(&r.TopK, gjson.Get(js, "top_k"))
	gjson.Get(js, "messages").ForEach(func(_, msg gjson.Result) bool {
		m := genai.Message{Role: msg.Get("role").Str, ToolCallID: msg.Get("tool_call_id").Str}
		if capture {
			content := msg.Get("content")
			var media bool
			m.Content, m.HasContent, media = chatContent(content)
			if media {
				m.Parts = chatParts(content)
			}
		}
		m.ToolCalls = chatToolCalls(msg.Get("tool_calls"), capture)
		r.Messages = append(r.Messages, m)
		return true
	})
	gjson.Get(js, "tools").ForEach(func(_, t gjson.Result) bool {
		f := t.Get("function")
		tool := genai.Tool{Type: "function", Name: f.Get("name").Str, Description: f.Get("description").Str}
		if p := f.Get("parameters"); p.Exists() {
			tool.Parameters = p.Raw
		}
		r.Tools = append(r.Tools, tool)
		return true
	})
}

// chatContent is a string content or the text parts of an array joined;
// media tells whether the array has an image_url part.
func chatContent(v gjson.Result) (text string, ok, media bool) {
	switch {
	case v.Type == gjson.String:
		return v.Str, true, false
	case v.IsArray():
		var j textJoiner
		v.ForEach(func(_, p gjson.Result) bool {
			if t := p.Get("text"); t.Exists() {
				j.add(t.Str)
			}
			if !media && p.Get("type").Str == "image_url" {
				media = true
			}
			return true
		})
		return j.String(), j.n > 0, media
	}
	return "", false, false
}

// chatParts returns the parts of an array content that has an image
// (image_url parts, as Mistral's Pixtral takes them): its text and image
// parts in order.
func chatParts(v gjson.Result) []genai.Part {
	var parts []genai.Part
	v.ForEach(func(_, p gjson.Result) bool {
		if p.Get("type").Str == "image_url" {
			iu := p.Get("image_url")
			u := iu.Get("url").Str
			if iu.Type == gjson.String {
				u = iu.Str
			}
			parts = genai.AppendPart(parts, genai.URLPart(u, genai.ModalityImage))
		} else if t := p.Get("text"); t.Exists() {
			parts = append(parts, genai.Part{Kind: genai.PartText, Text: t.Str})
		}
		return true
	})
	return parts
}

func chatToolCalls(v gjson.Result, capture bool) []genai.ToolCall {
	if !v.IsArray() {
		return nil
	}
	var out []genai.ToolCall
	v.ForEach(func(_, t gjson.Result) bool {
		tc := genai.ToolCall{ID: t.Get("id").Str, Type: "function", Name: t.Get("function.name").Str}
		if capture {
			a := t.Get("function.arguments")
			if a.Type == gjson.String {
				tc.Arguments = a.Str
			} else {
				tc.Arguments = a.Raw
			}
		}
		out = append(out, tc)
		return true
	})
	return out
}

// finishOf reads finish_reason, else stop_reason.
func finishOf(v gjson.Result) string {
	if f := v.Get("finish_reason"); f.Type == gjson.String {
		return f.Str
	}
	return v.Get("stop_reason").Str
}

// choicesResponse reads outputs[] (Mistral text) or choices[] (chat
// completions, or DeepSeek text).
func choicesResponse(c *genai.Call, js string, capture bool) {
	r := &c.Response
	r.ID = gjson.Get(js, "id").Str
	if m := gjson.Get(js, "model").Str; m != "" {
		r.Model = m
	}
	u := gjson.Get(js, "usage")
	setInt(&r.Usage.InputTokens, u.Get("prompt_tokens"))
	setInt(&r.Usage.OutputTokens, u.Get("completion_tokens"))
	gjson.Get(js, "outputs").ForEach(func(_, o gjson.Result) bool {
		oneChoice(c, o.Get("text"), finishOf(o), capture)
		return true
	})
	gjson.Get(js, "choices").ForEach(func(_, o gjson.Result) bool {
		fr := finishOf(o)
		if msg := o.Get("message"); msg.Exists() {
			ch := genai.Choice{Role: msg.Get("role").Str, FinishReason: fr}
			if ch.Role == "" {
				ch.Role = "assistant"
			}
			if capture {
				ch.Content, ch.HasContent, _ = chatContent(msg.Get("content"))
			}
			ch.ToolCalls = chatToolCalls(msg.Get("tool_calls"), capture)
			r.Choices = append(r.Choices, ch)
			if fr != "" {
				r.FinishReasons = append(r.FinishReasons, fr)
			}
		} else {
			oneChoice(c, o.Get("text"), fr, capture)
		}
		return true
	})
}

// choicesChunk applies one streamed chunk of outputs[] or choices[] (with a
// delta or, for Mistral chat, a message). The chunk carrying
// amazon-bedrock-invocationMetrics is the last one (see invokeStreamChunk).
func choicesChunk(a *streamAcc, js string, capture bool) bool {
	a.setIdent(&a.id, gjson.Get(js, "id").Str)
	a.setIdent(&a.model, gjson.Get(js, "model").Str)
	if u := gjson.Get(js, "usage"); u.IsObject() {
		setInt(&a.usage.InputTokens, u.Get("prompt_tokens"))
		setInt(&a.usage.OutputTokens, u.Get("completion_tokens"))
	}
	apply := func(i int, o gjson.Result) {
		ch := a.choice(i)
		if ch == nil {
			return
		}
		d := o.Get("delta")
		if !d.Exists() {
			d = o.Get("message")
		}
		if d.Exists() {
			a.setIdent(&ch.role, d.Get("role").Str)
			if s, ok, _ := chatContent(d.Get("content")); ok {
				a.appendText(ch, s, capture)
			}
			d.Get("tool_calls").ForEach(func(_, t gjson.Result) bool {
				var tc *toolAcc
				if idx := t.Get("index"); idx.Type == gjson.Number {
					tc = a.tool(ch, int(idx.Int()))
				} else {
					// No index (Mistral sends whole calls): one call
					// per id; a fragment without one continues the last.
					tc = a.toolByID(ch, t.Get("id").Str)
				}
				if tc != nil {
					a.setIdent(&tc.id, t.Get("id").Str)
					a.setIdent(&tc.name, t.Get("function.name").Str)
					a.appendArgs(tc, t.Get("function.arguments").Str, capture)
				}
				return true
			})
		} else if t := o.Get("text"); t.Exists() {
			a.appendText(ch, t.Str, capture)
		}
		if fr := finishOf(o); fr != "" {
			a.setIdent(&ch.finish, fr)
		}
	}
	gjson.Get(js, "outputs").ForEach(func(k, o gjson.Result) bool {
		apply(int(k.Int()), o)
		return true
	})
	gjson.Get(js, "choices").ForEach(func(k, o gjson.Result) bool {
		i := int(k.Int())
		if idx := o.Get("index"); idx.Type == gjson.Number {
			i = int(idx.Int())
		}
		apply(i, o)
		return true
	})
	return false
}
