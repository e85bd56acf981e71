package openaitrace

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/tracekit-go/tracekit/internal/schemacheck"
	"github.com/tracekit-go/tracekit/internal/spantest"
	"github.com/tracekit-go/tracekit/semconv"
)

const imagePNG = "iVBORw0KGgoAAAANSUhEUgAAAAE="

func imageParams() openai.ImageGenerateParams {
	return openai.ImageGenerateParams{
		Model:            openai.ImageModelGPTImage2,
		Prompt:           "a red fox in the snow",
		N:                openai.Int(2),
		OutputFormat:     openai.ImageGenerateParamsOutputFormatWebP,
		SafetyIdentifier: openai.String("u-9"),
	}
}

const imagesAnswer = `{"created":1713833628,"data":[{"b64_json":"` + imagePNG + `"},{"url":"https://files.example/img.webp?sig=SECRET&se=2026"}],` +
	`"usage":{"input_tokens":50,"output_tokens":4160,"total_tokens":4210,"input_tokens_details":{"text_tokens":50,"image_tokens":0}},"output_format":"webp"}`

// TestImagesGenerate: POST /images/generations is an image generation
// span "generate_content <model>": the prompt as the user prompt (capture
// on), the number of images, the user, the tokens (GPT Image models report
// them, and they go to the token metric), one completion per image
// (finish reason stop); under OTel GenAI gen_ai.output.type=image and, with
// capture on, each image a blob (base64 within the inline bound) or uri
// (signature removed) part of the output messages, valid against the
// schema. With capture off no prompt and no image. The caller's result is
// untouched.
func TestImagesGenerate(t *testing.T) {
	for _, capture := range []bool{true, false} {
		schemas := schemacheck.New(t)
		h := newHarnessWith(t, jsonHandler(200, imagesAnswer), capture,
			&harnessConfig{tracing: []Option{WithConventions(semconv.Tracekit, semconv.OTelGenAI)}, processors: []sdktrace.SpanProcessor{schemas}})
		res, err := h.client.Images.Generate(context.Background(), imageParams())
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Data) != 2 || res.Data[0].B64JSON != imagePNG || res.Usage.OutputTokens != 4160 {
			t.Fatalf("caller got %+v", res)
		}
		for _, e := range schemas.Errors() {
			t.Error(e)
		}
		s := h.onlySpan()
		if s.Name() != "generate_content gpt-image-2" || s.Status().Code != codes.Unset {
			t.Errorf("span %s %+v", s.Name(), s.Status())
		}
		a := attrs(s)
		wantAttrs(t, a, map[string]any{
			"gen_ai.operation.name":                 "generate_content",
			"gen_ai.request.model":                  "gpt-image-2",
			"gen_ai.response.model":                 "gpt-image-2",
			"gen_ai.output.type":                    "image",
			"gen_ai.request.choice.count":           2,
			"gen_ai.request.user":                   "u-9",
			"gen_ai.usage.input_tokens":             50,
			"gen_ai.usage.output_tokens":            4160,
			"gen_ai.response.finish_reasons":        []string{"stop", "stop"},
			"gen_ai.completion.1.finish_reason":     "stop",
			"gen_ai.prompt.0.role":                  "user",
			"gen_ai.completion.0.content":           nil,
			"gen_ai.openai.request.response_format": nil,
		})
		if !capture {
			for k := range a {
				if strings.HasSuffix(k, ".content") || k == "gen_ai.input.messages" || k == "gen_ai.output.messages" {
					t.Errorf("%s recorded with capture off", k)
				}
			}
			continue
		}
		wantAttrs(t, a, map[string]any{
			"gen_ai.prompt.0.content": "a red fox in the snow",
			"gen_ai.input.messages":   `[{"role":"user","parts":[{"type":"text","content":"a red fox in the snow"}]}]`,
			"gen_ai.output.messages": `[{"role":"assistant","parts":[{"type":"blob","modality":"image","mime_type":"image/webp","content":"` + imagePNG + `"}],"finish_reason":"stop"},` +
				`{"role":"assistant","parts":[{"type":"uri","modality":"image","mime_type":"image/webp","uri":"https://files.example/img.webp?sig=REDACTED&se=2026"}],"finish_reason":"stop"}]`,
		})
		if strings.Contains(a["gen_ai.output.messages"].AsString(), "SECRET") {
			t.Error("the URL's signature is recorded")
		}
	}
}

