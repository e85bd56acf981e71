package bedrocktrace

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/document"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"

	"github.com/tracekit-go/tracekit/internal/schemacheck"
	"github.com/tracekit-go/tracekit/semconv"
)

// toolMessage returns the tool message of gen_ai.input.messages.
func toolMessage(t *testing.T, a attrs) string {
	t.Helper()
	var msgs []json.RawMessage
	if err := json.Unmarshal([]byte(a["gen_ai.input.messages"].AsString()), &msgs); err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		var head struct{ Role string }
		_ = json.Unmarshal(m, &head)
		if head.Role == "tool" {
			return string(m)
		}
	}
	t.Fatalf("no tool message in %s", a["gen_ai.input.messages"].AsString())
	return ""
}

// TestToolResultMedia: what a tool returns that is not text (a
// screenshot, a document) is recorded with capture on: under OTel GenAI
// its tool message holds, after the tool_call_response part (the result's
// text), a blob or uri part per image, document or video. Converse,
// InvokeModel with Nova and with Claude. With capture off nothing of it.
func TestToolResultMedia(t *testing.T) {
	const wantTool = `{"role":"tool","parts":[{"type":"tool_call_response","id":"tu_1","response":"the page"},` +
		`{"type":"blob","modality":"image","mime_type":"image/png","content":"AQI="}]}`
	cases := []struct {
		name string
		call func(c *bedrockruntime.Client) error
		want string
	}{
		{"converse", func(c *bedrockruntime.Client) error {
			_, err := c.Converse(context.Background(), &bedrockruntime.ConverseInput{
				ModelId: aws.String("anthropic.claude-3-5-sonnet-20240620-v1:0"),
				Messages: []types.Message{
					{Role: types.ConversationRoleUser, Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: "look"}}},
					{Role: types.ConversationRoleAssistant, Content: []types.ContentBlock{&types.ContentBlockMemberToolUse{Value: types.ToolUseBlock{ToolUseId: aws.String("tu_1"), Name: aws.String("screenshot"), Input: document.NewLazyDocument(map[string]any{})}}}},
					{Role: types.ConversationRoleUser, Content: []types.ContentBlock{&types.ContentBlockMemberToolResult{Value: types.ToolResultBlock{ToolUseId: aws.String("tu_1"),
						Content: []types.ToolResultContentBlock{
							&types.ToolResultContentBlockMemberText{Value: "the page"},
							&types.ToolResultContentBlockMemberImage{Value: types.ImageBlock{Format: types.ImageFormatPng, Source: &types.ImageSourceMemberBytes{Value: []byte{1, 2}}}},
						}}}}},
				},
			})
			return err
		}, wantTool},
		{"converse document in s3", func(c *bedrockruntime.Client) error {
			_, err := c.Converse(context.Background(), &bedrockruntime.ConverseInput{
				ModelId: aws.String("anthropic.claude-3-5-sonnet-20240620-v1:0"),
				Messages: []types.Message{
					{Role: types.ConversationRoleUser, Content: []types.ContentBlock{&types.ContentBlockMemberToolResult{Value: types.ToolResultBlock{ToolUseId: aws.String("tu_1"),
						Content: []types.ToolResultContentBlock{
							&types.ToolResultContentBlockMemberDocument{Value: types.DocumentBlock{Format: types.DocumentFormatPdf, Name: aws.String("r"),
								Source: &types.DocumentSourceMemberS3Location{Value: types.S3Location{Uri: aws.String("s3://b/r.pdf")}}}},
						}}}}},
				},
			})
			return err
		}, `{"role":"tool","parts":[{"type":"tool_call_response","id":"tu_1","response":null},{"type":"uri","modality":"document","mime_type":"application/pdf","uri":"s3://b/r.pdf"}]}`},
		{"nova", func(c *bedrockruntime.Client) error {
			_, err := c.InvokeModel(context.Background(), &bedrockruntime.InvokeModelInput{ModelId: aws.String("amazon.nova-pro-v1:0"),
				Body: []byte(`{"schemaVersion":"messages-v1","messages":[{"role":"user","content":[{"toolResult":{"toolUseId":"tu_1","content":[` +
					`{"text":"the page"},{"image":{"format":"png","source":{"bytes":"AQI="}}}]}}]}]}`)})
			return err
		}, wantTool},
		{"claude", func(c *bedrockruntime.Client) error {
			_, err := c.InvokeModel(context.Background(), &bedrockruntime.InvokeModelInput{ModelId: aws.String("anthropic.claude-3-5-sonnet-20240620-v1:0"),
				Body: []byte(`{"anthropic_version":"bedrock-2023-05-31","max_tokens":10,"messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"tu_1","content":[` +
					`{"type":"text","text":"the page"},{"type":"image","source":{"type":"base64","media_type":"image/png","data":"AQI="}}]}]}]}`)})
			return err
		}, wantTool},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, capture := range []bool{true, false} {
				schemas := schemacheck.New(t)
				e := newEnv(t, schemas)
				e.extra = []Option{WithConventions(semconv.Tracekit, semconv.OTelGenAI)}
				f := newFake(t, reply{body: `{"output":{"message":{"role":"assistant","content":[{"text":"ok"}]}},"stopReason":"end_turn"}`})
				if err := tc.call(e.runtime(f.URL, capture)); err != nil {
					t.Fatal(err)
				}
				for _, err := range schemas.Errors() {
					t.Error(err)
				}
				a := attrsOf(e.oneSpan())
				if !capture {
					a.none(t, "gen_ai.input.messages", "*.content")
					continue
				}
				if got := toolMessage(t, a); got != tc.want {
					t.Errorf("tool message\n got %s\nwant %s", got, tc.want)
				}
			}
		})
	}
}
