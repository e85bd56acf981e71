package openaitrace

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	"github.com/tidwall/gjson"

	"github.com/tracekit-go/tracekit/internal/genai"
)

// This file translates the Responses API (POST /responses, plain and
// streamed) into the neutral record. It names no attribute and starts no
// span.

var responsesEndpoint = &endpoint{
	operation:     genai.OpChat,
	api:           "responses",
	parseRequest:  parseResponsesRequest,
	parseResponse: checked(parseResponsesResponse),
	newStream:     newResponsesStream,
}

// parseResponsesRequest fills c.Request from a POST /responses body.
//
// instructions become a system message first; a string input is one user
// message; list input items keep their order: messages (with or without
// "type":"message") with their text parts joined, function_call and
// custom_tool_call items as tool calls of an assistant message (consecutive
// calls share one message, as in chat completions), their *_output items as
// tool messages. Items that carry no conversation text (reasoning, image
// generation, web search, item references, ...) give no message and do not
// disturb the order of the others. Content is extracted only when content is
// true.
func parseResponsesRequest(body string, c *genai.Call, content bool) {
	r := &c.Request
	var user, safety string
	var instructions, input gjson.Result
	gjson.Parse(body).ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "model":
			r.Model = v.Str
		case "instructions":
			instructions = v
		case "input":
			input = v
		case "tools":
			eachElem(v, func(t gjson.Result) bool {
				r.Tools = append(r.Tools, parseResponsesTool(t))
				return true
			})
		case "temperature":
			r.Temperature = optFloat(v)
		case "top_p":
			r.TopP = optFloat(v)
		case "max_output_tokens":
			r.MaxTokens = optInt(v)
		case "text":
			// The output format ({"format":{"type":"json_schema",...}}):
			// as chat's response_format.
			r.ResponseFormat = v.Get("format.type").Str
		case "service_tier":
			r.ServiceTier = v.Str
		case "user":
			user = v.Str
		case "safety_identifier":
			safety = v.Str
		case "stream":
			c.Streaming = v.Bool()
		case "previous_response_id":
			r.PreviousResponseID = v.Str
		case "conversation":
			if v.Type == gjson.String {
				r.ConversationID = v.Str
			} else if v.IsObject() {
				r.ConversationID = v.Get("id").Str
			}
		}
		return true
	})
	r.User = user
	if r.User == "" {
		r.User = safety
	}
	{
		// Room for most conversations in one allocation.
		n := 0
		if instructions.Exists() {
			n++
		}
		if input.IsArray() {
			n += 8
		} else if input.Exists() {
			n++
		}
		r.Messages = slices.Grow(r.Messages, n)
	}
	// The SDK writes input before instructions; the system message comes
	// first all the same.
	if instructions.Type == gjson.String {
		msg := genai.Message{Role: "system", Instructions: true}
		if content {
			msg.Content, msg.HasContent = instructions.Str, true
		}
		r.Messages = append(r.Messages, msg)
	} else if instructions.IsArray() {
		r.Messages = appendInputItems(r.Messages, instructions, content)
	}
	switch {
	case input.Type == gjson.String:
		msg := genai.Message{Role: "user"}
		if content {
			msg.Content, msg.HasContent = input.Str, true
		}
		r.Messages = append(r.Messages, msg)
	case input.IsArray():
		r.Messages = appendInputItems(r.Messages, input, content)
	}
}