// TestImagesGenerateDefaults: a request that names no model records none
// (the span is "generate_content"); a large image is recorded without its
// data.
func TestImagesGenerateDefaults(t *testing.T) {
	big := "iVBORw0KGgo" + strings.Repeat("A", semconv.MaxInlineData)
	h := newHarnessWith(t, jsonHandler(200, `{"created":1,"data":[{"b64_json":"`+big+`","revised_prompt":"a fox"}]}`), true,
		&harnessConfig{tracing: []Option{WithConventions(semconv.OTelGenAI)}})
	if _, err := h.client.Images.Generate(context.Background(), openai.ImageGenerateParams{Prompt: "a fox"}); err != nil {
		t.Fatal(err)
	}
	s := h.onlySpan()
	if s.Name() != "generate_content" {
		t.Errorf("span name %q", s.Name())
	}
	wantAttrs(t, attrs(s), map[string]any{
		"gen_ai.output.messages":     `[{"role":"assistant","parts":[{"type":"blob","modality":"image","mime_type":"image/png"}],"finish_reason":"stop"}]`,
		"gen_ai.request.model":       nil,
		"gen_ai.response.model":      nil,
		"gen_ai.usage.input_tokens":  nil,
		"gen_ai.usage.output_tokens": nil,
	})
}

// TestImagesGenerateStreaming: a streamed generation (GPT Image partial
// images) ends at the stream's end, with the completed image (capture on),
// its format and the usage; an error event ends it with the error.
func TestImagesGenerateStreaming(t *testing.T) {
	events := dataEvents(
		`{"type":"image_generation.partial_image","b64_json":"`+imagePNG+`","partial_image_index":0,"output_format":"png"}`,
		`{"type":"image_generation.completed","b64_json":"`+imagePNG+`","output_format":"png","usage":{"input_tokens":12,"output_tokens":272,"total_tokens":284}}`,
	)
	h := newHarnessWith(t, sseHandler(events...), true, &harnessConfig{tracing: []Option{WithConventions(semconv.Tracekit, semconv.OTelGenAI)}})
	p := imageParams()
	p.N = openai.Int(1)
	p.PartialImages = openai.Int(1)
	stream := h.client.Images.GenerateStreaming(context.Background(), p)
	n := 0
	for stream.Next() {
		n++
	}
	if err := stream.Err(); err != nil || n != 2 {
		t.Fatalf("caller got %d events, %v", n, err)
	}
	_ = stream.Close()
	s := h.onlySpan()
	wantAttrs(t, attrs(s), map[string]any{
		"gen_ai.operation.name":          "generate_content",
		"gen_ai.request.stream":          true,
		"gen_ai.usage.input_tokens":      12,
		"gen_ai.usage.output_tokens":     272,
		"gen_ai.response.finish_reasons": []string{"stop"},
		"gen_ai.output.messages":         `[{"role":"assistant","parts":[{"type":"blob","modality":"image","mime_type":"image/png","content":"` + imagePNG + `"}],"finish_reason":"stop"}]`,
	})

	h2 := newHarness(t, sseHandler(dataEvents(`{"type":"error","error":{"type":"image_generation_user_error","code":"moderation_blocked","message":"blocked"}}`)...), true)
	stream2 := h2.client.Images.GenerateStreaming(context.Background(), p)
	for stream2.Next() {
	}
	if stream2.Err() == nil {
		t.Fatal("the caller got no error")
	}
	_ = stream2.Close()
	s2 := h2.onlySpan()
	if s2.Status().Code != codes.Error {
		t.Errorf("status %+v", s2.Status())
	}
	wantAttrs(t, attrs(s2), map[string]any{"error.type": "moderation_blocked", "gen_ai.response.finish_reasons": nil})
}

