package bedrocktrace

// Agent Runtime InvokeFlow: a run of a Bedrock flow. Typed input -> the
// workflow and its inputs; the stream's output, multi-turn input request and
// completion events -> the answer.

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentruntime/types"
	"github.com/tidwall/gjson"

	"github.com/tracekit-go/tracekit/internal/genai"
	"github.com/tracekit-go/tracekit/internal/instr"
)

// flowRequest fills the record of an InvokeFlow call: the flow (its
// identifier as the workflow name), the execution (as the session: a
// multi-turn flow's later calls name it), and each input document as a
// user message.
func flowRequest(c *genai.Call, p *bedrockagentruntime.InvokeFlowInput) {
	c.Operation = genai.OpInvokeWorkflow
	r := &c.Request
	r.WorkflowName = aws.ToString(p.FlowIdentifier)
	r.SessionID = aws.ToString(p.ExecutionId)
	for i := range p.Inputs {
		m := genai.Message{Role: "user"}
		if d, ok := p.Inputs[i].Content.(*types.FlowInputContentMemberDocument); ok && d.Value != nil {
			if b, err := d.Value.MarshalSmithyDocument(); err == nil {
				m.Content, m.HasContent = documentText(string(b)), true
			}
		}
		r.Messages = append(r.Messages, m)
	}
}

// documentText is a flow document as text: a string document's string,
// else the document's JSON.
func documentText(js string) string {
	if v := gjson.Parse(js); v.Type == gjson.String {
		return v.Str
	}
	return js
}

// flowStreamEvent applies one InvokeFlow event to the accumulated answer:
// the documents of output events (and of a multi-turn flow's request for
// more input, its question) are the answer's text, one per line; the
// completion event's reason is its finish reason. It is not taken as the
// end of the call (done stays false): the SDK reads on to the end of the
// stream, and a failure after it is the caller's, so the span ends there.
// content reports an answer document.
func flowStreamEvent(a *streamAcc, eventType, js string, capture bool) (done, content bool) {
	switch eventType {
	case "flowOutputEvent", "flowMultiTurnInputRequestEvent":
		doc := gjson.Get(js, "content.document")
		if !doc.Exists() {
			return false, false
		}
		ch := a.choice(0)
		if capture {
			text := doc.Raw
			if doc.Type == gjson.String {
				text = doc.Str
			}
			if ch.hasText {
				ch.text = a.bounded(ch.text, "\n")
			}
			ch.text = a.bounded(ch.text, text)
		}
		ch.hasText = true
		return false, true
	case "flowCompletionEvent":
		if r := gjson.Get(js, "completionReason"); r.Type == gjson.String {
			a.setIdent(&a.choice(0).finish, r.Str)
		}
		return false, false
	}
	return false, false
}

// appendJSONStrings appends the string values inside a JSON document (an
// error may quote one of an object input's fields).
func appendJSONStrings(dst []string, v gjson.Result) []string {
	switch {
	case v.Type == gjson.String:
		dst = instr.AppendContent(dst, v.Str)
	case v.IsObject() || v.IsArray():
		v.ForEach(func(_, e gjson.Result) bool { dst = appendJSONStrings(dst, e); return true })
	}
	return dst
}

// appendFlowStrings appends the string values of an input document's JSON
// text (nothing for a string document's text, which is withheld whole).
func appendFlowStrings(dst []string, js string) []string {
	return appendJSONStrings(dst, gjson.Parse(js))
}