// appendInputItems appends the messages of a list of Responses input items.
func appendInputItems(msgs []genai.Message, items gjson.Result, content bool) []genai.Message {
	// merge is the index of the assistant message the next tool call joins,
	// or -1.
	merge := -1
	eachElem(items, func(it gjson.Result) bool {
		var typ, role, callID, id, name, args, output, contentV gjson.Result
		it.ForEach(func(k, v gjson.Result) bool {
			switch k.Str {
			case "type":
				typ = v
			case "role":
				role = v
			case "call_id":
				callID = v
			case "id":
				id = v
			case "name":
				name = v
			case "arguments", "input":
				args = v
			case "output":
				output = v
			case "content":
				contentV = v
			}
			return true
		})
		switch typ.Str {
		case "message", "":
			if role.Type != gjson.String {
				return true // not a message (an unknown shape)
			}
			msg := genai.Message{Role: responsesRole(role.Str)}
			if content {
				msg.Content, msg.HasContent = responsesText(contentV, &msg.Parts)
			}
			msgs = append(msgs, msg)
			merge = -1
			if msg.Role == "assistant" {
				merge = len(msgs) - 1
			}
		case "function_call", "custom_tool_call":
			if merge < 0 {
				msgs = append(msgs, genai.Message{Role: "assistant"})
				merge = len(msgs) - 1
			}
			msgs[merge].ToolCalls = append(msgs[merge].ToolCalls, responsesToolCall(typ.Str, callID.Str, id.Str, name.Str, args, content))
		case "function_call_output", "custom_tool_call_output":
			msg := genai.Message{Role: "tool", ToolCallID: callID.Str}
			if content {
				var parts []genai.Part
				msg.Content, msg.HasContent = responsesText(output, &parts)
				msg.Parts = genai.ToolParts(msg.ToolCallID, parts) // an image or a file the function returned
			}
			msgs = append(msgs, msg)
			merge = -1
		case "reasoning":
			// Reasoning between an assistant message and its tool calls
			// does not split them.
		default:
			// Other items (image generation, searches, computer and shell
			// calls, item references, ...) carry no conversation text.
			merge = -1
		}
		return true
	})
	return msgs
}

// responsesRole maps an input message role to a prompt role: developer
// instructions count as system ones, as in llm-tracekit.
func responsesRole(role string) string {
	if role == "developer" {
		return "system"
	}
	return role
}

// responsesText returns a string content as is, and the text parts of a
// part list joined (input_text, output_text, text, refusal); image, file and
// audio parts are not text. When parts is not nil and the list has an image,
// file or audio part, *parts is set to all its parts in order.
func responsesText(v gjson.Result, parts *[]genai.Part) (string, bool) {
	switch {
	case v.Type == gjson.String:
		return v.Str, true
	case v.IsArray():
		var j joiner
		media := false
		eachElem(v, func(part gjson.Result) bool {
			if part.Type == gjson.String {
				j.add(part.Str)
				return true
			}
			switch typ, text := partText(part); typ {
			case "input_text", "output_text", "text", "refusal":
				j.add(text)
			case "input_image", "input_file", "input_audio":
				media = true
			}
			return true
		})
		if media && parts != nil {
			*parts = responsesParts(v)
		}
		return j.String(), j.n > 0
	}
	return "", false
}

// responsesParts reads a part list as the record's parts: text parts, and
// input_image, input_file and input_audio parts; others are left out.
func responsesParts(v gjson.Result) []genai.Part {
	var parts []genai.Part
	eachElem(v, func(part gjson.Result) bool {
		if part.Type == gjson.String {
			parts = append(parts, genai.Part{Kind: genai.PartText, Text: part.Str})
			return true
		}
		switch typ, text := partText(part); typ {
		case "input_text", "output_text", "text", "refusal":
			parts = append(parts, genai.Part{Kind: genai.PartText, Text: text})
		case "input_image":
			if id := part.Get("file_id").Str; id != "" {
				parts = genai.AppendPart(parts, genai.Part{Kind: genai.PartFile, Modality: genai.ModalityImage, FileID: id})
			} else {
				parts = genai.AppendPart(parts, genai.URLPart(part.Get("image_url").Str, genai.ModalityImage))
			}
		case "input_file":
			switch {
			case part.Get("file_id").Str != "":
				parts = genai.AppendPart(parts, genai.Part{Kind: genai.PartFile, Modality: genai.ModalityDocument, FileID: part.Get("file_id").Str})
			case part.Get("file_url").Str != "":
				parts = genai.AppendPart(parts, genai.URLPart(part.Get("file_url").Str, genai.ModalityDocument))
			default:
				parts = genai.AppendPart(parts, genai.DataPart(part.Get("file_data").Str, genai.ModalityDocument))
			}
		case "input_audio":
			if a := part.Get("input_audio"); a.Get("data").Str != "" {
				parts = append(parts, genai.Part{Kind: genai.PartBlob, Modality: genai.ModalityAudio,
					MimeType: audioMime(a.Get("format").Str), Data: a.Get("data").Str})
			}
		}
		return true
	})
	return parts
}

// partText returns the type of a content part and its text: the refusal of
// a refusal part, the text of any other.
func partText(part gjson.Result) (typ, text string) {
	var t, txt, refusal gjson.Result
	part.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "type":
			t = v
		case "text":
			txt = v
		case "refusal":
			refusal = v
		}
		return true
	})
	if t.Str == "refusal" {
		return t.Str, refusal.Str
	}
	return t.Str, txt.Str
}