// TestImagesEdit: POST /images/edits (a multipart form) is an image
// generation: the model, the image count and the user from the form; with
// capture on the prompt, and in OTel GenAI the images to edit and the mask
// as image parts (their media types, not their data); the answer as a
// generation's. The server gets the form intact.
func TestImagesEdit(t *testing.T) {
	for _, capture := range []bool{true, false} {
		var prompt, image string
		h := newHarnessWith(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !strings.HasSuffix(r.URL.Path, "/images/edits") {
				t.Errorf("path %s", r.URL.Path)
			}
			if err := r.ParseMultipartForm(1 << 20); err != nil {
				t.Error(err)
			}
			prompt = r.FormValue("prompt")
			for _, fhs := range r.MultipartForm.File {
				if f, err := fhs[0].Open(); err == nil {
					b, _ := io.ReadAll(f)
					image += string(b)
				}
			}
			jsonHandler(200, imagesAnswer)(w, r)
		}), capture, &harnessConfig{tracing: []Option{WithConventions(semconv.Tracekit, semconv.OTelGenAI)}})
		res, err := h.client.Images.Edit(context.Background(), openai.ImageEditParams{
			Prompt: "add a hat",
			Model:  openai.ImageModelGPTImage2,
			Image:  openai.ImageEditParamsImageUnion{OfFile: openai.File(strings.NewReader("PNGDATA"), "fox.png", "image/png")},
			Mask:   openai.File(strings.NewReader("MASK"), "mask.png", "image/png"),
			N:      openai.Int(2),
		})
		if err != nil || len(res.Data) != 2 {
			t.Fatalf("caller got %+v, %v", res, err)
		}
		if prompt != "add a hat" || !strings.Contains(image, "PNGDATA") || !strings.Contains(image, "MASK") {
			t.Fatalf("server got %q, %q", prompt, image)
		}
		s := h.onlySpan()
		if s.Name() != "generate_content gpt-image-2" {
			t.Errorf("span %s", s.Name())
		}
		a := attrs(s)
		wantAttrs(t, a, map[string]any{
			"gen_ai.operation.name":          "generate_content",
			"gen_ai.output.type":             "image",
			"gen_ai.request.choice.count":    2,
			"gen_ai.usage.output_tokens":     4160,
			"gen_ai.response.finish_reasons": []string{"stop", "stop"},
		})
		if !capture {
			wantAttrs(t, a, map[string]any{"gen_ai.prompt.0.content": nil, "gen_ai.input.messages": nil})
			continue
		}
		wantAttrs(t, a, map[string]any{
			"gen_ai.prompt.0.content": "add a hat",
			"gen_ai.input.messages": `[{"role":"user","parts":[{"type":"text","content":"add a hat"},` +
				`{"type":"blob","modality":"image","mime_type":"image/png"},{"type":"blob","modality":"image","mime_type":"image/png"}]}]`,
		})
	}
}

// variationsAnswer is a DALL·E 2 answer (no usage, no output format): an
// image by its signed URL and one by its data.
const variationsAnswer = `{"created":1713833628,"data":[{"url":"https://oaidalleapiprodscus.blob.core.windows.net/private/img-1.png?st=2026&sig=SECRET"},` +
	`{"b64_json":"` + imagePNG + `"}]}`

// newVariation calls Images.NewVariation (deprecated in the SDK, the
// endpoint being retired by OpenAI, but still sent, to OpenAI-compatible
// servers too: its calls are traced).
func newVariation(h *harness, p openai.ImageNewVariationParams) (*openai.ImagesResponse, error) {
	//lint:ignore SA1019 variations are deprecated in the SDK but still sent: their calls are traced
	return h.client.Images.NewVariation(context.Background(), p)
}

// TestImagesVariation: POST /images/variations (DALL·E 2's multipart form:
// an image and no prompt) is traced as an edit: the model, the image count
// and the user from the form (the size and the response format are not
// recorded, as for an edit); with capture on, in OTel GenAI, the image as
// the input message's only part (its media type, not its data); the answer
// as a generation's (one completion per image, the images as parts, the
// URL's signature removed), valid against the schema; no tokens. With
// capture off no part and no content. The server gets the form intact; the
// duration metric is recorded.
func TestImagesVariation(t *testing.T) {
	for _, capture := range []bool{true, false} {
		var form map[string][]string
		var image string
		schemas := schemacheck.New(t)
		h := newHarnessWith(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !strings.HasSuffix(r.URL.Path, "/images/variations") {
				t.Errorf("path %s", r.URL.Path)
			}
			if err := r.ParseMultipartForm(1 << 20); err != nil {
				t.Error(err)
			}
			form = r.MultipartForm.Value
			if fhs := r.MultipartForm.File["image"]; len(fhs) == 1 {
				if f, err := fhs[0].Open(); err == nil {
					b, _ := io.ReadAll(f)
					image = string(b)
				}
			}
			jsonHandler(200, variationsAnswer)(w, r)
		}), capture, &harnessConfig{tracing: []Option{WithConventions(semconv.Tracekit, semconv.OTelGenAI)}, processors: []sdktrace.SpanProcessor{schemas}})
		res, err := newVariation(h, openai.ImageNewVariationParams{
			Image:          openai.File(strings.NewReader("PNGDATA"), "fox.png", "image/png"),
			Model:          "dall-e-2",
			N:              openai.Int(2),
			Size:           openai.ImageNewVariationParamsSize512x512,
			ResponseFormat: openai.ImageNewVariationParamsResponseFormatURL,
			User:           openai.String("u-7"),
		})
		if err != nil || len(res.Data) != 2 || res.Data[1].B64JSON != imagePNG {
			t.Fatalf("caller got %+v, %v", res, err)
		}
		if image != "PNGDATA" || len(form["model"]) != 1 || form["model"][0] != "dall-e-2" || len(form["size"]) != 1 || form["size"][0] != "512x512" {
			t.Fatalf("server got %q, %v", image, form)
		}
		for _, e := range schemas.Errors() {
			t.Error(e)
		}
		s := h.onlySpan()
		if s.Name() != "generate_content dall-e-2" || s.Status().Code != codes.Unset {
			t.Errorf("span %s %+v", s.Name(), s.Status())
		}
		a := attrs(s)
		wantAttrs(t, a, map[string]any{
			"gen_ai.operation.name":                 "generate_content",
			"gen_ai.request.model":                  "dall-e-2",
			"gen_ai.response.model":                 "dall-e-2",
			"gen_ai.output.type":                    "image",
			"gen_ai.request.choice.count":           2,
			"gen_ai.request.user":                   "u-7",
			"gen_ai.response.finish_reasons":        []string{"stop", "stop"},
			"gen_ai.completion.1.finish_reason":     "stop",
			"gen_ai.prompt.0.role":                  "user",
			"gen_ai.prompt.0.content":               nil,
			"gen_ai.usage.input_tokens":             nil,
			"gen_ai.usage.output_tokens":            nil,
			"gen_ai.openai.request.response_format": nil,
		})
		if n := histogramCount(t, h.metrics(), "gen_ai.client.operation.duration"); n != 1 {
			t.Errorf("%d durations recorded", n)
		}
		for k, v := range a {
			if strings.Contains(v.String(), "PNGDATA") || strings.Contains(v.String(), "SECRET") {
				t.Errorf("%s records the image's data or the URL's signature: %s", k, v.String())
			}
		}
		if !capture {
			for k := range a {
				if strings.HasSuffix(k, ".content") || k == "gen_ai.input.messages" || k == "gen_ai.output.messages" {
					t.Errorf("%s recorded with capture off", k)
				}
			}
			continue
		}
		wantAttrs(t, a, map[string]any{
			"gen_ai.input.messages": `[{"role":"user","parts":[{"type":"blob","modality":"image","mime_type":"image/png"}]}]`,
			"gen_ai.output.messages": `[{"role":"assistant","parts":[{"type":"uri","modality":"image","mime_type":"image/png","uri":"https://oaidalleapiprodscus.blob.core.windows.net/private/img-1.png?st=2026&sig=REDACTED"}],"finish_reason":"stop"},` +
				`{"role":"assistant","parts":[{"type":"blob","modality":"image","mime_type":"image/png","content":"` + imagePNG + `"}],"finish_reason":"stop"}]`,
		})
	}
}

