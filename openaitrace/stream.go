package openaitrace

import (
	"bytes"
	"cmp"
	"slices"
	"strings"
	"unsafe"

	"github.com/tidwall/gjson"

	"github.com/tracekit-go/tracekit/internal/genai"
	"github.com/tracekit-go/tracekit/internal/jscan"
)

// Bounds on what a streamed span buffers. Beyond them the stream still
// reaches the caller untouched; the span just records less.
const (
	// maxStreamText bounds the bytes of text and tool-call arguments one
	// stream accumulates, over all choices (only with content capture on).
	maxStreamText = 4 << 20
	// maxStreamChoices bounds the choices, and the tool calls per choice, a
	// stream tracks.
	maxStreamChoices = 128
	// maxStreamCalls bounds the tool calls a chat stream tracks, over all
	// its choices.
	maxStreamCalls = 128
	// maxStreamIdent bounds each identifier a stream keeps (ids, model,
	// roles, tool-call ids, types and names; with capture on or off): a
	// longer one is not recorded. With the bounds above, a stream keeps at
	// most about 0.5 MiB of them.
	maxStreamIdent = 1 << 10
)

// chatStream rebuilds a chat completion, or a legacy completion, from its
// streamed chunks.
type chatStream struct {
	content bool
	// completions is set for a legacy completions stream: its choices carry
	// "text" instead of a delta, and it has no service tier.
	completions bool
	buffered    int
	calls       int // tool calls tracked, over all choices

	id, model, tier, fingerprint string
	usage                        genai.Usage
	choices                      []streamChoice
	err                          *genai.Error
}

type streamChoice struct {
	index   int64
	role    string
	text    []byte
	hasText bool
	// audio: the answer is audio (its transcript is the text; the audio
	// data itself is not kept).
	audio  bool
	finish string
	calls  []streamCall
}

type streamCall struct {
	index          int64
	id, typ, name  string
	args           []byte
	hasArgs, valid bool
}

func newChatStream(content bool) streamAccumulator { return &chatStream{content: content} }

