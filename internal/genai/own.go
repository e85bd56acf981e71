package genai

import (
	"cmp"
	"slices"
	"strings"
	"unsafe"
)

// A record's strings may alias the body they were read from (a copy of a
// request or response body), and the attributes of a span alias them in turn
// until the span is exported. When the strings are a small part of a large
// body (a request's model and prompt beside an inline image, an answer's ids
// beside generated audio), the record takes copies of them (OwnRequest,
// OwnResult), so that the span does not keep the whole body alive.

// eachRequestString calls f with a pointer to every string of r.
func eachRequestString(r *Request, f func(*string)) {
	for _, s := range []*string{&r.Model, &r.ModelVendor, &r.ResponseFormat, &r.OutputType, &r.ServiceTier,
		&r.OutputAudioFormat, &r.OutputImageFormat, &r.User, &r.PreviousResponseID, &r.ConversationID,
		&r.AgentID, &r.AgentAliasID, &r.SessionID, &r.GuardrailID, &r.GuardrailVersion, &r.GuardrailSource,
		&r.AgentName, &r.KnowledgeBaseID, &r.WorkflowName} {
		f(s)
	}
	for i := range r.StopSequences {
		f(&r.StopSequences[i])
	}
	for i := range r.EncodingFormats {
		f(&r.EncodingFormats[i])
	}
	for i := range r.Documents {
		eachDocumentString(&r.Documents[i], f)
	}
	for i := range r.Messages {
		m := &r.Messages[i]
		f(&m.Role)
		f(&m.Content)
		f(&m.ToolCallID)
		eachToolCallString(m.ToolCalls, f)
		eachPartString(m.Parts, f)
	}
	for i := range r.Tools {
		t := &r.Tools[i]
		f(&t.Type)
		f(&t.Name)
		f(&t.Description)
		f(&t.Parameters)
	}
}

// eachResponseString calls f with a pointer to every string of r.
func eachResponseString(r *Response, f func(*string)) {
	f(&r.ID)
	f(&r.Model)
	f(&r.ServiceTier)
	f(&r.SystemFingerprint)
	for i := range r.FinishReasons {
		f(&r.FinishReasons[i])
	}
	for i := range r.Choices {
		ch := &r.Choices[i]
		f(&ch.Role)
		f(&ch.FinishReason)
		f(&ch.Content)
		f(&ch.Reasoning)
		eachToolCallString(ch.ToolCalls, f)
		eachToolCallString(ch.ServerToolCalls, f)
		eachPartString(ch.Media, f)
	}
	for i := range r.Documents {
		eachDocumentString(&r.Documents[i], f)
	}
	if v := r.Guardrail; v != nil {
		f(&v.Action)
		f(&v.ActionReason)
		for i := range v.Interventions {
			in := &v.Interventions[i]
			f(&in.Policy)
			f(&in.Name)
			f(&in.Action)
		}
		for i := range v.Findings {
			f(&v.Findings[i].Check)
			f(&v.Findings[i].Category)
		}
	}
}

func eachToolCallString(calls []ToolCall, f func(*string)) {
	for i := range calls {
		tc := &calls[i]
		f(&tc.ID)
		f(&tc.Type)
		f(&tc.Name)
		f(&tc.Arguments)
	}
}

// eachPartString visits a part's strings but its inline data (Data), which
// no attribute holds as it is (a convention that records it writes it
// into an attribute of its own making).
func eachPartString(parts []Part, f func(*string)) {
	for i := range parts {
		p := &parts[i]
		for _, s := range []*string{&p.Kind, &p.Text, &p.Modality, &p.MimeType, &p.URI, &p.FileID} {
			f(s)
		}
	}
}

func eachDocumentString(d *Document, f func(*string)) {
	f(&d.ID)
	f(&d.Content)
	f(&d.Metadata)
}

// OwnAbove is the size of a body past which Own copies what the record
// holds of it.
const OwnAbove = 64 << 10

// OwnRequest makes copies of r's strings that alias body (but the parts'
// inline data, which attributes never hold as they are) when body is past
// OwnAbove and they are less than half of it; it reports whether it did. A
// request that is mostly what the record holds of it (a long prompt) is
// left as it is: copying would keep as much alive.
func OwnRequest(r *Request, body string) bool {
	if len(body) <= OwnAbove {
		return false
	}
	var buf [32]*string
	in := buf[:0]
	eachRequestString(r, func(s *string) {
		if within(*s, body) {
			in = append(in, s)
		}
	})
	return own(body, in)
}

// OwnResult is OwnRequest for what c holds of a response body: its
// response and its error (a failure reported in the body).
func OwnResult(c *Call, body string) bool {
	if len(body) <= OwnAbove {
		return false
	}
	var buf [32]*string
	in := buf[:0]
	add := func(s *string) {
		if within(*s, body) {
			in = append(in, s)
		}
	}
	eachResponseString(&c.Response, add)
	if e := c.Err; e != nil {
		add(&e.Type)
		add(&e.Message)
	}
	return own(body, in)
}

// within reports whether s's bytes start in body.
func within(s, body string) bool {
	p, lo := uintptr(unsafe.Pointer(unsafe.StringData(s))), uintptr(unsafe.Pointer(unsafe.StringData(body)))
	return len(s) > 0 && p >= lo && p < lo+uintptr(len(body))
}

// own copies the strings in (which lie in body) when they are less than
// half of it: one copy per stretch of body they hold, each string its part
// of it.
func own(body string, in []*string) bool {
	lo := uintptr(unsafe.Pointer(unsafe.StringData(body)))
	// The stretches of body they hold, each once (a text and its only part
	// may be the same stretch; a joined text is a copy, not in body).
	ptr := func(s *string) uintptr { return uintptr(unsafe.Pointer(unsafe.StringData(*s))) }
	slices.SortFunc(in, func(a, b *string) int { return cmp.Compare(ptr(a), ptr(b)) })
	type stretch struct{ lo, hi uintptr }
	var sb [8]stretch
	stretches := sb[:0]
	total := 0
	for _, s := range in {
		p, e := ptr(s), ptr(s)+uintptr(len(*s))
		if n := len(stretches); n > 0 && p < stretches[n-1].hi {
			if e > stretches[n-1].hi {
				total += int(e - stretches[n-1].hi)
				stretches[n-1].hi = e
			}
			continue
		}
		stretches = append(stretches, stretch{p, e})
		total += int(e - p)
	}
	if total >= len(body)/2 {
		return false
	}
	// One copy per stretch; each string is its part of it.
	k, clone := -1, ""
	for _, s := range in {
		p := ptr(s)
		for k < 0 || p >= stretches[k].hi {
			k++
			st := stretches[k]
			clone = strings.Clone(body[st.lo-lo : st.hi-lo])
		}
		off := int(p - stretches[k].lo)
		*s = clone[off : off+len(*s)]
	}
	return true
}
