package bedrocktrace

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
)

// TestRecycledStateStartsClean checks the recycling of a Converse or
// InvokeModel call's state: a call that follows a richer one, very likely on
// its recycled state, records nothing of it.
func TestRecycledStateStartsClean(t *testing.T) {
	e := newEnv(t)
	const rounds = 30 // sync.Pool may drop entries (at random under -race)
	var replies []reply
	for i := 0; i < rounds; i++ {
		replies = append(replies,
			reply{body: converseReply, headers: map[string]string{"X-Amzn-Requestid": "req-rich"}},
			reply{body: `{"output":{"message":{"role":"assistant","content":[{"text":"ok"}]}},"stopReason":"end_turn","usage":{"inputTokens":1,"outputTokens":1,"totalTokens":2}}`},
			reply{body: `{"generation":"a","prompt_token_count":5,"generation_token_count":1,"stop_reason":"stop"}`,
				headers: map[string]string{"X-Amzn-Bedrock-Input-Token-Count": "11", "X-Amzn-Bedrock-Output-Token-Count": "12"}},
			reply{body: `{"unknown":"shape"}`},
		)
	}
	f := newFake(t, replies...)
	c := e.runtime(f.URL, true)
	ctx := context.Background()
	for i := 0; i < rounds; i++ {
		if _, err := c.Converse(ctx, converseInput()); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Converse(ctx, &bedrockruntime.ConverseInput{ModelId: aws.String("amazon.nova-lite-v1:0"),
			Messages: []types.Message{{Role: types.ConversationRoleUser, Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: "hi"}}}}}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.InvokeModel(ctx, &bedrockruntime.InvokeModelInput{ModelId: aws.String("meta.llama3-8b-instruct-v1:0"),
			Body: []byte(`{"prompt":"rich prompt","temperature":0.5}`), GuardrailIdentifier: aws.String("gr-9")}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.InvokeModel(ctx, &bedrockruntime.InvokeModelInput{ModelId: aws.String("vendor.unknown-v1:0"), Body: []byte(`{}`)}); err != nil {
			t.Fatal(err)
		}
		spans := e.spans()
		if len(spans) != 4*(i+1) {
			t.Fatalf("round %d: %d spans", i, len(spans))
		}
		bare := attrsOf(spans[4*i+1])
		bare.want(t, map[string]any{
			"gen_ai.request.model": "amazon.nova-lite-v1:0", "gen_ai.prompt.0.role": "user", "gen_ai.prompt.0.content": "hi",
			"gen_ai.completion.0.content": "ok", "gen_ai.usage.input_tokens": 1,
			"gen_ai.prompt.1.role": nil, "gen_ai.request.user": nil, "aws.bedrock.guardrail.id": nil,
			"gen_ai.request.tools.0.type": nil, "gen_ai.response.id": nil, "gen_ai.request.max_tokens": nil,
			"gen_ai.usage.cache_read.input_tokens": nil, "gen_ai.completion.0.tool_calls.0.id": nil,
		})
		unknown := attrsOf(spans[4*i+3])
		unknown.want(t, map[string]any{
			"gen_ai.request.model": "vendor.unknown-v1:0", "aws.bedrock.guardrail.id": nil,
			"gen_ai.usage.input_tokens": nil, "gen_ai.usage.output_tokens": nil, "gen_ai.prompt.0.content": nil,
			"gen_ai.request.temperature": nil, "gen_ai.completion.0.content": nil,
		})
		if t.Failed() {
			t.Fatalf("round %d", i)
		}
	}
}
