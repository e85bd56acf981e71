package bedrocktrace

import (
	"context"
	"runtime"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"

	"github.com/tracekit-go/tracekit/internal/spantest"
)

// TestConverseBlockErrorWithheld: with capture off, an error quoting one
// block of a Converse message whose blocks the record joins (a guardContent
// block beside a text block) loses it.
func TestConverseBlockErrorWithheld(t *testing.T) {
	const secret = "Mail ana@example.com now"
	cases := map[string][]types.Message{
		"guard content": {{Role: types.ConversationRoleUser, Content: []types.ContentBlock{
			&types.ContentBlockMemberText{Value: "Hello. "},
			&types.ContentBlockMemberGuardContent{Value: &types.GuardrailConverseContentBlockMemberText{Value: types.GuardrailConverseTextBlock{Text: aws.String(secret)}}},
		}}},
	}
	for name, msgs := range cases {
		e := newEnv(t)
		f := newFake(t, reply{status: 400, headers: map[string]string{"X-Amzn-Errortype": "ValidationException"},
			body: `{"message":"content '` + secret + `' is not allowed"}`})
		if _, err := e.runtime(f.URL, false).Converse(context.Background(), &bedrockruntime.ConverseInput{
			ModelId: aws.String("anthropic.claude-3-haiku-20240307-v1:0"), Messages: msgs}); err == nil {
			t.Fatalf("%s: want an error", name)
		}
		s := e.oneSpan()
		if d := s.Status().Description; strings.Contains(d, "ana@") {
			t.Errorf("%s: capture off, the status quotes the content: %q", name, d)
		}
	}
}

// TestInvokeMediumSystemKeepsBody: the span of an InvokeModel (Claude)
// request with a large image and a long system prompt (a tenth of the
// body) does not keep the tracer's copy of the body alive.
func TestInvokeMediumSystemKeepsBody(t *testing.T) {
	const calls, size = 16, 512 << 10
	e := newEnv(t)
	answer := `{"id":"msg_1","type":"message","role":"assistant","model":"claude-3-5-sonnet-20240620","content":[{"type":"text","text":"a red fox"}],` +
		`"stop_reason":"end_turn","usage":{"input_tokens":9,"output_tokens":3}}`
	f := newFake(t, reply{body: answer})
	c := e.runtime(f.URL, true)
	before := spantest.LiveHeap()
	for i := 0; i < calls; i++ {
		system := strings.Repeat("Be precise. ", (size/10)/12)
		body := `{"anthropic_version":"bedrock-2023-05-31","max_tokens":100,"system":"` + system + `","messages":[{"role":"user","content":[{"type":"text","text":"what is it?"},` +
			`{"type":"image","source":{"type":"base64","media_type":"image/png","data":"` + strings.Repeat("A", size) + `"}}]}]}`
		if _, err := c.InvokeModel(context.Background(), &bedrockruntime.InvokeModelInput{
			ModelId: aws.String("anthropic.claude-3-5-sonnet-20240620-v1:0"), Body: []byte(body), ContentType: aws.String("application/json"),
		}); err != nil {
			t.Fatal(err)
		}
	}
	f.mu.Lock()
	f.bodies = nil
	f.mu.Unlock()
	after := spantest.LiveHeap()
	spans := e.spans()
	if len(spans) != calls {
		t.Fatalf("%d spans", len(spans))
	}
	attrsOf(spans[0]).want(t, map[string]any{"gen_ai.prompt.0.role": "system", "gen_ai.prompt.1.content": "what is it?"})
	if kept := int64(after) - int64(before); kept > calls*size/2 {
		t.Errorf("%d spans keep %d bytes alive (%d per call for a system prompt of %d bytes; each body is over %d)", calls, kept, kept/calls, size/10, size)
	}
	runtime.KeepAlive(e)
}
