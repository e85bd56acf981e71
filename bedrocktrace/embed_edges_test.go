package bedrocktrace

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/tracekit-go/tracekit/semconv"
)

func invokeOnce(t *testing.T, e *env, capture bool, model, req string, r reply) error {
	t.Helper()
	f := newFake(t, r)
	_, err := e.runtime(f.URL, capture).InvokeModel(context.Background(), &bedrockruntime.InvokeModelInput{
		ModelId: aws.String(model), Body: []byte(req), ContentType: aws.String("application/json")})
	return err
}

// TestEmbeddingsBehindOpaqueARN: an application inference profile or custom
// model ARN says nothing: the body is sniffed. A Titan Embeddings body is
// not taken for Titan Text, and a Cohere Embed body gives an embeddings
// span.
func TestEmbeddingsBehindOpaqueARN(t *testing.T) {
	cases := []struct{ name, model, req, resp string }{
		{"titan app profile", "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3d4e5f6",
			`{"inputText":"Hello world","dimensions":256,"normalize":true}`, `{"embedding":[0.1,-0.2],"inputTextTokenCount":3}`},
		{"titan image custom model", "arn:aws:bedrock:us-east-1:123456789012:custom-model/amazon.titan-embed-image-v1:0/abc123xyz",
			`{"inputText":"a cat","embeddingConfig":{"outputEmbeddingLength":384}}`, `{"embedding":[0.1,-0.2],"inputTextTokenCount":2}`},
		{"cohere app profile", "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3d4e5f6",
			`{"texts":["first doc"],"input_type":"search_document"}`, `{"id":"e1","embeddings":[[0.5,0.25]],"response_type":"embeddings_floats"}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			if err := invokeOnce(t, e, true, tc.model, tc.req, reply{body: tc.resp}); err != nil {
				t.Fatal(err)
			}
			a := attrsOf(e.oneSpan())
			t.Logf("attrs: %v", a.keys())
			a.want(t, map[string]any{
				"gen_ai.operation.name":          "embeddings",
				"gen_ai.completion.0.role":       nil,
				"gen_ai.response.finish_reasons": nil,
			})
			if _, ok := a["gen_ai.embeddings.0.vector"]; !ok {
				t.Error("no vector recorded")
			}
		})
	}
}

// TestEmbeddingsOutputTokenHeader: embeddings have no output tokens: an
// X-Amzn-Bedrock-Output-Token-Count header gives no output token count and
// no output token metric point.
func TestEmbeddingsOutputTokenHeader(t *testing.T) {
	e := newEnv(t)
	if err := invokeOnce(t, e, false, "cohere.embed-english-v3", `{"texts":["a"],"input_type":"search_query"}`,
		reply{body: `{"id":"e1","embeddings":[[0.5]]}`, headers: map[string]string{
			"X-Amzn-Bedrock-Input-Token-Count": "4", "X-Amzn-Bedrock-Output-Token-Count": "0"}}); err != nil {
		t.Fatal(err)
	}
	attrsOf(e.oneSpan()).want(t, map[string]any{"gen_ai.usage.input_tokens": 4, "gen_ai.usage.output_tokens": nil})
	for _, sm := range e.metrics().ScopeMetrics {
		for _, m := range sm.Metrics {
			if h, ok := m.Data.(metricdata.Histogram[int64]); ok && m.Name == "gen_ai.client.token.usage" {
				for _, p := range h.DataPoints {
					tt, _ := p.Attributes.Value("gen_ai.token.type")
					op, _ := p.Attributes.Value("gen_ai.operation.name")
					if op.AsString() != "embeddings" {
						t.Errorf("token point op %q", op.AsString())
					}
					if tt.AsString() != "input" {
						t.Errorf("token point of type %q (sum %d) on an embeddings call", tt.AsString(), p.Sum)
					}
				}
			}
		}
	}
}

// TestEmbeddingsErrorEchoCaptureOff: with capture off, a validation error
// quoting the input text does not put it on the span (as
// TestErrorEchoingPromptCaptureOff for Converse).
func TestEmbeddingsErrorEchoCaptureOff(t *testing.T) {
	for _, tc := range [][2]string{
		{"amazon.titan-embed-text-v2:0", `{"inputText":"` + echoedPrompt + `"}`},
		{"cohere.embed-english-v3", `{"texts":["` + echoedPrompt + `"],"input_type":"search_query"}`},
	} {
		e := newEnv(t)
		e.extra = []Option{WithConventions(semconv.Tracekit, semconv.OTelGenAI, semconv.OpenInference)}
		msg := "Malformed input request: input '" + echoedPrompt + "' is not valid"
		if err := invokeOnce(t, e, false, tc[0], tc[1], reply{status: 400,
			headers: map[string]string{"X-Amzn-Errortype": "ValidationException"}, body: `{"message":"` + msg + `"}`}); err == nil {
			t.Fatal("want an error")
		}
		if got := spanText(e.oneSpan()); strings.Contains(got, echoedPrompt) {
			t.Errorf("%s: input text on the span with capture off: %s", tc[0], got)
		}
	}
}