// joiner concatenates strings, without copying when there is only one.
type joiner struct {
	s string
	b []byte
	n int
}

func (j *joiner) add(s string) {
	switch j.n {
	case 0:
		j.s = s
	case 1:
		j.b = append(append(make([]byte, 0, len(j.s)+len(s)), j.s...), s...)
	default:
		j.b = append(j.b, s...)
	}
	j.n++
}

func (j *joiner) String() string {
	if j.n <= 1 {
		return j.s
	}
	return bstr(j.b)
}

// parseResponsesTool maps a Responses tool definition: function (flat, or
// chat-style nested) and custom tools by name, built-in tools (web_search,
// file_search, code_interpreter, mcp, ...) by type, which also stands for
// their name and description, as in llm-tracekit.
func parseResponsesTool(t gjson.Result) genai.Tool {
	var tool genai.Tool
	// The members a flat function tool has at the top, a chat-style one in
	// "function".
	function := func(k, v gjson.Result) bool {
		switch k.Str {
		case "name":
			tool.Name = v.Str
		case "description":
			tool.Description = v.Str
		case "parameters":
			if v.IsObject() {
				tool.Parameters = v.Raw
			}
		}
		return true
	}
	t.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "type":
			tool.Type = v.Str
		case "function":
			v.ForEach(function)
		default:
			function(k, v)
		}
		return true
	})
	if tool.Name == "" && tool.Type != "" && tool.Type != "function" {
		tool.Name, tool.Description = tool.Type, tool.Type
	}
	return tool
}

// parseResponsesResponse fills c.Response from a Responses API response
// object: one completion with the output text and refusals joined and the
// function calls as tool calls, its finish reason from the status. A failed
// response is an error.
func parseResponsesResponse(body string, c *genai.Call, content bool) {
	r := &c.Response
	var status, incomplete, errV gjson.Result
	ch := genai.Choice{Role: "assistant"}
	var text, reasoning joiner
	gjson.Parse(body).ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "id":
			r.ID = v.Str
		case "model":
			r.Model = v.Str
		case "service_tier":
			r.ServiceTier = v.Str
		case "status":
			status = v
		case "incomplete_details":
			incomplete = v
		case "error":
			errV = v
		case "output":
			eachElem(v, func(it gjson.Result) bool {
				outputItem(it, &ch, &text, &reasoning, content)
				return true
			})
		case "usage":
			parseUsage(v, &r.Usage, &responsesUsageKeys)
		}
		return true
	})
	if text.n > 0 {
		ch.Content, ch.HasContent = text.String(), true
	}
	ch.Reasoning = reasoning.String()
	ch.FinishReason = responsesFinish(status.Str, incomplete, len(ch.ToolCalls) > 0)
	r.Choices = append(r.Choices, ch)
	r.FinishReasons = finishReasons(r.FinishReasons[:0], r.Choices)
	if status.Str == "failed" || errV.IsObject() {
		c.Err = responsesError(errV)
	}
}

