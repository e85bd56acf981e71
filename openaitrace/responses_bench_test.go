package openaitrace

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/tracekit-go/tracekit/internal/genai"
	"github.com/tracekit-go/tracekit/internal/sse"
)

// The Responses and embeddings benchmarks use the in-memory fakeDoer and
// benchClient of bench_test.go: no network.

var benchModes = []struct {
	name            string
	traced, capture bool
}{
	{"untraced", false, false},
	{"traced_capture_off", true, false},
	{"traced_capture_on", true, true},
}

// BenchmarkResponses is one Responses call with a tool-using conversation
// (instructions, a user message, reasoning, two function calls and their
// outputs, two tools) and a text answer.
func BenchmarkResponses(b *testing.B) {
	d := &fakeDoer{body: []byte(responseJSON("resp_bench", "completed", outputReasoningJSON+","+outputMessageJSON, "")), contentType: "application/json"}
	params := responsesParams()
	for _, m := range benchModes {
		b.Run(m.name, func(b *testing.B) {
			client := benchClient(d, m.traced, m.capture)
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := client.Responses.New(ctx, params); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkResponsesStream is one streamed Responses call of 20 text deltas
// (27 events), read to its end.
func BenchmarkResponsesStream(b *testing.B) {
	d := &fakeDoer{body: []byte(strings.Join(responsesTextStream(20, "response.completed", "completed", ""), "")), contentType: "text/event-stream"}
	params := responsesParams()
	for _, m := range benchModes {
		b.Run(m.name, func(b *testing.B) {
			client := benchClient(d, m.traced, m.capture)
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				stream := client.Responses.NewStreaming(ctx, params)
				n := 0
				for stream.Next() {
					n++
				}
				if err := stream.Err(); err != nil || n != 27 {
					b.Fatalf("%d events, %v", n, err)
				}
				_ = stream.Close()
			}
		})
	}
}

// BenchmarkEmbeddings is one embeddings call of 4 inputs answered with 4
// base64 vectors of 1536 dimensions (decoded again for the span with
// capture on).
func BenchmarkEmbeddings(b *testing.B) {
	d := &fakeDoer{body: []byte(embeddingsJSON(1536, true, 1, 2, 3, 4)), contentType: "application/json"}
	params := openai.EmbeddingNewParams{
		Model:          openai.EmbeddingModelTextEmbedding3Small,
		Input:          openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: []string{"one", "two", "three", "four"}},
		EncodingFormat: openai.EmbeddingNewParamsEncodingFormatBase64,
	}
	for _, m := range benchModes {
		b.Run(m.name, func(b *testing.B) {
			client := benchClient(d, m.traced, m.capture)
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := client.Embeddings.New(ctx, params); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkResponsesParse is the tracing's own parsing of the Responses
// call of BenchmarkResponses (request and response, one pass each), without
// the SDK, the span or the HTTP plumbing.
func BenchmarkResponsesParse(b *testing.B) {
	reqBody := responsesRequestBody(b)
	respBody := responseJSON("resp_bench", "completed", outputReasoningJSON+","+outputMessageJSON, "")
	for _, capture := range []bool{false, true} {
		b.Run(map[bool]string{false: "capture_off", true: "capture_on"}[capture], func(b *testing.B) {
			var c genai.Call
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				c.Reset()
				parseResponsesRequest(reqBody, &c, capture)
				parseResponsesResponse(respBody, &c, capture)
			}
		})
	}
}

// BenchmarkResponsesStreamParse is the tracing's own work on the stream of
// BenchmarkResponsesStream: splitting the 27 events and accumulating them.
func BenchmarkResponsesStreamParse(b *testing.B) {
	body := []byte(strings.Join(responsesTextStream(20, "response.completed", "completed", ""), ""))
	for _, capture := range []bool{false, true} {
		b.Run(map[bool]string{false: "capture_off", true: "capture_on"}[capture], func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				s := newResponsesStream(capture)
				var sp sse.Splitter
				for p := body; len(p) > 0; {
					n := min(len(p), 4096) // as a bufio.Reader reads
					sp.Feed(p[:n], func(event, data []byte) { s.consume(event, data) })
					p = p[n:]
				}
				var c genai.Call
				s.finish(&c, true)
			}
		})
	}
}

// responsesRequestBody is the JSON the SDK sends for responsesParams.
func responsesRequestBody(b *testing.B) string {
	var body []byte
	d := &fakeDoer{body: []byte(responseJSON("r", "completed", "", "")), contentType: "application/json"}
	c := openai.NewClient(option.WithHTTPClient(d), option.WithAPIKey("k"), option.WithBaseURL("http://llm.test/v1"),
		option.WithMiddleware(func(r *http.Request, next option.MiddlewareNext) (*http.Response, error) {
			rc, _ := r.GetBody()
			body, _ = io.ReadAll(rc)
			return next(r)
		}))
	if _, err := c.Responses.New(context.Background(), responsesParams()); err != nil || len(body) == 0 {
		b.Fatal(err)
	}
	return string(body)
}
