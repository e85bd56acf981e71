package openaitrace

import (
	"context"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/tracekit-go/tracekit/internal/schemacheck"
	"github.com/tracekit-go/tracekit/semconv"
)

const audioReplyJSON = `{"id":"chatcmpl-a","object":"chat.completion","created":1,"model":"gpt-4o-audio-preview","choices":[{"index":0,` +
	`"message":{"role":"assistant","content":null,"refusal":null,"audio":{"id":"audio_1","data":"UklGRiQAAABXQVZF","expires_at":1700000000,"transcript":"Hello! How can I help?"}},` +
	`"finish_reason":"stop"}],"usage":{"prompt_tokens":10,"completion_tokens":30,"total_tokens":40}}`

func audioParams() openai.ChatCompletionNewParams {
	return openai.ChatCompletionNewParams{
		Model:      "gpt-4o-audio-preview",
		Modalities: []string{"text", "audio"},
		Audio:      openai.ChatCompletionAudioParam{Voice: openai.ChatCompletionAudioParamVoiceUnion{OfString: openai.String("alloy")}, Format: "wav"},
		Messages:   []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Say hello")},
	}
}

// TestChatAudioReply: an answer given as audio (content null) is recorded
// by its transcript as the completion's content, and in OTel GenAI as an
// audio blob part (its base64 data) before the transcript's text part,
// valid against the output-messages schema. With capture off neither is
// recorded. The caller gets the audio untouched.
func TestChatAudioReply(t *testing.T) {
	for _, capture := range []bool{true, false} {
		schemas := schemacheck.New(t)
		h := newHarnessWith(t, jsonHandler(200, audioReplyJSON), capture,
			&harnessConfig{tracing: []Option{WithConventions(semconv.Tracekit, semconv.OTelGenAI)}, processors: []sdktrace.SpanProcessor{schemas}})
		resp, err := h.client.Chat.Completions.New(context.Background(), audioParams())
		if err != nil {
			t.Fatal(err)
		}
		if a := resp.Choices[0].Message.Audio; a.Data != "UklGRiQAAABXQVZF" || a.Transcript != "Hello! How can I help?" {
			t.Fatalf("caller got %+v", a)
		}
		for _, e := range schemas.Errors() {
			t.Error(e)
		}
		a := attrs(h.onlySpan())
		if !capture {
			for k, v := range a {
				if strings.Contains(v.String(), "Hello") || strings.Contains(v.String(), "UklG") {
					t.Errorf("capture off: %s = %s", k, v.String())
				}
			}
			continue
		}
		if got := a["gen_ai.completion.0.content"].AsString(); got != "Hello! How can I help?" {
			t.Errorf("completion content %q", got)
		}
		want := `[{"role":"assistant","parts":[{"type":"blob","modality":"audio","mime_type":"audio/wav","content":"UklGRiQAAABXQVZF"},{"type":"text","content":"Hello! How can I help?"}],"finish_reason":"stop"}]`
		if got := a["gen_ai.output.messages"].AsString(); got != want {
			t.Errorf("output messages\n got %s\nwant %s", got, want)
		}
	}
}

// TestChatAudioReplyStream: a streamed audio answer's transcript deltas
// make the completion's content; the audio data is not kept (an audio blob
// part without content in OTel GenAI).
func TestChatAudioReplyStream(t *testing.T) {
	schemas := schemacheck.New(t)
	h := newHarnessWith(t, sseHandler(dataEvents(
		`{"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o-audio-preview","choices":[{"index":0,"delta":{"role":"assistant","audio":{"id":"audio_1","transcript":"Hel"}}}]}`,
		`{"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o-audio-preview","choices":[{"index":0,"delta":{"audio":{"data":"UklGRiQAAABXQVZF","transcript":"lo!"}}}]}`,
		`{"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o-audio-preview","choices":[{"index":0,"delta":{"audio":{"expires_at":1700000000}},"finish_reason":"stop"}]}`,
		`[DONE]`)...), true,
		&harnessConfig{tracing: []Option{WithConventions(semconv.Tracekit, semconv.OTelGenAI)}, processors: []sdktrace.SpanProcessor{schemas}})
	st := h.client.Chat.Completions.NewStreaming(context.Background(), audioParams())
	n := 0
	for st.Next() {
		n++
	}
	if err := st.Err(); err != nil || n != 3 {
		t.Fatalf("caller got %d chunks, err %v", n, err)
	}
	_ = st.Close()
	for _, e := range schemas.Errors() {
		t.Error(e)
	}
	a := attrs(h.onlySpan())
	if got := a["gen_ai.completion.0.content"].AsString(); got != "Hello!" {
		t.Errorf("completion content %q", got)
	}
	want := `[{"role":"assistant","parts":[{"type":"blob","modality":"audio","mime_type":"audio/wav"},{"type":"text","content":"Hello!"}],"finish_reason":"stop"}]`
	if got := a["gen_ai.output.messages"].AsString(); got != want {
		t.Errorf("output messages\n got %s\nwant %s", got, want)
	}
}