// bstr views b as a string without copying; b must not change afterwards.
func bstr(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// keepFirst sets *dst to a copy of s (the stream's buffer is reused) unless
// *dst is set already or s is empty: the first value a stream sends wins.
func keepFirst(dst *string, s string) {
	if *dst == "" && s != "" && len(s) <= maxStreamIdent {
		*dst = strings.Clone(s)
	}
}

// consume takes one SSE data payload, in one pass (jscan). It reports done
// on [DONE].
func (s *chatStream) consume(_, data []byte) bool {
	if len(data) >= 6 && string(data[:6]) == "[DONE]" {
		return true
	}
	if s.errorEvent(data) {
		return true
	}
	if ok, null := decodable(data); !ok {
		s.err = undecodableEvent
		return true
	} else if null {
		return false
	}
	d := jscan.New(bstr(data))
	if !d.Obj() {
		return false
	}
	for k, ok := d.Key(); ok; k, ok = d.Key() {
		switch k {
		case "id":
			keepFirst(&s.id, d.Str())
		case "model":
			keepFirst(&s.model, d.Str())
		case "service_tier":
			if !s.completions {
				keepFirst(&s.tier, d.Str())
			}
		case "system_fingerprint":
			keepFirst(&s.fingerprint, d.Str())
		case "choices":
			if d.Arr() {
				for d.Elem() {
					s.choice(&d)
				}
			}
		case "usage":
			scanUsage(&d, &s.usage, &chatUsageKeys)
		case "error":
			if d.Kind() == jscan.KindObject {
				s.err = streamError(gjson.Parse(d.Raw()))
			}
		}
	}
	if !d.AtEnd() {
		// Malformed after all (an object cut short, or followed by
		// more): openai-go fails to decode it.
		s.err = undecodableEvent
		return true
	}
	return false
}

// undecodableEvent is the error of a stream openai-go ended on an event it
// could not decode.
var undecodableEvent = &genai.Error{Type: "stream_decode_error", Message: "a stream event is not a JSON object"}

// decodable reports whether openai-go can decode a stream event's data into
// its chunk type, as far as its first and last bytes tell (whitespace aside):
// a JSON object, or null (decoded as an empty chunk). Anything else (another
// JSON value, most truncated objects, an object followed by more text) ends
// openai-go's stream with an error, and delivers nothing of it. The chat
// stream's scan then finds an object cut short or followed by another; it
// checks structure, not every rule of JSON (a trailing comma passes).
func decodable(data []byte) (ok, null bool) {
	data = bytes.Trim(data, " \t\r\n") // JSON's whitespace
	if len(data) >= 2 && data[0] == '{' && data[len(data)-1] == '}' {
		return true, false
	}
	if string(data) == "null" {
		return true, true
	}
	return false, false
}

// wholeValue reports whether data is one JSON value and nothing more, as far
// as its structure tells (the check of decodable's callers that do not scan
// the event to its end themselves).
func wholeValue(data []byte) bool {
	d := jscan.New(bstr(data))
	d.Skip()
	return d.AtEnd()
}

// errorEvent reports whether a stream event carries an "error" member, of
// any value, and records it. openai-go ends the stream with an error on such
// an event and delivers nothing of it, nor of any later event: the event is
// terminal, and nothing else in it counts. (A quick byte search keeps the
// cost off ordinary chunks.)
func (s *chatStream) errorEvent(data []byte) bool {
	if !bytes.Contains(data, []byte(`"error"`)) {
		return false
	}
	e := gjson.Get(bstr(data), "error")
	if !e.Exists() {
		return false
	}
	if e.IsObject() {
		s.err = streamError(e)
	} else {
		s.err = &genai.Error{Type: "stream_error", Message: strings.Clone(e.String())}
	}
	return true
}

// streamError describes an error object sent in a stream, as copies (the
// stream's buffer is reused); its type is stream_error when it names none.
func streamError(e gjson.Result) *genai.Error {
	typ, msg := errorFields(e)
	if typ == "" {
		typ = "stream_error"
	}
	return &genai.Error{Type: strings.Clone(typ), Message: strings.Clone(msg)}
}

// choice reads one element of a chunk's choices. Its delta is applied once
// the whole element is read, so that its index may come after it.
func (s *chatStream) choice(d *jscan.Scanner) {
	var index int64
	var delta, text, finish string
	var hasText bool
	if !d.Obj() {
		s.applyChoice(0, "", "", false, "")
		return
	}
	for k, ok := d.Key(); ok; k, ok = d.Key() {
		switch k {
		case "index":
			index = d.Int()
		case "delta":
			delta = d.Raw()
		case "text":
			text, hasText = d.StrOK()
		case "finish_reason":
			finish = d.Str()
		}
	}
	s.applyChoice(index, delta, text, hasText, finish)
}

func (s *chatStream) applyChoice(index int64, delta, text string, hasText bool, finish string) {
	c := s.choiceAt(index)
	if c == nil {
		return
	}
	if finish != "" {
		c.finish = strings.Clone(finish)
	}
	if s.completions {
		if s.content && hasText {
			c.hasText = true
			c.text = s.appendBounded(c.text, text)
		}
		return
	}
	d := jscan.New(delta)
	if !d.Obj() {
		return
	}
	for k, ok := d.Key(); ok; k, ok = d.Key() {
		switch k {
		case "role":
			keepFirst(&c.role, d.Str())
		case "content", "refusal":
			if v, ok := d.StrOK(); ok && s.content {
				c.hasText = true
				c.text = s.appendBounded(c.text, v)
			}
		case "tool_calls":
			if d.Arr() {
				for d.Elem() {
					s.toolCall(c, &d)
				}
			}
		case "audio":
			// An audio reply: its transcript streams as text; its data
			// (base64 audio, large) is not kept.
			if s.content && d.Obj() {
				c.audio = true
				for k, ok := d.Key(); ok; k, ok = d.Key() {
					if k == "transcript" {
						if v, ok := d.StrOK(); ok {
							c.hasText = true
							c.text = s.appendBounded(c.text, v)
						}
					}
				}
			}
		}
	}
}

func (s *chatStream) choiceAt(index int64) *streamChoice {
	for i := range s.choices {
		if s.choices[i].index == index {
			return &s.choices[i]
		}
	}
	if len(s.choices) >= maxStreamChoices {
		return nil
	}
	s.choices = append(s.choices, streamChoice{index: index})
	return &s.choices[len(s.choices)-1]
}

// callAt returns the tool call of c with the given index, adding it if the
// bound allows (nil otherwise).
func (c *streamChoice) callAt(index int64, total *int) *streamCall {
	for i := range c.calls {
		if c.calls[i].index == index {
			return &c.calls[i]
		}
	}
	if *total >= maxStreamCalls {
		return nil
	}
	*total++
	c.calls = append(c.calls, streamCall{index: index, valid: true})
	return &c.calls[len(c.calls)-1]
}

// toolCall reads one element of a delta's tool_calls.
func (s *chatStream) toolCall(c *streamChoice, d *jscan.Scanner) {
	var index int64
	var id, typ, fn string
	if d.Obj() {
		for k, ok := d.Key(); ok; k, ok = d.Key() {
			switch k {
			case "index":
				index = d.Int()
			case "id":
				id = d.Str()
			case "type":
				typ = d.Str()
			case "function":
				fn = d.Raw()
			}
		}
	}
	call := c.callAt(index, &s.calls)
	if call == nil {
		return
	}
	keepFirst(&call.id, id)
	keepFirst(&call.typ, typ)
	f := jscan.New(fn)
	if !f.Obj() {
		return
	}
	for k, ok := f.Key(); ok; k, ok = f.Key() {
		switch k {
		case "name":
			keepFirst(&call.name, f.Str())
		case "arguments":
			if v, ok := f.StrOK(); ok && s.content {
				call.hasArgs = true
				call.args = s.appendBounded(call.args, v)
			}
		}
	}
}

func (s *chatStream) appendBounded(dst []byte, str string) []byte {
	if s.buffered+len(str) > maxStreamText {
		return dst
	}
	s.buffered += len(str)
	if dst == nil {
		// Streamed text (an answer, tool-call arguments) comes in many
		// small deltas: start with room for a few hundred bytes rather
		// than growing from a few.
		dst = make([]byte, 0, max(256, len(str)))
	}
	return append(dst, str...)
}

// finish writes what the stream carried into c. complete is false when the
// stream stopped before its end ([DONE] or EOF).
func (s *chatStream) finish(c *genai.Call, _ bool) {
	r := &c.Response
	r.ID, r.Model, r.ServiceTier, r.SystemFingerprint = s.id, s.model, s.tier, s.fingerprint
	r.Usage = s.usage
	if s.err != nil {
		c.Err = s.err
	}
	slices.SortFunc(s.choices, func(a, b streamChoice) int { return cmp.Compare(a.index, b.index) })
	for i := range s.choices {
		sc := &s.choices[i]
		ch := genai.Choice{Role: sc.role, FinishReason: sc.finish}
		if ch.Role == "" {
			ch.Role = "assistant"
		}
		if ch.FinishReason == "" {
			ch.FinishReason = "error"
		}
		if sc.hasText {
			ch.Content, ch.HasContent = bstr(sc.text), true
		}
		if sc.audio {
			ch.Media = []genai.Part{{Kind: genai.PartBlob, Modality: genai.ModalityAudio, Unkept: true}}
		}
		slices.SortFunc(sc.calls, func(a, b streamCall) int { return cmp.Compare(a.index, b.index) })
		for j := range sc.calls {
			tc := &sc.calls[j]
			typ := tc.typ
			if typ == "" {
				typ = "function"
			}
			ch.ToolCalls = append(ch.ToolCalls, genai.ToolCall{ID: tc.id, Type: typ, Name: tc.name, Arguments: bstr(tc.args)})
		}
		r.Choices = append(r.Choices, ch)
	}
	r.FinishReasons = finishReasons(r.FinishReasons[:0], r.Choices)
	setAudioMime(c)
}
