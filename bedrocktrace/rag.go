package bedrocktrace

// Agent Runtime RetrieveAndGenerate and RetrieveAndGenerateStream: a question
// answered by a model from what a knowledge base (or documents given in the
// call) returns. Typed input and output -> genai.Call; the stream's output
// and guardrail events -> the answer.

import (
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentruntime/types"
	"github.com/tidwall/gjson"

	"github.com/tracekit-go/tracekit/internal/genai"
	"github.com/tracekit-go/tracekit/internal/instr"
	"github.com/tracekit-go/tracekit/internal/safeurl"
)

// ragRequest fills the record of a retrieve-and-generate call: the model
// that generates the answer, the knowledge base, the generation's inference
// parameters and guardrail, the session, the end user and the question (a
// user message).
func ragRequest(c *genai.Call, in *types.RetrieveAndGenerateInput, cfg *types.RetrieveAndGenerateConfiguration, session *string, user *types.UserContext) {
	r := &c.Request
	r.SessionID = aws.ToString(session)
	if user != nil {
		r.User = aws.ToString(user.UserId)
	}
	var inf *types.InferenceConfig
	var guard *types.GuardrailConfiguration
	if cfg != nil {
		if kb := cfg.KnowledgeBaseConfiguration; kb != nil {
			r.Model = aws.ToString(kb.ModelArn)
			r.KnowledgeBaseID = aws.ToString(kb.KnowledgeBaseId)
			if g := kb.GenerationConfiguration; g != nil {
				inf, guard = g.InferenceConfig, g.GuardrailConfiguration
			}
		} else if ex := cfg.ExternalSourcesConfiguration; ex != nil {
			r.Model = aws.ToString(ex.ModelArn)
			if g := ex.GenerationConfiguration; g != nil {
				inf, guard = g.InferenceConfig, g.GuardrailConfiguration
			}
		}
	}
	if inf != nil && inf.TextInferenceConfig != nil {
		t := inf.TextInferenceConfig
		setInference(r, t.Temperature, t.TopP, t.MaxTokens, t.StopSequences)
	}
	if guard != nil {
		r.GuardrailID = aws.ToString(guard.GuardrailId)
	}
	m := genai.Message{Role: "user"}
	if in != nil && in.Text != nil {
		m.Content, m.HasContent = *in.Text, true
	}
	r.Messages = append(r.Messages, m)
}

// appendRAGContent appends to dst the content of a retrieve-and-generate
// request that the record leaves out (its prompt templates, the documents
// given in the call), for withholding from error messages.
func appendRAGContent(dst []string, cfg *types.RetrieveAndGenerateConfiguration) []string {
	if cfg == nil {
		return dst
	}
	if kb := cfg.KnowledgeBaseConfiguration; kb != nil {
		if g := kb.GenerationConfiguration; g != nil && g.PromptTemplate != nil {
			dst = instr.AppendContent(dst, aws.ToString(g.PromptTemplate.TextPromptTemplate))
		}
		if o := kb.OrchestrationConfiguration; o != nil && o.PromptTemplate != nil {
			dst = instr.AppendContent(dst, aws.ToString(o.PromptTemplate.TextPromptTemplate))
		}
	}
	if ex := cfg.ExternalSourcesConfiguration; ex != nil {
		if g := ex.GenerationConfiguration; g != nil && g.PromptTemplate != nil {
			dst = instr.AppendContent(dst, aws.ToString(g.PromptTemplate.TextPromptTemplate))
		}
		for _, s := range ex.Sources {
			if b := s.ByteContent; b != nil {
				dst = instr.AppendContent(append(dst, aws.ToString(b.Identifier)), string(b.Data))
			}
			if s.S3Location != nil {
				dst = append(dst, aws.ToString(s.S3Location.Uri))
			}
		}
	}
	return dst
}

