package bedrocktrace

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentruntime"
	agtypes "github.com/aws/aws-sdk-go-v2/service/bedrockagentruntime/types"
	"go.opentelemetry.io/otel/codes"

	"github.com/tracekit-go/tracekit/internal/schemacheck"
	"github.com/tracekit-go/tracekit/semconv"
)

const ragModel = "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0"

// ragConfig is a knowledge-base configuration with a generation prompt
// template, inference parameters and a guardrail.
func ragConfig() *agtypes.RetrieveAndGenerateConfiguration {
	return &agtypes.RetrieveAndGenerateConfiguration{
		Type: agtypes.RetrieveAndGenerateTypeKnowledgeBase,
		KnowledgeBaseConfiguration: &agtypes.KnowledgeBaseRetrieveAndGenerateConfiguration{
			KnowledgeBaseId: aws.String("KB12345678"),
			ModelArn:        aws.String(ragModel),
			GenerationConfiguration: &agtypes.GenerationConfiguration{
				PromptTemplate: &agtypes.PromptTemplate{TextPromptTemplate: aws.String("Answer from the manual only: $search_results$")},
				InferenceConfig: &agtypes.InferenceConfig{TextInferenceConfig: &agtypes.TextInferenceConfig{
					Temperature: aws.Float32(0.3), TopP: aws.Float32(0.9), MaxTokens: aws.Int32(512),
					StopSequences: []string{"END"},
				}},
				GuardrailConfiguration: &agtypes.GuardrailConfiguration{GuardrailId: aws.String("gr-3"), GuardrailVersion: aws.String("1")},
			},
		},
	}
}

func ragInput(session *string) *bedrockagentruntime.RetrieveAndGenerateInput {
	return &bedrockagentruntime.RetrieveAndGenerateInput{
		Input:                            &agtypes.RetrieveAndGenerateInput{Text: aws.String("how do I reset the router?")},
		RetrieveAndGenerateConfiguration: ragConfig(),
		SessionId:                        session,
		UserContext:                      &agtypes.UserContext{UserId: aws.String("u-5")},
	}
}

const ragAnswer = `{"sessionId":"sess-new","output":{"text":"Hold the reset button for 10 seconds."},` +
	`"citations":[{"generatedResponsePart":{"textResponsePart":{"text":"Hold the reset button for 10 seconds.","span":{"start":0,"end":36}}},` +
	`"retrievedReferences":[{"content":{"text":"To reset, hold the button for 10 s."},"location":{"type":"S3","s3Location":{"uri":"s3://manuals/router.pdf"}}},` +
	`{"content":{"text":"Routers reset with a pin."},"location":{"type":"WEB","webLocation":{"url":"https://example.com/faq?sig=abc123"}}}]},` +
	`{"generatedResponsePart":{"textResponsePart":{"text":"Hold","span":{"start":0,"end":4}}},` +
	`"retrievedReferences":[{"content":{"text":"To reset, hold the button for 10 s."},"location":{"type":"S3","s3Location":{"uri":"s3://manuals/router.pdf"}}}]}],` +
	`"guardrailAction":"NONE"}`

