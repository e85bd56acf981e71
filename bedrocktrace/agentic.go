package bedrocktrace

// Agent Runtime AgenticRetrieveStream: knowledge bases searched by a model
// that plans sub-queries, with an answer generated from the results unless
// the call turns it off. Typed input -> genai.Call; the stream's response,
// result and trace events -> the answer and the documents.
//
// A call that generates an answer is a chat, as RetrieveAndGenerateStream's
// (a question answered by a model from retrieved documents); one that does
// not (generateResponse false) is a retrieval, as Retrieve's.

import (
	"errors"
	"io"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentruntime/types"
	"github.com/aws/smithy-go/middleware"
	"github.com/tidwall/gjson"

	"github.com/tracekit-go/tracekit/internal/genai"
	"github.com/tracekit-go/tracekit/internal/safeurl"
)

// agenticRequest fills the record of an agentic retrieval: a chat when it
// generates an answer (the default), a retrieval otherwise; the knowledge
// bases (their ids joined by commas when there are several), the model of
// a custom foundation model configuration, the number of results of a
// single knowledge base, the guardrail, the end user, the memory session
// and the messages.
func agenticRequest(c *genai.Call, p *bedrockagentruntime.AgenticRetrieveStreamInput) {
	c.Operation = genai.OpChat
	if p.GenerateResponse != nil && !*p.GenerateResponse {
		c.Operation = genai.OpRetrieval
	}
	r := &c.Request
	var kbs []string
	var top *int32
	for _, rt := range p.Retrievers {
		kb, ok := rt.Configuration.(*types.RetrieverConfigurationMemberKnowledgeBase)
		if !ok {
			continue
		}
		if id := aws.ToString(kb.Value.KnowledgeBaseId); id != "" {
			kbs = append(kbs, id)
		}
		if o := kb.Value.RetrievalOverrides; o != nil {
			top = o.MaxNumberOfResults
		}
	}
	r.KnowledgeBaseID = strings.Join(kbs, ",")
	if len(p.Retrievers) == 1 && top != nil {
		r.TopK = genai.SetFloat(float64(*top))
	}
	if cfg := p.AgenticRetrieveConfiguration; cfg != nil {
		if f := cfg.FoundationModelConfiguration; f != nil && f.BedrockFoundationModelConfiguration != nil && f.BedrockFoundationModelConfiguration.ModelConfiguration != nil {
			r.Model = aws.ToString(f.BedrockFoundationModelConfiguration.ModelConfiguration.ModelArn)
		}
	}
	if pc := p.PolicyConfiguration; pc != nil && pc.BedrockGuardrailConfiguration != nil {
		r.GuardrailID = aws.ToString(pc.BedrockGuardrailConfiguration.GuardrailId)
	}
	if p.UserContext != nil {
		r.User = aws.ToString(p.UserContext.UserId)
	}
	if m := p.MemoryConfiguration; m != nil && m.SessionBinding != nil {
		r.SessionID = aws.ToString(m.SessionBinding.SessionId)
	}
	for i := range p.Messages {
		in := &p.Messages[i]
		m := genai.Message{Role: string(in.Role)}
		if in.Content != nil && in.Content.Text != nil {
			m.Content, m.HasContent = *in.Content.Text, true
		}
		r.Messages = append(r.Messages, m)
	}
}

// agenticStreamEvent applies one AgenticRetrieveStream event to the
// accumulated answer: a response event's text and a result event's
// generated answer (when answer: the call generates one; the answer only
// if no text was streamed, as it repeats it), a result event's items (with
// capture on), a trace event's guardrail warning that intervened. content
// reports text.
func agenticStreamEvent(a *streamAcc, eventType, js string, answer, capture bool) (content bool) {
	switch eventType {
	case "responseEvent":
		v := gjson.Get(js, "text")
		if !answer || v.Type != gjson.String {
			return false
		}
		a.appendText(a.choice(0), v.Str, capture)
		return true
	case "result":
		if v := gjson.Get(js, "generatedResponse.answer"); answer && v.Type == gjson.String && !a.choices[0].hasText {
			a.appendText(a.choice(0), v.Str, capture)
			content = true
		}
		if !capture || len(a.docs) >= maxDocuments {
			return content
		}
		gjson.Get(js, "results").ForEach(func(_, it gjson.Result) bool {
			id := it.Get(`metadata.x-amz-bedrock-kb-source-uri`)
			if id.Type != gjson.String || len(id.Str) > maxStreamIdent {
				id = gjson.Result{}
			}
			text := it.Get("content.text").Str
			if room := maxStreamContent - a.size; len(text) > room {
				text = text[:max(room, 0)] // within what the stream may buffer
			}
			n := len(a.docs)
			a.docs = addDocument(a.docs, strings.Clone(safeurl.Media(id.Str)), strings.Clone(text))
			if len(a.docs) > n {
				a.size += len(text)
			}
			return len(a.docs) < maxDocuments
		})
	case "traceEvent":
		if !answer {
			return false
		}
		gjson.Get(js, "attributes.warnings").ForEach(func(_, w gjson.Result) bool {
			if w.Get("guardrail.action").Str == string(types.GuardrailActionIntervened) {
				a.choice(0).finish = guardrailIntervened
				return false
			}
			return true
		})
	}
	return content
}

