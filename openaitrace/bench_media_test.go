package openaitrace

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
)

// BenchmarkImages measures an image generation whose answer carries one
// image of 1 MiB of base64, untraced and traced: the traced call buffers
// the answer (one copy of it) to read its usage, and keeps no image data
// above the inline bound.
func BenchmarkImages(b *testing.B) {
	body := `{"created":1,"data":[{"b64_json":"iVBORw0KGgo` + strings.Repeat("A", 1<<20) + `"}],` +
		`"usage":{"input_tokens":50,"output_tokens":4160,"total_tokens":4210},"output_format":"png"}`
	d := &fakeDoer{body: []byte(body), contentType: "application/json"}
	p := openai.ImageGenerateParams{Prompt: "a red fox in the snow", Model: openai.ImageModelGPTImage2}
	run := func(b *testing.B, c openai.Client) {
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for i := 0; i < b.N; i++ {
			if _, err := c.Images.Generate(context.Background(), p); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("untraced", func(b *testing.B) { run(b, benchClient(d, false, false)) })
	b.Run("traced_capture_off", func(b *testing.B) { run(b, benchClient(d, true, false)) })
	b.Run("traced_capture_on", func(b *testing.B) { run(b, benchClient(d, true, true)) })
}

// BenchmarkSpeech measures a text-to-speech call whose answer is 1 MiB of
// audio read by the caller: the traced call does not buffer it.
func BenchmarkSpeech(b *testing.B) {
	d := &fakeDoer{body: []byte(strings.Repeat("\xff", 1<<20)), contentType: "audio/mpeg"}
	p := openai.AudioSpeechNewParams{Model: openai.SpeechModel("gpt-4o-mini-tts"), Input: "Today is a wonderful day.",
		Voice: openai.AudioSpeechNewParamsVoiceUnion{OfString: openai.String("coral")}}
	run := func(b *testing.B, c openai.Client) {
		b.ReportAllocs()
		b.SetBytes(1 << 20)
		for i := 0; i < b.N; i++ {
			res, err := c.Audio.Speech.New(context.Background(), p)
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, res.Body)
			_ = res.Body.Close()
		}
	}
	b.Run("untraced", func(b *testing.B) { run(b, benchClient(d, false, false)) })
	b.Run("traced_capture_on", func(b *testing.B) { run(b, benchClient(d, true, true)) })
}
