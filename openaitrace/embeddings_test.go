package openaitrace

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"go.opentelemetry.io/otel/attribute"

	"github.com/tracekit-go/tracekit/internal/genai"
)

// Embeddings fixtures, written for these tests.

func floatVector(seed, dims int) []float64 {
	v := make([]float64, dims)
	for i := range v {
		// float32-exact values, so that base64 round trips compare equal
		v[i] = float64(float32(math.Sin(float64(seed*1000+i)) / 7))
	}
	return v
}

func base64Vector(v []float64) string {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(float32(x)))
	}
	return base64.StdEncoding.EncodeToString(b)
}

// embeddingsJSON answers with one vector per seed, in the given encoding.
func embeddingsJSON(dims int, b64 bool, seeds ...int) string {
	var b strings.Builder
	b.WriteString(`{"object":"list","data":[`)
	for i, s := range seeds {
		if i > 0 {
			b.WriteByte(',')
		}
		v := floatVector(s, dims)
		var enc string
		if b64 {
			enc = `"` + base64Vector(v) + `"`
		} else {
			parts := make([]string, len(v))
			for j, x := range v {
				parts[j] = fmt.Sprint(x)
			}
			enc = "[" + strings.Join(parts, ",") + "]"
		}
		fmt.Fprintf(&b, `{"object":"embedding","index":%d,"embedding":%s}`, i, enc)
	}
	b.WriteString(`],"model":"text-embedding-3-small","usage":{"prompt_tokens":11,"total_tokens":11}}`)
	return b.String()
}

func vectorAttr(t *testing.T, a map[string]attribute.Value, i int) []float64 {
	t.Helper()
	v, ok := a[fmt.Sprintf("gen_ai.embeddings.%d.vector", i)]
	if !ok {
		return nil
	}
	if v.Type() != attribute.FLOAT64SLICE {
		t.Fatalf("vector %d has type %s", i, v.Type())
	}
	return v.AsFloat64Slice()
}

func sameFloats(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestEmbeddings(t *testing.T) {
	cases := []struct {
		name    string
		params  openai.EmbeddingNewParams
		b64     bool
		seeds   []int
		capture bool
		want    map[string]any
	}{
		{"float_single", openai.EmbeddingNewParams{
			Model: openai.EmbeddingModelTextEmbedding3Small,
			Input: openai.EmbeddingNewParamsInputUnion{OfString: openai.String("The food was delicious.")},
			User:  openai.String("u-1"),
		}, false, []int{1}, true, map[string]any{
			"gen_ai.request.encoding_formats":   []string{"float"},
			"gen_ai.embeddings.dimension.count": nil,
			"gen_ai.request.user":               "u-1",
			"gen_ai.prompt.0.role":              "user",
			"gen_ai.prompt.0.content":           "The food was delicious.",
			"gen_ai.prompt.1.role":              nil,
		}},
		{"base64_batch_dimensions", openai.EmbeddingNewParams{
			Model:          openai.EmbeddingModelTextEmbedding3Small,
			Input:          openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: []string{"first", "second", "third"}},
			EncodingFormat: openai.EmbeddingNewParamsEncodingFormatBase64,
			Dimensions:     openai.Int(8),
		}, true, []int{1, 2, 3}, true, map[string]any{
			"gen_ai.request.encoding_formats":   []string{"base64"},
			"gen_ai.embeddings.dimension.count": 8,
			"gen_ai.prompt.0.content":           "first",
			"gen_ai.prompt.1.content":           "second",
			"gen_ai.prompt.2.content":           "third",
		}},
		{"token_arrays", openai.EmbeddingNewParams{
			Model: openai.EmbeddingModelTextEmbedding3Small,
			Input: openai.EmbeddingNewParamsInputUnion{OfArrayOfTokenArrays: [][]int64{{1, 2, 3}, {4, 5}}},
		}, false, []int{1, 2}, true, map[string]any{
			"gen_ai.prompt.0.role":    "user",
			"gen_ai.prompt.0.content": nil,
			"gen_ai.prompt.1.role":    "user",
			"gen_ai.prompt.1.content": nil,
			"gen_ai.prompt.2.role":    nil,
		}},
		{"one_token_array", openai.EmbeddingNewParams{
			Model: openai.EmbeddingModelTextEmbedding3Small,
			Input: openai.EmbeddingNewParamsInputUnion{OfArrayOfTokens: []int64{1, 2, 3}},
		}, false, []int{1}, true, map[string]any{
			"gen_ai.prompt.0.role":    "user",
			"gen_ai.prompt.0.content": nil,
			"gen_ai.prompt.1.role":    nil, // llm-tracekit records one prompt per token
		}},
		{"no_capture", openai.EmbeddingNewParams{
			Model:          openai.EmbeddingModelTextEmbedding3Small,
			Input:          openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: []string{"first", "second"}},
			EncodingFormat: openai.EmbeddingNewParamsEncodingFormatBase64,
		}, true, []int{1, 2}, false, map[string]any{
			"gen_ai.prompt.0.role":    "user",
			"gen_ai.prompt.0.content": nil,
			"gen_ai.prompt.1.role":    "user",
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dims := 1536
			if tc.params.Dimensions.Valid() {
				dims = int(tc.params.Dimensions.Value)
			}
			h := newHarness(t, jsonHandler(200, embeddingsJSON(dims, tc.b64, tc.seeds...)), tc.capture)
			res, err := h.client.Embeddings.New(context.Background(), tc.params)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Data) != len(tc.seeds) || !sameFloats(res.Data[0].Embedding, floatVector(tc.seeds[0], dims)) {
				t.Fatalf("caller got %d vectors", len(res.Data))
			}
			s := h.onlySpan()
			if s.Name() != "embeddings text-embedding-3-small" {
				t.Errorf("span name %q", s.Name())
			}
			a := attrs(s)
			want := map[string]any{
				"gen_ai.operation.name":          "embeddings",
				"gen_ai.system":                  "openai",
				"gen_ai.request.model":           "text-embedding-3-small",
				"gen_ai.response.model":          "text-embedding-3-small",
				"gen_ai.usage.input_tokens":      11,
				"gen_ai.usage.output_tokens":     nil,
				"gen_ai.response.finish_reasons": nil,
				"gen_ai.completion.0.role":       nil,
			}
			for k, v := range tc.want {
				want[k] = v
			}
			wantAttrs(t, a, want)
			for i, seed := range tc.seeds {
				got := vectorAttr(t, a, i)
				if !tc.capture {
					if got != nil {
						t.Errorf("vector %d recorded without capture", i)
					}
					continue
				}
				if !sameFloats(got, floatVector(seed, dims)) {
					t.Errorf("vector %d = %d values, want the %d sent", i, len(got), dims)
				}
			}
			if got := vectorAttr(t, a, len(tc.seeds)); got != nil {
				t.Errorf("extra vector %d", len(tc.seeds))
			}
		})
	}
}

