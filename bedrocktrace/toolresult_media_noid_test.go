package bedrocktrace

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"

	"github.com/tracekit-go/tracekit/semconv"
)

// TestToolResultMediaNoIDKeepsText: a tool result with text and an
// image but no tool-use id (an empty string passes SDK validation; Claude
// and Nova bodies are free-form) is recorded as text under OTel GenAI and
// OpenInference: its media are recorded only for a result that names its
// tool call (genai.ToolParts).
func TestToolResultMediaNoIDKeepsText(t *testing.T) {
	cases := []struct {
		name string
		call func(c *bedrockruntime.Client) error
	}{
		{"converse", func(c *bedrockruntime.Client) error {
			_, err := c.Converse(context.Background(), &bedrockruntime.ConverseInput{
				ModelId: aws.String("anthropic.claude-3-5-sonnet-20240620-v1:0"),
				Messages: []types.Message{{Role: types.ConversationRoleUser, Content: []types.ContentBlock{&types.ContentBlockMemberToolResult{Value: types.ToolResultBlock{ToolUseId: aws.String(""),
					Content: []types.ToolResultContentBlock{
						&types.ToolResultContentBlockMemberText{Value: "the page"},
						&types.ToolResultContentBlockMemberImage{Value: types.ImageBlock{Format: types.ImageFormatPng, Source: &types.ImageSourceMemberBytes{Value: []byte{1, 2}}}},
					}}}}}},
			})
			return err
		}},
		{"nova", func(c *bedrockruntime.Client) error {
			_, err := c.InvokeModel(context.Background(), &bedrockruntime.InvokeModelInput{ModelId: aws.String("amazon.nova-pro-v1:0"),
				Body: []byte(`{"schemaVersion":"messages-v1","messages":[{"role":"user","content":[{"toolResult":{"content":[` +
					`{"text":"the page"},{"image":{"format":"png","source":{"bytes":"AQI="}}}]}}]}]}`)})
			return err
		}},
		{"claude", func(c *bedrockruntime.Client) error {
			_, err := c.InvokeModel(context.Background(), &bedrockruntime.InvokeModelInput{ModelId: aws.String("anthropic.claude-3-5-sonnet-20240620-v1:0"),
				Body: []byte(`{"anthropic_version":"bedrock-2023-05-31","max_tokens":10,"messages":[{"role":"user","content":[{"type":"tool_result","content":[` +
					`{"type":"text","text":"the page"},{"type":"image","source":{"type":"base64","media_type":"image/png","data":"AQI="}}]}]}]}`)})
			return err
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			e.extra = []Option{WithConventions(semconv.Tracekit, semconv.OTelGenAI, semconv.OpenInference)}
			f := newFake(t, reply{body: `{"output":{"message":{"role":"assistant","content":[{"text":"ok"}]}},"stopReason":"end_turn"}`})
			if err := tc.call(e.runtime(f.URL, true)); err != nil {
				t.Fatal(err)
			}
			a := attrsOf(e.oneSpan())
			t.Logf("gen_ai.prompt.0.content=%q", a.get("gen_ai.prompt.0.content"))
			if in := a.get("gen_ai.input.messages"); !strings.Contains(in, "the page") {
				t.Errorf("OTel GenAI lost the tool's text: %s", in)
			}
			text := a.get("llm.input_messages.0.message.content")
			for k, v := range a {
				if strings.HasPrefix(string(k), "llm.input_messages.0.message.contents.") && strings.HasSuffix(string(k), ".text") {
					text += v.AsString()
				}
			}
			if !strings.Contains(text, "the page") {
				t.Errorf("OpenInference lost the tool's text: %v", a.keys())
			}
		})
	}
}
