package openaitrace

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"go.opentelemetry.io/otel/codes"
	"go.uber.org/goleak"

	"github.com/tracekit-go/tracekit/semconv"
)

// a request that names no model is not dall-e-2's: dall-e-2 was retired
// (SDK v3.96.0 ImageModelDallE2 "retired on May 12, 2026"; ImageGenerateParams.Model
// "Specify a model explicitly"), a streamed one is a GPT Image model's even by
// the old API rule, and an Azure deployment names its model in the path.
func TestImagesNoModelNotDallE2(t *testing.T) {
	const done = `{"type":"image_generation.completed","b64_json":"` + imagePNG + `","output_format":"png","usage":{"input_tokens":1,"output_tokens":2,"total_tokens":3}}`
	t.Run("stream", func(t *testing.T) {
		h := newHarness(t, sseHandler(dataEvents(done)...), false)
		st := h.client.Images.GenerateStreaming(context.Background(), openai.ImageGenerateParams{Prompt: "x"})
		for st.Next() {
		}
		_ = st.Close()
		s := h.onlySpan()
		if s.Name() != "generate_content" || attrs(s)["gen_ai.request.model"].AsString() != "" {
			t.Errorf("span %q, request.model %q, response.model %q (none was asked)", s.Name(),
				attrs(s)["gen_ai.request.model"].AsString(), attrs(s)["gen_ai.response.model"].AsString())
		}
	})
	t.Run("azure-deployment", func(t *testing.T) {
		h := newHarness(t, jsonHandler(200, imagesAnswer), false)
		_, err := h.client.Images.Generate(context.Background(), openai.ImageGenerateParams{Prompt: "x"},
			option.WithBaseURL(h.srv.URL+"/openai/deployments/gpt-image-1/"), option.WithQuery("api-version", "2025-04-01-preview"))
		if err != nil {
			t.Fatal(err)
		}
		if s := h.onlySpan(); strings.Contains(s.Name(), "dall-e-2") {
			t.Errorf("span %q for deployment gpt-image-1", s.Name())
		}
	})
}

// an error event of the {"type":"error","code","message"} shape (as the
// Responses stream's, which responsesStream treats as a failure) ends the
// image span as a success with no image.
func TestImagesStreamTypeErrorEvent(t *testing.T) {
	h := newHarness(t, sseHandler(dataEvents(
		`{"type":"image_generation.partial_image","b64_json":"`+imagePNG+`","partial_image_index":0,"output_format":"png"}`,
		`{"type":"error","code":"moderation_blocked","message":"Your request was rejected by the safety system."}`)...), false)
	st := h.client.Images.GenerateStreaming(context.Background(), openai.ImageGenerateParams{Prompt: "x", Model: "gpt-image-2"})
	var last string
	for st.Next() {
		last = st.Current().Type
	}
	_ = st.Close()
	s := h.onlySpan()
	if last == "error" && s.Status().Code != codes.Error {
		t.Errorf("caller's last event is %q; span status %+v, error.type %q", last, s.Status(), attrs(s)["error.type"].AsString())
	}
}

// a streamed generation of n=2 images (one completed event each) ends
// at the first: one choice, the first image's usage only.
func TestImagesStreamTwoImages(t *testing.T) {
	done := `{"type":"image_generation.completed","b64_json":"` + imagePNG + `","output_format":"png","usage":{"input_tokens":12,"output_tokens":272,"total_tokens":284}}`
	h := newHarness(t, sseHandler(dataEvents(done, done)...), false)
	st := h.client.Images.GenerateStreaming(context.Background(), openai.ImageGenerateParams{Prompt: "x", Model: "gpt-image-2", N: openai.Int(2)})
	n := 0
	for st.Next() {
		n++
	}
	_ = st.Close()
	a := attrs(h.onlySpan())
	if got := len(a["gen_ai.response.finish_reasons"].AsStringSlice()); got != n {
		t.Errorf("caller got %d completed images, span has %d choices (output_tokens %d)", n, got, a["gen_ai.usage.output_tokens"].AsInt64())
	}
}

// gif and svg (ImagesResponseOutputFormat) get no media type.
func TestImagesGifSvgMime(t *testing.T) {
	for f, want := range map[string]string{"gif": "image/gif", "svg": "image/svg+xml"} {
		h := newHarnessWith(t, jsonHandler(200, `{"created":1,"data":[{"b64_json":"`+imagePNG+`"}],"output_format":"`+f+`"}`), true,
			&harnessConfig{tracing: []Option{WithConventions(semconv.OTelGenAI)}})
		if _, err := h.client.Images.Generate(context.Background(), openai.ImageGenerateParams{Prompt: "x", Model: "gpt-image-2", OutputFormat: openai.ImageGenerateParamsOutputFormat(f)}); err != nil {
			t.Fatal(err)
		}
		if out := attrs(h.onlySpan())["gen_ai.output.messages"].AsString(); !strings.Contains(out, want) {
			t.Errorf("%s: %s", f, out)
		}
	}
}

