package bedrocktrace

// Anthropic Claude messages API bodies -> genai.Call.

import (
	"github.com/tidwall/gjson"

	"github.com/tracekit-go/tracekit/internal/genai"
	"github.com/tracekit-go/tracekit/internal/jscan"
)

// claudeRequest reads a Claude request body. The parameters are read in one
// pass over the top level; system, messages and tools (the last member of
// each name, as in a decoded map) are read after it, in that order, so that
// the system prompt comes first whatever the members' order.
func claudeRequest(c *genai.Call, js string, capture bool) {
	r := &c.Request
	var system, messages, tools string
	hasSystem := false
	d := jscan.New(js)
	if d.Obj() {
		for k, ok := d.Key(); ok; k, ok = d.Key() {
			switch k {
			case "max_tokens":
				scanInt(&d, &r.MaxTokens)
			case "temperature":
				scanFloat(&d, &r.Temperature)
			case "top_p":
				scanFloat(&d, &r.TopP)
			case "top_k":
				scanFloat(&d, &r.TopK)
			case "system":
				system, hasSystem = d.Raw(), true
			case "messages":
				messages = d.Raw()
			case "tools":
				tools = d.Raw()
			}
		}
	}
	if hasSystem {
		m := genai.Message{Role: "system", Instructions: true}
		if capture {
			// Fix: the reference drops a block-array system prompt; its text
			// blocks are joined here.
			m.Content, m.HasContent = claudeText(system)
		}
		r.Messages = append(r.Messages, m)
	}
	d = jscan.New(messages)
	d.Each(func() {
		var role, content string
		if d.Obj() {
			for k, ok := d.Key(); ok; k, ok = d.Key() {
				switch k {
				case "role":
					role = d.Str()
				case "content":
					content = d.Raw()
				}
			}
		}
		r.Messages = appendClaudeMessage(r.Messages, role, content, capture)
	})
	d = jscan.New(tools)
	d.Each(func() {
		tool := genai.Tool{Type: "function"}
		if d.Obj() {
			for k, ok := d.Key(); ok; k, ok = d.Key() {
				switch k {
				case "name":
					tool.Name = d.Str()
				case "description":
					tool.Description = d.Str()
				case "input_schema":
					if d.Kind() == jscan.KindObject {
						tool.Parameters = d.Raw()
					}
				}
			}
		}
		r.Tools = append(r.Tools, tool)
	})
}

// claudeText reads a content value (JSON text): a string as is, or the text
// blocks of a block list joined.
func claudeText(content string) (string, bool) {
	d := jscan.New(content)
	if d.Kind() == jscan.KindString {
		return d.Str(), true
	}
	var j textJoiner
	d.Each(func() {
		if b := scanClaudeBlock(&d); b.typ == "text" {
			j.add(b.text)
		}
	})
	return j.String(), j.n > 0
}

// claudeBlock is a content block: the first member of each name counts.
type claudeBlock struct {
	typ, text, id, name, input, toolUseID, content string
}

// scanClaudeBlock reads the block at the cursor (anything but an object is an
// empty block).
func scanClaudeBlock(d *jscan.Scanner) claudeBlock {
	var b claudeBlock
	if !d.Obj() {
		return b
	}
	var seen uint8
	// first reads the member into dst if it is the first of its name
	// (bit); raw keeps its JSON text, else its string value.
	first := func(bit uint8, dst *string, raw bool) {
		if seen&bit != 0 {
			return
		}
		seen |= bit
		if raw {
			*dst = d.Raw()
		} else {
			*dst = d.Str()
		}
	}
	for k, ok := d.Key(); ok; k, ok = d.Key() {
		switch k {
		case "type":
			first(1, &b.typ, false)
		case "text":
			first(2, &b.text, false)
		case "id":
			first(4, &b.id, false)
		case "name":
			first(8, &b.name, false)
		case "input":
			first(16, &b.input, true)
		case "tool_use_id":
			first(32, &b.toolUseID, false)
		case "content":
			first(64, &b.content, true)
		}
	}
	return b
}

