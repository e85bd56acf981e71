package openaitrace

import (
	"strings"

	"github.com/tidwall/gjson"

	"github.com/tracekit-go/tracekit/internal/genai"
	"github.com/tracekit-go/tracekit/internal/jscan"
)

// This file translates chat completions wire JSON into the neutral record.
// It names no attribute and starts no span.

// parseChatRequest fills c.Request from a POST /chat/completions body. Content
// (message text, tool-call arguments) is extracted only when content is true.
// It reads the body once (jscan); the record's strings are substrings of body.
func parseChatRequest(body string, c *genai.Call, content bool) {
	r := &c.Request
	var user, safety string
	var maxTokens, maxCompletion genai.Int
	d := jscan.New(body)
	if !d.Obj() {
		return
	}
	for k, ok := d.Key(); ok; k, ok = d.Key() {
		switch k {
		case "model":
			r.Model = d.Str()
		case "messages":
			if d.Arr() {
				for d.Elem() {
					r.Messages = append(r.Messages, scanChatMessage(&d, content))
				}
			}
		case "tools":
			if d.Arr() {
				for d.Elem() {
					r.Tools = append(r.Tools, scanChatTool(&d))
				}
			}
		case "temperature":
			r.Temperature = scanFloat(&d)
		case "top_p":
			r.TopP = scanFloat(&d)
		case "max_tokens":
			maxTokens = scanInt(&d)
		case "max_completion_tokens":
			maxCompletion = scanInt(&d)
		case "presence_penalty":
			r.PresencePenalty = scanFloat(&d)
		case "frequency_penalty":
			r.FrequencyPenalty = scanFloat(&d)
		case "seed":
			r.Seed = scanInt(&d)
		case "response_format":
			switch d.Kind() {
			case jscan.KindObject:
				d.Obj()
				r.ResponseFormat = ""
				seen := false
				for k, ok := d.Key(); ok; k, ok = d.Key() {
					if k == "type" && !seen {
						seen = true // the first "type" member, as gjson.Get
						r.ResponseFormat = d.Str()
					}
				}
			case jscan.KindString:
				r.ResponseFormat = d.Str()
			}
		case "service_tier":
			r.ServiceTier = d.Str()
		case "n":
			r.ChoiceCount = scanInt(&d)
		case "stream":
			c.Streaming = d.Bool()
		case "stop":
			if d.Kind() == jscan.KindString {
				r.StopSequences = append(r.StopSequences, d.Str())
			} else if d.Arr() {
				for d.Elem() {
					r.StopSequences = append(r.StopSequences, d.Str())
				}
			}
		case "user":
			user = d.Str()
		case "safety_identifier":
			safety = d.Str()
		case "audio":
			if d.Kind() == jscan.KindObject {
				d.Obj()
				for k, ok := d.Key(); ok; k, ok = d.Key() {
					if k == "format" {
						r.OutputAudioFormat = d.Str()
					}
				}
			}
		}
	}
	r.User = user
	if r.User == "" {
		r.User = safety
	}
	r.MaxTokens = maxCompletion
	if !r.MaxTokens.Set {
		r.MaxTokens = maxTokens
	}
}

// scanChatMessage reads one element of a request's messages.
func scanChatMessage(d *jscan.Scanner, content bool) genai.Message {
	var msg genai.Message
	if !d.Obj() {
		return msg
	}
	for k, ok := d.Key(); ok; k, ok = d.Key() {
		switch k {
		case "role":
			msg.Role = d.Str()
		case "content":
			if content {
				msg.Content, msg.HasContent = scanTextContent(d, &msg.Parts, "text", "refusal")
			}
		case "tool_call_id":
			msg.ToolCallID = d.Str()
		case "tool_calls":
			msg.ToolCalls = scanToolCalls(d, content)
		}
	}
	return msg
}

