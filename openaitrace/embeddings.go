package openaitrace

import (
	"encoding/base64"
	"encoding/binary"
	"math"
	"strings"
	"unsafe"

	"github.com/tidwall/gjson"

	"github.com/tracekit-go/tracekit/internal/genai"
)

// This file translates POST /embeddings into the neutral record.

var embeddingsEndpoint = &endpoint{
	operation:     genai.OpEmbeddings,
	api:           "embeddings",
	parseRequest:  parseEmbeddingsRequest,
	parseResponse: checked(parseEmbeddingsResponse),
	newStream:     newNoStream,
}

// Bounds on the embedding vectors a span records (with content capture on
// only). A span records at most maxEmbeddingVectors vectors, the first ones
// of the response, each of at most maxEmbeddingDims values; a longer vector
// is not recorded at all (rather than cut), and neither are the vectors
// after the maxEmbeddingVectors-th. That is at most 32 × 4096 float64, 1 MiB
// of attribute values per span; every OpenAI embedding model (up to 3072
// dimensions) fits.
const (
	maxEmbeddingVectors = genai.MaxEmbeddingVectors
	maxEmbeddingDims    = genai.MaxEmbeddingDims
)

// Shared encoding-format values (the renderer copies them).
var (
	formatFloat  = []string{"float"}
	formatBase64 = []string{"base64"}
)

// parseEmbeddingsRequest fills c.Request from a POST /embeddings body: one
// user message per input (a string, or a list of strings, of token arrays
// or a single token array), with its text only for strings and only when
// content is true.
func parseEmbeddingsRequest(body string, c *genai.Call, content bool) {
	r := &c.Request
	r.EncodingFormats = formatFloat
	// Embeddings have no finish reasons: no (empty) attribute for them.
	c.Response.FinishReasons = nil
	gjson.Parse(body).ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "model":
			r.Model = v.Str
		case "input":
			r.Messages = appendEmbeddingInputs(r.Messages, v, content)
		case "encoding_format":
			switch v.Str {
			case "", "float":
			case "base64":
				r.EncodingFormats = formatBase64
			default:
				r.EncodingFormats = []string{v.Str}
			}
		case "dimensions":
			r.Dimensions = optInt(v)
		case "user":
			r.User = v.Str
		}
		return true
	})
}

// appendEmbeddingInputs appends one user message per embeddings input. A
// token array ([1,2,3]) is one input, not one per token.
func appendEmbeddingInputs(msgs []genai.Message, v gjson.Result, content bool) []genai.Message {
	one := func(in gjson.Result) {
		msg := genai.Message{Role: "user"}
		if content && in.Type == gjson.String {
			msg.Content, msg.HasContent = in.Str, true
		}
		msgs = append(msgs, msg)
	}
	if !v.IsArray() {
		if v.Type == gjson.String {
			one(v)
		}
		return msgs
	}
	tokens, n := true, 0 // a flat array of token ids?
	eachElem(v, func(in gjson.Result) bool {
		n++
		tokens = in.Type == gjson.Number
		return tokens
	})
	if tokens {
		if n > 0 {
			one(v)
		}
		return msgs
	}
	eachElem(v, func(in gjson.Result) bool {
		one(in)
		return true
	})
	return msgs
}

// parseEmbeddingsResponse fills c.Response from an embeddings response: the
// model, the input tokens and, with content on, the vectors (decoded from
// base64 when the server sent base64), within the bounds above.
func parseEmbeddingsResponse(body string, c *genai.Call, content bool) {
	r := &c.Response
	r.FinishReasons = nil
	gjson.Parse(body).ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "id":
			r.ID = v.Str
		case "model":
			r.Model = v.Str
		case "usage":
			var prompt, total genai.Int
			v.ForEach(func(k, v gjson.Result) bool {
				switch k.Str {
				case "prompt_tokens":
					prompt = optInt(v)
				case "total_tokens":
					total = optInt(v)
				}
				return true
			})
			r.Usage.InputTokens = prompt
			if !prompt.Set || prompt.V == 0 {
				if total.Set {
					r.Usage.InputTokens = total
				}
			}
		case "data":
			if content {
				eachElem(v, func(d gjson.Result) bool {
					if len(r.Embeddings) >= maxEmbeddingVectors {
						return false
					}
					if e, ok := parseEmbedding(d); ok {
						r.Embeddings = append(r.Embeddings, e)
					}
					return true
				})
			}
		}
		return true
	})
}

// parseEmbedding reads one data item; ok is false when it has no usable
// vector, a negative index or too many dimensions.
func parseEmbedding(d gjson.Result) (genai.Embedding, bool) {
	var e genai.Embedding
	var vec gjson.Result
	d.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "index":
			e.Index = int(v.Int())
		case "embedding":
			vec = v
		}
		return true
	})
	if e.Index < 0 {
		return e, false
	}
	switch {
	case vec.IsArray():
		n := 0
		eachElem(vec, func(x gjson.Result) bool {
			n++
			return n <= maxEmbeddingDims
		})
		if n > maxEmbeddingDims {
			return e, false
		}
		e.Vector = make([]float64, 0, n)
		eachElem(vec, func(x gjson.Result) bool {
			e.Vector = append(e.Vector, x.Float())
			return true
		})
	case vec.Type == gjson.String:
		v, ok := decodeBase64Floats(vec.Str)
		if !ok {
			return e, false
		}
		e.Vector = v
	default:
		return e, false
	}
	return e, true
}

// decodeBase64Floats decodes a base64 embedding: little-endian float32
// values, as the SDK reads them. It fails on invalid base64 (line breaks
// included, which the standard decoder would skip), on a length that is not
// whole floats, and beyond maxEmbeddingDims values.
func decodeBase64Floats(s string) ([]float64, bool) {
	enc := base64.StdEncoding
	if len(s)%4 != 0 || strings.ContainsAny(s, "\r\n") {
		return nil, false
	}
	n := enc.DecodedLen(len(s)) // an upper bound: padding is not counted out
	if n/4 > maxEmbeddingDims+1 {
		return nil, false
	}
	src := unsafe.Slice(unsafe.StringData(s), len(s))
	out := make([]float64, 0, n/4)
	// 16 base64 characters are 12 bytes, three whole floats: decode block
	// by block into a stack buffer.
	var buf [12]byte
	for len(src) > 0 {
		m := min(len(src), 16)
		k, err := enc.Decode(buf[:], src[:m])
		if err != nil || (m < len(src) && k != 12) || k%4 != 0 {
			return nil, false
		}
		for i := 0; i+4 <= k; i += 4 {
			out = append(out, float64(math.Float32frombits(binary.LittleEndian.Uint32(buf[i:]))))
		}
		src = src[m:]
	}
	if len(out) > maxEmbeddingDims {
		return nil, false
	}
	return out, true
}

// noStream is the accumulator of an endpoint that does not stream: an
// event stream from it records no response.
type noStream struct{}

func newNoStream(bool) streamAccumulator  { return noStream{} }
func (noStream) consume(_, _ []byte) bool { return false }
func (noStream) finish(*genai.Call, bool) {}