// TestRetrieveAndGenerate: a knowledge-base question answered by a model is
// a chat span bedrock.retrieve_and_generate: the model ARN, the knowledge
// base, the generation's parameters and guardrail, the user, the question
// and the answer, the request id as the response id; the session the call
// opened becomes the conversation id. No usage is reported by the API: the
// duration is recorded, no token count.
func TestRetrieveAndGenerate(t *testing.T) {
	e := newEnv(t)
	f := newFake(t, reply{body: ragAnswer, headers: map[string]string{"X-Amzn-Requestid": "req-rag-1"}})
	out, err := e.agents(f.URL, true).RetrieveAndGenerate(context.Background(), ragInput(nil))
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.Output.Text) != "Hold the reset button for 10 seconds." || len(out.Citations) != 2 || aws.ToString(out.SessionId) != "sess-new" {
		t.Fatalf("caller got %+v", out)
	}
	if got := f.paths[0]; got != "/retrieveAndGenerate" {
		t.Errorf("path %q", got)
	}
	s := e.oneSpan()
	if s.Name() != "bedrock.retrieve_and_generate" || s.Status().Code != codes.Unset {
		t.Errorf("span %s %+v", s.Name(), s.Status())
	}
	a := attrsOf(s)
	a.want(t, map[string]any{
		"gen_ai.operation.name":          "chat",
		"gen_ai.system":                  "aws.bedrock",
		"gen_ai.request.model":           ragModel,
		"gen_ai.response.model":          ragModel,
		"aws.bedrock.knowledge_base.id":  "KB12345678",
		"aws.bedrock.guardrail.id":       "gr-3",
		"gen_ai.request.temperature":     0.3,
		"gen_ai.request.top_p":           0.9,
		"gen_ai.request.max_tokens":      512,
		"gen_ai.request.user":            "u-5",
		"gen_ai.conversation.id":         "sess-new",
		"gen_ai.response.id":             "req-rag-1",
		"gen_ai.prompt.0.role":           "user",
		"gen_ai.prompt.0.content":        "how do I reset the router?",
		"gen_ai.prompt.1.role":           nil,
		"gen_ai.completion.0.role":       "assistant",
		"gen_ai.completion.0.content":    "Hold the reset button for 10 seconds.",
		"gen_ai.response.finish_reasons": nil,
		"gen_ai.usage.input_tokens":      nil,
		// the retrieved references the answer cites
		"tracekit.documents.0.id":      "s3://manuals/router.pdf",
		"tracekit.documents.0.content": "To reset, hold the button for 10 s.",
		"tracekit.documents.1.id":      "https://example.com/faq?sig=REDACTED",
		"tracekit.documents.1.content": "Routers reset with a pin.",
		"tracekit.documents.2.id":      nil, // the repeated reference is recorded once
	})
	checkMetrics(t, e, map[string]string{"gen_ai.request.model": ragModel}, "", -1, -1)
	if strings.Contains(strings.Join(a.keys(), " "), "search_results") {
		t.Error("the prompt template was recorded")
	}
}

// TestRetrieveAndGenerateConventions: under OTel GenAI the span is
// "chat <model>" with the knowledge base id, the question as input and
// the answer as output (finishing with stop: the API states no reason),
// valid against the official schemas; under OpenInference an LLM span.
func TestRetrieveAndGenerateConventions(t *testing.T) {
	schemas := schemacheck.New(t)
	e := newEnv(t, schemas)
	e.extra = []Option{WithConventions(semconv.OTelGenAI, semconv.OpenInference)}
	f := newFake(t, reply{body: ragAnswer})
	if _, err := e.agents(f.URL, true).RetrieveAndGenerate(context.Background(), ragInput(aws.String("sess-1"))); err != nil {
		t.Fatal(err)
	}
	for _, err := range schemas.Errors() {
		t.Error(err)
	}
	s := e.oneSpan()
	if s.Name() != "chat "+ragModel {
		t.Errorf("span name %q", s.Name())
	}
	attrsOf(s).want(t, map[string]any{
		"gen_ai.operation.name":                  "chat",
		"gen_ai.provider.name":                   "aws.bedrock",
		"aws.bedrock.knowledge_base.id":          "KB12345678",
		"aws.bedrock.guardrail.id":               "gr-3",
		"gen_ai.conversation.id":                 "sess-1",
		"gen_ai.request.stop_sequences":          []string{"END"},
		"gen_ai.input.messages":                  `[{"role":"user","parts":[{"type":"text","content":"how do I reset the router?"}]}]`,
		"gen_ai.output.messages":                 `[{"role":"assistant","parts":[{"type":"text","content":"Hold the reset button for 10 seconds."}],"finish_reason":"stop"}]`,
		"openinference.span.kind":                "LLM",
		"llm.model_name":                         ragModel,
		"llm.input_messages.0.message.content":   "how do I reset the router?",
		"llm.output_messages.0.message.content":  "Hold the reset button for 10 seconds.",
		"gen_ai.retrieval.documents":             nil, // a retrieval span's attribute
		"retrieval.documents.0.document.id":      "s3://manuals/router.pdf",
		"retrieval.documents.1.document.content": "Routers reset with a pin.",
	})
}

// TestRetrieveAndGenerateGuardrail: an answer a guardrail replaced finishes
// with guardrail_intervened (content_filter in OTel GenAI).
func TestRetrieveAndGenerateGuardrail(t *testing.T) {
	e := newEnv(t)
	e.extra = []Option{WithConventions(semconv.Tracekit, semconv.OTelGenAI)}
	f := newFake(t, reply{body: `{"sessionId":"s","output":{"text":"Sorry, I cannot answer that."},"guardrailAction":"INTERVENED"}`})
	if _, err := e.agents(f.URL, true).RetrieveAndGenerate(context.Background(), ragInput(aws.String("s"))); err != nil {
		t.Fatal(err)
	}
	a := attrsOf(e.oneSpan())
	a.want(t, map[string]any{
		"gen_ai.response.finish_reasons":    []string{"guardrail_intervened"},
		"gen_ai.completion.0.finish_reason": "guardrail_intervened",
	})
	if v := a["gen_ai.output.messages"]; !strings.Contains(v.AsString(), `"finish_reason":"content_filter"`) {
		t.Errorf("output messages %s", v.AsString())
	}
}

