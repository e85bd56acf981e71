package openaitrace

import (
	"context"
	"runtime"
	"strings"
	"testing"
	"unsafe"

	"github.com/openai/openai-go/v3"

	"github.com/tracekit-go/tracekit/internal/genai"
	"github.com/tracekit-go/tracekit/internal/instr"
	"github.com/tracekit-go/tracekit/internal/spantest"
)

// within reports whether s's bytes lie in b.
func within(s string, b []byte) bool {
	if len(s) == 0 || len(b) == 0 {
		return false
	}
	p, lo := uintptr(unsafe.Pointer(unsafe.StringData(s))), uintptr(unsafe.Pointer(&b[0]))
	return p >= lo && p < lo+uintptr(len(b))
}

// TestKeepRequestLarge: of a large request (a chat message with an inline
// image), the record keeps copies of the few strings it read (the model,
// the user, the text), not the body: the span, whose attributes alias them
// until it is exported, does not keep the body alive. A small body is left
// as it is, and so is a large one that is mostly what the record holds (a
// long prompt). With capture off the body is kept for the call (an error
// may quote any part of it).
func TestKeepRequestLarge(t *testing.T) {
	image := []byte(`{"model":"gpt-4o-mini","user":"u-1","messages":[{"role":"user","content":[{"type":"text","text":"what is it?"},` +
		`{"type":"image_url","image_url":{"url":"data:image/png;base64,` + strings.Repeat("A", 200<<10) + `"}}]}]}`)
	small := []byte(`{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}`)
	long := []byte(`{"model":"gpt-4o-mini","messages":[{"role":"user","content":"` + strings.Repeat("a", 200<<10) + `"}]}`)
	keep := func(body []byte, capture bool) *call {
		c := &call{ep: chatEndpoint, res: &instr.Resolved{Capture: capture}}
		chatEndpoint.parseRequest(bstr(body), &c.rec, capture)
		c.keepRequest(body)
		return c
	}
	for _, capture := range []bool{true, false} {
		c := keep(image, capture)
		if r := &c.rec.Request; r.Model != "gpt-4o-mini" || within(r.Model, image) || r.User != "u-1" || within(r.User, image) {
			t.Errorf("capture %v: model %q, user %q kept in the body: %v %v", capture, r.Model, r.User, within(r.Model, image), within(r.User, image))
		}
		if (c.reqBody == nil) == !capture {
			t.Errorf("capture %v: body kept %v", capture, c.reqBody != nil)
		}
		if capture {
			for _, p := range c.rec.Request.Messages[0].Parts {
				if within(p.Text, image) || within(p.MimeType, image) {
					t.Errorf("part %s kept in the body", p.Kind)
				}
			}
			if within(c.rec.Request.Messages[0].Content, image) {
				t.Error("the text kept in the body")
			}
		}
	}
	if c := keep(small, true); !within(c.rec.Request.Model, small) {
		t.Error("a small body's strings were copied")
	}
	if c := keep(long, true); !within(c.rec.Request.Messages[0].Content, long) {
		t.Error("a long prompt was copied")
	}
}

// TestOwnResult: the strings of a large answer's record become copies
// when they are a small part of it (a chat answer with audio: its id,
// model, transcript), not when they are most of it.
func TestOwnResult(t *testing.T) {
	body := []byte(`{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"gpt-4o-audio-preview","choices":[{"index":0,"finish_reason":"stop",` +
		`"message":{"role":"assistant","content":null,"audio":{"id":"audio_1","data":"` + strings.Repeat("A", 200<<10) + `","transcript":"hello there","expires_at":1}}}]}`)
	var c genai.Call
	parseChatResponse(bstr(body), &c, true)
	if !within(c.Response.ID, body) {
		t.Fatalf("id %q not read in place", c.Response.ID)
	}
	if !genai.OwnResult(&c, bstr(body)) || within(c.Response.ID, body) || within(c.Response.Model, body) || c.Response.ID != "chatcmpl-1" {
		t.Errorf("id %q, model %q still in the body", c.Response.ID, c.Response.Model)
	}
	for _, ch := range c.Response.Choices {
		if within(ch.Content, body) || within(ch.Role, body) || within(ch.FinishReason, body) {
			t.Errorf("choice %q still in the body", ch.Content)
		}
	}
	var big genai.Call
	for i := 0; i < 20; i++ { // 20 strings of 1/20 of it each
		big.Response.Choices = append(big.Response.Choices, genai.Choice{Content: bstr(body[i*len(body)/20 : (i+1)*len(body)/20-1])})
	}
	if genai.OwnResult(&big, bstr(body)) || !within(big.Response.Choices[0].Content, body) {
		t.Error("most of the body was copied")
	}
}

// TestSpansDoNotKeepLargeBodies: the spans of calls with large bodies (a
// request with an inline image, an answer with audio), kept after their
// calls as an exporter's queue keeps them, do not keep the bodies alive.
func TestSpansDoNotKeepLargeBodies(t *testing.T) {
	const calls, size = 16, 512 << 10
	audio := strings.Repeat("A", size)
	answer := `{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"gpt-4o-audio-preview","choices":[{"index":0,"finish_reason":"stop",` +
		`"message":{"role":"assistant","content":null,"audio":{"id":"audio_1","data":"` + audio + `","transcript":"hello there","expires_at":1}}}],` +
		`"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}`
	h := newHarness(t, jsonHandler(200, answer), true)
	image := "data:image/png;base64," + audio
	before := spantest.LiveHeap()
	for i := 0; i < calls; i++ {
		_, err := h.client.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{
			Model: "gpt-4o-audio-preview",
			Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage([]openai.ChatCompletionContentPartUnionParam{
				openai.TextContentPart("what is it?"), openai.ImageContentPart(openai.ChatCompletionContentPartImageImageURLParam{URL: image})})},
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	after := spantest.LiveHeap()
	if n := len(h.spans()); n != calls {
		t.Fatalf("%d spans", n)
	}
	if kept := int64(after) - int64(before); kept > calls*size/2 {
		t.Errorf("%d spans keep %d bytes alive (%d per call; each body is over %d)", calls, kept, kept/calls, size)
	}
	runtime.KeepAlive(h)
}
