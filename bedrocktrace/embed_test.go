package bedrocktrace

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"go.opentelemetry.io/otel/codes"

	"github.com/tracekit-go/tracekit/semconv"
)

// TestInvokeModelEmbeddings: an InvokeModel call to an embedding model
// (Titan Embeddings, Cohere Embed; bare ids, inference profiles, ARNs) is an
// embeddings span, not a chat one: the inputs as prompts (capture on), the
// dimensions and embedding types asked for, the input tokens (from the body
// or the token count header) and, with capture on, the vectors. With
// capture off neither the inputs nor the vectors are recorded. The caller
// gets the body untouched.
func TestInvokeModelEmbeddings(t *testing.T) {
	cases := []struct {
		name, model, request, response string
		headers                        map[string]string
		want                           map[string]any
	}{
		{
			name:     "titan v2",
			model:    "amazon.titan-embed-text-v2:0",
			request:  `{"inputText":"Hello world","dimensions":256,"normalize":true,"embeddingTypes":["float","binary"]}`,
			response: `{"embedding":[0.1,-0.2,0.3],"embeddingsByType":{"float":[0.1,-0.2,0.3],"binary":[1,0,1]},"inputTextTokenCount":3}`,
			want: map[string]any{
				"gen_ai.prompt.0.role":              "user",
				"gen_ai.prompt.0.content":           "Hello world",
				"gen_ai.embeddings.dimension.count": 256,
				"gen_ai.request.encoding_formats":   []string{"float", "binary"},
				"gen_ai.usage.input_tokens":         3,
				"gen_ai.embeddings.0.vector":        []float64{0.1, -0.2, 0.3},
			},
		},
		{
			name:     "titan v1 by type",
			model:    "arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-embed-text-v1",
			request:  `{"inputText":"Hi"}`,
			response: `{"embeddingsByType":{"float":[1,2]},"inputTextTokenCount":1}`,
			want: map[string]any{
				"gen_ai.prompt.0.content":         "Hi",
				"gen_ai.request.encoding_formats": []string{"float"},
				"gen_ai.usage.input_tokens":       1,
				"gen_ai.embeddings.0.vector":      []float64{1, 2},
			},
		},
		{
			name:     "cohere v3",
			model:    "cohere.embed-english-v3",
			request:  `{"texts":["first doc","second doc"],"input_type":"search_document","embedding_types":["float"]}`,
			response: `{"id":"emb-1","embeddings":{"float":[[0.5,0.25],[0.125,1]]},"texts":["first doc","second doc"],"response_type":"embeddings_by_type"}`,
			headers:  map[string]string{"X-Amzn-Bedrock-Input-Token-Count": "4"},
			want: map[string]any{
				"gen_ai.prompt.0.content":    "first doc",
				"gen_ai.prompt.1.content":    "second doc",
				"gen_ai.response.id":         "emb-1",
				"gen_ai.usage.input_tokens":  4,
				"gen_ai.embeddings.0.vector": []float64{0.5, 0.25},
				"gen_ai.embeddings.1.vector": []float64{0.125, 1},
			},
		},
		{
			name:     "cohere v4 inputs",
			model:    "us.cohere.embed-v4:0",
			request:  `{"inputs":[{"content":[{"type":"text","text":"a cat"},{"type":"image_url","image_url":"data:image/png;base64,iVBO"}]}],"output_dimension":512,"input_type":"search_query"}`,
			response: `{"id":"emb-2","embeddings":[[0.1,0.2]],"response_type":"embeddings_floats"}`,
			want: map[string]any{
				"gen_ai.prompt.0.content":           "a cat",
				"gen_ai.embeddings.dimension.count": 512,
				"gen_ai.embeddings.0.vector":        []float64{0.1, 0.2},
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, capture := range []bool{true, false} {
				e := newEnv(t)
				f := newFake(t, reply{body: tc.response, headers: tc.headers})
				out, err := e.runtime(f.URL, capture).InvokeModel(context.Background(), &bedrockruntime.InvokeModelInput{
					ModelId: aws.String(tc.model), Body: []byte(tc.request), ContentType: aws.String("application/json"),
				})
				if err != nil {
					t.Fatal(err)
				}
				if string(out.Body) != tc.response {
					t.Fatalf("caller got %s", out.Body)
				}
				s := e.oneSpan()
				if s.Name() != "bedrock.invoke_model" || s.Status().Code != codes.Unset {
					t.Errorf("span %s %+v", s.Name(), s.Status())
				}
				a := attrsOf(s)
				a.want(t, map[string]any{
					"gen_ai.operation.name":          "embeddings",
					"gen_ai.request.model":           tc.model,
					"gen_ai.response.finish_reasons": nil,
					"gen_ai.completion.0.role":       nil,
					"gen_ai.usage.output_tokens":     nil,
				})
				if capture {
					a.want(t, tc.want)
				} else {
					a.none(t, "*.content", "*.vector")
				}
			}
		})
	}
}

// TestInvokeModelEmbeddingsConventions: under OTel GenAI an embedding call
// is an "embeddings <model>" span with its dimension count and encoding
// formats; under OpenInference an EMBEDDING span with the input texts and
// vectors.
func TestInvokeModelEmbeddingsConventions(t *testing.T) {
	e := newEnv(t)
	e.extra = []Option{WithConventions(semconv.OTelGenAI, semconv.OpenInference)}
	f := newFake(t, reply{body: `{"embedding":[0.1,-0.2],"inputTextTokenCount":3}`})
	if _, err := e.runtime(f.URL, true).InvokeModel(context.Background(), &bedrockruntime.InvokeModelInput{
		ModelId: aws.String("amazon.titan-embed-text-v2:0"), Body: []byte(`{"inputText":"Hello world","dimensions":256}`),
	}); err != nil {
		t.Fatal(err)
	}
	s := e.oneSpan()
	if s.Name() != "embeddings amazon.titan-embed-text-v2:0" {
		t.Errorf("span name %q", s.Name())
	}
	attrsOf(s).want(t, map[string]any{
		"gen_ai.operation.name":                   "embeddings",
		"gen_ai.embeddings.dimension.count":       256,
		"gen_ai.request.encoding_formats":         []string{"float"},
		"gen_ai.usage.input_tokens":               3,
		"gen_ai.input.messages":                   nil,
		"openinference.span.kind":                 "EMBEDDING",
		"embedding.model_name":                    "amazon.titan-embed-text-v2:0",
		"embedding.embeddings.0.embedding.text":   "Hello world",
		"embedding.embeddings.0.embedding.vector": []float64{0.1, -0.2},
		"llm.input_messages.0.message.role":       nil,
	})
}