// TestRetrieveAndGenerateCaptureOffAndError: with capture off neither the
// question nor the answer is recorded, and an API error that quotes the
// question or the prompt template loses them; the span fails with the
// error code and keeps the request attributes.
func TestRetrieveAndGenerateCaptureOffAndError(t *testing.T) {
	e := newEnv(t)
	f := newFake(t,
		reply{body: ragAnswer},
		reply{status: 400, headers: map[string]string{"X-Amzn-Errortype": "ValidationException"},
			body: `{"message":"input 'how do I reset the router?' with template 'Answer from the manual only: $search_results$' is invalid"}`})
	c := e.agents(f.URL, false)
	if _, err := c.RetrieveAndGenerate(context.Background(), ragInput(nil)); err != nil {
		t.Fatal(err)
	}
	_, err := c.RetrieveAndGenerate(context.Background(), ragInput(aws.String("sess-1")))
	var ae interface{ ErrorCode() string }
	if !errors.As(err, &ae) || ae.ErrorCode() != "ValidationException" || !strings.Contains(err.Error(), "reset the router") {
		t.Fatalf("caller got %v, want the SDK's error untouched", err)
	}
	spans := e.spans()
	if len(spans) != 2 {
		t.Fatalf("%d spans", len(spans))
	}
	ok := attrsOf(spans[0])
	ok.want(t, map[string]any{"gen_ai.prompt.0.role": "user", "gen_ai.completion.0.role": "assistant", "gen_ai.conversation.id": "sess-new"})
	ok.none(t, "*.content", "tracekit.documents.")
	s := spans[1]
	if d := s.Status().Description; s.Status().Code != codes.Error || strings.Contains(d, "router") || strings.Contains(d, "manual only") {
		t.Errorf("status %+v", s.Status())
	}
	a := attrsOf(s)
	a.want(t, map[string]any{"error.type": "ValidationException", "gen_ai.request.model": ragModel, "aws.bedrock.knowledge_base.id": "KB12345678"})
	a.none(t, "*.content", "gen_ai.completion.")
}

// ragFrames are a RetrieveAndGenerateStream answer: text in two output
// events around a citation event.
func ragFrames(t testing.TB) [][]byte {
	return [][]byte{
		event(t, "output", `{"text":"Hold the reset button "}`),
		event(t, "citation", `{"generatedResponsePart":{"textResponsePart":{"text":"Hold"}},"retrievedReferences":[{"content":{"text":"hold 10 s"},"location":{"type":"CONFLUENCE","confluenceLocation":{"url":"https://wiki.example/x"}}}]}`),
		event(t, "citation", `{"citation":{"retrievedReferences":[{"content":{"text":"old form"},"location":{"type":"S3","s3Location":{"uri":"s3://b/k"}}},{"content":{"text":"row"},"location":{"type":"SQL","sqlLocation":{"query":"SELECT secret"}}}]}}`),
		event(t, "output", `{"text":"for 10 seconds."}`),
	}
}