// scanTextContent reads a content value: a string as is, and the text of an
// array of parts joined; parts of other types (images, audio, files) are not
// text. A part's text is its member named after its type, when that type is
// one of partKeys (the first member of each name counts). When parts is not
// nil and the array has an image, audio or file part, *parts is set to all
// its parts in order (a second pass over the array, for those messages only).
func scanTextContent(d *jscan.Scanner, parts *[]genai.Part, partKeys ...string) (string, bool) {
	if parts != nil {
		*parts = nil // a repeated content member: the last one counts
	}
	switch d.Kind() {
	case jscan.KindString:
		return d.Str(), true
	case jscan.KindArray:
	default:
		d.Skip()
		return "", false
	}
	from := *d // the array, for the second pass
	media := false
	d.Arr()
	var b strings.Builder
	found := false
	for d.Elem() {
		switch d.Kind() {
		case jscan.KindString:
			b.WriteString(d.Str())
			found = true
			continue
		case jscan.KindObject:
		default:
			d.Skip()
			continue
		}
		d.Obj()
		var typ string
		var typSeen bool
		var texts [2]string
		var seen [2]bool
		for k, ok := d.Key(); ok; k, ok = d.Key() {
			if k == "type" {
				if !typSeen {
					typSeen = true
					typ = d.Str()
				}
				continue
			}
			for i, key := range partKeys[:min(len(partKeys), 2)] {
				if k == key && !seen[i] {
					seen[i] = true
					texts[i] = d.Str()
					break
				}
			}
		}
		for i, key := range partKeys[:min(len(partKeys), 2)] {
			if typ == key {
				b.WriteString(texts[i])
				found = true
				break
			}
		}
		switch typ {
		case "image_url", "input_audio", "file":
			media = true
		}
	}
	if media && parts != nil && !d.Bad() {
		*parts = scanChatParts(&from, partKeys)
	}
	return b.String(), found
}

// scanChatParts reads an array of content parts (the scanner at it) as the
// record's parts: text parts (their text as scanTextContent reads it), and
// image_url, input_audio and file parts; others are left out, as is a media
// part without its data. As everywhere here, the first member of a name
// counts.
func scanChatParts(d *jscan.Scanner, partKeys []string) []genai.Part {
	var parts []genai.Part
	d.Arr()
	for d.Elem() {
		switch d.Kind() {
		case jscan.KindString:
			parts = append(parts, genai.Part{Kind: genai.PartText, Text: d.Str()})
			continue
		case jscan.KindObject:
		default:
			d.Skip()
			continue
		}
		d.Obj()
		var typ, url, audio, format, fileID, fileData string
		var texts [2]string
		var seen uint8 // bits: type, image_url, input_audio, file, texts
		for k, ok := d.Key(); ok; k, ok = d.Key() {
			bit := uint8(0)
			switch k {
			case "type":
				bit = 1
			case "image_url":
				bit = 2
			case "input_audio":
				bit = 4
			case "file":
				bit = 8
			}
			if bit != 0 {
				if seen&bit != 0 {
					continue
				}
				seen |= bit
			}
			switch k {
			case "type":
				typ = d.Str()
				continue
			case "image_url":
				// {"url": ...}; a bare string is taken as the URL.
				if d.Kind() == jscan.KindString {
					url = d.Str()
				} else {
					firstMembers(d, "url", &url, "", nil)
				}
				continue
			case "input_audio":
				firstMembers(d, "data", &audio, "format", &format)
				continue
			case "file":
				firstMembers(d, "file_id", &fileID, "file_data", &fileData)
				continue
			}
			for i, key := range partKeys[:min(len(partKeys), 2)] {
				if k == key && seen&(16<<i) == 0 {
					seen |= 16 << i
					texts[i] = d.Str()
					break
				}
			}
		}
		var p genai.Part
		switch typ {
		case "image_url":
			p = genai.URLPart(url, genai.ModalityImage)
		case "input_audio":
			if audio != "" {
				p = genai.Part{Kind: genai.PartBlob, Modality: genai.ModalityAudio, MimeType: audioMime(format), Data: audio}
			}
		case "file":
			if fileID != "" {
				p = genai.Part{Kind: genai.PartFile, Modality: genai.ModalityDocument, FileID: fileID}
			} else {
				p = genai.DataPart(fileData, genai.ModalityDocument)
			}
		default:
			for i, key := range partKeys[:min(len(partKeys), 2)] {
				if typ == key {
					p = genai.Part{Kind: genai.PartText, Text: texts[i]}
					break
				}
			}
		}
		parts = genai.AppendPart(parts, p)
	}
	return parts
}

// firstMembers reads the object at the cursor and the string values of the
// first members named k1 and k2 (k2 "": one name only); anything else is
// skipped.
func firstMembers(d *jscan.Scanner, k1 string, v1 *string, k2 string, v2 *string) {
	if !d.Obj() {
		return
	}
	var seen1, seen2 bool
	for k, ok := d.Key(); ok; k, ok = d.Key() {
		switch {
		case k == k1 && !seen1:
			seen1, *v1 = true, d.Str()
		case k2 != "" && k == k2 && !seen2:
			seen2, *v2 = true, d.Str()
		}
	}
}

// audioMime returns the media type of an input audio format ("wav",
// "mp3"); "" when there is none.
func audioMime(format string) string {
	switch format {
	case "":
		return ""
	case "mp3":
		return "audio/mpeg"
	case "pcm16":
		return "audio/pcm" // 16-bit little-endian PCM (audio/L16 is big-endian)
	}
	return "audio/" + format
}