// agenticKnownEvent reports whether the SDK decodes an event of this type
// into a typed member (and fails the stream on a payload that is not JSON).
func agenticKnownEvent(eventType string) bool {
	return eventType == "responseEvent" || eventType == "result" || eventType == "traceEvent"
}

// pipedTee is the tee of a stream whose SDK copies the body into a pipe
// that its reader reads, and never closes the body (AgenticRetrieveStream).
// The SDK's reader stopping ends the span (callState.watchReader), and so
// does a write into the pipe failing: the reader has stopped (the caller's
// Close, or an error it recorded first). The body's end or failure is
// noted (callState.bodyEnded). The SDK copies with
// io.Copy, which uses WriteTo: what it writes and returns is io.Copy's own.
type pipedTee struct {
	*frameTee
	st *callState
}

// errInvalidWrite is io.Copy's error for a Write reporting an impossible
// count.
var errInvalidWrite = errors.New("invalid write result")

// Read reads from the body as frameTee's Read does and settles the call at
// the body's end or failure.
func (t *pipedTee) Read(p []byte) (int, error) {
	n, err := t.frameTee.Read(p)
	if err != nil {
		t.st.bodyEnded(err)
	}
	return n, err
}

// WriteTo copies the body to w as io.Copy would, and settles the call when
// a write fails.
func (t *pipedTee) WriteTo(w io.Writer) (written int64, err error) {
	buf := make([]byte, 32<<10) // io.Copy's
	for {
		nr, er := t.Read(buf)
		if nr > 0 {
			nw, ew := w.Write(buf[:nr])
			if nw < 0 || nr < nw {
				nw = 0
				if ew == nil {
					ew = errInvalidWrite
				}
			}
			written += int64(nw)
			if ew != nil {
				t.st.streamDone(false)
				return written, ew
			}
			if nr != nw {
				t.st.streamDone(false)
				return written, io.ErrShortWrite
			}
		}
		if er != nil {
			if er == io.EOF {
				er = nil
			}
			return written, er
		}
	}
}

// bodyEnded notes that the body of a piped stream (see pipedTee) met its
// end (io.EOF) or failed. Once the call has returned, the SDK's reader
// stopping ends the span, with the SDK's verdict on the last frames
// (watchReader). Before, or without a reader to watch, the outcome is what
// the frames said, or a read error (or the context's end that caused it). A
// body that ends within a frame ends as one that ends between two: the SDK
// reports no error for it.
func (st *callState) bodyEnded(err error) {
	defer st.guardEnd()
	st.mu.Lock()
	defer st.mu.Unlock()
	st.readEnd = true
	if st.ended || st.bodyEnd {
		return
	}
	st.bodyEnd = true
	if st.endedCh != nil {
		return // watchReader ends the span
	}
	if err != io.EOF && st.readerStopped() {
		// The caller closed the stream before the body failed (its
		// context ending later): the outcome is the SDK's.
		st.settleFromSDKLocked()
	} else if st.call.Err == nil {
		switch {
		case err != io.EOF && st.ctx != nil && st.ctx.Err() != nil:
			st.call.Err = ctxError(st.ctx.Err())
			st.call.Err.Message = err.Error()
		case err != io.EOF:
			st.call.Err = readError(err)
		}
	}
	if st.sdkErr == nil {
		return // afterCall ends the span
	}
	st.endLocked()
}

// agenticOutput returns the output an AgenticRetrieveStream call handed
// its caller (the one whose stream it reads), from its metadata; nil if
// the request was not made. The handler's own result is another.
func agenticOutput(md middleware.Metadata) *bedrockagentruntime.AgenticRetrieveStreamOutput {
	out, _ := middleware.GetEventStreamOutputToMetadata[bedrockagentruntime.AgenticRetrieveStreamOutput](&md)
	return out
}

// agenticOutcome is the outcome of an AgenticRetrieveStream call when its
// handler returns: the SDK hands the caller its output before the request
// is sent and reports an HTTP error through the stream's Err, and its
// handler returns an error of its own even on success, which the caller
// never sees. mu held.
func (st *callState) agenticOutcome(result any, err error) error {
	out, ok := result.(*bedrockagentruntime.AgenticRetrieveStreamOutput)
	if !ok || out == nil || out.GetStream() == nil {
		return err // (no request was made)
	}
	es := out.GetStream()
	st.sdkErr = es.Err
	if r, ok := es.Reader.(interface{ Closed() <-chan struct{} }); ok {
		st.readerDone = r.Closed()
	}
	return es.Err()
}

// watchReader ends the span of a piped stream when the SDK's reader of its
// pipe stops: the caller's Close, the stream's end once the caller has
// taken every event, or an error the reader recorded (an exception, a
// payload it rejects, a failed read). The SDK never closes the body, so
// nothing else tells: the outcome is what the SDK reports. It returns when
// the span ends otherwise (the call's context, the shutdown): it lives no
// longer than the SDK's own reader.
func (st *callState) watchReader(readerDone <-chan struct{}, ended <-chan struct{}) {
	select {
	case <-readerDone:
	case <-ended:
		return
	}
	defer st.guardEnd()
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.ended {
		return
	}
	st.settleFromSDKLocked()
	st.endLocked()
}

// readerStopped reports whether the SDK's reader of a piped stream has
// stopped (the caller's Close, or the end of what it read). mu held.
func (st *callState) readerStopped() bool {
	if st.readerDone == nil {
		return false
	}
	select {
	case <-st.readerDone:
		return true
	default:
		return false
	}
}
