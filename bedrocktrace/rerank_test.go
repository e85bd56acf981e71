package bedrocktrace

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentruntime/document"
	agtypes "github.com/aws/aws-sdk-go-v2/service/bedrockagentruntime/types"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"go.opentelemetry.io/otel/codes"

	"github.com/tracekit-go/tracekit/internal/spantest"
	"github.com/tracekit-go/tracekit/semconv"
)

const rerankModelARN = "arn:aws:bedrock:us-west-2::foundation-model/amazon.rerank-v1:0"

func rerankInput() *bedrockagentruntime.RerankInput {
	return &bedrockagentruntime.RerankInput{
		Queries: []agtypes.RerankQuery{{Type: agtypes.RerankQueryContentTypeText, TextQuery: &agtypes.RerankTextDocument{Text: aws.String("how do I reset the router")}}},
		RerankingConfiguration: &agtypes.RerankingConfiguration{
			Type: agtypes.RerankingConfigurationTypeBedrockRerankingModel,
			BedrockRerankingConfiguration: &agtypes.BedrockRerankingConfiguration{
				ModelConfiguration: &agtypes.BedrockRerankingModelConfiguration{ModelArn: aws.String(rerankModelARN)},
				NumberOfResults:    aws.Int32(2),
			},
		},
		Sources: []agtypes.RerankSource{
			{Type: agtypes.RerankSourceTypeInline, InlineDocumentSource: &agtypes.RerankDocument{
				Type: agtypes.RerankDocumentTypeText, TextDocument: &agtypes.RerankTextDocument{Text: aws.String("Routers blink when busy.")}}},
			{Type: agtypes.RerankSourceTypeInline, InlineDocumentSource: &agtypes.RerankDocument{
				Type: agtypes.RerankDocumentTypeText, TextDocument: &agtypes.RerankTextDocument{Text: aws.String("To reset, hold the button for 10 s.")}}},
			{Type: agtypes.RerankSourceTypeInline, InlineDocumentSource: &agtypes.RerankDocument{
				Type: agtypes.RerankDocumentTypeJson, JsonDocument: document.NewLazyDocument(map[string]any{"title": "FAQ", "body": "Unplug it."})}},
		},
	}
}

// The second result carries its document, the first does not (its text is
// the source's).
const rerankAnswer = `{"results":[` +
	`{"index":1,"relevanceScore":0.82},` +
	`{"index":2,"relevanceScore":0.25,"document":{"type":"JSON","jsonDocument":{"body":"Unplug it.","title":"FAQ"}}}]}`

