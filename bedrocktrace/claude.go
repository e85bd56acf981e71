package bedrocktrace

// Anthropic Claude messages API bodies -> genai.Call.

import (
	"slices"

	"github.com/tidwall/gjson"

	"github.com/tracekit-go/tracekit/internal/genai"
	"github.com/tracekit-go/tracekit/internal/jscan"
)

// claudeRequest reads a Claude request body in one pass: system, messages
// and tools are read where they stand (the last member of each name counts,
// as in a decoded map), and the system prompt is put first afterwards,
// whatever the members' order.
func claudeRequest(c *genai.Call, js string, capture bool) {
	r := &c.Request
	base, toolBase := len(r.Messages), len(r.Tools)
	var system genai.Message
	hasSystem := false
	d := jscan.New(js)
	if !d.Obj() {
		return
	}
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
			system, hasSystem = genai.Message{Role: "system", Instructions: true}, true
			if capture {
				// Fix: the reference drops a block-array system prompt; its
				// text blocks are joined here.
				system.Content, system.HasContent = claudeText(&d)
			}
		case "messages":
			r.Messages = r.Messages[:base]
			d.Each(func() { r.Messages = scanClaudeMessage(&d, r.Messages, capture) })
		case "tools":
			r.Tools = r.Tools[:toolBase]
			d.Each(func() { r.Tools = append(r.Tools, scanClaudeTool(&d)) })
		}
	}
	if hasSystem {
		r.Messages = slices.Insert(r.Messages, base, system)
	}
}

// scanClaudeTool reads the tool definition at the cursor.
func scanClaudeTool(d *jscan.Scanner) genai.Tool {
	tool := genai.Tool{Type: "function"}
	if !d.Obj() {
		return tool
	}
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
	return tool
}

// claudeText reads the content value at the cursor: a string as is, or the
// text blocks of a block list joined.
func claudeText(d *jscan.Scanner) (string, bool) {
	s, ok, _ := claudeTextMedia(d)
	return s, ok
}

// claudeTextMedia is claudeText, and reports whether the block list has an
// image or a document.
func claudeTextMedia(d *jscan.Scanner) (text string, ok, media bool) {
	if d.Kind() == jscan.KindString {
		return d.Str(), true, false
	}
	var j textJoiner
	d.Each(func() {
		switch b := scanClaudeBlock(d, false); b.typ {
		case "text":
			j.add(b.text)
		case "image", "document":
			media = true
		}
	})
	return j.String(), j.n > 0, media
}

// claudeBlock is a content block: the first member of each name counts.
type claudeBlock struct {
	typ, text, thinking, id, name, input, toolUseID string
	// content is a tool result's content as text (read when asked for);
	// parts its images and documents, when it has any.
	content    string
	hasContent bool
	parts      []genai.Part
}

// scanClaudeBlock reads the block at the cursor (anything but an object is an
// empty block); withContent reads the text of its content member.
func scanClaudeBlock(d *jscan.Scanner, withContent bool) claudeBlock {
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
		case "thinking":
			first(128, &b.thinking, false)
		case "content":
			if seen&64 == 0 && withContent {
				from := *d // for a second pass when it has media
				var media bool
				b.content, b.hasContent, media = claudeTextMedia(d)
				if media && !d.Bad() {
					b.parts = claudeParts(&from)
				}
			}
			seen |= 64
		}
	}
	return b
}

// claudeBody is a message's content, read before its role may be known:
// the "tool" messages of its tool results go straight into the message list;
// the rest is kept here.
type claudeBody struct {
	isString  bool
	str       string
	text      textJoiner
	reasoning textJoiner // thinking blocks (an answer's)
	calls     []genai.ToolCall
	// parts are the text, image and document blocks in order, when there is
	// an image or a document (and content is captured).
	parts []genai.Part
}

// scanClaudeContent reads the content value at the cursor: it appends one
// "tool" message per tool_result block to dst, and keeps a string content, or
// the text and tool_use blocks of a block list, in body. Images and documents
// are ignored.
func scanClaudeContent(d *jscan.Scanner, dst []genai.Message, body *claudeBody, capture bool) []genai.Message {
	if d.Kind() == jscan.KindString {
		body.isString = true
		body.str = d.Str()
		return dst
	}
	from := *d // the content, for a second pass when it has media
	media := false
	d.Each(func() {
		b := scanClaudeBlock(d, capture)
		switch b.typ {
		case "image", "document":
			media = true
		case "text":
			body.text.add(b.text)
		case "thinking":
			body.reasoning.add(b.thinking)
		case "tool_use":
			tc := genai.ToolCall{ID: b.id, Type: "function", Name: b.name}
			if capture {
				tc.Arguments = b.input
			}
			body.calls = append(body.calls, tc)
		case "tool_result":
			m := genai.Message{Role: "tool", ToolCallID: b.toolUseID}
			if capture {
				// Fix: the reference keeps only string content; text blocks
				// of a list content are joined here.
				m.Content, m.HasContent, m.Parts = b.content, b.hasContent, genai.ToolParts(b.toolUseID, b.parts)
			}
			dst = append(dst, m)
		}
	})
	if media && capture && !d.Bad() {
		body.parts = claudeParts(&from)
	}
	return dst
}