// outputItem adds one output item of a response to the completion: a
// message's text to text, a reasoning item's summary and text to reasoning
// (content, both), a function call to the tool calls, a built-in tool's call
// to the server tool calls (content), with what the model asked of it (see
// builtinArguments).
func outputItem(it gjson.Result, ch *genai.Choice, text, reasoning *joiner, content bool) {
	var typ, id, callID, name, args, parts, summary gjson.Result
	var builtin []gjson.Result     // keys and values of a built-in call's request members
	var image, format gjson.Result // an image generation call's image
	it.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "result":
			image = v
		case "output_format":
			format = v
		case "action", "queries", "code", "container_id", "server_label":
			if content {
				builtin = append(builtin, k, v)
			}
		case "type":
			typ = v
		case "id":
			id = v
		case "call_id":
			callID = v
		case "name":
			name = v
		case "arguments", "input":
			args = v
		case "content":
			parts = v
		case "summary":
			summary = v
		}
		return true
	})
	switch typ.Str {
	case "reasoning":
		if !content {
			return
		}
		for _, list := range [2]gjson.Result{summary, parts} {
			eachElem(list, func(p gjson.Result) bool {
				switch typ, txt := partText(p); typ {
				case "summary_text", "reasoning_text":
					reasoning.add(txt)
				}
				return true
			})
		}
	case "message":
		if !content {
			return
		}
		eachElem(parts, func(p gjson.Result) bool {
			switch typ, txt := partText(p); typ {
			case "output_text", "refusal":
				text.add(txt)
			}
			return true
		})
	case "function_call", "custom_tool_call":
		ch.ToolCalls = append(ch.ToolCalls, responsesToolCall(typ.Str, callID.Str, id.Str, name.Str, args, content))
	case "web_search_call", "file_search_call", "code_interpreter_call", "image_generation_call", "mcp_call":
		if !content {
			return // only the output messages show them, which are content
		}
		tool := strings.TrimSuffix(typ.Str, "_call")
		tc := genai.ToolCall{ID: id.Str, Type: tool, Name: tool}
		if tool == "mcp" && name.Str != "" {
			tc.Name = name.Str
		}
		if tool == "mcp" && args.Exists() {
			builtin = append(builtin, gjson.Result{Type: gjson.String, Str: "arguments"}, args)
		}
		tc.Arguments = builtinArguments(builtin)
		ch.ServerToolCalls = append(ch.ServerToolCalls, tc)
		if tool == "image_generation" && image.Type == gjson.String && image.Str != "" {
			// The generated image (base64) is a part of the answer.
			mime := "image/png"
			if format.Type == gjson.String && format.Str != "" {
				mime = "image/" + format.Str
			}
			ch.Media = append(ch.Media, genai.Part{Kind: genai.PartBlob, Modality: genai.ModalityImage, MimeType: mime, Data: image.Str})
		}
	}
}

// builtinArguments is the JSON object of what the model asked of a built-in
// tool: the members of its call item that say it (kv: keys and values, in
// turn), as sent. A web search's action (its query, the page it opens),
// a file search's queries, the code and container of a code interpreter
// call, an MCP call's server label and arguments. "" when there are none.
func builtinArguments(kv []gjson.Result) string {
	if len(kv) == 0 {
		return ""
	}
	n := 2
	for i := 0; i+1 < len(kv); i += 2 {
		n += len(kv[i].Str) + len(kv[i+1].Raw) + 4
	}
	b := make([]byte, 0, n)
	b = append(b, '{')
	for i := 0; i+1 < len(kv); i += 2 {
		raw := kv[i+1].Raw
		if v := kv[i+1]; v.Type == gjson.String && kv[i].Str == "arguments" && gjson.Valid(v.Str) && gjson.Parse(v.Str).IsObject() {
			raw = v.Str // an MCP call's arguments, JSON text in a string: the object itself
		}
		if raw == "" {
			continue
		}
		if len(b) > 1 {
			b = append(b, ',')
		}
		b = strconv.AppendQuote(b, kv[i].Str) // keys are the fixed ASCII names above
		b = append(b, ':')
		b = append(b, raw...)
	}
	return string(append(b, '}'))
}

// responsesToolCall is the tool call of a function_call or custom_tool_call
// item (typ): its call id (else its item id), its name and, with content on,
// its arguments (a custom tool's input).
func responsesToolCall(typ, callID, id, name string, args gjson.Result, content bool) genai.ToolCall {
	tc := genai.ToolCall{ID: callID, Type: "function", Name: name}
	if tc.ID == "" {
		tc.ID = id
	}
	if typ == "custom_tool_call" {
		tc.Type = "custom"
	}
	if content && args.Type == gjson.String {
		tc.Arguments = args.Str
	}
	return tc
}

// responsesFinish maps a response status to a finish reason: completed is
// stop (tool_calls when the model called functions), incomplete is its
// reason (max_output_tokens, content_filter), failed is error; other statuses
// (cancelled, in_progress, queued) are kept. A response without a status
// stopped before its end: error.
func responsesFinish(status string, incomplete gjson.Result, calls bool) string {
	switch status {
	case "completed":
		if calls {
			return "tool_calls"
		}
		return "stop"
	case "incomplete":
		if reason := incomplete.Get("reason").Str; reason != "" {
			return reason
		}
		return "incomplete"
	case "failed", "":
		return "error"
	}
	return status
}

// responsesError describes a failed response from its error object
// ({"code":..,"message":..}).
func responsesError(e gjson.Result) *genai.Error {
	typ, msg := e.Get("code").Str, e.Get("message").Str
	if typ == "" {
		typ = "response_failed"
	}
	if msg == "" {
		msg = "response failed"
	}
	return &genai.Error{Type: typ, Message: msg}
}