// TestRerank: an Agent Runtime Rerank is a rerank span bedrock.rerank: the
// model ARN, the number of results as top_k, the request id as the response
// id; with capture on the query (as the prompt), the documents given
// (tracekit.input_documents, their ids their positions) and the results
// (tracekit.documents, most relevant first, with their scores and texts).
// Under OTel GenAI a "rerank <model>" span whose query and documents fall
// back to tracekit's keys; under OpenInference a RERANKER span.
func TestRerank(t *testing.T) {
	e := newEnv(t)
	f := newFake(t, reply{body: rerankAnswer, headers: map[string]string{"X-Amzn-Requestid": "req-rr-1"}})
	out, err := e.agents(f.URL, true).Rerank(context.Background(), rerankInput())
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Results) != 2 || aws.ToInt32(out.Results[0].Index) != 1 {
		t.Fatalf("caller got %+v", out)
	}
	s := e.oneSpan()
	if s.Name() != "bedrock.rerank" || s.Status().Code != codes.Unset {
		t.Errorf("span %s %+v", s.Name(), s.Status())
	}
	attrsOf(s).want(t, map[string]any{
		"gen_ai.operation.name":              "rerank",
		"gen_ai.system":                      "aws.bedrock",
		"gen_ai.request.model":               rerankModelARN,
		"gen_ai.request.top_k":               2.0,
		"gen_ai.response.id":                 "req-rr-1",
		"gen_ai.prompt.0.role":               "user",
		"gen_ai.prompt.0.content":            "how do I reset the router",
		"tracekit.input_documents.0.id":      "0",
		"tracekit.input_documents.0.content": "Routers blink when busy.",
		"tracekit.input_documents.2.content": `{"body":"Unplug it.","title":"FAQ"}`,
		"tracekit.documents.0.id":            "1",
		"tracekit.documents.0.content":       "To reset, hold the button for 10 s.",
		"tracekit.documents.0.score":         0.82,
		"tracekit.documents.1.id":            "2",
		"tracekit.documents.1.content":       `{"body":"Unplug it.","title":"FAQ"}`,
		"tracekit.documents.1.score":         0.25,
		"gen_ai.completion.0.role":           nil,
		"gen_ai.response.finish_reasons":     nil,
		"gen_ai.usage.input_tokens":          nil,
	})
	ops := spantest.MetricNames(e.metrics())
	if strings.Join(ops, ",") != "gen_ai.client.operation.duration" {
		t.Errorf("metrics %v, want the duration alone", ops)
	}

	e2 := newEnv(t)
	e2.extra = []Option{WithConventions(semconv.OTelGenAI, semconv.OpenInference)}
	if _, err := e2.agents(f.URL, true).Rerank(context.Background(), rerankInput()); err != nil {
		t.Fatal(err)
	}
	s = e2.oneSpan()
	if s.Name() != "rerank "+rerankModelARN {
		t.Errorf("span name %q", s.Name())
	}
	a := attrsOf(s)
	a.want(t, map[string]any{
		"gen_ai.operation.name":                         "rerank",
		"gen_ai.provider.name":                          "aws.bedrock",
		"gen_ai.request.model":                          rerankModelARN,
		"gen_ai.request.top_k":                          2.0,
		"tracekit.input.value":                          "how do I reset the router",
		"tracekit.input_documents.1.content":            "To reset, hold the button for 10 s.",
		"tracekit.documents.0.score":                    0.82,
		"gen_ai.input.messages":                         nil,
		"gen_ai.output.messages":                        nil,
		"gen_ai.retrieval.documents":                    nil,
		"openinference.span.kind":                       "RERANKER",
		"reranker.model_name":                           rerankModelARN,
		"reranker.top_k":                                2,
		"reranker.query":                                "how do I reset the router",
		"input.value":                                   "how do I reset the router",
		"reranker.input_documents.0.document.id":        "0",
		"reranker.input_documents.0.document.content":   "Routers blink when busy.",
		"reranker.output_documents.0.document.id":       "1",
		"reranker.output_documents.0.document.content":  "To reset, hold the button for 10 s.",
		"reranker.output_documents.1.document.score":    0.25,
		"llm.model_name":                                nil,
		"llm.invocation_parameters":                     nil,
		"llm.input_messages.0.message.role":             nil,
		"retrieval.documents.0.document.id":             nil,
		"output.value":                                  nil,
		"reranker.output_documents.0.document.metadata": nil,
		"reranker.input_documents.3.document.id":        nil,
		"gen_ai.prompt.0.content":                       nil,
		"tracekit.documents.2.id":                       nil,
		"tracekit.input_documents.0.score":              nil,
		"reranker.input_documents.0.document.score":     nil,
		"reranker.output_documents.2.document.id":       nil,
		"reranker.input_documents.2.document.content":   `{"body":"Unplug it.","title":"FAQ"}`,
		"reranker.output_documents.1.document.content":  `{"body":"Unplug it.","title":"FAQ"}`,
		"reranker.output_documents.0.document.score":    0.82,
		"tracekit.input_documents.2.id":                 "2",
		"tracekit.documents.1.id":                       "2",
		"tracekit.documents.1.content":                  `{"body":"Unplug it.","title":"FAQ"}`,
		"tracekit.input_documents.0.content":            "Routers blink when busy.",
		"tracekit.input_documents.0.id":                 "0",
		"tracekit.input.mime_type":                      "text/plain",
		"input.mime_type":                               "text/plain",
		"gen_ai.system":                                 nil,
		"gen_ai.response.finish_reasons":                nil,
		"gen_ai.usage.input_tokens":                     nil,
		"llm.token_count.total":                         nil,
	})
}

// TestRerankCaptureOffAndError: with capture off neither the query nor the
// documents are recorded, and an error quoting the query or a document
// loses them; the error is the exception's type.
func TestRerankCaptureOffAndError(t *testing.T) {
	e := newEnv(t)
	e.extra = []Option{WithConventions(semconv.Tracekit, semconv.OTelGenAI, semconv.OpenInference)}
	f := newFake(t, reply{body: rerankAnswer},
		reply{status: 400, headers: map[string]string{"X-Amzn-Errortype": "ValidationException"},
			body: `{"message":"query 'how do I reset the router' and source 'To reset, hold the button for 10 s.' are too close"}`})
	c := e.agents(f.URL, false)
	if _, err := c.Rerank(context.Background(), rerankInput()); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Rerank(context.Background(), rerankInput()); err == nil || !strings.Contains(err.Error(), "hold the button") {
		t.Fatalf("caller got %v", err)
	}
	spans := e.spans()
	if len(spans) != 2 {
		t.Fatalf("%d spans", len(spans))
	}
	for _, s := range spans {
		a := attrsOf(s)
		a.none(t, "*.content", "tracekit.documents.", "tracekit.input_documents.", "tracekit.input.", "reranker.query",
			"reranker.input_documents.", "reranker.output_documents.", "input.value")
		a.want(t, map[string]any{"gen_ai.operation.name": "rerank", "reranker.top_k": 2, "gen_ai.request.model": rerankModelARN})
	}
	st := spans[1].Status()
	if st.Code != codes.Error || strings.Contains(st.Description, "router") || strings.Contains(st.Description, "button") {
		t.Errorf("status %+v", st)
	}
	attrsOf(spans[1]).want(t, map[string]any{"error.type": "ValidationException"})
}

