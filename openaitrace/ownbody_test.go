package openaitrace

import (
	"context"
	"runtime"
	"strings"
	"testing"
	"unsafe"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/responses"
	"github.com/openai/openai-go/v3/shared"

	"github.com/tracekit-go/tracekit/internal/genai"
	"github.com/tracekit-go/tracekit/internal/instr"
	"github.com/tracekit-go/tracekit/internal/spantest"
	"github.com/tracekit-go/tracekit/semconv"
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

// TestResponsesStreamKeepsFinalBody: the span of a streamed Responses call
// (capture on) whose final response carries a generated image does not keep
// the final response alive: the record copies what it holds of it.
func TestResponsesStreamKeepsFinalBody(t *testing.T) {
	const calls, size = 16, 512 << 10
	img := strings.Repeat("A", size)
	final := responseJSON("resp_img", "completed",
		`{"type":"image_generation_call","id":"ig_1","status":"completed","output_format":"png","result":"`+img+`"}`, "")
	h := newHarness(t, sseHandler(
		sseEvent("response.created", `{"type":"response.created","sequence_number":0,"response":`+responseJSON("resp_img", "in_progress", "", "")+`}`),
		sseEvent("response.completed", `{"type":"response.completed","sequence_number":1,"response":`+final+`}`),
	), true)
	before := spantest.LiveHeap()
	for i := 0; i < calls; i++ {
		st := h.client.Responses.NewStreaming(context.Background(), responses.ResponseNewParams{
			Model: shared.ResponsesModel("gpt-4o-mini"),
			Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("draw a fox")},
		})
		for st.Next() {
		}
		if err := st.Err(); err != nil {
			t.Fatal(err)
		}
		st.Close()
	}
	after := spantest.LiveHeap()
	if n := len(h.spans()); n != calls {
		t.Fatalf("%d spans", n)
	}
	if got := attrs(h.spans()[0])["gen_ai.response.id"].AsString(); got != "resp_img" {
		t.Fatalf("response id %q", got)
	}
	if kept := int64(after) - int64(before); kept > calls*size/2 {
		t.Errorf("%d streamed spans keep %d bytes alive (%d per call; each final response is over %d)", calls, kept, kept/calls, size)
	}
	runtime.KeepAlive(h)
}

// TestMediumPromptKeepsLargeBody: the span of a chat request with a large
// inline image and a long system prompt (a tenth of the body) does not keep
// the body alive: the prompt is copied with the record's other strings.
func TestMediumPromptKeepsLargeBody(t *testing.T) {
	const calls, warm, size = 16, 2, 512 << 10
	answer := `{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"finish_reason":"stop",` +
		`"message":{"role":"assistant","content":"a fox"}}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}`
	for _, conv := range []semconv.Convention{semconv.Tracekit, semconv.OpenInference} {
		h := newHarnessWith(t, jsonHandler(200, answer), true, &harnessConfig{tracing: []Option{WithConventions(conv)}})
		image := "data:image/png;base64," + strings.Repeat("A", size)
		// Two calls first: what the SDK, the transport and the server keep
		// of the last call or two (its buffers) is then in both figures.
		var before uint64
		for i := 0; i < calls+warm; i++ {
			if i == warm {
				before = spantest.LiveHeap()
			}
			text := strings.Repeat("Be precise. ", (size/10)/12) // ~51 KiB: a tenth of the body
			if _, err := h.client.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{
				Model: "gpt-4o-mini",
				Messages: []openai.ChatCompletionMessageParamUnion{
					openai.SystemMessage(text),
					openai.UserMessage([]openai.ChatCompletionContentPartUnionParam{
						openai.TextContentPart(text), openai.ImageContentPart(openai.ChatCompletionContentPartImageImageURLParam{URL: image})}),
				},
			}); err != nil {
				t.Fatal(err)
			}
		}
		after := spantest.LiveHeap()
		if n := len(h.spans()); n != calls+warm {
			t.Fatalf("%d spans", n)
		}
		// What the spans legitimately hold: the texts (2*size/10), some
		// more than once; 80-280 KB a call measured, with the race
		// detector and under load at the top. A span that kept its body
		// would hold over 620 KB.
		if kept := int64(after) - int64(before); kept > calls*size {
			t.Errorf("conventions %v: %d spans keep %d bytes alive (%d per call, for prompts of %d bytes; each body is over %d)",
				conv, calls, kept, kept/calls, 2*size/10, size)
		}
		runtime.KeepAlive(h)
	}
}

// TestRefusalPartErrorWithheld: with capture off, an error quoting the
// refusal part of an assistant message made of a text part and a refusal
// part (which the record joins) loses it, in chat and in Responses.
func TestRefusalPartErrorWithheld(t *testing.T) {
	const secret = "I will not mail ana@example.com for you"
	body := `{"error":{"message":"Content '` + secret + `' is not allowed.","type":"invalid_request_error","param":null,"code":"content_policy"}}`
	h := newHarness(t, jsonHandler(400, body), false)
	asst := openai.ChatCompletionAssistantMessageParam{Content: openai.ChatCompletionAssistantMessageParamContentUnion{
		OfArrayOfContentParts: []openai.ChatCompletionAssistantMessageParamContentArrayOfContentPartUnion{
			{OfText: &openai.ChatCompletionContentPartTextParam{Text: "Sure. "}},
			{OfRefusal: &openai.ChatCompletionContentPartRefusalParam{Refusal: secret}},
		}}}
	if _, err := h.client.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{
		Model:    "gpt-4o-mini",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("write to her"), {OfAssistant: &asst}, openai.UserMessage("please")},
	}); err == nil {
		t.Fatal("no error")
	}
	var out map[string]any
	if err := h.client.Post(context.Background(), "responses", map[string]any{"model": "gpt-4o-mini", "input": []any{
		map[string]any{"role": "user", "content": "write to her"},
		map[string]any{"type": "message", "role": "assistant", "id": "msg_1", "status": "completed", "content": []any{
			map[string]any{"type": "output_text", "text": "Sure. ", "annotations": []any{}}, map[string]any{"type": "refusal", "refusal": secret}}},
	}}, &out); err == nil {
		t.Fatal("no error")
	}
	for _, s := range h.spans() {
		if d := s.Status().Description; strings.Contains(d, "ana@") {
			t.Errorf("%s: capture off, the status quotes the refusal: %q", s.Name(), d)
		}
	}
}