func TestEmbeddingsVectorBounds(t *testing.T) {
	seeds := make([]int, maxEmbeddingVectors+3)
	for i := range seeds {
		seeds[i] = i
	}
	t.Run("count", func(t *testing.T) {
		var c genai.Call
		parseEmbeddingsResponse(embeddingsJSON(4, false, seeds...), &c, true)
		if len(c.Response.Embeddings) != maxEmbeddingVectors {
			t.Fatalf("%d vectors, want %d", len(c.Response.Embeddings), maxEmbeddingVectors)
		}
		if e := c.Response.Embeddings[maxEmbeddingVectors-1]; e.Index != maxEmbeddingVectors-1 || !sameFloats(e.Vector, floatVector(maxEmbeddingVectors-1, 4)) {
			t.Errorf("last vector %+v", e)
		}
	})
	for _, b64 := range []bool{false, true} {
		t.Run(fmt.Sprint("dims_base64=", b64), func(t *testing.T) {
			var c genai.Call
			parseEmbeddingsResponse(embeddingsJSON(maxEmbeddingDims, b64, 1), &c, true)
			if len(c.Response.Embeddings) != 1 || len(c.Response.Embeddings[0].Vector) != maxEmbeddingDims {
				t.Fatalf("a vector at the bound is not recorded whole")
			}
			c = genai.Call{}
			parseEmbeddingsResponse(embeddingsJSON(maxEmbeddingDims+1, b64, 1), &c, true)
			if len(c.Response.Embeddings) != 0 {
				t.Fatalf("a vector past the bound is recorded")
			}
		})
	}
}

func TestDecodeBase64Floats(t *testing.T) {
	for n := 0; n <= 9; n++ {
		v := floatVector(n, n)
		got, ok := decodeBase64Floats(base64Vector(v))
		if !ok || !sameFloats(got, v) {
			t.Errorf("%d values: got %v %v, want %v", n, got, ok, v)
		}
	}
	for _, bad := range []string{"A", "AAA=", "AAAAAAA=", "!!!!AAAA", "AAAAAAAAAAAAAAAAAA==", "AAAA=AAAAAAAAAAAAAAAAAA"} {
		if got, ok := decodeBase64Floats(bad); ok {
			t.Errorf("%q: decoded %v", bad, got)
		}
	}
}

func TestEmbeddingsResponseShapes(t *testing.T) {
	var c genai.Call
	parseEmbeddingsResponse(`{"data":[{"index":-1,"embedding":[1]},{"index":2,"embedding":"AACAPw=="},{"index":3,"embedding":null}],"model":"m","usage":{"prompt_tokens":0,"total_tokens":7}}`, &c, true)
	if len(c.Response.Embeddings) != 1 || c.Response.Embeddings[0].Index != 2 || !sameFloats(c.Response.Embeddings[0].Vector, []float64{1}) {
		t.Errorf("embeddings %+v", c.Response.Embeddings)
	}
	if u := c.Response.Usage.InputTokens; !u.Set || u.V != 7 {
		t.Errorf("input tokens %+v, want total_tokens when prompt_tokens is 0", u)
	}
	var off genai.Call
	parseEmbeddingsResponse(`{"data":[{"index":0,"embedding":[1,2]}],"model":"m"}`, &off, false)
	if off.Response.Embeddings != nil || off.Response.Model != "m" {
		t.Errorf("no capture: %+v", off.Response)
	}
	var req genai.Call
	parseEmbeddingsRequest(`{"model":"m","input":[],"encoding_format":"float"}`, &req, true)
	if len(req.Request.Messages) != 0 || fmt.Sprint(req.Request.EncodingFormats) != "[float]" {
		t.Errorf("empty input: %+v", req.Request)
	}
}

func TestEmbeddingsHTTPError(t *testing.T) {
	h := newHarness(t, jsonHandler(400, `{"error":{"message":"This model's maximum context length is 8192 tokens.","type":"invalid_request_error","param":null,"code":null}}`), true)
	_, err := h.client.Embeddings.New(context.Background(), openai.EmbeddingNewParams{
		Model: openai.EmbeddingModelTextEmbedding3Small,
		Input: openai.EmbeddingNewParamsInputUnion{OfString: openai.String("x")},
	})
	if err == nil {
		t.Fatal("want an error")
	}
	wantAttrs(t, attrs(h.onlySpan()), map[string]any{"error.type": "invalid_request_error", "gen_ai.prompt.0.content": "x"})
}