// scanToolCalls reads a tool_calls array.
func scanToolCalls(d *jscan.Scanner, content bool) []genai.ToolCall {
	var calls []genai.ToolCall
	if !d.Arr() {
		return nil
	}
	for d.Elem() {
		var call genai.ToolCall
		if d.Obj() {
			for k, ok := d.Key(); ok; k, ok = d.Key() {
				switch k {
				case "id":
					call.ID = d.Str()
				case "type":
					call.Type = d.Str()
				case "function", "custom":
					if d.Obj() {
						for k, ok := d.Key(); ok; k, ok = d.Key() {
							switch k {
							case "name":
								call.Name = d.Str()
							case "arguments", "input":
								if content {
									call.Arguments = d.Str()
								}
							}
						}
					}
				}
			}
		}
		calls = append(calls, call)
	}
	return calls
}

// scanChatTool reads one element of a request's tools.
func scanChatTool(d *jscan.Scanner) genai.Tool {
	var tool genai.Tool
	if !d.Obj() {
		return tool
	}
	for k, ok := d.Key(); ok; k, ok = d.Key() {
		switch k {
		case "type":
			tool.Type = d.Str()
		case "function", "custom":
			if d.Obj() {
				for k, ok := d.Key(); ok; k, ok = d.Key() {
					switch k {
					case "name":
						tool.Name = d.Str()
					case "description":
						tool.Description = d.Str()
					case "parameters":
						tool.Parameters = d.Raw()
					}
				}
			}
		}
	}
	return tool
}

// parseChatResponse fills c.Response from a chat completions response body,
// in one pass (jscan); the record's strings are substrings of body.
func parseChatResponse(body string, c *genai.Call, content bool) (wellFormed bool) {
	r := &c.Response
	d := jscan.New(body)
	switch d.Kind() {
	case jscan.KindNull:
		d.Skip()
		return !d.Bad()
	case jscan.KindObject:
	default:
		return false
	}
	if d.Obj() {
		for k, ok := d.Key(); ok; k, ok = d.Key() {
			switch k {
			case "id":
				r.ID = d.Str()
			case "model":
				r.Model = d.Str()
			case "service_tier":
				r.ServiceTier = d.Str()
			case "system_fingerprint":
				r.SystemFingerprint = d.Str()
			case "choices":
				if d.Arr() {
					for d.Elem() {
						r.Choices = append(r.Choices, scanChatChoice(&d, content))
					}
				}
			case "usage":
				scanUsage(&d, &r.Usage, &chatUsageKeys)
			}
		}
	}
	r.FinishReasons = finishReasons(r.FinishReasons[:0], r.Choices)
	setAudioMime(c)
	return !d.Bad()
}

// setAudioMime gives an audio answer the media type of the format the
// request asked for.
func setAudioMime(c *genai.Call) {
	mime := audioMime(c.Request.OutputAudioFormat)
	if mime == "" {
		return
	}
	for i := range c.Response.Choices {
		for j := range c.Response.Choices[i].Media {
			if p := &c.Response.Choices[i].Media[j]; p.Modality == genai.ModalityAudio && p.MimeType == "" {
				p.MimeType = mime
			}
		}
	}
}

// scanChatChoice reads one element of a response's choices.
func scanChatChoice(d *jscan.Scanner, content bool) genai.Choice {
	var c genai.Choice
	if d.Obj() {
		for k, ok := d.Key(); ok; k, ok = d.Key() {
			switch k {
			case "finish_reason":
				c.FinishReason = d.Str()
			case "message":
				if !d.Obj() {
					break
				}
				var refusal, transcript string
				for k, ok := d.Key(); ok; k, ok = d.Key() {
					switch k {
					case "role":
						c.Role = d.Str()
					case "content":
						if content {
							c.Content, c.HasContent = scanTextContent(d, nil, "text")
						}
					case "refusal":
						refusal = d.Str()
					case "tool_calls":
						c.ToolCalls = scanToolCalls(d, content)
					case "audio":
						if content && d.Kind() == jscan.KindObject {
							transcript = scanAudio(d, &c)
						} // else skipped by the next Key (as the SDK ignores a null)
					}
				}
				if content && !c.HasContent && refusal != "" {
					c.Content, c.HasContent = refusal, true
				}
				if content && !c.HasContent && c.Media != nil {
					c.Content, c.HasContent = transcript, true // an audio reply: its transcript
				}
			}
		}
	}
	if c.FinishReason == "" {
		c.FinishReason = "error"
	}
	return c
}

// scanAudio reads the audio of an answer ({"id", "data", "transcript",
// "expires_at"}): the audio becomes a blob part of the choice (its base64
// data, when it came), and the transcript is returned.
func scanAudio(d *jscan.Scanner, c *genai.Choice) (transcript string) {
	if !d.Obj() {
		return ""
	}
	p := genai.Part{Kind: genai.PartBlob, Modality: genai.ModalityAudio}
	for k, ok := d.Key(); ok; k, ok = d.Key() {
		switch k {
		case "data":
			p.Data = d.Str()
		case "transcript":
			transcript = d.Str()
		default:
			d.Skip()
		}
	}
	c.Media = append(c.Media, p)
	return transcript
}

