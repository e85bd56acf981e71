package bedrocktrace

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"go.opentelemetry.io/otel/codes"

	"github.com/tracekit-go/tracekit/internal/schemacheck"
	"github.com/tracekit-go/tracekit/semconv"
)

// Tiny base64 images: a PNG's and a JPEG's signatures.
const (
	pngB64  = "iVBORw0KGgoAAAANSUhEUgAAAAE="
	jpegB64 = "/9j/4AAQSkZJRgABAQ=="
)

// TestInvokeModelImage: an InvokeModel call to an image model (Nova Canvas,
// Titan Image Generator, Stability, SDXL; a bare id or an ARN whose body
// tells) is an image generation: the prompt text (SDXL: its positive text
// prompts) and the input images as the user prompt (capture on), the seed,
// one choice per generated image with its finish reason (stop, or
// content_filter for a filtered one). With capture off no prompt. The
// caller gets the body untouched.
func TestInvokeModelImage(t *testing.T) {
	cases := []struct {
		name, model, request, response string
		want                           map[string]any
	}{
		{
			name:     "nova canvas text to image",
			model:    "amazon.nova-canvas-v1:0",
			request:  `{"taskType":"TEXT_IMAGE","textToImageParams":{"text":"a red fox","negativeText":"blurry"},"imageGenerationConfig":{"numberOfImages":2,"height":512,"width":512,"cfgScale":7,"seed":42}}`,
			response: `{"images":["` + pngB64 + `","` + pngB64 + `"],"error":null}`,
			want: map[string]any{
				"gen_ai.request.seed":               42,
				"gen_ai.prompt.0.content":           "a red fox",
				"gen_ai.completion.0.finish_reason": "stop",
				"gen_ai.completion.1.role":          "assistant",
				"gen_ai.response.finish_reasons":    []string{"stop", "stop"},
				"gen_ai.completion.0.content":       nil,
				"gen_ai.openai.request.seed":        nil,
				"gen_ai.completion.2.role":          nil,
				"gen_ai.request.choice.count":       nil, // (an OTel GenAI attribute)
				"gen_ai.completion.1.finish_reason": "stop",
				"gen_ai.usage.input_tokens":         nil,
				"gen_ai.request.model":              "amazon.nova-canvas-v1:0",
				"gen_ai.response.model":             "amazon.nova-canvas-v1:0",
			},
		},
		{
			name:     "titan variation of a given image",
			model:    "amazon.titan-image-generator-v2:0",
			request:  `{"taskType":"IMAGE_VARIATION","imageVariationParams":{"text":"in watercolor","images":["` + jpegB64 + `"]},"imageGenerationConfig":{"numberOfImages":1}}`,
			response: `{"images":["` + pngB64 + `"]}`,
			want: map[string]any{
				"gen_ai.prompt.0.content":        "in watercolor",
				"gen_ai.response.finish_reasons": []string{"stop"},
			},
		},
		{
			name:     "stability filtered",
			model:    "us.stability.sd3-5-large-v1:0",
			request:  `{"prompt":"a castle","mode":"text-to-image","seed":7,"output_format":"jpeg"}`,
			response: `{"seeds":[7],"finish_reasons":["Filter reason: prompt"],"images":["` + jpegB64 + `"]}`,
			want: map[string]any{
				"gen_ai.request.seed":            7,
				"gen_ai.prompt.0.content":        "a castle",
				"gen_ai.response.finish_reasons": []string{"content_filter"},
			},
		},
		{
			name:     "sdxl",
			model:    "stability.stable-diffusion-xl-v1",
			request:  `{"text_prompts":[{"text":"a cat","weight":1},{"text":"dogs","weight":-1}],"seed":3,"samples":1}`,
			response: `{"result":"success","artifacts":[{"seed":3,"base64":"` + pngB64 + `","finishReason":"SUCCESS"}]}`,
			want: map[string]any{
				"gen_ai.prompt.0.content":        "a cat",
				"gen_ai.response.finish_reasons": []string{"stop"},
			},
		},
		{
			name:     "nova canvas behind an application inference profile",
			model:    "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/img1",
			request:  `{"taskType":"TEXT_IMAGE","textToImageParams":{"text":"a lighthouse"},"imageGenerationConfig":{"numberOfImages":1}}`,
			response: `{"images":["` + pngB64 + `"]}`,
			want: map[string]any{
				"gen_ai.prompt.0.content":        "a lighthouse",
				"gen_ai.response.finish_reasons": []string{"stop"},
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, capture := range []bool{true, false} {
				a := invokeOK(t, capture, tc.model, tc.request, tc.response)
				a.want(t, map[string]any{
					"gen_ai.operation.name":    "chat", // (llm-tracekit's name for every Bedrock call)
					"gen_ai.prompt.0.role":     "user",
					"gen_ai.completion.0.role": "assistant",
				})
				if capture {
					a.want(t, tc.want)
				} else {
					a.none(t, "*.content")
				}
			}
		})
	}
}

