package openaitrace

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/tracekit-go/tracekit/internal/schemacheck"
	"github.com/tracekit-go/tracekit/semconv"
)

func speechParams() openai.AudioSpeechNewParams {
	return openai.AudioSpeechNewParams{
		Model:        openai.SpeechModel("gpt-4o-mini-tts"),
		Input:        "Today is a wonderful day.",
		Instructions: openai.String("Speak cheerfully."),
		Voice:        openai.AudioSpeechNewParamsVoiceUnion{OfString: openai.String("coral")},
	}
}

// TestSpeech: POST /audio/speech is a generate_content span with
// gen_ai.output.type=speech: the text as the user prompt and the
// instructions as the system one (capture on), one completion (stop); the
// audio answer reaches the caller byte for byte, unbuffered, and the OTel
// GenAI output message holds an audio blob part of its media type, without
// the audio. With capture off no text and no output message.
func TestSpeech(t *testing.T) {
	audio := append([]byte("ID3"), bytes.Repeat([]byte{0xff, 0xfb, 0x90}, 5000)...)
	for _, capture := range []bool{true, false} {
		schemas := schemacheck.New(t)
		h := newHarnessWith(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "audio/mpeg")
			_, _ = w.Write(audio)
		}), capture, &harnessConfig{tracing: []Option{WithConventions(semconv.Tracekit, semconv.OTelGenAI)}, processors: []sdktrace.SpanProcessor{schemas}})
		res, err := h.client.Audio.Speech.New(context.Background(), speechParams())
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(res.Body)
		_ = res.Body.Close()
		if err != nil || !bytes.Equal(got, audio) {
			t.Fatalf("caller got %d bytes, %v", len(got), err)
		}
		for _, e := range schemas.Errors() {
			t.Error(e)
		}
		s := h.onlySpan()
		if s.Name() != "generate_content gpt-4o-mini-tts" || s.Status().Code != codes.Unset {
			t.Errorf("span %s %+v", s.Name(), s.Status())
		}
		a := attrs(s)
		wantAttrs(t, a, map[string]any{
			"gen_ai.operation.name":          "generate_content",
			"gen_ai.output.type":             "speech",
			"gen_ai.request.model":           "gpt-4o-mini-tts",
			"gen_ai.prompt.0.role":           "system",
			"gen_ai.prompt.1.role":           "user",
			"gen_ai.response.finish_reasons": []string{"stop"},
			"gen_ai.usage.input_tokens":      nil,
		})
		if !capture {
			wantAttrs(t, a, map[string]any{"gen_ai.prompt.1.content": nil, "gen_ai.output.messages": nil, "gen_ai.input.messages": nil})
			continue
		}
		wantAttrs(t, a, map[string]any{
			"gen_ai.prompt.0.content":     "Speak cheerfully.",
			"gen_ai.prompt.1.content":     "Today is a wonderful day.",
			"gen_ai.system_instructions":  `[{"type":"text","content":"Speak cheerfully."}]`,
			"gen_ai.input.messages":       `[{"role":"user","parts":[{"type":"text","content":"Today is a wonderful day."}]}]`,
			"gen_ai.output.messages":      `[{"role":"assistant","parts":[{"type":"blob","modality":"audio","mime_type":"audio/mpeg"}],"finish_reason":"stop"}]`,
			"gen_ai.completion.0.content": nil,
		})
	}
}