// claudeParts reads a block list (the scanner at it) as the record's parts:
// text blocks, and image and document blocks (base64, text or URL sources,
// or files uploaded beforehand); other blocks are left out.
func claudeParts(d *jscan.Scanner) []genai.Part {
	var parts []genai.Part
	d.Each(func() {
		if !d.Obj() {
			return
		}
		var typ, text, srcType, mime, data, url, fileID string
		var seen, srcSeen uint8
		// first reports whether this is the first member of its name
		// (bit) in the block or, src, in its source.
		first := func(set *uint8, bit uint8) bool {
			if *set&bit != 0 {
				return false
			}
			*set |= bit
			return true
		}
		for k, ok := d.Key(); ok; k, ok = d.Key() {
			switch {
			case k == "type" && first(&seen, 1):
				typ = d.Str()
			case k == "text" && first(&seen, 2):
				text = d.Str()
			case k == "source" && first(&seen, 4):
				if !d.Obj() {
					continue
				}
				for k, ok := d.Key(); ok; k, ok = d.Key() {
					switch {
					case k == "type" && first(&srcSeen, 1):
						srcType = d.Str()
					case k == "media_type" && first(&srcSeen, 2):
						mime = d.Str()
					case k == "data" && first(&srcSeen, 4):
						data = d.Str()
					case k == "url" && first(&srcSeen, 8):
						url = d.Str()
					case k == "file_id" && first(&srcSeen, 16):
						fileID = d.Str()
					}
				}
			}
		}
		modality := genai.ModalityImage
		switch typ {
		case "text":
			parts = append(parts, genai.Part{Kind: genai.PartText, Text: text})
			return
		case "document":
			modality = genai.ModalityDocument
		case "image":
		default:
			return
		}
		p := genai.Part{Modality: modality, MimeType: mime}
		switch srcType {
		case "base64":
			p.Kind, p.Data = genai.PartBlob, data
		case "text":
			p.Kind, p.Text = genai.PartBlob, data
		case "url":
			p.Kind, p.URI = genai.PartURI, url
		case "file":
			p.Kind, p.FileID = genai.PartFile, fileID
		default:
			return
		}
		parts = append(parts, p)
	})
	return parts
}

// finishClaudeMessage flattens a Claude message as llm-tracekit does, given
// what scanClaudeContent read from it (dst[start:] are its "tool" messages):
// string content is one message; an assistant block list is one message
// (text joined, tool_use blocks as tool calls); a user block list is one
// "tool" message per tool_result, then one "user" message with the text
// joined.
func finishClaudeMessage(dst []genai.Message, start int, role string, body *claudeBody, capture bool) []genai.Message {
	if body.isString {
		m := genai.Message{Role: role}
		if capture {
			m.Content, m.HasContent = body.str, true
		}
		return append(dst, m)
	}
	if body.text.n > 0 || len(body.calls) > 0 || role == "assistant" || body.parts != nil {
		m := genai.Message{Role: role, ToolCalls: body.calls, Parts: body.parts}
		if body.text.n > 0 && capture {
			m.Content, m.HasContent = body.text.String(), true
		}
		dst = append(dst, m)
	}
	if len(dst) == start {
		dst = append(dst, genai.Message{Role: role})
	}
	return dst
}

// scanClaudeMessage reads the message at the cursor and appends it,
// flattened, to dst (the last role and the last content count).
func scanClaudeMessage(d *jscan.Scanner, dst []genai.Message, capture bool) []genai.Message {
	start := len(dst)
	var role string
	var body claudeBody
	if d.Obj() {
		for k, ok := d.Key(); ok; k, ok = d.Key() {
			switch k {
			case "role":
				role = d.Str()
			case "content":
				dst, body = dst[:start], claudeBody{}
				dst = scanClaudeContent(d, dst, &body, capture)
			}
		}
	}
	return finishClaudeMessage(dst, start, role, &body, capture)
}

// claudeResponse reads a Claude response body in one pass (its content, the
// last member of that name, where it stands).
func claudeResponse(c *genai.Call, js string, capture bool) {
	r := &c.Response
	var finish string
	var one [1]genai.Message
	var body claudeBody
	msgs := one[:0] // tool_result blocks (not expected in a response), then the answer
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
				body = claudeBody{}
				msgs = scanClaudeContent(&d, one[:0], &body, capture)
			}
		}
	}
	msgs = finishClaudeMessage(msgs, 0, "assistant", &body, capture)
	ch := genai.Choice{Role: "assistant", FinishReason: finish}
	if len(msgs) > 0 {
		ch.Content, ch.HasContent, ch.ToolCalls = msgs[0].Content, msgs[0].HasContent, msgs[0].ToolCalls
	}
	if capture {
		ch.Reasoning = body.reasoning.String()
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
		a.setIdent(&a.id, m.Get("id").Str) // fix: the reference drops the id of streams
		a.setIdent(&a.model, m.Get("model").Str)
		a.setIdent(&a.choice(0).role, m.Get("role").Str)
		claudeUsage(&a.usage, m.Get("usage"))
	case "content_block_start":
		idx := int(gjson.Get(js, "index").Int())
		b := gjson.Get(js, "content_block")
		ch := a.choice(0)
		switch b.Get("type").Str {
		case "tool_use":
			if t := a.tool(ch, idx); t != nil {
				a.setIdent(&t.id, b.Get("id").Str)
				a.setIdent(&t.name, b.Get("name").Str)
			}
		case "text":
			a.appendText(ch, b.Get("text").Str, capture)
		case "thinking":
			a.appendReasoning(ch, b.Get("thinking").Str, capture)
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
		case "thinking_delta":
			a.appendReasoning(ch, d.Get("thinking").Str, capture)
		}
	case "content_block_stop":
		// A tool called without input streams no argument fragment: its
		// input is {}, as the same call without streaming says.
		if t := a.existingTool(a.choice(0), int(gjson.Get(js, "index").Int())); t != nil && len(t.args) == 0 {
			a.appendArgs(t, "{}", capture)
		}
	case "message_delta":
		a.setIdent(&a.choice(0).finish, gjson.Get(js, "delta.stop_reason").Str)
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