// ragResponse fills the response of a retrieve-and-generate call from its
// typed output: the answer, and content_filter's Bedrock name when a
// guardrail intervened. The API states no other finish reason.
func ragResponse(c *genai.Call, out *outputOfRAG, capture bool) {
	r := &c.Response
	r.Model = c.Request.Model
	ch := genai.Choice{Role: "assistant"}
	if out.text != nil {
		ch.HasContent = capture
		if capture {
			ch.Content = *out.text
		}
	}
	if out.guardrail == types.GuadrailActionIntervened {
		ch.FinishReason = guardrailIntervened
		r.FinishReasons = append(r.FinishReasons, guardrailIntervened)
	} else {
		r.Unreasoned = true
	}
	r.Choices = append(r.Choices, ch)
	if capture {
		for i := range out.citations {
			r.Documents = referenceDocs(r.Documents, out.citations[i].RetrievedReferences)
		}
	}
}

// guardrailIntervened is Bedrock's stop reason of an answer a guardrail
// replaced (as Converse's).
const guardrailIntervened = "guardrail_intervened"

// outputOfRAG is what ragResponse reads of a RetrieveAndGenerateOutput.
type outputOfRAG struct {
	text      *string
	guardrail types.GuadrailAction
	citations []types.Citation
}

// maxDocuments bounds the distinct retrieved references a span records.
const maxDocuments = 32

// addDocument adds a retrieved reference (its location as the id, its text
// as the content) to docs unless it is there already or docs is full.
func addDocument(docs []genai.Document, id, content string) []genai.Document {
	if id == "" && content == "" || len(docs) >= maxDocuments {
		return docs
	}
	for i := range docs {
		if docs[i].ID == id && docs[i].Content == content {
			return docs
		}
	}
	return append(docs, genai.Document{ID: id, Content: content})
}

// referenceID is where a retrieved reference comes from: its S3 URI, web
// page, Confluence, SharePoint, Salesforce, Google Drive or OneDrive URL,
// Kendra document URI or custom document id (not a SQL location's query,
// which is content). URLs lose their credentials and signatures.
func referenceID(l *types.RetrievalResultLocation) string {
	if l == nil {
		return ""
	}
	var s *string
	switch {
	case l.S3Location != nil:
		s = l.S3Location.Uri
	case l.WebLocation != nil:
		s = l.WebLocation.Url
	case l.ConfluenceLocation != nil:
		s = l.ConfluenceLocation.Url
	case l.SharePointLocation != nil:
		s = l.SharePointLocation.Url
	case l.SalesforceLocation != nil:
		s = l.SalesforceLocation.Url
	case l.GoogleDriveLocation != nil:
		s = l.GoogleDriveLocation.Url
	case l.OneDriveLocation != nil:
		s = l.OneDriveLocation.Url
	case l.KendraDocumentLocation != nil:
		s = l.KendraDocumentLocation.Uri
	case l.CustomDocumentLocation != nil:
		return aws.ToString(l.CustomDocumentLocation.Id)
	}
	return safeurl.Media(aws.ToString(s))
}

// referenceDocs adds the retrieved references of citations to docs.
func referenceDocs(docs []genai.Document, refs []types.RetrievedReference) []genai.Document {
	for i := range refs {
		ref := &refs[i]
		content := ""
		if ref.Content != nil {
			content = aws.ToString(ref.Content.Text)
		}
		docs = addDocument(docs, referenceID(ref.Location), content)
	}
	return docs
}

