package openaitrace

import (
	"context"
	"runtime"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/responses"
	"github.com/openai/openai-go/v3/shared"

	"github.com/tracekit-go/tracekit/internal/instr"
	"github.com/tracekit-go/tracekit/internal/spantest"
	"github.com/tracekit-go/tracekit/semconv"
)

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
	const calls, size = 16, 512 << 10
	answer := `{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"finish_reason":"stop",` +
		`"message":{"role":"assistant","content":"a fox"}}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}`
	for _, conv := range []semconv.Convention{semconv.Tracekit, semconv.OpenInference} {
		h := newHarnessWith(t, jsonHandler(200, answer), true, &harnessConfig{tracing: []Option{WithConventions(conv)}})
		image := "data:image/png;base64," + strings.Repeat("A", size)
		before := spantest.LiveHeap()
		for i := 0; i < calls; i++ {
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
		if n := len(h.spans()); n != calls {
			t.Fatalf("%d spans", n)
		}
		// What the spans legitimately hold: the texts, 2*size/10 each.
		if kept := int64(after) - int64(before); kept > calls*size/2 {
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