// TestSpeechStreamed: speech streamed as events (stream_format sse) reaches
// the caller untouched; the span records the done event's usage.
func TestSpeechStreamed(t *testing.T) {
	events := dataEvents(`{"type":"speech.audio.delta","audio":"SUQz"}`, `{"type":"speech.audio.delta","audio":"//s="}`,
		`{"type":"speech.audio.done","usage":{"input_tokens":14,"output_tokens":101,"total_tokens":115}}`)
	h := newHarnessWith(t, sseHandler(events...), true, &harnessConfig{tracing: []Option{WithConventions(semconv.Tracekit, semconv.OTelGenAI)}})
	p := speechParams()
	p.StreamFormat = openai.AudioSpeechNewParamsStreamFormatSSE
	res, err := h.client.Audio.Speech.New(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(res.Body)
	_ = res.Body.Close()
	if string(got) != strings.Join(events, "") {
		t.Fatalf("caller got %q", got)
	}
	wantAttrs(t, attrs(h.onlySpan()), map[string]any{
		"gen_ai.request.stream":          true,
		"gen_ai.usage.input_tokens":      14,
		"gen_ai.usage.output_tokens":     101,
		"gen_ai.response.finish_reasons": []string{"stop"},
	})
}

func transcriptionParams() openai.AudioTranscriptionNewParams {
	return openai.AudioTranscriptionNewParams{
		File:        openai.File(bytes.NewReader([]byte("RIFF....WAVEfmt ")), "memo.wav", "audio/wav"),
		Model:       openai.AudioModel("gpt-4o-transcribe"),
		Prompt:      openai.String("Names: Ana, Bruno."),
		Temperature: openai.Float(0.2),
	}
}

// TestTranscription: POST /audio/transcriptions is a generate_content span:
// the model and temperature from the multipart form; with capture on, the
// prompt, and in OTel GenAI the audio as a blob part (its media type, not
// its data); the transcript as the completion; the tokens. The server gets
// the form intact.
func TestTranscription(t *testing.T) {
	for _, capture := range []bool{true, false} {
		var file, prompt string
		h := newHarnessWith(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if err := r.ParseMultipartForm(1 << 20); err != nil {
				t.Error(err)
			}
			prompt = r.FormValue("prompt")
			if f, _, err := r.FormFile("file"); err == nil {
				b, _ := io.ReadAll(f)
				file = string(b)
			}
			jsonHandler(200, `{"text":"Ana met Bruno.","usage":{"type":"tokens","input_tokens":14,"input_token_details":{"text_tokens":4,"audio_tokens":10},"output_tokens":5,"total_tokens":19}}`)(w, r)
		}), capture, &harnessConfig{tracing: []Option{WithConventions(semconv.Tracekit, semconv.OTelGenAI)}})
		res, err := h.client.Audio.Transcriptions.New(context.Background(), transcriptionParams())
		if err != nil {
			t.Fatal(err)
		}
		if res.Text != "Ana met Bruno." || file != "RIFF....WAVEfmt " || prompt != "Names: Ana, Bruno." {
			t.Fatalf("caller got %q; server got %q, %q", res.Text, file, prompt)
		}
		s := h.onlySpan()
		if s.Name() != "generate_content gpt-4o-transcribe" {
			t.Errorf("span %s", s.Name())
		}
		a := attrs(s)
		wantAttrs(t, a, map[string]any{
			"gen_ai.request.temperature": 0.2,
			"gen_ai.prompt.0.role":       "user",
			"gen_ai.usage.input_tokens":  14,
			"gen_ai.usage.output_tokens": 5,
			"gen_ai.completion.0.role":   "assistant",
		})
		if !capture {
			wantAttrs(t, a, map[string]any{"gen_ai.prompt.0.content": nil, "gen_ai.completion.0.content": nil, "gen_ai.input.messages": nil})
			continue
		}
		wantAttrs(t, a, map[string]any{
			"gen_ai.prompt.0.content":     "Names: Ana, Bruno.",
			"gen_ai.completion.0.content": "Ana met Bruno.",
			"gen_ai.input.messages":       `[{"role":"user","parts":[{"type":"blob","modality":"audio","mime_type":"audio/wav"},{"type":"text","content":"Names: Ana, Bruno."}]}]`,
		})
	}
}

// TestTranscriptionStreamed: a streamed transcription records the done
// event's text and usage.
func TestTranscriptionStreamed(t *testing.T) {
	h := newHarnessWith(t, sseHandler(dataEvents(
		`{"type":"transcript.text.delta","delta":"Ana "}`, `{"type":"transcript.text.delta","delta":"met Bruno."}`,
		`{"type":"transcript.text.done","text":"Ana met Bruno.","usage":{"type":"tokens","input_tokens":14,"output_tokens":5,"total_tokens":19}}`)...), true,
		&harnessConfig{tracing: []Option{WithConventions(semconv.Tracekit, semconv.OTelGenAI)}})
	stream := h.client.Audio.Transcriptions.NewStreaming(context.Background(), transcriptionParams())
	n := 0
	for stream.Next() {
		n++
	}
	if err := stream.Err(); err != nil || n != 3 {
		t.Fatalf("caller got %d events, %v", n, err)
	}
	_ = stream.Close()
	wantAttrs(t, attrs(h.onlySpan()), map[string]any{
		"gen_ai.request.stream":       true,
		"gen_ai.completion.0.content": "Ana met Bruno.",
		"gen_ai.usage.output_tokens":  5,
	})
}

// TestTranslation: POST /audio/translations is traced as a transcription.
func TestTranslation(t *testing.T) {
	h := newHarness(t, jsonHandler(200, `{"text":"Hello."}`), true)
	//lint:ignore SA1019 translations are deprecated in the SDK but still served: their calls are traced
	if _, err := h.client.Audio.Translations.New(context.Background(), openai.AudioTranslationNewParams{
		File: openai.File(strings.NewReader("ID3"), "a.mp3", "audio/mpeg"), Model: openai.AudioModel("whisper-1"),
	}); err != nil {
		t.Fatal(err)
	}
	wantAttrs(t, attrs(h.onlySpan()), map[string]any{
		"gen_ai.operation.name":       "generate_content",
		"gen_ai.request.model":        "whisper-1",
		"gen_ai.completion.0.content": "Hello.",
	})
}

// TestTranscriptionErrorWithheld: with capture off an error that quotes the
// prompt loses it.
func TestTranscriptionErrorWithheld(t *testing.T) {
	h := newHarness(t, jsonHandler(400, `{"error":{"message":"prompt 'Names: Ana, Bruno.' is too long","type":"invalid_request_error"}}`), false)
	if _, err := h.client.Audio.Transcriptions.New(context.Background(), transcriptionParams()); err == nil {
		t.Fatal("no error")
	}
	s := h.onlySpan()
	if d := s.Status().Description; s.Status().Code != codes.Error || strings.Contains(d, "Bruno") {
		t.Errorf("status %+v", s.Status())
	}
}
