package openaitrace

import (
	"bytes"
	"errors"
	"mime/multipart"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"

	"github.com/tracekit-go/tracekit/internal/genai"
	"github.com/tracekit-go/tracekit/internal/sse"
	"github.com/tracekit-go/tracekit/semconv"
)

func FuzzImagesRequest(f *testing.F) {
	f.Add(`{"model":"gpt-image-1","prompt":"a red fox","n":2,"output_format":"webp","user":"u","stream":true,"partial_images":1}`)
	f.Add(`{"prompt":"a fox"}`)
	f.Add(`{"model":7,"prompt":["x"],"n":"2","output_format":null}`)
	f.Fuzz(func(t *testing.T, body string) {
		var on, off genai.Call
		parseImagesRequest(body, &on, true)
		parseImagesRequest(body, &off, false)
		checkNoContent(t, &off)
		sameShape(t, &on, &off)
		if on.Request.OutputType != "image" {
			t.Fatalf("model %q, output type %q", on.Request.Model, on.Request.OutputType)
		}
		render(&on, true)
	})
}

func FuzzImagesResponse(f *testing.F) {
	f.Add(imagesAnswer)
	f.Add(`{"created":1,"data":[{"b64_json":"iVBOR","revised_prompt":"a fox"},{"url":"https://x/y.png?sig=s"},{},7],"output_format":"jpeg"}`)
	f.Add(`{"data":{"b64_json":"x"},"usage":{"input_tokens":"1","output_tokens":-3}}`)
	f.Fuzz(func(t *testing.T, body string) {
		var on, off genai.Call
		parseImagesResponse(body, &on, true)
		parseImagesResponse(body, &off, false)
		checkNoContent(t, &off)
		if len(on.Response.Choices) > maxImages || len(on.Response.Choices) != len(off.Response.Choices) {
			t.Fatalf("%d and %d images", len(on.Response.Choices), len(off.Response.Choices))
		}
		for _, ch := range on.Response.Choices {
			for _, p := range ch.Media {
				if len(p.Data) > semconv.MaxInlineData {
					t.Fatalf("%d bytes of image kept", len(p.Data))
				}
			}
		}
		render(&on, true)
	})
}

func FuzzImagesStream(f *testing.F) {
	join := func(ev []string) []byte { return []byte(strings.Join(ev, "")) }
	f.Add(join(dataEvents(`{"type":"image_generation.partial_image","b64_json":"iVBOR","partial_image_index":0}`,
		`{"type":"image_generation.completed","b64_json":"iVBOR","output_format":"png","usage":{"input_tokens":12,"output_tokens":272}}`)), 40)
	f.Add(join(dataEvents(`{"type":"error","error":{"code":"moderation_blocked","message":"blocked"}}`)), 3)
	f.Add(join(dataEvents(`null`, `{"type":"image_generation.completed"`, `[DONE]`)), 10)
	f.Fuzz(func(t *testing.T, data []byte, split int) {
		for _, capture := range []bool{true, false} {
			s := newImagesStream(capture).(*imagesStream)
			done := feedSplit(data, split, s.consume)
			var c genai.Call
			c.Request.Model = "gpt-image-1"
			s.finish(&c, done)
			if !capture {
				checkNoContent(t, &c)
			}
			for _, ch := range c.Response.Choices {
				for _, p := range ch.Media {
					if len(p.Data) > semconv.MaxInlineData || strings.Contains(p.Data, "X") && !bytes.Contains(data, []byte(p.Data)) {
						t.Fatalf("image data %q kept", p.Data)
					}
				}
			}
			render(&c, capture)
		}
	})
}

func FuzzImageEditRequest(f *testing.F) {
	f.Add(formBody("xYzZY", map[string]string{"model": "gpt-image-2", "prompt": "add a hat", "n": "2", "output_format": "webp", "stream": "true", "user": "u"}, "PNGDATA"))
	f.Add(formBody("b", map[string]string{"safety_identifier": "s"}, ""))
	f.Add("--b\r\nContent-Disposition: form-data; name=\"image[]\"; filename=\"x\"\r\n\r\n")
	// variations' forms (the same parser), as openai-go writes them
	for _, p := range []openai.ImageNewVariationParams{
		{Image: openai.File(strings.NewReader("PNGDATA"), "fox.png", "image/png"), Model: "dall-e-2", N: openai.Int(2),
			Size: openai.ImageNewVariationParamsSize512x512, ResponseFormat: openai.ImageNewVariationParamsResponseFormatB64JSON, User: openai.String("u")},
		{Image: strings.NewReader("PNGDATA")},
	} {
		var b bytes.Buffer
		w := multipart.NewWriter(&b)
		_ = w.SetBoundary("xYzZY") // (the same seed on every run)
		if err := errors.Join(p.MarshalMultipartTo(w), w.Close()); err != nil {
			f.Fatal(err)
		}
		f.Add(b.String())
	}
	f.Fuzz(func(t *testing.T, body string) {
		var on, off genai.Call
		parseImageEditRequest(body, &on, true)
		parseImageEditRequest(body, &off, false)
		checkNoContent(t, &off)
		sameShape(t, &on, &off)
		for _, m := range on.Request.Messages {
			if len(m.Parts) > maxImages+1 {
				t.Fatalf("%d parts", len(m.Parts))
			}
			for _, p := range m.Parts {
				if p.Data != "" || p.Bytes != nil {
					t.Fatalf("image data kept: %+v", p)
				}
			}
		}
		render(&on, true)
	})
}

// feedSplit feeds data to consume through an SSE splitter in two reads cut
// at split, scribbling over each read afterwards (to catch anything kept
// that aliases the read buffer), and reports whether an event was terminal.
func feedSplit(data []byte, split int, consume func(event, d []byte) bool) (done bool) {
	if split < 0 || split > len(data) {
		split = len(data) / 2
	}
	var sp sse.Splitter
	feed := func(p []byte) {
		sp.Feed(p, func(event, d []byte) {
			if !done && consume(event, d) {
				done = true
			}
		})
		for i := range p {
			p[i] = 'X'
		}
	}
	buf := bytes.Clone(data)
	feed(buf[:split])
	feed(buf[split:])
	return done
}
