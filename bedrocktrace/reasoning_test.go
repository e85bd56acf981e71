package bedrocktrace

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"

	"github.com/tracekit-go/tracekit/internal/schemacheck"
	"github.com/tracekit-go/tracekit/semconv"
)

// TestReasoningOutput: the model's reasoning (Converse reasoningContent,
// Claude thinking blocks), plain and streamed, is an OTel GenAI "reasoning"
// part of the output message, before the text, when content is captured;
// with capture off there is no output message at all.
func TestReasoningOutput(t *testing.T) {
	schemas := schemacheck.New(t)
	const want = `[{"role":"assistant","parts":[{"type":"reasoning","content":"Think. Twice."},{"type":"text","content":"Answer."}],"finish_reason":"stop"}]`
	claudeBody := `{"anthropic_version":"bedrock-2023-05-31","max_tokens":50,"messages":[{"role":"user","content":"q?"}]}`
	const claudeModel = "anthropic.claude-3-7-sonnet-20250219-v1:0"
	runs := map[string]func(t *testing.T, e *env, capture bool){
		"converse": func(t *testing.T, e *env, capture bool) {
			f := newFake(t, reply{body: `{"output":{"message":{"role":"assistant","content":[` +
				`{"reasoningContent":{"reasoningText":{"text":"Think.","signature":"sig"}}},{"reasoningContent":{"redactedContent":"eA=="}},` +
				`{"reasoningContent":{"reasoningText":{"text":" Twice."}}},{"text":"Answer."}]}},"stopReason":"end_turn",` +
				`"usage":{"inputTokens":5,"outputTokens":9,"totalTokens":14},"metrics":{"latencyMs":10}}`})
			if _, err := e.runtime(f.URL, capture).Converse(context.Background(), converseInput()); err != nil {
				t.Fatal(err)
			}
		},
		"converse_stream": func(t *testing.T, e *env, capture bool) {
			f := newFake(t, reply{frames: [][]byte{
				event(t, "messageStart", `{"role":"assistant"}`),
				event(t, "contentBlockDelta", `{"contentBlockIndex":0,"delta":{"reasoningContent":{"text":"Think."}}}`),
				event(t, "contentBlockDelta", `{"contentBlockIndex":0,"delta":{"reasoningContent":{"text":" Twice."}}}`),
				event(t, "contentBlockDelta", `{"contentBlockIndex":0,"delta":{"reasoningContent":{"signature":"sig"}}}`),
				event(t, "contentBlockStop", `{"contentBlockIndex":0}`),
				event(t, "contentBlockDelta", `{"contentBlockIndex":1,"delta":{"text":"Answer."}}`),
				event(t, "contentBlockStop", `{"contentBlockIndex":1}`),
				event(t, "messageStop", `{"stopReason":"end_turn"}`),
				event(t, "metadata", `{"usage":{"inputTokens":5,"outputTokens":9,"totalTokens":14}}`),
			}})
			out, err := e.runtime(f.URL, capture).ConverseStream(context.Background(), streamInput())
			if err != nil {
				t.Fatal(err)
			}
			for range out.GetStream().Events() {
			}
			_ = out.GetStream().Close()
		},
		"claude": func(t *testing.T, e *env, capture bool) {
			f := newFake(t, reply{body: `{"id":"msg_1","type":"message","role":"assistant","model":"claude-3-7-sonnet","content":[` +
				`{"type":"thinking","thinking":"Think.","signature":"sig"},{"type":"redacted_thinking","data":"eA=="},{"type":"thinking","thinking":" Twice."},` +
				`{"type":"text","text":"Answer."}],"stop_reason":"end_turn","usage":{"input_tokens":5,"output_tokens":9}}`})
			if _, err := e.runtime(f.URL, capture).InvokeModel(context.Background(), &bedrockruntime.InvokeModelInput{
				ModelId: aws.String(claudeModel), Body: []byte(claudeBody), ContentType: aws.String("application/json")}); err != nil {
				t.Fatal(err)
			}
		},
		"claude_stream": func(t *testing.T, e *env, capture bool) {
			var fr [][]byte
			for _, c := range []string{
				`{"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude-3-7-sonnet","content":[],"usage":{"input_tokens":5,"output_tokens":1}}}`,
				`{"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":""}}`,
				`{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"Think."}}`,
				`{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":" Twice."}}`,
				`{"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"sig"}}`,
				`{"type":"content_block_stop","index":0}`,
				`{"type":"content_block_start","index":1,"content_block":{"type":"text","text":""}}`,
				`{"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"Answer."}}`,
				`{"type":"content_block_stop","index":1}`,
				`{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":9}}`,
				`{"type":"message_stop","amazon-bedrock-invocationMetrics":{"inputTokenCount":5,"outputTokenCount":9}}`,
			} {
				fr = append(fr, chunk(t, c))
			}
			f := newFake(t, reply{frames: fr})
			out, err := e.runtime(f.URL, capture).InvokeModelWithResponseStream(context.Background(), &bedrockruntime.InvokeModelWithResponseStreamInput{
				ModelId: aws.String(claudeModel), Body: []byte(claudeBody), ContentType: aws.String("application/json")})
			if err != nil {
				t.Fatal(err)
			}
			for range out.GetStream().Events() {
			}
			_ = out.GetStream().Close()
		},
	}
	for name, run := range runs {
		t.Run(name, func(t *testing.T) {
			for _, capture := range []bool{true, false} {
				e := newEnv(t, schemas)
				e.extra = []Option{WithConventions(semconv.OTelGenAI)}
				run(t, e, capture)
				got, ok := attrsOf(e.oneSpan())["gen_ai.output.messages"]
				switch {
				case capture && (!ok || got.AsString() != want):
					t.Errorf("gen_ai.output.messages = %s\nwant %s", got.AsString(), want)
				case !capture && ok:
					t.Errorf("capture off: gen_ai.output.messages = %s", got.AsString())
				}
			}
		})
	}
	for _, err := range schemas.Errors() {
		t.Error(err)
	}
}