// TestInvokeModelImageConventions: under OTel GenAI an image generation is
// a "generate_content <model>" span with gen_ai.output.type=image, the
// number of images asked for and the seed; its input message holds the
// prompt and the image given, its output messages the generated images as
// blob parts (with their data within the inline bound); under
// OpenInference an LLM span whose input message lists the image. Both
// validate against the GenAI schemas.
func TestInvokeModelImageConventions(t *testing.T) {
	schemas := schemacheck.New(t)
	e := newEnv(t, schemas)
	e.extra = []Option{WithConventions(semconv.OTelGenAI, semconv.OpenInference)}
	big := "iVBORw0KGgo" + strings.Repeat("A", semconv.MaxInlineData)
	f := newFake(t, reply{body: `{"images":["` + pngB64 + `","` + big + `"]}`})
	if _, err := e.runtime(f.URL, true).InvokeModel(context.Background(), &bedrockruntime.InvokeModelInput{
		ModelId: aws.String("amazon.titan-image-generator-v2:0"),
		Body:    []byte(`{"taskType":"IMAGE_VARIATION","imageVariationParams":{"text":"in watercolor","images":["` + jpegB64 + `"]},"imageGenerationConfig":{"numberOfImages":2,"seed":9}}`),
	}); err != nil {
		t.Fatal(err)
	}
	for _, err := range schemas.Errors() {
		t.Error(err)
	}
	s := e.oneSpan()
	if s.Name() != "generate_content amazon.titan-image-generator-v2:0" {
		t.Errorf("span name %q", s.Name())
	}
	attrsOf(s).want(t, map[string]any{
		"gen_ai.operation.name":       "generate_content",
		"gen_ai.output.type":          "image",
		"gen_ai.request.choice.count": 2,
		"gen_ai.request.seed":         9,
		"gen_ai.input.messages": jsonValue(`[{"role":"user","parts":[{"type":"text","content":"in watercolor"},` +
			`{"type":"blob","modality":"image","mime_type":"image/jpeg","content":"` + jpegB64 + `"}]}]`),
		"gen_ai.output.messages": jsonValue(`[{"role":"assistant","parts":[{"type":"blob","modality":"image","mime_type":"image/png","content":"` + pngB64 + `"}],"finish_reason":"stop"},` +
			`{"role":"assistant","parts":[{"type":"blob","modality":"image","mime_type":"image/png"}],"finish_reason":"stop"}]`),
		"gen_ai.response.finish_reasons": []string{"stop", "stop"},
		"openinference.span.kind":        "LLM",
		"llm.system":                     "amazon",
		"llm.input_messages.0.message.contents.0.message_content.text":            "in watercolor",
		"llm.input_messages.0.message.contents.1.message_content.type":            "image",
		"llm.input_messages.0.message.contents.1.message_content.image.image.url": "data:image/jpeg;base64," + jpegB64,
	})
}

// TestInvokeModelImageBodiesNotAliased: an image body is read in place, but
// nothing the span keeps aliases the caller's buffers: overwriting them
// after the call changes no attribute.
func TestInvokeModelImageBodiesNotAliased(t *testing.T) {
	e := newEnv(t)
	e.extra = []Option{WithConventions(semconv.Tracekit, semconv.OTelGenAI)}
	f := newFake(t, reply{body: `{"images":["` + pngB64 + `"]}`})
	in := &bedrockruntime.InvokeModelInput{
		ModelId: aws.String("amazon.nova-canvas-v1:0"),
		Body:    []byte(`{"taskType":"TEXT_IMAGE","textToImageParams":{"text":"a red fox"},"imageGenerationConfig":{"numberOfImages":1}}`),
	}
	out, err := e.runtime(f.URL, true).InvokeModel(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range [][]byte{in.Body, out.Body} {
		for i := range b {
			b[i] = 'x'
		}
	}
	attrsOf(e.oneSpan()).want(t, map[string]any{
		"gen_ai.prompt.0.content": "a red fox",
		"gen_ai.output.messages":  jsonValue(`[{"role":"assistant","parts":[{"type":"blob","modality":"image","mime_type":"image/png","content":"` + pngB64 + `"}],"finish_reason":"stop"}]`),
	})
}

// TestInvokeModelImageErrorWithheld: with capture off an image model's
// error that quotes the prompt loses it.
func TestInvokeModelImageErrorWithheld(t *testing.T) {
	e := newEnv(t)
	f := newFake(t, reply{status: 400, headers: map[string]string{"X-Amzn-Errortype": "ValidationException"},
		body: `{"message":"prompt 'a castle on a hill' was blocked by the content filters"}`})
	_, err := e.runtime(f.URL, false).InvokeModel(context.Background(), &bedrockruntime.InvokeModelInput{
		ModelId: aws.String("stability.stable-image-core-v1:1"), Body: []byte(`{"prompt":"a castle on a hill"}`),
	})
	if err == nil || !strings.Contains(err.Error(), "castle") {
		t.Fatalf("caller got %v", err)
	}
	s := e.oneSpan()
	if d := s.Status().Description; s.Status().Code != codes.Error || strings.Contains(d, "castle") {
		t.Errorf("status %+v", s.Status())
	}
}
