package bedrocktrace

import (
	"github.com/tidwall/gjson"

	"github.com/tracekit-go/tracekit/internal/genai"
)

// The gjson Claude request and response parsers that jscan replaced, kept as
// the oracles of claude_oracle_test.go.

// claudeRequest reads a Claude request body in one pass over its top level.
func gjsonClaudeRequest(c *genai.Call, js string, capture bool) {
	r := &c.Request
	var system, messages, tools gjson.Result
	gjson.Parse(js).ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "max_tokens":
			setInt(&r.MaxTokens, v)
		case "temperature":
			setFloat(&r.Temperature, v)
		case "top_p":
			setFloat(&r.TopP, v)
		case "top_k":
			setFloat(&r.TopK, v)
		case "system":
			system = v
		case "messages":
			messages = v
		case "tools":
			tools = v
		}
		return true
	})
	if system.Exists() {
		m := genai.Message{Role: "system", Instructions: true}
		if capture {
			// Fix: the reference drops a block-array system prompt; its text
			// blocks are joined here.
			m.Content, m.HasContent = gjsonClaudeText(system)
		}
		r.Messages = append(r.Messages, m)
	}
	messages.ForEach(func(_, msg gjson.Result) bool {
		var role, content gjson.Result
		msg.ForEach(func(k, v gjson.Result) bool {
			switch k.Str {
			case "role":
				role = v
			case "content":
				content = v
			}
			return true
		})
		r.Messages = gjsonAppendClaudeMessage(r.Messages, role.Str, content, capture)
		return true
	})
	tools.ForEach(func(_, t gjson.Result) bool {
		tool := genai.Tool{Type: "function"}
		t.ForEach(func(k, v gjson.Result) bool {
			switch k.Str {
			case "name":
				tool.Name = v.Str
			case "description":
				tool.Description = v.Str
			case "input_schema":
				if v.IsObject() {
					tool.Parameters = v.Raw
				}
			}
			return true
		})
		r.Tools = append(r.Tools, tool)
		return true
	})
}

// claudeText is a string content, or the text blocks of a block array joined.
func gjsonClaudeText(v gjson.Result) (string, bool) {
	if v.Type == gjson.String {
		return v.Str, true
	}
	var j textJoiner
	v.ForEach(func(_, b gjson.Result) bool {
		if b.Get("type").Str == "text" {
			j.add(b.Get("text").Str)
		}
		return true
	})
	return j.String(), j.n > 0
}

// appendClaudeMessage flattens a Claude message as llm-tracekit does: string
// content is one message; an assistant block list is one message (text
// joined, tool_use blocks as tool calls); a user block list is one "tool"
// message per tool_result, then one "user" message with the text joined.
// Images and documents are ignored.
func gjsonAppendClaudeMessage(dst []genai.Message, role string, content gjson.Result, capture bool) []genai.Message {
	if content.Type == gjson.String {
		m := genai.Message{Role: role}
		if capture {
			m.Content, m.HasContent = content.Str, true
		}
		return append(dst, m)
	}
	start := len(dst)
	var text textJoiner
	var calls []genai.ToolCall
	content.ForEach(func(_, b gjson.Result) bool {
		switch b.Get("type").Str {
		case "text":
			text.add(b.Get("text").Str)
		case "tool_use":
			tc := genai.ToolCall{ID: b.Get("id").Str, Type: "function", Name: b.Get("name").Str}
			if capture {
				tc.Arguments = b.Get("input").Raw
			}
			calls = append(calls, tc)
		case "tool_result":
			m := genai.Message{Role: "tool", ToolCallID: b.Get("tool_use_id").Str}
			if capture {
				// Fix: the reference keeps only string content; text blocks
				// of a list content are joined here.
				m.Content, m.HasContent = gjsonClaudeText(b.Get("content"))
				m.Parts = genai.ToolParts(m.ToolCallID, gjsonClaudeParts(b.Get("content")))
			}
			dst = append(dst, m)
		}
		return true
	})
	var parts []genai.Part
	if capture {
		parts = gjsonClaudeParts(content)
	}
	if text.n > 0 || len(calls) > 0 || role == "assistant" || parts != nil {
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

// gjsonClaudeParts returns the parts of a block list that has an image or
// a document block (nil otherwise): text blocks, and image and document
// blocks with a base64, text, url or file source.
func gjsonClaudeParts(content gjson.Result) []genai.Part {
	media := false
	content.ForEach(func(_, b gjson.Result) bool {
		switch b.Get("type").Str {
		case "image", "document":
			media = true
		}
		return true
	})
	if !media {
		return nil
	}
	var parts []genai.Part
	content.ForEach(func(_, b gjson.Result) bool {
		modality := genai.ModalityImage
		switch b.Get("type").Str {
		case "text":
			parts = append(parts, genai.Part{Kind: genai.PartText, Text: b.Get("text").Str})
			return true
		case "document":
			modality = genai.ModalityDocument
		case "image":
		default:
			return true
		}
		src := b.Get("source")
		p := genai.Part{Modality: modality, MimeType: src.Get("media_type").Str}
		switch src.Get("type").Str {
		case "base64":
			p.Kind, p.Data = genai.PartBlob, src.Get("data").Str
		case "text":
			p.Kind, p.Text = genai.PartBlob, src.Get("data").Str
		case "url":
			p.Kind, p.URI = genai.PartURI, src.Get("url").Str
		case "file":
			p.Kind, p.FileID = genai.PartFile, src.Get("file_id").Str
		default:
			return true
		}
		parts = append(parts, p)
		return true
	})
	return parts
}

// claudeResponse reads a Claude response body in one pass over its top level.
func gjsonClaudeResponse(c *genai.Call, js string, capture bool) {
	r := &c.Response
	var finish string
	var content gjson.Result
	gjson.Parse(js).ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "id":
			r.ID = v.Str
		case "model":
			if v.Str != "" {
				r.Model = v.Str
			}
		case "usage":
			claudeUsage(&r.Usage, v)
		case "stop_reason":
			finish = v.Str
		case "content":
			content = v
		}
		return true
	})
	var one [1]genai.Message
	msgs := gjsonAppendClaudeMessage(one[:0], "assistant", content, capture)
	ch := genai.Choice{Role: "assistant", FinishReason: finish}
	if len(msgs) > 0 {
		ch.Content, ch.HasContent, ch.ToolCalls = msgs[0].Content, msgs[0].HasContent, msgs[0].ToolCalls
	}
	if capture && content.Type != gjson.String {
		// (added since: thinking blocks are the answer's reasoning)
		var j textJoiner
		content.ForEach(func(_, b gjson.Result) bool {
			if b.Get("type").Str == "thinking" {
				j.add(b.Get("thinking").Str)
			}
			return true
		})
		ch.Reasoning = j.String()
	}
	r.Choices = append(r.Choices, ch)
	if finish != "" {
		r.FinishReasons = append(r.FinishReasons[:0], finish)
	}
}