// TestInvokeModelRerank: an InvokeModel call to a rerank model (Amazon
// Rerank, Cohere Rerank; a bare id, or an ARN that says nothing, whose body
// tells) is a rerank span: top_n as top_k, Cohere's id as the response id;
// with capture on the query, the documents given (a string as it is, an
// object as its JSON) and the results with their scores. With capture off
// none of them. The caller gets the body untouched.
func TestInvokeModelRerank(t *testing.T) {
	cases := []struct {
		name, model, request, response string
		want                           map[string]any
	}{
		{
			name:     "cohere",
			model:    "cohere.rerank-v3-5:0",
			request:  `{"query":"reset the router","documents":["Routers blink.",{"title":"FAQ","text":"Hold the button."}],"top_n":1,"api_version":2}`,
			response: `{"id":"rr-9","results":[{"index":1,"relevance_score":0.91}],"meta":{"billed_units":{"search_units":1}}}`,
			want: map[string]any{
				"gen_ai.response.id":                 "rr-9",
				"gen_ai.request.top_k":               1.0,
				"gen_ai.prompt.0.content":            "reset the router",
				"tracekit.input_documents.0.content": "Routers blink.",
				"tracekit.input_documents.1.content": `{"title":"FAQ","text":"Hold the button."}`,
				"tracekit.documents.0.id":            "1",
				"tracekit.documents.0.content":       `{"title":"FAQ","text":"Hold the button."}`,
				"tracekit.documents.0.score":         0.91,
				"tracekit.documents.1.id":            nil,
			},
		},
		{
			name:     "amazon behind an application inference profile",
			model:    "arn:aws:bedrock:us-west-2:123456789012:application-inference-profile/abc123",
			request:  `{"query":"reset the router","documents":["Routers blink.","Hold the button."]}`,
			response: `{"results":[{"index":1,"relevance_score":0.7},{"index":0,"relevance_score":0.1,"document":{"text":"Routers blink!"}}]}`,
			want: map[string]any{
				"gen_ai.response.id":           nil,
				"gen_ai.request.top_k":         nil,
				"tracekit.documents.0.id":      "1",
				"tracekit.documents.0.content": "Hold the button.",
				"tracekit.documents.1.id":      "0",
				"tracekit.documents.1.content": "Routers blink!",
				"tracekit.documents.1.score":   0.1,
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, capture := range []bool{true, false} {
				a := invokeOK(t, capture, tc.model, tc.request, tc.response)
				a.want(t, map[string]any{
					"gen_ai.operation.name":          "rerank",
					"gen_ai.request.model":           tc.model,
					"gen_ai.prompt.0.role":           "user",
					"gen_ai.response.finish_reasons": nil,
					"gen_ai.completion.0.role":       nil,
				})
				if capture {
					a.want(t, tc.want)
				} else {
					a.none(t, "*.content", "tracekit.documents.", "tracekit.input_documents.")
				}
			}
		})
	}
}

// TestInvokeModelRerankErrorWithheld: with capture off, an InvokeModel
// rerank error that quotes a document given loses it.
func TestInvokeModelRerankErrorWithheld(t *testing.T) {
	e := newEnv(t)
	f := newFake(t, reply{status: 400, headers: map[string]string{"X-Amzn-Errortype": "ValidationException"},
		body: `{"message":"document 'Hold the button for ten seconds.' is too long"}`})
	_, err := e.runtime(f.URL, false).InvokeModel(context.Background(), &bedrockruntime.InvokeModelInput{
		ModelId: aws.String("amazon.rerank-v1:0"), Body: []byte(`{"query":"reset","documents":["Routers blink.","Hold the button for ten seconds."]}`),
	})
	if err == nil || !strings.Contains(err.Error(), "ten seconds") {
		t.Fatalf("caller got %v", err)
	}
	s := e.oneSpan()
	if d := s.Status().Description; s.Status().Code != codes.Error || strings.Contains(d, "ten seconds") || !strings.Contains(d, "[REDACTED]") {
		t.Errorf("status %+v", s.Status())
	}
	attrsOf(s).want(t, map[string]any{"gen_ai.operation.name": "rerank", "error.type": "ValidationException"})
}
