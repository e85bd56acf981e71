package bedrocktrace

import (
	"context"
	"runtime"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"

	"github.com/tracekit-go/tracekit/internal/genai"
	"github.com/tracekit-go/tracekit/semconv"
)

// with capture off, an error quoting a negative prompt, a mask prompt,
// a Stability search prompt or one of several SDXL text prompts keeps it.
func TestImageErrorWithholdsAllPromptText(t *testing.T) {
	for _, tc := range []struct{ name, model, body, quoted string }{
		{"nova negativeText", "amazon.nova-canvas-v1:0",
			`{"taskType":"TEXT_IMAGE","textToImageParams":{"text":"a red fox","negativeText":"my secret negative words"}}`, "my secret negative words"},
		{"titan maskPrompt", "amazon.titan-image-generator-v2:0",
			`{"taskType":"INPAINTING","inPaintingParams":{"image":"iVBORw0KGgo","maskPrompt":"the private face of Bob"}}`, "the private face of Bob"},
		{"stability negative_prompt", "stability.sd3-5-large-v1:0",
			`{"prompt":"a castle","negative_prompt":"secret negative prompt"}`, "secret negative prompt"},
		{"stability search_prompt", "stability.stable-image-search-replace-v1:0",
			`{"image":"iVBORw0KGgo","prompt":"a cat","search_prompt":"Alice's passport"}`, "Alice's passport"},
		{"sdxl second prompt", "stability.stable-diffusion-xl-v1",
			`{"text_prompts":[{"text":"a cat","weight":1},{"text":"confidential style of ACME","weight":0.5}]}`, "confidential style of ACME"},
		{"sdxl negative prompt", "stability.stable-diffusion-xl-v1",
			`{"text_prompts":[{"text":"a cat","weight":1},{"text":"secret negative words","weight":-1}]}`, "secret negative words"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			f := newFake(t, reply{status: 400, headers: map[string]string{"X-Amzn-Errortype": "ValidationException"},
				body: `{"message":"text '` + tc.quoted + `' was blocked by the content filters"}`})
			_, err := e.runtime(f.URL, false).InvokeModel(context.Background(), &bedrockruntime.InvokeModelInput{
				ModelId: aws.String(tc.model), Body: []byte(tc.body)})
			if err == nil {
				t.Fatal("no error")
			}
			if d := e.oneSpan().Status().Description; strings.Contains(d, tc.quoted) {
				t.Errorf("status quotes the prompt with capture off: %q", d)
			}
		})
	}
}

// SDXL's text prompts are concatenated without a separator.
func TestImageSDXLPromptsJoined(t *testing.T) {
	e := newEnv(t)
	f := newFake(t, reply{body: `{"result":"success","artifacts":[{"base64":"iVBORw0KGgo","finishReason":"SUCCESS"}]}`})
	if _, err := e.runtime(f.URL, true).InvokeModel(context.Background(), &bedrockruntime.InvokeModelInput{
		ModelId: aws.String("stability.stable-diffusion-xl-v1"),
		Body:    []byte(`{"text_prompts":[{"text":"a cat","weight":1},{"text":"high detail","weight":0.5}]}`)}); err != nil {
		t.Fatal(err)
	}
	if got := attrsOf(e.oneSpan())["gen_ai.prompt.0.content"].AsString(); got == "a cathigh detail" {
		t.Errorf("prompts run together: %q", got)
	}
}

// OpenInference: an input image above the inline bound (Unkept) gets an
// empty data URL instead of none.
func TestImageOIUnkeptInputImage(t *testing.T) {
	e := newEnv(t)
	e.extra = []Option{WithConventions(semconv.OpenInference)}
	big := "iVBORw0KGgo" + strings.Repeat("A", semconv.MaxInlineData)
	f := newFake(t, reply{body: `{"images":["iVBORw0KGgo"]}`})
	if _, err := e.runtime(f.URL, true).InvokeModel(context.Background(), &bedrockruntime.InvokeModelInput{
		ModelId: aws.String("amazon.nova-canvas-v1:0"),
		Body:    []byte(`{"taskType":"IMAGE_VARIATION","imageVariationParams":{"text":"in watercolor","images":["` + big + `"]}}`)}); err != nil {
		t.Fatal(err)
	}
	k := "llm.input_messages.0.message.contents.1.message_content.image.image.url"
	if v, ok := attrsOf(e.oneSpan())[k]; ok {
		t.Errorf("%s = %q (an empty data URL)", k, v.AsString())
	}
}

// behind an application inference profile ARN, real Nova Canvas /
// Titan bodies without imageGenerationConfig (optional; absent for
// BACKGROUND_REMOVAL) and Stability bodies are not image generations.
func TestImageARNSniff(t *testing.T) {
	arn := "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/img1"
	for _, body := range []string{
		`{"taskType":"TEXT_IMAGE","textToImageParams":{"text":"a lighthouse"}}`,
		`{"taskType":"BACKGROUND_REMOVAL","backgroundRemovalParams":{"image":"iVBORw0KGgo"}}`,
		`{"prompt":"a lighthouse","mode":"text-to-image","aspect_ratio":"1:1","output_format":"png","seed":5}`,
	} {
		var c genai.Call
		c.Request.Model = arn
		if fam := invokeRequest(&c, []byte(body), true); fam != famImage {
			t.Errorf("%s: family %d, op %q, want image", body, fam, c.Operation)
		}
	}
}

// docs say image bodies are never copied whole; behind an ARN the whole
// body is copied (js := string(body)).
func TestImageARNBodyNotCopied(t *testing.T) {
	big := strings.Repeat("A", 4<<20)
	body := []byte(`{"taskType":"IMAGE_VARIATION","imageVariationParams":{"text":"x","images":["iVBORw0KGgo` + big + `"]},"imageGenerationConfig":{"numberOfImages":1}}`)
	var c genai.Call
	c.Request.Model = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/img1"
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	invokeRequest(&c, body, false)
	runtime.ReadMemStats(&m1)
	if d := m1.TotalAlloc - m0.TotalAlloc; d >= uint64(len(big)) {
		t.Errorf("allocated %d bytes for a %d-byte body", d, len(body))
	}
}
