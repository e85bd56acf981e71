package bedrocktrace

// Agent Runtime RetrieveAndGenerate and RetrieveAndGenerateStream: a question
// answered by a model from what a knowledge base (or documents given in the
// call) returns. Typed input and output -> genai.Call; the stream's output
// and guardrail events -> the answer.

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentruntime/types"
	"github.com/tidwall/gjson"

	"github.com/tracekit-go/tracekit/internal/genai"
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
		if t.Temperature != nil {
			r.Temperature = genai.SetFloat(decimal32(*t.Temperature))
		}
		if t.TopP != nil {
			r.TopP = genai.SetFloat(decimal32(*t.TopP))
		}
		if t.MaxTokens != nil {
			r.MaxTokens = genai.SetInt(int64(*t.MaxTokens))
		}
		r.StopSequences = t.StopSequences
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
			dst = append(dst, aws.ToString(g.PromptTemplate.TextPromptTemplate))
		}
		if o := kb.OrchestrationConfiguration; o != nil && o.PromptTemplate != nil {
			dst = append(dst, aws.ToString(o.PromptTemplate.TextPromptTemplate))
		}
	}
	if ex := cfg.ExternalSourcesConfiguration; ex != nil {
		if g := ex.GenerationConfiguration; g != nil && g.PromptTemplate != nil {
			dst = append(dst, aws.ToString(g.PromptTemplate.TextPromptTemplate))
		}
		for _, s := range ex.Sources {
			if b := s.ByteContent; b != nil {
				dst = append(dst, aws.ToString(b.Identifier), string(b.Data))
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
}

// guardrailIntervened is Bedrock's stop reason of an answer a guardrail
// replaced (as Converse's).
const guardrailIntervened = "guardrail_intervened"

// outputOfRAG is what ragResponse reads of a RetrieveAndGenerateOutput.
type outputOfRAG struct {
	text      *string
	guardrail types.GuadrailAction
}

// ragStreamEvent applies one RetrieveAndGenerateStream event to the
// accumulated answer: an output event's text, a guardrail event's action.
// Citation events carry the retrieved references, which are not recorded.
// content reports text.
func ragStreamEvent(a *streamAcc, eventType, js string, capture bool) (content bool) {
	switch eventType {
	case "output":
		v := gjson.Get(js, "text")
		if v.Type != gjson.String {
			return false
		}
		a.appendText(a.choice(0), v.Str, capture)
		return true
	case "guardrail":
		if gjson.Get(js, "action").Str == string(types.GuadrailActionIntervened) {
			a.choice(0).finish = guardrailIntervened
		}
	}
	return false
}

// learnSession notes the session a retrieve-and-generate call opened (its
// request named none) and renders the request attributes again with it.
// mu held.
func (st *callState) learnSession(id *string) {
	c := &st.call
	if c.Request.SessionID != "" || id == nil || *id == "" {
		return
	}
	c.Request.SessionID = *id
	st.span.UpdateRequest(c)
}
