package bedrocktrace

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
)

// TestTextBlockErrorWithheld: with capture off, an error that quotes one
// text block of a message made of several (the record holds them joined)
// loses it: Converse's, and an InvokeModel body's (Claude's text blocks).
func TestTextBlockErrorWithheld(t *testing.T) {
	e := newEnv(t)
	f := newFake(t, reply{status: 400, headers: map[string]string{"X-Amzn-Errortype": "ValidationException"},
		body: `{"message":"content 'Mail ana@example.com now' is not allowed"}`})
	_, err := e.runtime(f.URL, false).Converse(context.Background(), &bedrockruntime.ConverseInput{ModelId: aws.String("anthropic.claude-3-haiku-20240307-v1:0"),
		Messages: []types.Message{{Role: types.ConversationRoleUser, Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: "Hello. "}, &types.ContentBlockMemberText{Value: "Mail ana@example.com now"}}}},
		System:   []types.SystemContentBlock{&types.SystemContentBlockMemberText{Value: "Be nice. "}, &types.SystemContentBlockMemberText{Value: "Sys two"}}})
	if err == nil {
		t.Fatal("want error")
	}
	if _, err := e.runtime(f.URL, false).InvokeModel(context.Background(), &bedrockruntime.InvokeModelInput{ModelId: aws.String("anthropic.claude-3-haiku-20240307-v1:0"),
		Body: []byte(`{"anthropic_version":"bedrock-2023-05-31","max_tokens":10,"messages":[{"role":"user","content":[{"type":"text","text":"Hello. "},{"type":"text","text":"Mail ana@example.com now"}]}]}`)}); err == nil {
		t.Fatal("want error")
	}
	spans := e.spans()
	if len(spans) != 2 {
		t.Fatalf("%d spans", len(spans))
	}
	for _, s := range spans {
		if d := s.Status().Description; strings.Contains(d, "ana@") || !strings.Contains(d, "[REDACTED]") {
			t.Errorf("%s: status %q", s.Name(), d)
		}
	}
}
