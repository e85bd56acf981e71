package bedrocktrace

// InvokeModel with an embedding model: Amazon Titan Embeddings (text v1 and
// v2, multimodal G1) and Cohere Embed (v3, v4). Request and response bodies
// -> an embeddings record.

import (
	"github.com/tidwall/gjson"

	"github.com/tracekit-go/tracekit/internal/genai"
)

// titanEmbedRequest reads a Titan Embeddings body: its input text (one user
// message), the dimensions asked for (dimensions, or a multimodal model's
// embeddingConfig.outputEmbeddingLength) and the embedding types.
func titanEmbedRequest(c *genai.Call, js string, capture bool) {
	r := &c.Request
	userPrompt(c, gjson.Get(js, "inputText"), capture)
	setInt(&r.Dimensions, gjson.Get(js, "dimensions"))
	if !r.Dimensions.Set {
		setInt(&r.Dimensions, gjson.Get(js, "embeddingConfig.outputEmbeddingLength"))
	}
	r.EncodingFormats = embeddingTypes(gjson.Get(js, "embeddingTypes"))
}

// cohereEmbedRequest reads a Cohere Embed body: one user message per text
// (texts, or the text parts of each of v4's inputs), the dimensions asked
// for (output_dimension) and the embedding types.
func cohereEmbedRequest(c *genai.Call, js string, capture bool) {
	r := &c.Request
	gjson.Parse(js).ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "texts":
			eachArrayElem(v, func(t gjson.Result) { userPrompt(c, t, capture) })
		case "inputs":
			eachArrayElem(v, func(in gjson.Result) {
				var text textJoiner
				eachArrayElem(in.Get("content"), func(p gjson.Result) {
					if p.Get("type").Str == "text" {
						text.add(p.Get("text").Str)
					}
				})
				m := genai.Message{Role: "user"}
				if capture && text.n > 0 {
					m.Content, m.HasContent = text.String(), true
				}
				r.Messages = append(r.Messages, m)
			})
		case "output_dimension":
			setInt(&r.Dimensions, v)
		case "embedding_types":
			r.EncodingFormats = embeddingTypes(v)
		}
		return true
	})
}

// embeddingTypes returns the embedding types asked for (["float"] when none
// are named).
func embeddingTypes(v gjson.Result) []string {
	var out []string
	eachArrayElem(v, func(t gjson.Result) {
		if t.Type == gjson.String && len(out) < 8 {
			out = append(out, t.Str)
		}
	})
	if len(out) == 0 {
		return floatFormat
	}
	return out
}

var floatFormat = []string{"float"}

// titanEmbedResponse reads a Titan Embeddings answer: the input token count
// and, with capture on, the vector (embedding, else embeddingsByType.float).
func titanEmbedResponse(c *genai.Call, js string, capture bool) {
	r := &c.Response
	setInt(&r.Usage.InputTokens, gjson.Get(js, "inputTextTokenCount"))
	if !capture {
		return
	}
	vec := gjson.Get(js, "embedding")
	if !vec.IsArray() {
		vec = gjson.Get(js, "embeddingsByType.float")
	}
	if v, ok := floatVector(vec); ok {
		r.Embeddings = append(r.Embeddings, genai.Embedding{Vector: v})
	}
}

// cohereEmbedResponse reads a Cohere Embed answer: its id and, with capture
// on, the vectors (embeddings as a list, or its float list by type), within
// genai's bounds.
func cohereEmbedResponse(c *genai.Call, js string, capture bool) {
	r := &c.Response
	r.ID = gjson.Get(js, "id").Str
	if !capture {
		return
	}
	vecs := gjson.Get(js, "embeddings")
	if vecs.IsObject() {
		vecs = vecs.Get("float")
	}
	i := 0
	vecs.ForEach(func(_, vec gjson.Result) bool {
		if i >= genai.MaxEmbeddingVectors {
			return false
		}
		if v, ok := floatVector(vec); ok {
			r.Embeddings = append(r.Embeddings, genai.Embedding{Index: i, Vector: v})
		}
		i++
		return true
	})
}

// floatVector reads a JSON array of numbers; ok is false for anything else
// and for more than genai.MaxEmbeddingDims values.
func floatVector(vec gjson.Result) ([]float64, bool) {
	if !vec.IsArray() {
		return nil, false
	}
	n, ok := 0, true
	vec.ForEach(func(_, x gjson.Result) bool {
		n++
		ok = x.Type == gjson.Number && n <= genai.MaxEmbeddingDims
		return ok
	})
	if !ok || n == 0 {
		return nil, false
	}
	out := make([]float64, 0, n)
	vec.ForEach(func(_, x gjson.Result) bool {
		out = append(out, x.Float())
		return true
	})
	return out, true
}

// eachArrayElem calls f on each element of an array (nothing for another
// value).
func eachArrayElem(v gjson.Result, f func(gjson.Result)) {
	if !v.IsArray() {
		return
	}
	v.ForEach(func(_, e gjson.Result) bool {
		f(e)
		return true
	})
}
