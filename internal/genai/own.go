package genai

import "strings"

// A record's strings may alias the body they were read from (a copy of a
// request or response body), and the attributes of a span alias them in turn
// until the span is exported. When the strings are a small part of a large
// body (a multipart upload's model and prompt, an image answer's ids), the
// record takes copies of them (Own), so that the span does not keep the
// whole body alive.

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

func eachPartString(parts []Part, f func(*string)) {
	for i := range parts {
		p := &parts[i]
		for _, s := range []*string{&p.Kind, &p.Text, &p.Modality, &p.MimeType, &p.URI, &p.FileID, &p.Data} {
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

// OwnRequest makes copies of r's strings that are each less than a
// sixteenth of the body of size n they were read from, when n is past
// OwnAbove and together they are less than half of it (a large request that is mostly its prompt is
// left as it is); it reports whether it did. A longer string (an inline
// image's data) is left aliasing the body: attributes never hold one raw
// unless it is most of the body.
func OwnRequest(r *Request, n int) bool {
	return own(n, func(f func(*string)) { eachRequestString(r, f) })
}

// OwnResponse is OwnRequest for a response.
func OwnResponse(r *Response, n int) bool {
	return own(n, func(f func(*string)) { eachResponseString(r, f) })
}

func own(n int, each func(func(*string))) bool {
	if n <= OwnAbove {
		return false
	}
	total := 0
	each(func(s *string) {
		if len(*s) < n/16 {
			total += len(*s)
		}
	})
	if total >= n/2 {
		return false
	}
	each(func(s *string) {
		if len(*s) < n/16 {
			*s = strings.Clone(*s)
		}
	})
	return true
}