// safety_identifier (user is deprecated) is not the span's user, as it
// is for chat and responses.
func TestImagesSafetyIdentifier(t *testing.T) {
	h := newHarness(t, jsonHandler(200, imagesAnswer), false)
	if _, err := h.client.Images.Generate(context.Background(), openai.ImageGenerateParams{Prompt: "x", Model: "gpt-image-2", SafetyIdentifier: openai.String("hash-1")}); err != nil {
		t.Fatal(err)
	}
	if u := attrs(h.onlySpan())["gen_ai.request.user"].AsString(); u != "hash-1" {
		t.Errorf("user %q", u)
	}
	// user (deprecated, still accepted) wins, as for chat.
	h2 := newHarness(t, jsonHandler(200, imagesAnswer), false)
	if _, err := h2.client.Images.Generate(context.Background(), openai.ImageGenerateParams{Prompt: "x", Model: "gpt-image-2", SafetyIdentifier: openai.String("hash-1")},
		option.WithJSONSet("user", "u-1")); err != nil {
		t.Fatal(err)
	}
	if u := attrs(h2.onlySpan())["gen_ai.request.user"].AsString(); u != "u-1" {
		t.Errorf("user %q", u)
	}
}

// Metrics: the token metric gets the image tokens (control).
func TestImagesTokenMetric(t *testing.T) {
	h := newHarness(t, jsonHandler(200, imagesAnswer), false)
	if _, err := h.client.Images.Generate(context.Background(), imageParams()); err != nil {
		t.Fatal(err)
	}
	if n := histogramSum(t, h.metrics(), "gen_ai.client.token.usage"); n != 50+4160 {
		t.Errorf("tokens %d", n)
	}
}

// TestImagesErrorWithheld: with capture off an error that quotes the
// prompt loses it, in the status and the exception event.
func TestImagesErrorWithheld(t *testing.T) {
	h := newHarness(t, jsonHandler(400, `{"error":{"code":"moderation_blocked","message":"rejected: a secret fox plan","type":"image_generation_user_error"}}`), false)
	_, _ = h.client.Images.Generate(context.Background(), openai.ImageGenerateParams{Prompt: "a secret fox plan", Model: "gpt-image-2"})
	s := h.onlySpan()
	for _, e := range s.Events() {
		for _, kv := range e.Attributes {
			if strings.Contains(kv.Value.String(), "secret fox") {
				t.Errorf("leak %s", kv.Key)
			}
		}
	}
	if strings.Contains(s.Status().Description, "secret fox") || s.Status().Code != codes.Error {
		t.Errorf("status %+v", s.Status())
	}
	wantAttrs(t, attrs(s), map[string]any{"error.type": "moderation_blocked"})
}

// TestImagesStreamNoLeak: an image stream leaves no goroutine behind,
// whether it is read to its end, closed early or cancelled, and its span
// ends in each case.
func TestImagesStreamNoLeak(t *testing.T) {
	ev := dataEvents(
		`{"type":"image_generation.partial_image","b64_json":"`+imagePNG+`","partial_image_index":0}`,
		`{"type":"image_generation.completed","b64_json":"`+imagePNG+`","usage":{"input_tokens":1,"output_tokens":2}}`)
	blocking := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sseHandler(ev[:1]...)(w, r)
		<-r.Context().Done()
	})
	p := openai.ImageGenerateParams{Prompt: "x", Model: "gpt-image-2"}
	cases := []struct {
		name    string
		handler http.Handler
		run     func(h *harness)
	}{
		{"finished", sseHandler(ev...), func(h *harness) {
			stream := h.client.Images.GenerateStreaming(context.Background(), p)
			for stream.Next() {
			}
		}},
		{"closed", blocking, func(h *harness) {
			stream := h.client.Images.GenerateStreaming(context.Background(), p)
			stream.Next()
			_ = stream.Close()
		}},
		{"cancelled", blocking, func(h *harness) {
			ctx, cancel := context.WithCancel(context.Background())
			stream := h.client.Images.GenerateStreaming(ctx, p)
			stream.Next()
			cancel()
			for stream.Next() {
			}
			_ = stream.Close()
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			opt := goleak.IgnoreCurrent()
			h := newHarness(t, tc.handler, true)
			tc.run(h)
			deadline := time.Now().Add(5 * time.Second)
			for len(h.rec.Ended()) == 0 && time.Now().Before(deadline) {
				time.Sleep(time.Millisecond)
			}
			if n := len(h.rec.Ended()); n != 1 {
				t.Fatalf("%d spans ended, want 1", n)
			}
			h.srv.CloseClientConnections()
			h.srv.Close()
			goleak.VerifyNone(t, opt)
		})
	}
}
