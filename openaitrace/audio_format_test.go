package openaitrace

import (
	"testing"

	"github.com/tracekit-go/tracekit/internal/genai"
)

// TestAudioFormatShapesAgree: both request parsers read every shape
// of "audio" alike, and a request's format reaches the answer's blob part
// the same way in both.
func TestAudioFormatShapesAgree(t *testing.T) {
	const resp = `"choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":null,"audio":{"id":"a","data":"UklG","transcript":"t"}}}]`
	shapes := map[string]string{
		"object":            `"audio":{"voice":"alloy","format":"wav"}`,
		"mp3":               `"audio":{"format":"mp3"}`,
		"pcm16":             `"audio":{"format":"pcm16","voice":"x"}`,
		"repeated":          `"audio":{"format":"wav"},"audio":{"format":"flac"}`,
		"repeated no fmt":   `"audio":{"format":"wav"},"audio":{"voice":"x"}`,
		"then null":         `"audio":{"format":"wav"},"audio":null`,
		"null":              `"audio":null`,
		"string":            `"audio":"wav"`,
		"array":             `"audio":[{"format":"wav"}]`,
		"fmt number":        `"audio":{"format":3}`,
		"fmt null":          `"audio":{"format":null}`,
		"fmt object":        `"audio":{"format":{"format":"wav"}}`,
		"fmt then number":   `"audio":{"format":"wav","format":1}`,
		"nested format":     `"audio":{"x":{"format":"mp3"},"format":"opus"}`,
		"escaped":           `"audio":{"format":"w\u0061v"}`,
		"format key escape": `"audio":{"form\u0061t":"mp3"}`,
		"empty":             `"audio":{}`,
		"fmt array":         `"audio":{"format":["wav"]}`,
		"fmt bool":          `"audio":{"format":true}`,
	}
	for name, s := range shapes {
		body := `{"model":"gpt-4o-audio-preview","modalities":["text","audio"],` + s + `,"messages":[{"role":"user","content":"hi"}],` + resp + `}`
		if d := chatParseBoth(body); d != "" {
			t.Errorf("%s: %s", name, d)
		}
		for _, content := range []bool{true, false} {
			var a, b genai.Call
			parseChatRequest(body, &a, content)
			parseChatResponse(body, &a, content)
			gjsonParseChatRequest(body, &b, content)
			gjsonParseChatResponse(body, &b, content)
			if x, y := recString(a), recString(b); x != y {
				t.Errorf("%s (content %v): request+response differ\njscan %s\ngjson %s", name, content, x, y)
			}
			if name == "pcm16" && content && a.Response.Choices[0].Media[0].MimeType != "audio/pcm" {
				t.Errorf("pcm16: mime %q, want audio/pcm", a.Response.Choices[0].Media[0].MimeType)
			}
		}
	}
}
