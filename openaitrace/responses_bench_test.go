package openaitrace

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// cannedDoer answers every request in memory with the same body: the
// benchmarks measure the client and the tracing, not a network.
type cannedDoer struct {
	contentType string
	body        []byte
}

func (d *cannedDoer) Do(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		_, _ = io.Copy(io.Discard, req.Body)
		_ = req.Body.Close()
	}
	return &http.Response{
		StatusCode:    200,
		Status:        "200 OK",
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        http.Header{"Content-Type": {d.contentType}},
		Body:          io.NopCloser(bytes.NewReader(d.body)),
		ContentLength: int64(len(d.body)),
		Request:       req,
	}, nil
}

// benchClient returns a client on doer: untraced, or traced into a
// recording SDK tracer (no exporter) and meter.
func benchClient(doer option.HTTPClient, traced, capture bool) openai.Client {
	opts := []option.RequestOption{
		option.WithBaseURL("http://bench.invalid/v1"),
		option.WithAPIKey("sk-bench"),
		option.WithMaxRetries(0),
		option.WithHTTPClient(doer),
	}
	if traced {
		tp := sdktrace.NewTracerProvider()
		mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
		opts = append(opts, WithTracing(WithTracerProvider(tp), WithMeterProvider(mp), WithCaptureContent(capture)))
	}
	return openai.NewClient(opts...)
}

var benchModes = []struct {
	name            string
	traced, capture bool
}{
	{"untraced", false, false},
	{"traced", true, true},
	{"traced_no_capture", true, false},
}

// BenchmarkResponses is one Responses call with a tool-using conversation
// (instructions, a user message, reasoning, two function calls and their
// outputs, two tools) and a text answer.
func BenchmarkResponses(b *testing.B) {
	body := []byte(responseJSON("resp_bench", "completed", outputReasoningJSON+","+outputMessageJSON, ""))
	params := responsesParams()
	for _, m := range benchModes {
		b.Run(m.name, func(b *testing.B) {
			client := benchClient(&cannedDoer{"application/json", body}, m.traced, m.capture)
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
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
	body := []byte(strings.Join(responsesTextStream(20, "response.completed", "completed", ""), ""))
	params := responsesParams()
	for _, m := range benchModes {
		b.Run(m.name, func(b *testing.B) {
			client := benchClient(&cannedDoer{"text/event-stream", body}, m.traced, m.capture)
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
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
// base64 vectors of 1536 dimensions.
func BenchmarkEmbeddings(b *testing.B) {
	body := []byte(embeddingsJSON(1536, true, 1, 2, 3, 4))
	params := openai.EmbeddingNewParams{
		Model:          openai.EmbeddingModelTextEmbedding3Small,
		Input:          openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: []string{"one", "two", "three", "four"}},
		EncodingFormat: openai.EmbeddingNewParamsEncodingFormatBase64,
	}
	for _, m := range benchModes {
		b.Run(m.name, func(b *testing.B) {
			client := benchClient(&cannedDoer{"application/json", body}, m.traced, m.capture)
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := client.Embeddings.New(ctx, params); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