// TestRetrieveAndGenerateStream: the streamed answer is rebuilt from the
// output events, with the time to the first one; the session comes from
// the response header; the span ends at the stream's end, and no goroutine
// is left behind.
func TestRetrieveAndGenerateStream(t *testing.T) {
	e := newEnv(t)
	f := newFake(t, reply{frames: ragFrames(t), headers: map[string]string{
		"X-Amzn-Bedrock-Knowledge-Base-Session-Id": "sess-s", "X-Amzn-Requestid": "req-s"}})
	out, err := e.agents(f.URL, true).RetrieveAndGenerateStream(context.Background(), &bedrockagentruntime.RetrieveAndGenerateStreamInput{
		Input:                            &agtypes.RetrieveAndGenerateInput{Text: aws.String("how do I reset the router?")},
		RetrieveAndGenerateConfiguration: ragConfig(),
	})
	if err != nil {
		t.Fatal(err)
	}
	var text string
	var citations int
	for ev := range out.GetStream().Events() {
		switch ev := ev.(type) {
		case *agtypes.RetrieveAndGenerateStreamResponseOutputMemberOutput:
			text += aws.ToString(ev.Value.Text)
		case *agtypes.RetrieveAndGenerateStreamResponseOutputMemberCitation:
			citations++
		}
	}
	if err := out.GetStream().Err(); err != nil {
		t.Fatal(err)
	}
	_ = out.GetStream().Close()
	if text != "Hold the reset button for 10 seconds." || citations != 2 || aws.ToString(out.SessionId) != "sess-s" {
		t.Fatalf("caller got %q, %d citations, session %q", text, citations, aws.ToString(out.SessionId))
	}
	s := e.oneSpan()
	if s.Name() != "bedrock.retrieve_and_generate_stream" || s.Status().Code != codes.Unset {
		t.Errorf("span %s %+v", s.Name(), s.Status())
	}
	a := attrsOf(s)
	a.want(t, map[string]any{
		"gen_ai.request.model":          ragModel,
		"aws.bedrock.knowledge_base.id": "KB12345678",
		"gen_ai.conversation.id":        "sess-s",
		"gen_ai.response.id":            "req-s",
		"gen_ai.prompt.0.content":       "how do I reset the router?",
		"gen_ai.completion.0.role":      "assistant",
		"gen_ai.completion.0.content":   "Hold the reset button for 10 seconds.",
		"tracekit.documents.0.id":       "https://wiki.example/x",
		"tracekit.documents.0.content":  "hold 10 s",
		"tracekit.documents.1.id":       "s3://b/k",
		"tracekit.documents.1.content":  "old form",
		"tracekit.documents.2.id":       nil, // a SQL location's query is no id
		"tracekit.documents.2.content":  "row",
	})
	if v, ok := a["gen_ai.response.time_to_first_chunk"]; !ok || v.AsFloat64() <= 0 {
		t.Errorf("time to first chunk %v", v)
	}
	checkMetrics(t, e, map[string]string{"gen_ai.request.model": ragModel}, "", -1, -1)
	e.leakCheck(t, f)
}

// TestRetrieveAndGenerateStreamException: an exception frame mid-stream
// fails the span with its type, once; the caller gets the SDK's error.
func TestRetrieveAndGenerateStreamException(t *testing.T) {
	e := newEnv(t)
	f := newFake(t, reply{frames: [][]byte{
		event(t, "output", `{"text":"Hold "}`),
		exception(t, "throttlingException", "slow down"),
	}})
	out, err := e.agents(f.URL, false).RetrieveAndGenerateStream(context.Background(), &bedrockagentruntime.RetrieveAndGenerateStreamInput{
		Input:                            &agtypes.RetrieveAndGenerateInput{Text: aws.String("q")},
		RetrieveAndGenerateConfiguration: ragConfig(),
	})
	if err != nil {
		t.Fatal(err)
	}
	for range out.GetStream().Events() {
	}
	if out.GetStream().Err() == nil {
		t.Fatal("the caller saw no error")
	}
	_ = out.GetStream().Close()
	s := e.oneSpan()
	if s.Status().Code != codes.Error || s.Status().Description != "slow down" {
		t.Errorf("status %+v", s.Status())
	}
	attrsOf(s).want(t, map[string]any{"error.type": "ThrottlingException", "gen_ai.completion.0.role": nil})
	e.leakCheck(t, f)
}

func retrieveInput() *bedrockagentruntime.RetrieveInput {
	return &bedrockagentruntime.RetrieveInput{
		KnowledgeBaseId: aws.String("KB12345678"),
		RetrievalQuery:  &agtypes.KnowledgeBaseQuery{Text: aws.String("router reset")},
		RetrievalConfiguration: &agtypes.KnowledgeBaseRetrievalConfiguration{
			VectorSearchConfiguration: &agtypes.KnowledgeBaseVectorSearchConfiguration{NumberOfResults: aws.Int32(2)},
		},
		UserContext: &agtypes.UserContext{UserId: aws.String("u-5")},
	}
}

const retrieveAnswer = `{"retrievalResults":[` +
	`{"content":{"type":"TEXT","text":"To reset, hold the button for 10 s."},"location":{"type":"S3","s3Location":{"uri":"s3://manuals/router.pdf"}},"score":0.82},` +
	`{"content":{"type":"TEXT","text":"Routers reset with a pin."},"location":{"type":"CUSTOM","customDocumentLocation":{"id":"doc-7"}},"score":0.5}]}`