// TestFailedResponseErrorKeepsBody: the span of a Responses answer that
// failed after a large output (a generated image) does not keep the body
// alive through its error (code and message read from the body).
func TestFailedResponseErrorKeepsBody(t *testing.T) {
	const calls, size = 16, 512 << 10
	img := strings.Repeat("A", size)
	body := responseJSON("resp_f", "failed",
		`{"type":"image_generation_call","id":"ig_1","status":"completed","output_format":"png","result":"`+img+`"}`, "")
	body = strings.Replace(body, `"error":null`, `"error":{"code":"server_error","message":"The model failed to finish."}`, 1)
	h := newHarness(t, jsonHandler(200, body), false)
	before := spantest.LiveHeap()
	for i := 0; i < calls; i++ {
		var out map[string]any
		_ = h.client.Post(context.Background(), "responses", map[string]any{"model": "gpt-4o-mini", "input": "draw a fox"}, &out)
	}
	after := spantest.LiveHeap()
	if n := len(h.spans()); n != calls {
		t.Fatalf("%d spans", n)
	}
	if d := h.spans()[0].Status().Description; d != "The model failed to finish." {
		t.Fatalf("status %q", d)
	}
	if kept := int64(after) - int64(before); kept > calls*size/2 {
		t.Errorf("%d failed spans keep %d bytes alive (%d per call; each body is over %d)", calls, kept, kept/calls, size)
	}
	runtime.KeepAlive(h)
}

// TestOwnClonesUselessly: of a large request that is mostly one prompt (the
// span records it, so the body stays alive anyway), nothing is copied.
func TestOwnClonesUselessly(t *testing.T) {
	long := []byte(`{"model":"gpt-4o-mini","user":"u-1","messages":[{"role":"system","content":"be brief"},{"role":"user","content":"` + strings.Repeat("a", 200<<10) + `"}]}`)
	c := &call{ep: chatEndpoint, res: &instr.Resolved{Capture: true}}
	chatEndpoint.parseRequest(bstr(long), &c.rec, true)
	c.keepRequest(long)
	r := &c.rec.Request
	if !within(r.Messages[1].Content, long) {
		t.Fatal("the prompt was copied")
	}
	// The body is kept by the prompt: copies of the rest save nothing.
	if !within(r.Model, long) || !within(r.User, long) || !within(r.Messages[0].Content, long) {
		t.Errorf("short strings copied although the body stays alive (the prompt aliases it): model %v, user %v, system %v",
			within(r.Model, long), within(r.User, long), within(r.Messages[0].Content, long))
	}
}

// TestOwnSharedStretchCopiedOnce: a stretch of the body several strings
// hold (a text and its only part) is counted once and copied once.
func TestOwnSharedStretchCopiedOnce(t *testing.T) {
	text := strings.Repeat("Be precise. ", (45<<10)/12)
	image := "data:image/png;base64," + strings.Repeat("A", 55<<10)
	body := []byte(`{"model":"gpt-4o-mini","messages":[{"role":"user","content":[{"type":"text","text":"` + text +
		`"},{"type":"image_url","image_url":{"url":"` + image + `"}}]}]}`)
	// (A record whose text and its only part are the same stretch, as the
	// comment in own says may be.)
	i := strings.Index(string(body), text)
	s := bstr(body[i : i+len(text)])
	var c genai.Call
	c.Request.Messages = []genai.Message{{Role: "user", Content: s, Parts: []genai.Part{{Kind: "text", Text: s}}}}
	tp := &c.Request.Messages[0].Parts[0]
	if !genai.OwnRequest(&c.Request, bstr(body)) {
		t.Fatal("not copied")
	}
	m := c.Request.Messages[0]
	if unsafe.StringData(m.Content) != unsafe.StringData(tp.Text) {
		t.Errorf("one stretch of %d bytes (counted once) copied twice: %d bytes of copies for a body of %d",
			len(m.Content), 2*len(m.Content), len(body))
	}
}

// TestOwnAllocations: the large-body check allocates nothing but its
// copies (one per stretch of the body).
func TestOwnAllocations(t *testing.T) {
	body := `{"model":"gpt-4o-mini","x":"` + strings.Repeat("A", 100<<10) + `"}`
	model := body[10:21]
	r := &genai.Request{}
	n := testing.AllocsPerRun(100, func() {
		r.Model = model
		genai.OwnRequest(r, body)
	})
	if n > 1 {
		t.Errorf("OwnRequest of a body with one short string: %v allocations (the copy is 1)", n)
	}
}