// scanUsage is parseUsage on a scanner at the usage value.
func scanUsage(d *jscan.Scanner, u *genai.Usage, keys *usageKeys) {
	if !d.Obj() {
		return
	}
	for k, ok := d.Key(); ok; k, ok = d.Key() {
		switch k {
		case keys.input:
			u.InputTokens = scanInt(d)
		case keys.output:
			u.OutputTokens = scanInt(d)
		case keys.inputDetails:
			if v, ok := scanFirst(d, "cached_tokens"); ok {
				u.CacheReadInputTokens = v
			}
		case keys.outputDetails:
			if v, ok := scanFirst(d, "reasoning_tokens"); ok {
				u.ReasoningTokens = v
			}
		}
	}
}

// scanFirst reads an object and returns its first member named key as an
// integer (unset when it is not a number); ok reports that the member exists.
func scanFirst(d *jscan.Scanner, key string) (v genai.Int, ok bool) {
	if !d.Obj() {
		return v, false
	}
	for k, more := d.Key(); more; k, more = d.Key() {
		if k == key && !ok {
			ok = true
			v = scanInt(d)
		}
	}
	return v, ok
}

func scanFloat(d *jscan.Scanner) genai.Float {
	if n, ok := d.Num(); ok {
		return genai.SetFloat(n.Num)
	}
	return genai.Float{}
}

func scanInt(d *jscan.Scanner) genai.Int {
	if n, ok := d.Num(); ok {
		return genai.SetInt(n.Int())
	}
	return genai.Int{}
}

// usageKeys names the members of a usage object: chat and completions count
// prompt and completion tokens, the Responses API input and output tokens.
type usageKeys struct {
	input, output, inputDetails, outputDetails string
}

var (
	chatUsageKeys      = usageKeys{"prompt_tokens", "completion_tokens", "prompt_tokens_details", "completion_tokens_details"}
	responsesUsageKeys = usageKeys{"input_tokens", "output_tokens", "input_tokens_details", "output_tokens_details"}
)

// parseUsage fills u from a usage object whose members keys names: the input
// and output tokens, the cached input tokens and the reasoning tokens.
func parseUsage(v gjson.Result, u *genai.Usage, keys *usageKeys) {
	v.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case keys.input:
			u.InputTokens = optInt(v)
		case keys.output:
			u.OutputTokens = optInt(v)
		case keys.inputDetails:
			if d := v.Get("cached_tokens"); d.Exists() {
				u.CacheReadInputTokens = optInt(d)
			}
		case keys.outputDetails:
			if d := v.Get("reasoning_tokens"); d.Exists() {
				u.ReasoningTokens = optInt(d)
			}
		}
		return true
	})
}

func finishReasons(dst []string, choices []genai.Choice) []string {
	if cap(dst) < len(choices) {
		dst = make([]string, 0, len(choices))
	}
	for i := range choices {
		dst = append(dst, choices[i].FinishReason)
	}
	return dst
}

// parseError returns the error type and message of an OpenAI error body
// ({"error":{"message":..,"type":..,"code":..}}); ok is false when the body
// carries no error object.
func parseError(body string) (typ, msg string, ok bool) {
	e := gjson.Get(body, "error")
	if !e.IsObject() {
		return "", "", false
	}
	typ, msg = errorFields(e)
	return typ, msg, true
}

// errorFields returns the type (its code, when it has one) and the message of
// an OpenAI error object.
func errorFields(e gjson.Result) (typ, msg string) {
	if code := e.Get("code"); code.Type == gjson.String && code.Str != "" {
		typ = code.Str
	} else if code.Type == gjson.Number {
		typ = code.Raw
	}
	if typ == "" {
		typ = e.Get("type").Str
	}
	return typ, e.Get("message").Str
}

func optFloat(v gjson.Result) genai.Float {
	if v.Type != gjson.Number {
		return genai.Float{}
	}
	return genai.SetFloat(v.Num)
}

func optInt(v gjson.Result) genai.Int {
	if v.Type != gjson.Number {
		return genai.Int{}
	}
	return genai.SetInt(v.Int())
}

// eachElem calls fn for every element of v when v is an array (gjson's
// ForEach would call it once with v itself for a scalar).
func eachElem(v gjson.Result, fn func(gjson.Result) bool) {
	if !v.IsArray() {
		return
	}
	v.ForEach(func(_, e gjson.Result) bool { return fn(e) })
}
