package bedrocktrace

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"

	"github.com/tracekit-go/tracekit/semconv"
)

const review5ARN = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/zz9plural"

// TestChatBodiesBehindARN: every chat family fixture, behind an
// opaque ARN, is sniffed as the same family (never as embeddings), plain
// and streamed.
func TestChatBodiesBehindARN(t *testing.T) {
	for _, tc := range familyCases {
		if tc.name == "unknown-family" || strings.HasPrefix(tc.name, "claude") {
			continue
		}
		want := map[string]any{}
		for k, v := range tc.common {
			if k == "gen_ai.response.model" && v == tc.model || k == "gen_ai.request.model" {
				continue
			}
			want[k] = v
		}
		// Tracekit's convention names a Titan Text completion chat too.
		want["gen_ai.operation.name"] = "chat"
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			f := newFake(t, reply{body: tc.response, headers: tc.headers})
			if _, err := e.runtime(f.URL, true).InvokeModel(context.Background(), &bedrockruntime.InvokeModelInput{
				ModelId: aws.String(review5ARN), Body: []byte(tc.request)}); err != nil {
				t.Fatal(err)
			}
			attrsOf(e.oneSpan()).want(t, merge(want, tc.plain))
		})
		t.Run(tc.name+"/stream", func(t *testing.T) {
			a := runInvokeStream(t, newEnv(t), review5ARN, tc.request, tc.chunks...)
			a.want(t, merge(want, tc.stream))
		})
	}
}

// TestMoreChatShapesBehindARN: chat bodies with fewer or other
// members than the fixtures.
func TestMoreChatShapesBehindARN(t *testing.T) {
	cases := []struct{ name, req, resp, op, prompt, completion string }{
		{"titan bare inputText", `{"inputText":"say hi"}`,
			`{"inputTextTokenCount":3,"results":[{"tokenCount":1,"outputText":"Hi","completionReason":"FINISH"}]}`, "chat", "say hi", "Hi"},
		{"titan config only", `{"inputText":"say hi","textGenerationConfig":{"maxTokenCount":5}}`,
			`{"inputTextTokenCount":3,"results":[{"tokenCount":1,"outputText":"Hi","completionReason":"FINISH"}]}`, "chat", "say hi", "Hi"},
		{"nova no schemaVersion", `{"messages":[{"role":"user","content":[{"text":"hi"}]}],"inferenceConfig":{"maxTokens":5}}`,
			`{"output":{"message":{"role":"assistant","content":[{"text":"Yo"}]}},"stopReason":"end_turn","usage":{"inputTokens":1,"outputTokens":1}}`, "chat", "hi", "Yo"},
		{"nova inferenceConfig only", `{"messages":[{"role":"user","content":[{"text":"hi"}]}],"inferenceConfig":{"maxTokens":5,"topP":0.9}}`,
			`{"output":{"message":{"role":"assistant","content":[{"text":"Yo"}]}},"stopReason":"end_turn","usage":{"inputTokens":1,"outputTokens":1}}`, "chat", "hi", "Yo"},
		{"cohere preamble only", `{"message":"hi","preamble":"be brief","max_tokens":5}`,
			`{"response_id":"r","text":"Yo","generation_id":"g","finish_reason":"COMPLETE"}`, "chat", "be brief", "Yo"},
		{"cohere chat_history with documents", `{"message":"hi","chat_history":[],"documents":[{"title":"t","snippet":"s"}]}`,
			`{"response_id":"r","text":"Yo","generation_id":"g","finish_reason":"COMPLETE"}`, "chat", "hi", "Yo"},
		{"llama3 tokens no max_gen_len", `{"prompt":"<|begin_of_text|><|start_header_id|>user<|end_header_id|>hi","temperature":0.1}`,
			`{"generation":"Yo","prompt_token_count":1,"generation_token_count":1,"stop_reason":"stop"}`, "chat", "<|begin_of_text|><|start_header_id|>user<|end_header_id|>hi", "Yo"},
		{"mistral prompt max_tokens", `{"prompt":"<s>[INST] hi [/INST]","max_tokens":5,"stop":["</s>"]}`,
			`{"outputs":[{"text":"Yo","stop_reason":"stop"}]}`, "chat", "<s>[INST] hi [/INST]", "Yo"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			f := newFake(t, reply{body: tc.resp})
			if _, err := e.runtime(f.URL, true).InvokeModel(context.Background(), &bedrockruntime.InvokeModelInput{
				ModelId: aws.String(review5ARN), Body: []byte(tc.req)}); err != nil {
				t.Fatal(err)
			}
			a := attrsOf(e.oneSpan())
			a.want(t, map[string]any{"gen_ai.operation.name": tc.op, "gen_ai.prompt.0.content": tc.prompt,
				"gen_ai.completion.0.content": tc.completion, "gen_ai.embeddings.0.vector": nil})
			if t.Failed() {
				t.Logf("attrs %v", a.keys())
			}
		})
	}
}

// TestWithholdBehindARN: with capture off, an error echoing the
// prompt of a non-chat-shaped body behind an ARN (plain and stream
// exception) stays off the span; with capture on, the error is kept whole.
func TestWithholdBehindARN(t *testing.T) {
	bodies := []string{
		`{"inputText":"` + echoedPrompt + `","textGenerationConfig":{"maxTokenCount":5}}`,
		`{"inputText":"` + echoedPrompt + `","dimensions":256}`,
		`{"texts":["` + echoedPrompt + `"],"input_type":"search_query"}`,
		`{"message":"` + echoedPrompt + `","chat_history":[]}`,
		`{"prompt":"` + echoedPrompt + `","max_tokens":5}`,
	}
	msg := "Malformed input request: '" + echoedPrompt + "' is not valid"
	for _, body := range bodies {
		for _, capture := range []bool{false, true} {
			e := newEnv(t)
			e.extra = []Option{WithConventions(semconv.Tracekit, semconv.OTelGenAI, semconv.OpenInference)}
			f := newFake(t,
				reply{status: 400, headers: map[string]string{"X-Amzn-Errortype": "ValidationException"}, body: `{"message":"` + msg + `"}`},
				reply{frames: [][]byte{exception(t, "validationException", msg)}})
			c := e.runtime(f.URL, capture)
			if _, err := c.InvokeModel(context.Background(), &bedrockruntime.InvokeModelInput{ModelId: aws.String(review5ARN), Body: []byte(body)}); err == nil {
				t.Fatal("want an error")
			}
			if !strings.Contains(body, "dimensions") && !strings.Contains(body, "texts") { // no embeddings stream
				out, err := c.InvokeModelWithResponseStream(context.Background(), &bedrockruntime.InvokeModelWithResponseStreamInput{ModelId: aws.String(review5ARN), Body: []byte(body)})
				if err != nil {
					t.Fatal(err)
				}
				for range out.GetStream().Events() {
				}
				_ = out.GetStream().Close()
			}
			for _, s := range e.spans() {
				got := spanText(s)
				if !capture && strings.Contains(got, echoedPrompt) {
					t.Errorf("capture off, %s %s: prompt on span: %s", body, s.Name(), got)
				}
				if capture && !strings.Contains(s.Status().Description, echoedPrompt) {
					t.Errorf("capture on, %s %s: status lost the message: %q", body, s.Name(), s.Status().Description)
				}
			}
		}
	}
}
