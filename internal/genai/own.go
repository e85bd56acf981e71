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
	return own(body, func(f func(*string)) { eachRequestString(r, f) })
}

// OwnResult is OwnRequest for what c holds of a response body: its
// response and its error (a failure reported in the body).
func OwnResult(c *Call, body string) bool {
	return own(body, func(f func(*string)) {
		eachResponseString(&c.Response, f)
		if e := c.Err; e != nil {
			f(&e.Type)
			f(&e.Message)
		}
	})
}

func own(body string, each func(func(*string))) bool {
	if len(body) <= OwnAbove {
		return false
	}
	lo := uintptr(unsafe.Pointer(unsafe.StringData(body)))
	hi := lo + uintptr(len(body))
	// The strings that lie in body, in one walk.
	in := make([]*string, 0, 16)
	each(func(s *string) {
		if p := uintptr(unsafe.Pointer(unsafe.StringData(*s))); len(*s) > 0 && p >= lo && p < hi {
			in = append(in, s)
		}
	})
	// The bytes of body they hold, each stretch once (a text and its only
	// part may be the same stretch; a joined text is a copy, not in body).
	slices.SortFunc(in, func(a, b *string) int {
		return cmp.Compare(uintptr(unsafe.Pointer(unsafe.StringData(*a))), uintptr(unsafe.Pointer(unsafe.StringData(*b))))
	})
	total, end := 0, uintptr(0)
	for _, s := range in {
		p := uintptr(unsafe.Pointer(unsafe.StringData(*s)))
		e := p + uintptr(len(*s))
		if p < end {
			p = end
		}
		if e > p {
			total += int(e - p)
			end = e
		}
	}
	if total >= len(body)/2 {
		return false
	}
	for _, s := range in {
		*s = strings.Clone(*s)
	}
	return true
}