// responsesStream rebuilds a response from the typed events of a Responses
// stream. The terminal event (response.completed, response.incomplete,
// response.failed) carries the whole response, which then wins; the deltas
// are what a stream cut short leaves.
type responsesStream struct {
	content  bool
	buffered int

	id, model, tier string
	final           string // the response object of the terminal event
	text            []byte
	hasText         bool
	calls           []responsesCall
	err             *genai.Error
}

// responsesCall is a function call being streamed, by output index.
type responsesCall struct {
	index          int64
	itemID, callID string
	name, typ      string
	args           []byte
}

func newResponsesStream(content bool) streamAccumulator { return &responsesStream{content: content} }

// consume takes one event; it reports done on the terminal events and on
// an error event.
func (s *responsesStream) consume(_, data []byte) bool {
	if len(data) >= 6 && string(data[:6]) == "[DONE]" {
		return true // openai-go ends any stream there
	}
	ok, null := decodable(data)
	if null {
		return false // openai-go delivers an empty event: nothing to record
	}
	var typ, resp, delta, item, index, itemID, args, code, message, errV gjson.Result
	gjson.Parse(bstr(data)).ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "type":
			typ = v
		case "response":
			resp = v
		case "delta":
			delta = v
		case "item":
			item = v
		case "output_index":
			index = v
		case "item_id":
			itemID = v
		case "arguments":
			args = v
		case "code":
			code = v
		case "message":
			message = v
		case "error":
			errV = v
		}
		return true
	})
	// The event's type is its data's, as openai-go hands it to the caller
	// (it ignores the SSE event name).
	t := typ.Str
	if errV.Exists() && t != "error" {
		// openai-go ends the stream with an error on an event with an
		// "error" member, of any value, and delivers nothing of it nor of
		// any later event: the event is terminal, whatever its type.
		if errV.IsObject() {
			s.err = streamError(errV)
		} else {
			s.err = &genai.Error{Type: "stream_error", Message: strings.Clone(errV.String())}
		}
		return true
	}
	if !errV.Exists() && (!ok || !wholeValue(data)) {
		// (openai-go looks for an "error" member before it decodes: an
		// event with one ends the stream with that error, whatever its
		// shape; see the type "error" case below.)
		s.err = undecodableEvent
		return true
	}
	switch t {
	case "response.created", "response.in_progress", "response.queued":
		s.head(resp)
	case "response.output_text.delta", "response.refusal.delta":
		if s.content && delta.Type == gjson.String {
			s.hasText = true
			s.text = s.appendBounded(s.text, delta.Str)
		}
	case "response.output_item.added", "response.output_item.done":
		if it := item.Get("type").Str; it == "function_call" || it == "custom_tool_call" {
			s.item(outputIndex(index), item, t == "response.output_item.done")
		}
	case "response.function_call_arguments.delta", "response.custom_tool_call_input.delta":
		if call := s.call(outputIndex(index), itemID.Str); call != nil && s.content && delta.Type == gjson.String {
			call.args = s.appendBounded(call.args, delta.Str)
		}
	case "response.function_call_arguments.done":
		if call := s.call(outputIndex(index), itemID.Str); call != nil && s.content && args.Type == gjson.String {
			call.args = s.replaceBounded(call.args, args.Str)
		}
	case "response.completed", "response.incomplete", "response.failed":
		s.head(resp)
		if resp.IsObject() && len(resp.Raw) <= maxBody {
			if s.content {
				s.final = strings.Clone(resp.Raw)
			} else {
				// Capture off: only what parseResponsesResponse reads
				// without content (no text, arguments or images).
				s.final = resp.Get(`{id,model,service_tier,status,incomplete_details,error,usage,output:output.#.{type,id,call_id,name}}`).Raw
			}
		}
		if t == "response.failed" && s.final == "" {
			s.err = responsesError(resp.Get("error"))
			s.err.Type, s.err.Message = strings.Clone(s.err.Type), strings.Clone(s.err.Message)
		}
		return true
	case "error":
		e := &genai.Error{Type: strings.Clone(code.Str), Message: strings.Clone(message.Str)}
		if errV.IsObject() { // {"error":{...}} as chat streams send it
			e.Type, e.Message = strings.Clone(errV.Get("code").Str), strings.Clone(errV.Get("message").Str)
		}
		if e.Type == "" {
			e.Type = "stream_error"
		}
		if e.Message == "" {
			e.Message = "error event in the response stream"
		}
		s.err = e
		return true
	}
	return false
}