// TestRetrieve: a knowledge-base Retrieve is a retrieval span
// bedrock.retrieve (OTel GenAI: "retrieval <knowledge base id>" with
// gen_ai.data_source.id, the query text and the documents' ids and scores,
// OpenInference: a RETRIEVER span with input.value and the documents); the
// results become documents with capture on only.
func TestRetrieve(t *testing.T) {
	e := newEnv(t)
	f := newFake(t, reply{body: retrieveAnswer})
	out, err := e.agents(f.URL, true).Retrieve(context.Background(), retrieveInput())
	if err != nil {
		t.Fatal(err)
	}
	if len(out.RetrievalResults) != 2 {
		t.Fatalf("caller got %+v", out)
	}
	s := e.oneSpan()
	if s.Name() != "bedrock.retrieve" || s.Status().Code != codes.Unset {
		t.Errorf("span %s %+v", s.Name(), s.Status())
	}
	attrsOf(s).want(t, map[string]any{
		"gen_ai.operation.name":          "retrieval",
		"gen_ai.system":                  "aws.bedrock",
		"aws.bedrock.knowledge_base.id":  "KB12345678",
		"gen_ai.request.top_k":           2.0,
		"gen_ai.request.user":            "u-5",
		"gen_ai.prompt.0.role":           "user",
		"gen_ai.prompt.0.content":        "router reset",
		"tracekit.documents.0.id":        "s3://manuals/router.pdf",
		"tracekit.documents.0.content":   "To reset, hold the button for 10 s.",
		"tracekit.documents.0.score":     0.82,
		"tracekit.documents.1.id":        "doc-7",
		"tracekit.documents.1.score":     0.5,
		"gen_ai.completion.0.role":       nil,
		"gen_ai.response.finish_reasons": nil,
	})
	rm := e.metrics()
	var ops []string
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			ops = append(ops, m.Name)
		}
	}
	if strings.Join(ops, ",") != "gen_ai.client.operation.duration" {
		t.Errorf("metrics %v, want the duration alone", ops)
	}

	schemas := schemacheck.New(t)
	e2 := newEnv(t, schemas)
	e2.extra = []Option{WithConventions(semconv.OTelGenAI, semconv.OpenInference)}
	if _, err := e2.agents(f.URL, true).Retrieve(context.Background(), retrieveInput()); err != nil {
		t.Fatal(err)
	}
	for _, err := range schemas.Errors() {
		t.Error(err)
	}
	s = e2.oneSpan()
	if s.Name() != "retrieval KB12345678" {
		t.Errorf("span name %q", s.Name())
	}
	a := attrsOf(s)
	a.want(t, map[string]any{
		"gen_ai.operation.name":                "retrieval",
		"gen_ai.provider.name":                 "aws.bedrock",
		"gen_ai.data_source.id":                "KB12345678",
		"gen_ai.retrieval.query.text":          "router reset",
		"gen_ai.retrieval.documents":           `[{"id":"s3://manuals/router.pdf","score":0.82},{"id":"doc-7","score":0.5}]`,
		"gen_ai.input.messages":                nil,
		"openinference.span.kind":              "RETRIEVER",
		"input.value":                          "router reset",
		"retrieval.documents.0.document.id":    "s3://manuals/router.pdf",
		"retrieval.documents.1.document.score": 0.5,
		"llm.input_messages.0.message.role":    nil,
	})
}

// TestRetrieveCaptureOffAndError: with capture off the query and the
// documents are not recorded, and an error quoting the query loses it.
func TestRetrieveCaptureOffAndError(t *testing.T) {
	e := newEnv(t)
	e.extra = []Option{WithConventions(semconv.Tracekit, semconv.OTelGenAI, semconv.OpenInference)}
	f := newFake(t, reply{body: retrieveAnswer},
		reply{status: 400, headers: map[string]string{"X-Amzn-Errortype": "ValidationException"}, body: `{"message":"query 'router reset' is too short"}`})
	c := e.agents(f.URL, false)
	if _, err := c.Retrieve(context.Background(), retrieveInput()); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Retrieve(context.Background(), retrieveInput()); err == nil || !strings.Contains(err.Error(), "router reset") {
		t.Fatalf("caller got %v", err)
	}
	spans := e.spans()
	if len(spans) != 2 {
		t.Fatalf("%d spans", len(spans))
	}
	for _, s := range spans {
		attrsOf(s).none(t, "*.content", "tracekit.documents.", "retrieval.documents.", "gen_ai.retrieval.", "input.value")
	}
	if d := spans[1].Status().Description; spans[1].Status().Code != codes.Error || strings.Contains(d, "router") {
		t.Errorf("status %+v", spans[1].Status())
	}
}
