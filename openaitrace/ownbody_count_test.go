package openaitrace

import (
	"context"
	"runtime"
	"strings"
	"testing"
	"unsafe"

	"github.com/openai/openai-go/v3"

	"github.com/tracekit-go/tracekit/internal/genai"
	"github.com/tracekit-go/tracekit/internal/spantest"
	"github.com/tracekit-go/tracekit/semconv"
)

// TestTextPartCountedTwiceKeepsBody: a request whose prompt is a third of
// the body (beside an inline image) is copied, its text counted once (not
// as the joined content and as its text part both): the span does not keep
// the body alive.
func TestTextPartCountedTwiceKeepsBody(t *testing.T) {
	const calls, size = 16, 512 << 10
	answer := `{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"finish_reason":"stop",` +
		`"message":{"role":"assistant","content":"a fox"}}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}`
	h := newHarnessWith(t, jsonHandler(200, answer), true, &harnessConfig{tracing: []Option{WithConventions(semconv.OpenInference)}})
	image := "data:image/png;base64," + strings.Repeat("A", size)
	textLen := size / 2 // a third of the body
	before := spantest.LiveHeap()
	for i := 0; i < calls; i++ {
		text := strings.Repeat("Be precise. ", textLen/12)
		if _, err := h.client.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{
			Model: "gpt-4o-mini",
			Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage([]openai.ChatCompletionContentPartUnionParam{
				openai.TextContentPart(text), openai.ImageContentPart(openai.ChatCompletionContentPartImageImageURLParam{URL: image})})},
		}); err != nil {
			t.Fatal(err)
		}
	}
	after := spantest.LiveHeap()
	if n := len(h.spans()); n != calls {
		t.Fatalf("%d spans", n)
	}
	body := size + textLen
	kept := int64(after) - int64(before)
	t.Logf("kept %d per call (body %d, text %d)", kept/calls, body, textLen)
	// What the spans legitimately hold: the text (and a copy of it in
	// input.value), well under the body.
	if kept > int64(calls*(size+textLen)*9/10) {
		t.Errorf("%d spans keep %d bytes alive (%d per call, for a prompt of %d bytes; each body is %d): the body is kept",
			calls, kept, kept/calls, textLen, body)
	}
	runtime.KeepAlive(h)
}

// TestOwnResultClonesConstants: OwnResult copies only the strings that lie
// in the body, not constants or strings built apart.
func TestOwnResultClonesConstants(t *testing.T) {
	body := []byte(`{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"gpt-4o-audio-preview","choices":[{"index":0,"finish_reason":"stop",` +
		`"message":{"role":"assistant","content":null,"audio":{"id":"audio_1","data":"` + strings.Repeat("A", 200<<10) + `","transcript":"hello there","expires_at":1}}}]}`)
	var c genai.Call
	parseChatResponse(bstr(body), &c, true)
	type ref struct {
		name string
		p    *string
		data *byte
	}
	var outside []ref
	add := func(name string, p *string) {
		if *p != "" && !within(*p, body) {
			outside = append(outside, ref{name, p, unsafe.StringData(*p)})
		}
	}
	for i := range c.Response.Choices {
		ch := &c.Response.Choices[i]
		add("choice.role", &ch.Role)
		add("choice.finish_reason", &ch.FinishReason)
		add("choice.content", &ch.Content)
		for j := range ch.Media {
			m := &ch.Media[j]
			add("media.kind", &m.Kind)
			add("media.modality", &m.Modality)
			add("media.mime_type", &m.MimeType)
			add("media.text", &m.Text)
		}
	}
	if len(outside) == 0 {
		t.Skip("every string aliases the body")
	}
	genai.OwnResult(&c, bstr(body))
	for _, r := range outside {
		if unsafe.StringData(*r.p) != r.data {
			t.Errorf("%s %q does not alias the body, and was copied all the same", r.name, *r.p)
		}
	}
}