// TestImagesVariationNoModel: a variation that names no model records none
// (the span is "generate_content" alone): none is invented.
func TestImagesVariationNoModel(t *testing.T) {
	h := newHarness(t, jsonHandler(200, variationsAnswer), true)
	if _, err := newVariation(h, openai.ImageNewVariationParams{Image: openai.File(strings.NewReader("PNGDATA"), "fox.png", "image/png")}); err != nil {
		t.Fatal(err)
	}
	s := h.onlySpan()
	if s.Name() != "generate_content" {
		t.Errorf("span name %q", s.Name())
	}
	wantAttrs(t, attrs(s), map[string]any{
		"gen_ai.operation.name":          "generate_content",
		"gen_ai.request.model":           nil,
		"gen_ai.response.model":          nil,
		"gen_ai.request.choice.count":    nil,
		"gen_ai.response.finish_reasons": []string{"stop", "stop"},
	})
}

// TestImagesVariationError: a variation's error answer ends its span with
// the error (status, error.type and, in OTel GenAI, the exception event),
// and the duration metric carries error.type.
func TestImagesVariationError(t *testing.T) {
	h := newHarnessWith(t, jsonHandler(400, `{"error":{"code":"invalid_image_format","message":"Invalid input image - format must be in ['RGBA', 'LA', 'L'], got RGB.","param":null,"type":"invalid_request_error"}}`),
		false, &harnessConfig{tracing: []Option{WithConventions(semconv.Tracekit, semconv.OTelGenAI)}})
	_, err := newVariation(h, openai.ImageNewVariationParams{Image: openai.File(strings.NewReader("JPEG"), "fox.jpg", "image/jpeg"), Model: "dall-e-2"})
	if err == nil {
		t.Fatal("the caller got no error")
	}
	s := h.onlySpan()
	if s.Status().Code != codes.Error || !strings.Contains(s.Status().Description, "Invalid input image") {
		t.Errorf("status %+v", s.Status())
	}
	wantAttrs(t, attrs(s), map[string]any{
		"gen_ai.request.model":           "dall-e-2",
		"error.type":                     "invalid_image_format",
		"gen_ai.response.finish_reasons": nil,
	})
	if len(s.Events()) == 0 || s.Events()[0].Name != "exception" {
		t.Errorf("events %+v", s.Events())
	}
	found := false
	for _, set := range spantest.PointSets(h.metrics(), "gen_ai.client.operation.duration") {
		v, ok := set.Value("error.type")
		found = found || ok && v.AsString() == "invalid_image_format"
	}
	if !found {
		t.Error("the duration metric has no error.type")
	}
}
