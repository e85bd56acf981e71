package openaitrace

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"go.opentelemetry.io/otel/codes"

	"github.com/tracekit-go/tracekit/semconv"
)

func drainThen(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		h(w, r)
	}
}

func editStream(t *testing.T, imageBytes int) {
	events := dataEvents(
		`{"type":"image_edit.partial_image","b64_json":"`+imagePNG+`","partial_image_index":0,"output_format":"png"}`,
		`{"type":"image_edit.completed","b64_json":"`+imagePNG+`","output_format":"png","usage":{"input_tokens":12,"output_tokens":272,"total_tokens":284}}`,
	)
	h := newHarnessWith(t, drainThen(sseHandler(events...)), true, &harnessConfig{tracing: []Option{WithConventions(semconv.Tracekit, semconv.OTelGenAI)}})
	stream := h.client.Images.EditStreaming(context.Background(), openai.ImageEditParams{
		Prompt: "add a hat",
		Model:  openai.ImageModelGPTImage2,
		Image:  openai.ImageEditParamsImageUnion{OfFile: openai.File(strings.NewReader(strings.Repeat("P", imageBytes)), "fox.png", "image/png")},
	})
	n := 0
	for stream.Next() {
		n++
	}
	if err := stream.Err(); err != nil || n != 2 {
		t.Fatalf("caller got %d events, %v", n, err)
	}
	_ = stream.Close()
	s := h.onlySpan()
	if s.Status().Code == codes.Error {
		t.Errorf("span failed: %+v; the caller's stream did not", s.Status())
	}
	want := map[string]any{
		"gen_ai.usage.output_tokens":     272,
		"gen_ai.response.finish_reasons": []string{"stop"},
	}
	if imageBytes < maxBody { // (past it, the form's stream field is not read: nor is the request attribute)
		want["gen_ai.request.stream"] = true
		if s.Name() != "generate_content gpt-image-2" {
			t.Errorf("span name %q", s.Name())
		}
		want["gen_ai.request.model"] = "gpt-image-2"
	}
	wantAttrs(t, attrs(s), want)
}

// TestImageEditStreamingSmall: a streamed edit.
func TestImageEditStreamingSmall(t *testing.T) { editStream(t, 10) }

// TestImageEditStreamingLarge: a streamed edit whose form is past the
// request bound (32 MiB; the API takes images of up to 50 MB): the fields
// the SDK writes after the images (model, prompt, stream) are not read, but
// the answer's content type says it streams: the span reads it as a stream,
// its tokens and finish reason included, and does not fail.
func TestImageEditStreamingLarge(t *testing.T) { editStream(t, 33<<20) }
