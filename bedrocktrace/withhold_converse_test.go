package bedrocktrace

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
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