// ragStreamEvent applies one RetrieveAndGenerateStream event to the
// accumulated answer: an output event's text, a citation event's retrieved
// references (with capture on), a guardrail event's action. content reports
// text.
func ragStreamEvent(a *streamAcc, eventType, js string, capture bool) (content bool) {
	switch eventType {
	case "output":
		v := gjson.Get(js, "text")
		if v.Type != gjson.String {
			return false
		}
		a.appendText(a.choice(0), v.Str, capture)
		return true
	case "citation":
		if !capture {
			return false
		}
		refs := gjson.Get(js, "retrievedReferences")
		if !refs.IsArray() {
			refs = gjson.Get(js, "citation.retrievedReferences") // the deprecated form
		}
		refs.ForEach(func(_, ref gjson.Result) bool {
			id := ""
			ref.Get("location").ForEach(func(k, loc gjson.Result) bool {
				if k.Str == "type" || !loc.IsObject() {
					return true
				}
				if k.Str == "sqlLocation" {
					return false // a query: content, not an id
				}
				loc.ForEach(func(_, v gjson.Result) bool {
					if v.Type == gjson.String {
						id = safeurl.Media(v.Str)
						return false
					}
					return true
				})
				return false
			})
			content := ref.Get("content.text").Str
			if room := maxStreamContent - a.size; len(content) > room {
				content = content[:max(room, 0)] // within what the stream may buffer
			}
			n := len(a.docs)
			a.docs = addDocument(a.docs, strings.Clone(id), strings.Clone(content))
			if len(a.docs) > n {
				a.size += len(content)
			}
			return len(a.docs) < maxDocuments
		})
	case "guardrail":
		if gjson.Get(js, "action").Str == string(types.GuadrailActionIntervened) {
			a.choice(0).finish = guardrailIntervened
		}
	}
	return false
}

// learnSession notes the session a retrieve-and-generate call opened, or the
// execution a flow started (its request named none), and renders the
// request attributes again with it. mu held.
func (st *callState) learnSession(id *string) {
	c := &st.call
	if c.Request.SessionID != "" || id == nil || *id == "" {
		return
	}
	c.Request.SessionID = *id
	// The messages were redacted (in place) and rendered at Start: render
	// the rest again, not them (a redactor need not be idempotent).
	cp := *c
	cp.Request.Messages = nil
	st.span.UpdateRequest(&cp)
}

// retrieveRequest fills the record of a knowledge-base Retrieve call: a
// retrieval (no model) from the knowledge base, its query as the user
// message, the number of results asked for as top_k, the guardrail and the
// end user.
func retrieveRequest(c *genai.Call, p *bedrockagentruntime.RetrieveInput) {
	c.Operation = genai.OpRetrieval
	r := &c.Request
	r.KnowledgeBaseID = aws.ToString(p.KnowledgeBaseId)
	if p.UserContext != nil {
		r.User = aws.ToString(p.UserContext.UserId)
	}
	if g := p.GuardrailConfiguration; g != nil {
		r.GuardrailID = aws.ToString(g.GuardrailId)
	}
	if rc := p.RetrievalConfiguration; rc != nil && rc.VectorSearchConfiguration != nil && rc.VectorSearchConfiguration.NumberOfResults != nil {
		r.TopK = genai.SetFloat(float64(*rc.VectorSearchConfiguration.NumberOfResults))
	}
	m := genai.Message{Role: "user"}
	if q := p.RetrievalQuery; q != nil && q.Text != nil {
		m.Content, m.HasContent = *q.Text, true
	}
	r.Messages = append(r.Messages, m)
}

// retrieveResponse fills the documents of a Retrieve call from its results
// (with capture on: their text is content): the location (or the document
// id) as the id, the text as the content, the relevance score; at most
// maxDocuments.
func retrieveResponse(c *genai.Call, out *bedrockagentruntime.RetrieveOutput, capture bool) {
	if !capture {
		return
	}
	for i := range out.RetrievalResults {
		if i == maxDocuments {
			break
		}
		res := &out.RetrievalResults[i]
		d := genai.Document{ID: referenceID(res.Location)}
		if d.ID == "" {
			d.ID = aws.ToString(res.DocumentId)
		}
		if res.Content != nil {
			d.Content = aws.ToString(res.Content.Text)
		}
		if res.Score != nil {
			d.Score = genai.SetFloat(*res.Score)
		}
		c.Response.Documents = append(c.Response.Documents, d)
	}
}