// head keeps the id, model and service tier of the first response object.
func (s *responsesStream) head(resp gjson.Result) {
	if !resp.IsObject() {
		return
	}
	resp.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "id":
			keepFirst(&s.id, v.Str)
		case "model":
			keepFirst(&s.model, v.Str)
		case "service_tier":
			if v.Str != "" && v.Str != s.tier {
				s.tier = strings.Clone(v.Str)
			}
		}
		return true
	})
}

// item records a function call output item as it is added (or done).
func (s *responsesStream) item(index int64, it gjson.Result, done bool) {
	call := s.call(index, "")
	if call == nil {
		if len(s.calls) >= maxStreamChoices {
			return
		}
		s.calls = append(s.calls, responsesCall{index: index})
		call = &s.calls[len(s.calls)-1]
	}
	if call.typ == "" {
		call.typ = "function"
		if it.Get("type").Str == "custom_tool_call" {
			call.typ = "custom"
		}
	}
	it.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "id":
			keepFirst(&call.itemID, v.Str)
		case "call_id":
			keepFirst(&call.callID, v.Str)
		case "name":
			keepFirst(&call.name, v.Str)
		case "arguments", "input":
			if s.content && v.Type == gjson.String && (done || len(call.args) == 0) {
				call.args = s.replaceBounded(call.args, v.Str)
			}
		}
		return true
	})
}

// call returns the streamed call at an output index (index < 0: none), or
// else the one with an item id.
func (s *responsesStream) call(index int64, itemID string) *responsesCall {
	if index >= 0 {
		for i := range s.calls {
			if s.calls[i].index == index {
				return &s.calls[i]
			}
		}
	}
	if itemID != "" {
		for i := range s.calls {
			if s.calls[i].itemID == itemID {
				return &s.calls[i]
			}
		}
	}
	return nil
}

// outputIndex is an event's output_index, or -1 when it has none.
func outputIndex(v gjson.Result) int64 {
	if v.Type != gjson.Number {
		return -1
	}
	return v.Int()
}

func (s *responsesStream) appendBounded(dst []byte, str string) []byte {
	if s.buffered+len(str) > maxStreamText {
		return dst
	}
	s.buffered += len(str)
	if dst == nil {
		// Deltas are small: start with room for a few hundred bytes
		// rather than growing from one delta.
		dst = make([]byte, 0, max(len(str), 256))
	}
	return append(dst, str...)
}

func (s *responsesStream) replaceBounded(dst []byte, str string) []byte {
	s.buffered -= len(dst)
	return s.appendBounded(dst[:0], str)
}

// finish writes the response into c: the terminal event's response object
// when there was one, else what the deltas carried, with finish reason error.
func (s *responsesStream) finish(c *genai.Call, _ bool) {
	r := &c.Response
	if s.final != "" {
		parseResponsesResponse(s.final, c, s.content)
		genai.OwnResult(c, s.final) // (a response with generated images: see keepRequest)
		if r.ID == "" {
			r.ID = s.id
		}
		if r.Model == "" {
			r.Model = s.model
		}
		if r.ServiceTier == "" {
			r.ServiceTier = s.tier
		}
	} else {
		r.ID, r.Model, r.ServiceTier = s.id, s.model, s.tier
		ch := genai.Choice{Role: "assistant", FinishReason: "error"}
		if s.hasText {
			ch.Content, ch.HasContent = bstr(s.text), true
		}
		slices.SortStableFunc(s.calls, func(a, b responsesCall) int { return cmp.Compare(a.index, b.index) })
		for i := range s.calls {
			sc := &s.calls[i]
			id := sc.callID
			if id == "" {
				id = sc.itemID
			}
			ch.ToolCalls = append(ch.ToolCalls, genai.ToolCall{ID: id, Type: sc.typ, Name: sc.name, Arguments: bstr(sc.args)})
		}
		r.Choices = append(r.Choices, ch)
		r.FinishReasons = finishReasons(r.FinishReasons[:0], r.Choices)
	}
	if s.err != nil {
		c.Err = s.err
	}
}