// appendClaudeMessage flattens a Claude message (its content as JSON text)
// as llm-tracekit does: string content is one message; an assistant block
// list is one message (text joined, tool_use blocks as tool calls); a user
// block list is one "tool" message per tool_result, then one "user" message
// with the text joined. Images and documents are ignored.
func appendClaudeMessage(dst []genai.Message, role, content string, capture bool) []genai.Message {
	d := jscan.New(content)
	if d.Kind() == jscan.KindString {
		m := genai.Message{Role: role}
		if capture {
			m.Content, m.HasContent = d.Str(), true
		}
		return append(dst, m)
	}
	start := len(dst)
	var text textJoiner
	var calls []genai.ToolCall
	d.Each(func() {
		b := scanClaudeBlock(&d)
		switch b.typ {
		case "text":
			text.add(b.text)
		case "tool_use":
			tc := genai.ToolCall{ID: b.id, Type: "function", Name: b.name}
			if capture {
				tc.Arguments = b.input
			}
			calls = append(calls, tc)
		case "tool_result":
			m := genai.Message{Role: "tool", ToolCallID: b.toolUseID}
			if capture {
				// Fix: the reference keeps only string content; text blocks
				// of a list content are joined here.
				m.Content, m.HasContent = claudeText(b.content)
			}
			dst = append(dst, m)
		}
	})
	if text.n > 0 || len(calls) > 0 || role == "assistant" {
		m := genai.Message{Role: role, ToolCalls: calls}
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

// claudeResponse reads a Claude response body in one pass over its top level
// (its content, the last member of that name, after it).
func claudeResponse(c *genai.Call, js string, capture bool) {
	r := &c.Response
	var finish, content string
	d := jscan.New(js)
	if d.Obj() {
		for k, ok := d.Key(); ok; k, ok = d.Key() {
			switch k {
			case "id":
				r.ID = d.Str()
			case "model":
				if m := d.Str(); m != "" {
					r.Model = m
				}
			case "usage":
				scanClaudeUsage(&d, &r.Usage)
			case "stop_reason":
				finish = d.Str()
			case "content":
				content = d.Raw()
			}
		}
	}
	var one [1]genai.Message
	msgs := appendClaudeMessage(one[:0], "assistant", content, capture)
	ch := genai.Choice{Role: "assistant", FinishReason: finish}
	if len(msgs) > 0 {
		ch.Content, ch.HasContent, ch.ToolCalls = msgs[0].Content, msgs[0].HasContent, msgs[0].ToolCalls
	}
	r.Choices = append(r.Choices, ch)
	if finish != "" {
		r.FinishReasons = append(r.FinishReasons[:0], finish)
	}
}

// scanClaudeUsage reads the usage object at the cursor (the first member of
// each name counts).
func scanClaudeUsage(d *jscan.Scanner, u *genai.Usage) {
	if !d.Obj() {
		return
	}
	var seen uint8
	for k, ok := d.Key(); ok; k, ok = d.Key() {
		var dst *genai.Int
		var bit uint8
		switch k {
		case "input_tokens":
			dst, bit = &u.InputTokens, 1
		case "output_tokens":
			dst, bit = &u.OutputTokens, 2
		case "cache_read_input_tokens":
			dst, bit = &u.CacheReadInputTokens, 4
		case "cache_creation_input_tokens":
			dst, bit = &u.CacheWriteInputTokens, 8
		default:
			continue
		}
		if seen&bit == 0 {
			seen |= bit
			scanInt(d, dst)
		}
	}
}

func claudeUsage(u *genai.Usage, v gjson.Result) {
	if !v.Exists() {
		return
	}
	setInt(&u.InputTokens, v.Get("input_tokens"))
	setInt(&u.OutputTokens, v.Get("output_tokens"))
	setInt(&u.CacheReadInputTokens, v.Get("cache_read_input_tokens"))
	setInt(&u.CacheWriteInputTokens, v.Get("cache_creation_input_tokens"))
}

// claudeChunk applies one streamed Claude event; message_stop is terminal.
func claudeChunk(a *streamAcc, js string, capture bool) bool {
	switch gjson.Get(js, "type").Str {
	case "message_start":
		m := gjson.Get(js, "message")
		setClone(&a.id, m.Get("id").Str) // fix: the reference drops the id of streams
		setClone(&a.model, m.Get("model").Str)
		setClone(&a.choice(0).role, m.Get("role").Str)
		claudeUsage(&a.usage, m.Get("usage"))
	case "content_block_start":
		idx := int(gjson.Get(js, "index").Int())
		b := gjson.Get(js, "content_block")
		ch := a.choice(0)
		switch b.Get("type").Str {
		case "tool_use":
			if t := a.tool(ch, idx); t != nil {
				setClone(&t.id, b.Get("id").Str)
				setClone(&t.name, b.Get("name").Str)
			}
		case "text":
			a.appendText(ch, b.Get("text").Str, capture)
		}
	case "content_block_delta":
		idx := int(gjson.Get(js, "index").Int())
		d := gjson.Get(js, "delta")
		ch := a.choice(0)
		switch d.Get("type").Str {
		case "text_delta":
			a.appendText(ch, d.Get("text").Str, capture)
		case "input_json_delta":
			a.appendArgs(a.existingTool(ch, idx), d.Get("partial_json").Str, capture)
		}
	case "content_block_stop":
		// A tool called without input streams no argument fragment: its
		// input is {}, as the same call without streaming says.
		if t := a.existingTool(a.choice(0), int(gjson.Get(js, "index").Int())); t != nil && len(t.args) == 0 {
			a.appendArgs(t, "{}", capture)
		}
	case "message_delta":
		setClone(&a.choice(0).finish, gjson.Get(js, "delta.stop_reason").Str)
		setInt(&a.usage.OutputTokens, gjson.Get(js, "usage.output_tokens"))
	case "message_stop":
		return true
	}
	return false
}

// scanInt sets dst from the number at the cursor (any other value leaves it
// alone and is skipped), as setInt does from a gjson result.
func scanInt(d *jscan.Scanner, dst *genai.Int) {
	if n, ok := d.Num(); ok {
		*dst = genai.SetInt(n.Int())
	}
}

// scanFloat sets dst from the number at the cursor, as setFloat does.
func scanFloat(d *jscan.Scanner, dst *genai.Float) {
	if n, ok := d.Num(); ok {
		*dst = genai.SetFloat(n.Num)
	}
}
