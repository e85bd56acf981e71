package openaitrace

import (
	"bytes"
	"strings"
	"testing"

	"github.com/tracekit-go/tracekit/internal/genai"
)

func FuzzSpeechRequest(f *testing.F) {
	f.Add(`{"model":"gpt-4o-mini-tts","input":"Today is a wonderful day.","instructions":"Speak cheerfully.","voice":"coral","response_format":"wav","stream_format":"sse"}`)
	f.Add(`{"input":7,"instructions":"","response_format":null}`)
	f.Fuzz(func(t *testing.T, body string) {
		var on, off genai.Call
		parseSpeechRequest(body, &on, true)
		parseSpeechRequest(body, &off, false)
		checkNoContent(t, &off)
		sameShape(t, &on, &off)
		parseSpeechAudio("audio/mpeg", &on, true)
		parseSpeechAudio("", &off, false)
		checkNoContent(t, &off)
		render(&on, true)
	})
}

// formBody is a multipart form as openai-go sends it.
func formBody(boundary string, fields map[string]string, file string) string {
	var b strings.Builder
	for k, v := range fields {
		b.WriteString("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + k + "\"\r\n\r\n" + v + "\r\n")
	}
	b.WriteString("--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.mp3\"\r\nContent-Type: audio/mpeg\r\n\r\n" + file + "\r\n")
	b.WriteString("--" + boundary + "--\r\n")
	return b.String()
}

func FuzzTranscriptionRequest(f *testing.F) {
	f.Add(formBody("xYzZY", map[string]string{"model": "gpt-4o-transcribe", "prompt": "Names: Ana.", "temperature": "0.2", "stream": "true"}, "ID3\x00\x01"))
	f.Add(formBody("b", map[string]string{"prompt": ""}, ""))
	f.Add("--b\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\n")
	f.Add(`{"model":"x"}`)
	f.Fuzz(func(t *testing.T, body string) {
		var on, off genai.Call
		parseTranscriptionRequest(body, &on, true)
		parseTranscriptionRequest(body, &off, false)
		checkNoContent(t, &off)
		sameShape(t, &on, &off)
		for _, m := range on.Request.Messages {
			for _, p := range m.Parts {
				if p.Data != "" || p.Bytes != nil {
					t.Fatalf("audio data kept: %+v", p)
				}
			}
		}
		render(&on, true)
	})
}

func FuzzTranscriptionResponse(f *testing.F) {
	f.Add(`{"text":"Ana met Bruno.","usage":{"type":"tokens","input_tokens":14,"output_tokens":5,"total_tokens":19}}`)
	f.Add(`{"text":"Hi","usage":{"type":"duration","seconds":3}}`)
	f.Add(`{"text":7,"usage":[]}`)
	f.Fuzz(func(t *testing.T, body string) {
		var on, off genai.Call
		parseTranscriptionResponse(body, &on, true)
		parseTranscriptionResponse(body, &off, false)
		checkNoContent(t, &off)
		render(&on, true)
	})
}

func FuzzAudioStreams(f *testing.F) {
	join := func(ev []string) []byte { return []byte(strings.Join(ev, "")) }
	f.Add(join(dataEvents(`{"type":"transcript.text.delta","delta":"Ana "}`, `{"type":"transcript.text.done","text":"Ana met Bruno.","usage":{"type":"tokens","input_tokens":14,"output_tokens":5}}`)), 20)
	f.Add(join(dataEvents(`{"type":"speech.audio.delta","audio":"SUQz"}`, `{"type":"speech.audio.done","usage":{"input_tokens":14,"output_tokens":101}}`)), 9)
	f.Add(join(dataEvents(`{"type":"error","code":"x","message":"y"}`, `{"error":{"code":"z"}}`, `null`, `[DONE]`)), 3)
	f.Fuzz(func(t *testing.T, data []byte, split int) {
		for _, capture := range []bool{true, false} {
			for _, acc := range []streamAccumulator{newTranscriptionStream(capture), newSpeechStream(capture)} {
				done := feedSplit(data, split, acc.consume)
				var c genai.Call
				acc.finish(&c, done)
				if !capture {
					checkNoContent(t, &c)
				}
				for _, ch := range c.Response.Choices {
					if len(ch.Content) > maxStreamText {
						t.Fatalf("%d bytes of text", len(ch.Content))
					}
				}
				if c.Err != nil && strings.Contains(c.Err.Message+c.Err.Type, "X") && !bytes.Contains(data, []byte("X")) {
					t.Fatalf("error %+v aliases the read buffer", c.Err)
				}
				render(&c, capture)
			}
		}
	})
}
