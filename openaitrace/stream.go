package openaitrace

import (
	"cmp"
	"slices"
	"strings"
	"unsafe"

	"github.com/tidwall/gjson"

	"github.com/tracekit-go/tracekit/internal/genai"
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
)

// chatStream rebuilds a chat completion, or a legacy completion, from its
// streamed chunks.
type chatStream struct {
	content bool
	// completions is set for a legacy completions stream: its choices carry
	// "text" instead of a delta, and it has no service tier.
	completions bool
	buffered    int

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
	finish  string
	calls   []streamCall
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
	if *dst == "" && s != "" {
		*dst = strings.Clone(s)
	}
}

// consume takes one SSE data payload. It reports done on [DONE].
func (s *chatStream) consume(_, data []byte) bool {
	if len(data) >= 6 && string(data[:6]) == "[DONE]" {
		return true
	}
	gjson.Parse(bstr(data)).ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "id":
			keepFirst(&s.id, v.Str)
		case "model":
			keepFirst(&s.model, v.Str)
		case "service_tier":
			if !s.completions {
				keepFirst(&s.tier, v.Str)
			}
		case "system_fingerprint":
			keepFirst(&s.fingerprint, v.Str)
		case "choices":
			eachElem(v, func(ch gjson.Result) bool {
				s.choice(ch)
				return true
			})
		case "usage":
			if v.IsObject() {
				parseUsage(v, &s.usage, &chatUsageKeys)
			}
		case "error":
			if v.IsObject() {
				s.err = streamError(v)
			}
		}
		return true
	})
	return false
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

func (s *chatStream) choice(ch gjson.Result) {
	var index int64
	var delta, text, finish gjson.Result
	ch.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "index":
			index = v.Int()
		case "delta":
			delta = v
		case "text":
			text = v
		case "finish_reason":
			finish = v
		}
		return true
	})
	c := s.choiceAt(index)
	if c == nil {
		return
	}
	if finish.Type == gjson.String && finish.Str != "" {
		c.finish = strings.Clone(finish.Str)
	}
	if s.completions {
		if s.content && text.Type == gjson.String {
			c.hasText = true
			c.text = s.appendBounded(c.text, text.Str)
		}
		return
	}
	if !delta.IsObject() {
		return
	}
	delta.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "role":
			keepFirst(&c.role, v.Str)
		case "content", "refusal":
			if v.Type == gjson.String && s.content {
				c.hasText = true
				c.text = s.appendBounded(c.text, v.Str)
			}
		case "tool_calls":
			eachElem(v, func(tc gjson.Result) bool {
				s.toolCall(c, tc)
				return true
			})
		}
		return true
	})
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

func (s *chatStream) toolCall(c *streamChoice, tc gjson.Result) {
	var index int64
	var id, typ, fn gjson.Result
	tc.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "index":
			index = v.Int()
		case "id":
			id = v
		case "type":
			typ = v
		case "function":
			fn = v
		}
		return true
	})
	var call *streamCall
	for i := range c.calls {
		if c.calls[i].index == index {
			call = &c.calls[i]
			break
		}
	}
	if call == nil {
		if len(c.calls) >= maxStreamChoices {
			return
		}
		c.calls = append(c.calls, streamCall{index: index, valid: true})
		call = &c.calls[len(c.calls)-1]
	}
	keepFirst(&call.id, id.Str)
	keepFirst(&call.typ, typ.Str)
	if fn.IsObject() {
		fn.ForEach(func(k, v gjson.Result) bool {
			switch k.Str {
			case "name":
				keepFirst(&call.name, v.Str)
			case "arguments":
				if s.content && v.Type == gjson.String {
					call.hasArgs = true
					call.args = s.appendBounded(call.args, v.Str)
				}
			}
			return true
		})
	}
}

func (s *chatStream) appendBounded(dst []byte, str string) []byte {
	if s.buffered+len(str) > maxStreamText {
		return dst
	}
	s.buffered += len(str)
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
}
