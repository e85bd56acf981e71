package bedrocktrace

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"go.opentelemetry.io/otel/codes"
)

const metricsTail = `"amazon-bedrock-invocationMetrics":{"inputTokenCount":%IN%,"outputTokenCount":%OUT%,"invocationLatency":120,"firstByteLatency":40}`

func invMetrics(in, out string) string {
	return strings.NewReplacer("%IN%", in, "%OUT%", out).Replace(metricsTail)
}

// familyCase is a self-written fixture for one InvokeModel body format.
type familyCase struct {
	name    string
	model   string
	request string
	// plain call
	response string
	headers  map[string]string
	plain    map[string]any
	// streamed call
	chunks []string
	stream map[string]any
	// both
	common map[string]any
}

var familyCases = []familyCase{
	{
		name:  "claude",
		model: "anthropic.claude-3-5-sonnet-20240620-v1:0",
		request: `{"anthropic_version":"bedrock-2023-05-31","max_tokens":1000,"temperature":0.2,"top_p":0.9,"top_k":40,
			"system":[{"type":"text","text":"be "},{"type":"text","text":"brief"}],
			"messages":[
				{"role":"user","content":[{"type":"text","text":"weather "},{"type":"image","source":{"type":"base64","media_type":"image/png","data":"AAAA"}},{"type":"text","text":"in Paris?"}]},
				{"role":"assistant","content":[{"type":"text","text":"Checking."},{"type":"tool_use","id":"toolu_1","name":"get_weather","input":{"city":"Paris"}}]},
				{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":[{"type":"text","text":"sunny"}]},{"type":"text","text":"and tomorrow?"}]}],
			"tools":[{"name":"get_weather","description":"Weather of a city","input_schema":{"type":"object","properties":{"city":{"type":"string"}}}}]}`,
		response: `{"id":"msg_bdrk_01","type":"message","role":"assistant","model":"claude-3-5-sonnet-20240620",
			"content":[{"type":"text","text":"Let me look."},{"type":"tool_use","id":"toolu_2","name":"get_weather","input":{"city":"Paris","day":"tomorrow"}}],
			"stop_reason":"tool_use","stop_sequence":null,"usage":{"input_tokens":50,"output_tokens":20,"cache_read_input_tokens":7,"cache_creation_input_tokens":3}}`,
		plain: map[string]any{
			"gen_ai.usage.input_tokens": 50, "gen_ai.usage.output_tokens": 20,
			"gen_ai.usage.cache_read.input_tokens": 7, "gen_ai.usage.cache_creation.input_tokens": 3,
		},
		chunks: []string{
			`{"type":"message_start","message":{"id":"msg_bdrk_01","type":"message","role":"assistant","model":"claude-3-5-sonnet-20240620","content":[],"stop_reason":null,"usage":{"input_tokens":50,"output_tokens":1}}}`,
			`{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`,
			`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Let "}}`,
			`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"me look."}}`,
			`{"type":"content_block_stop","index":0}`,
			`{"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_2","name":"get_weather","input":{}}}`,
			`{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"city\": \"Paris\", "}}`,
			`{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"\"day\": \"tomorrow\"}"}}`,
			`{"type":"content_block_stop","index":1}`,
			`{"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":25}}`,
			`{"type":"message_stop",` + invMetrics("50", "20") + `}`,
		},
		stream: map[string]any{"gen_ai.usage.input_tokens": 50, "gen_ai.usage.output_tokens": 20},
		common: map[string]any{
			"gen_ai.request.max_tokens": 1000, "gen_ai.request.temperature": 0.2, "gen_ai.request.top_p": 0.9, "gen_ai.request.top_k": 40.0,
			"gen_ai.prompt.0.role": "system", "gen_ai.prompt.0.content": "be brief",
			"gen_ai.prompt.1.role": "user", "gen_ai.prompt.1.content": "weather in Paris?",
			"gen_ai.prompt.2.role": "assistant", "gen_ai.prompt.2.content": "Checking.",
			"gen_ai.prompt.2.tool_calls.0.id": "toolu_1", "gen_ai.prompt.2.tool_calls.0.function.name": "get_weather",
			"gen_ai.prompt.2.tool_calls.0.function.arguments": jsonValue(`{"city":"Paris"}`),
			"gen_ai.prompt.3.role":                            "tool", "gen_ai.prompt.3.tool_call_id": "toolu_1", "gen_ai.prompt.3.content": "sunny",
			"gen_ai.prompt.4.role": "user", "gen_ai.prompt.4.content": "and tomorrow?",
			"gen_ai.prompt.5.role":                                nil,
			"gen_ai.request.tools.0.function.name":                "get_weather",
			"gen_ai.request.tools.0.function.parameters":          jsonValue(`{"type":"object","properties":{"city":{"type":"string"}}}`),
			"gen_ai.response.id":                                  "msg_bdrk_01",
			"gen_ai.response.model":                               "claude-3-5-sonnet-20240620",
			"gen_ai.response.finish_reasons":                      []string{"tool_use"},
			"gen_ai.completion.0.role":                            "assistant",
			"gen_ai.completion.0.finish_reason":                   "tool_use",
			"gen_ai.completion.0.content":                         "Let me look.",
			"gen_ai.completion.0.tool_calls.0.id":                 "toolu_2",
			"gen_ai.completion.0.tool_calls.0.function.name":      "get_weather",
			"gen_ai.completion.0.tool_calls.0.function.arguments": jsonValue(`{"city":"Paris","day":"tomorrow"}`),
		},
	},
	{
		name:     "llama3",
		model:    "meta.llama3-8b-instruct-v1:0",
		request:  `{"prompt":"<|begin_of_text|>reply with one word","max_gen_len":300,"temperature":0,"top_p":1}`,
		response: `{"generation":"This is a test.","prompt_token_count":5,"generation_token_count":6,"stop_reason":"stop"}`,
		chunks: []string{
			`{"generation":"This","prompt_token_count":5,"generation_token_count":1,"stop_reason":null}`,
			`{"generation":" is a test.","prompt_token_count":null,"generation_token_count":6,"stop_reason":"stop",` + invMetrics("5", "6") + `}`,
		},
		common: map[string]any{
			"gen_ai.request.max_tokens": 300, "gen_ai.request.temperature": 0.0, "gen_ai.request.top_p": 1.0,
			"gen_ai.prompt.0.role": "user", "gen_ai.prompt.0.content": "<|begin_of_text|>reply with one word",
			"gen_ai.response.model": "meta.llama3-8b-instruct-v1:0", "gen_ai.response.finish_reasons": []string{"stop"},
			"gen_ai.usage.input_tokens": 5, "gen_ai.usage.output_tokens": 6,
			"gen_ai.completion.0.role": "assistant", "gen_ai.completion.0.content": "This is a test.", "gen_ai.completion.0.finish_reason": "stop",
			"gen_ai.response.id": nil,
		},
	},
	{
		name:     "llama4-profile",
		model:    "us.meta.llama4-maverick-17b-instruct-v1:0",
		request:  `{"prompt":"hi","max_gen_len":50}`,
		response: `{"generation":"Hello","prompt_token_count":2,"generation_token_count":1,"stop_reason":"length"}`,
		chunks:   []string{`{"generation":"Hello","prompt_token_count":2,"generation_token_count":1,"stop_reason":"length",` + invMetrics("2", "1") + `}`},
		common: map[string]any{
			"gen_ai.request.max_tokens": 50, "gen_ai.prompt.0.content": "hi", "gen_ai.completion.0.content": "Hello",
			"gen_ai.response.finish_reasons": []string{"length"}, "gen_ai.usage.input_tokens": 2, "gen_ai.usage.output_tokens": 1,
		},
	},
	{
		name:     "titan",
		model:    "amazon.titan-text-express-v1",
		request:  `{"inputText":"say hi","textGenerationConfig":{"maxTokenCount":512,"temperature":0.5,"topP":0.9,"stopSequences":[]}}`,
		response: `{"inputTextTokenCount":3,"results":[{"tokenCount":4,"outputText":"Hi there!","completionReason":"FINISH"}]}`,
		chunks: []string{
			`{"outputText":"Hi","index":0,"totalOutputTextTokenCount":1,"completionReason":null,"inputTextTokenCount":3}`,
			`{"outputText":" there!","index":0,"totalOutputTextTokenCount":4,"completionReason":"FINISH","inputTextTokenCount":null,` + invMetrics("3", "4") + `}`,
		},
		common: map[string]any{
			"gen_ai.request.max_tokens": 512, "gen_ai.request.temperature": 0.5, "gen_ai.request.top_p": 0.9,
			"gen_ai.prompt.0.role": "user", "gen_ai.prompt.0.content": "say hi",
			"gen_ai.completion.0.content": "Hi there!", "gen_ai.completion.0.finish_reason": "FINISH",
			"gen_ai.response.finish_reasons": []string{"FINISH"}, "gen_ai.usage.input_tokens": 3, "gen_ai.usage.output_tokens": 4,
		},
	},
	{
		name:  "nova",
		model: "us.amazon.nova-lite-v1:0",
		request: `{"schemaVersion":"messages-v1","system":[{"text":"be brief"}],
			"messages":[{"role":"user","content":[{"text":"weather?"}]},
				{"role":"assistant","content":[{"toolUse":{"toolUseId":"t1","name":"get_weather","input":{"city":"Oslo"}}}]},
				{"role":"user","content":[{"toolResult":{"toolUseId":"t1","content":[{"json":{"temp":-3}}]}}]}],
			"inferenceConfig":{"maxTokens":100,"temperature":0.7,"topP":0.9,"topK":20},
			"toolConfig":{"tools":[{"toolSpec":{"name":"get_weather","description":"w","inputSchema":{"json":{"type":"object"}}}}]}}`,
		response: `{"output":{"message":{"role":"assistant","content":[{"text":"Cold: -3."}]}},"stopReason":"end_turn",
			"usage":{"inputTokens":30,"outputTokens":5,"totalTokens":35,"cacheReadInputTokenCount":4,"cacheWriteInputTokenCount":0}}`,
		plain: map[string]any{"gen_ai.usage.cache_read.input_tokens": 4, "gen_ai.usage.cache_creation.input_tokens": 0},
		chunks: []string{
			`{"messageStart":{"role":"assistant"}}`,
			`{"contentBlockDelta":{"delta":{"text":"Cold: "},"contentBlockIndex":0}}`,
			`{"contentBlockDelta":{"delta":{"text":"-3."},"contentBlockIndex":0}}`,
			`{"contentBlockStop":{"contentBlockIndex":0}}`,
			`{"messageStop":{"stopReason":"end_turn"}}`,
			`{"metadata":{"usage":{"inputTokens":30,"outputTokens":5},"metrics":{},"trace":{}},` + invMetrics("30", "5") + `}`,
		},
		common: map[string]any{
			"gen_ai.request.max_tokens": 100, "gen_ai.request.temperature": 0.7, "gen_ai.request.top_p": 0.9, "gen_ai.request.top_k": 20.0,
			"gen_ai.prompt.0.role": "system", "gen_ai.prompt.0.content": "be brief",
			"gen_ai.prompt.1.role": "user", "gen_ai.prompt.1.content": "weather?",
			"gen_ai.prompt.2.role": "assistant", "gen_ai.prompt.2.tool_calls.0.id": "t1",
			"gen_ai.prompt.2.tool_calls.0.function.arguments": jsonValue(`{"city":"Oslo"}`),
			"gen_ai.prompt.3.role":                            "tool", "gen_ai.prompt.3.tool_call_id": "t1", "gen_ai.prompt.3.content": jsonValue(`{"temp":-3}`),
			"gen_ai.prompt.4.role":                 nil,
			"gen_ai.request.tools.0.function.name": "get_weather",
			"gen_ai.completion.0.content":          "Cold: -3.", "gen_ai.completion.0.finish_reason": "end_turn",
			"gen_ai.response.finish_reasons": []string{"end_turn"}, "gen_ai.usage.input_tokens": 30, "gen_ai.usage.output_tokens": 5,
			"gen_ai.response.model": "us.amazon.nova-lite-v1:0",
		},
	},
	{
		name:     "mistral-text",
		model:    "mistral.mistral-7b-instruct-v0:2",
		request:  `{"prompt":"<s>[INST] hi [/INST]","max_tokens":200,"temperature":0.5,"top_p":0.9,"top_k":50}`,
		response: `{"outputs":[{"text":" Hello!","stop_reason":"stop"}]}`,
		headers:  map[string]string{"X-Amzn-Bedrock-Input-Token-Count": "12", "X-Amzn-Bedrock-Output-Token-Count": "3"},
		chunks: []string{
			`{"outputs":[{"text":" Hel","stop_reason":null}]}`,
			`{"outputs":[{"text":"lo!","stop_reason":"stop"}],` + invMetrics("12", "3") + `}`,
		},
		common: map[string]any{
			"gen_ai.request.max_tokens": 200, "gen_ai.request.top_k": 50.0, "gen_ai.prompt.0.content": "<s>[INST] hi [/INST]",
			"gen_ai.completion.0.content": " Hello!", "gen_ai.completion.0.finish_reason": "stop",
			"gen_ai.usage.input_tokens": 12, "gen_ai.usage.output_tokens": 3,
		},
	},
	{
		name:  "mistral-chat",
		model: "mistral.mistral-large-2407-v1:0",
		request: `{"messages":[{"role":"system","content":"be brief"},{"role":"user","content":"weather?"},
			{"role":"assistant","content":"","tool_calls":[{"id":"abc123def","function":{"name":"get_weather","arguments":"{\"city\": \"Rome\"}"}}]},
			{"role":"tool","tool_call_id":"abc123def","content":"hot"}],
			"max_tokens":100,"temperature":0.3,"tools":[{"type":"function","function":{"name":"get_weather","description":"w","parameters":{"type":"object"}}}]}`,
		response: `{"choices":[{"index":0,"message":{"role":"assistant","content":"It is hot.","tool_calls":null},"stop_reason":"stop"}]}`,
		headers:  map[string]string{"X-Amzn-Bedrock-Input-Token-Count": "40", "X-Amzn-Bedrock-Output-Token-Count": "4"},
		chunks: []string{
			`{"choices":[{"index":0,"message":{"role":"assistant","content":"It is"},"stop_reason":null}]}`,
			`{"choices":[{"index":0,"message":{"role":"assistant","content":" hot."},"stop_reason":"stop"}],` + invMetrics("40", "4") + `}`,
		},
		common: map[string]any{
			"gen_ai.request.max_tokens": 100, "gen_ai.request.temperature": 0.3,
			"gen_ai.prompt.0.role": "system", "gen_ai.prompt.1.role": "user", "gen_ai.prompt.1.content": "weather?",
			"gen_ai.prompt.2.role": "assistant", "gen_ai.prompt.2.tool_calls.0.id": "abc123def",
			"gen_ai.prompt.2.tool_calls.0.function.arguments": jsonValue(`{"city":"Rome"}`),
			"gen_ai.prompt.3.role":                            "tool", "gen_ai.prompt.3.tool_call_id": "abc123def", "gen_ai.prompt.3.content": "hot",
			"gen_ai.request.tools.0.function.name": "get_weather",
			"gen_ai.completion.0.content":          "It is hot.", "gen_ai.completion.0.finish_reason": "stop",
			"gen_ai.usage.input_tokens": 40, "gen_ai.usage.output_tokens": 4,
		},
	},
	{
		name:  "cohere-command-r",
		model: "cohere.command-r-plus-v1:0",
		request: `{"message":"and now?","chat_history":[{"role":"USER","message":"hi"},{"role":"CHATBOT","message":"hello"}],
			"preamble":"be brief","max_tokens":100,"temperature":0.3,"p":0.75,"k":5,
			"tools":[{"name":"get_weather","description":"w","parameter_definitions":{"city":{"type":"str","required":true}}}]}`,
		response: `{"response_id":"r-1","text":"Now what?","generation_id":"g-1","chat_history":[],"finish_reason":"COMPLETE"}`,
		headers:  map[string]string{"X-Amzn-Bedrock-Input-Token-Count": "20", "X-Amzn-Bedrock-Output-Token-Count": "3"},
		chunks: []string{
			`{"is_finished":false,"event_type":"stream-start","generation_id":"g-1"}`,
			`{"is_finished":false,"event_type":"text-generation","text":"Now "}`,
			`{"is_finished":false,"event_type":"text-generation","text":"what?"}`,
			`{"is_finished":true,"event_type":"stream-end","response":{"response_id":"r-1","text":"Now what?","generation_id":"g-1","finish_reason":"COMPLETE"},"finish_reason":"COMPLETE",` + invMetrics("20", "3") + `}`,
		},
		common: map[string]any{
			"gen_ai.request.max_tokens": 100, "gen_ai.request.top_p": 0.75, "gen_ai.request.top_k": 5.0,
			"gen_ai.prompt.0.role": "system", "gen_ai.prompt.0.content": "be brief",
			"gen_ai.prompt.1.role": "user", "gen_ai.prompt.1.content": "hi",
			"gen_ai.prompt.2.role": "assistant", "gen_ai.prompt.2.content": "hello",
			"gen_ai.prompt.3.role": "user", "gen_ai.prompt.3.content": "and now?",
			"gen_ai.request.tools.0.function.name":       "get_weather",
			"gen_ai.request.tools.0.function.parameters": jsonValue(`{"city":{"type":"str","required":true}}`),
			"gen_ai.response.id":                         "r-1",
			"gen_ai.completion.0.content":                "Now what?", "gen_ai.completion.0.finish_reason": "COMPLETE",
			"gen_ai.usage.input_tokens": 20, "gen_ai.usage.output_tokens": 3,
		},
	},
	{
		name:     "jamba",
		model:    "ai21.jamba-1-5-large-v1:0",
		request:  `{"messages":[{"role":"user","content":"hi"}],"max_tokens":100,"temperature":0.4,"top_p":0.9}`,
		response: `{"id":"chatcmpl-1","model":"jamba-1.5-large","choices":[{"index":0,"message":{"role":"assistant","content":"Hello","tool_calls":null},"finish_reason":"stop"}],"usage":{"prompt_tokens":4,"completion_tokens":2,"total_tokens":6}}`,
		chunks: []string{
			`{"id":"chatcmpl-1","model":"jamba-1.5-large","choices":[{"index":0,"delta":{"role":"assistant"},"finish_reason":null}]}`,
			`{"id":"chatcmpl-1","choices":[{"index":0,"delta":{"content":"Hel"},"finish_reason":null}]}`,
			`{"id":"chatcmpl-1","choices":[{"index":0,"delta":{"content":"lo"},"finish_reason":"stop"}],"usage":{"prompt_tokens":4,"completion_tokens":2,"total_tokens":6},` + invMetrics("4", "2") + `}`,
		},
		common: map[string]any{
			"gen_ai.request.max_tokens": 100, "gen_ai.request.top_p": 0.9, "gen_ai.prompt.0.content": "hi",
			"gen_ai.response.id": "chatcmpl-1", "gen_ai.response.model": "jamba-1.5-large",
			"gen_ai.completion.0.content": "Hello", "gen_ai.completion.0.finish_reason": "stop",
			"gen_ai.usage.input_tokens": 4, "gen_ai.usage.output_tokens": 2,
		},
	},
	{
		name:     "deepseek-r1",
		model:    "us.deepseek.r1-v1:0",
		request:  `{"prompt":"hi","max_tokens":100,"temperature":0.6,"top_p":0.9}`,
		response: `{"choices":[{"text":"Hello","stop_reason":"stop"}]}`,
		headers:  map[string]string{"X-Amzn-Bedrock-Input-Token-Count": "2", "X-Amzn-Bedrock-Output-Token-Count": "1"},
		chunks: []string{
			`{"choices":[{"text":"Hel","stop_reason":null}]}`,
			`{"choices":[{"text":"lo","stop_reason":"stop"}],` + invMetrics("2", "1") + `}`,
		},
		common: map[string]any{
			"gen_ai.request.max_tokens": 100, "gen_ai.request.temperature": 0.6, "gen_ai.prompt.0.content": "hi",
			"gen_ai.completion.0.content": "Hello", "gen_ai.completion.0.finish_reason": "stop",
			"gen_ai.usage.input_tokens": 2, "gen_ai.usage.output_tokens": 1,
		},
	},
	{
		name:     "claude-arn",
		model:    "arn:aws:bedrock:us-east-1:123456789012:inference-profile/eu.anthropic.claude-3-haiku-20240307-v1:0",
		request:  `{"anthropic_version":"bedrock-2023-05-31","max_tokens":10,"system":"sys","messages":[{"role":"user","content":"hi"}]}`,
		response: `{"id":"msg_2","model":"claude-3-haiku-20240307","content":[{"type":"text","text":"Hey"}],"stop_reason":"end_turn","usage":{"input_tokens":3,"output_tokens":1}}`,
		chunks: []string{
			`{"type":"message_start","message":{"id":"msg_2","model":"claude-3-haiku-20240307","role":"assistant","usage":{"input_tokens":3,"output_tokens":1}}}`,
			`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hey"}}`,
			`{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":1}}`,
			`{"type":"message_stop",` + invMetrics("3", "1") + `}`,
		},
		common: map[string]any{
			"gen_ai.request.model":    "arn:aws:bedrock:us-east-1:123456789012:inference-profile/eu.anthropic.claude-3-haiku-20240307-v1:0",
			"gen_ai.prompt.0.content": "sys", "gen_ai.prompt.1.content": "hi", "gen_ai.completion.0.content": "Hey",
			"gen_ai.response.model": "claude-3-haiku-20240307", "gen_ai.usage.input_tokens": 3, "gen_ai.usage.output_tokens": 1,
		},
	},
	{
		name:     "opaque-arn-sniffed",
		model:    "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3d4e5",
		request:  `{"prompt":"hi","max_gen_len":20}`,
		response: `{"generation":"Yo","prompt_token_count":1,"generation_token_count":1,"stop_reason":"stop"}`,
		chunks:   []string{`{"generation":"Yo","prompt_token_count":1,"generation_token_count":1,"stop_reason":"stop"}`},
		common: map[string]any{
			"gen_ai.request.max_tokens": 20, "gen_ai.prompt.0.content": "hi", "gen_ai.completion.0.content": "Yo",
			"gen_ai.usage.input_tokens": 1, "gen_ai.usage.output_tokens": 1,
		},
	},
	{
		name:     "openai-gpt-oss",
		model:    "openai.gpt-oss-20b-1:0",
		request:  `{"messages":[{"role":"user","content":[{"type":"text","text":"hi "},{"type":"text","text":"there"}]}],"max_completion_tokens":64}`,
		response: `{"id":"chatcmpl-9","object":"chat.completion","model":"gpt-oss-20b","choices":[{"index":0,"message":{"role":"assistant","content":"Hello"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":1}}`,
		chunks: []string{
			`{"id":"chatcmpl-9","model":"gpt-oss-20b","choices":[{"index":0,"delta":{"role":"assistant","content":"Hello"},"finish_reason":"stop"}]}`,
			`{"id":"chatcmpl-9","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":1},` + invMetrics("3", "1") + `}`,
		},
		common: map[string]any{
			"gen_ai.request.max_tokens": 64, "gen_ai.prompt.0.content": "hi there", "gen_ai.completion.0.content": "Hello",
			"gen_ai.response.id": "chatcmpl-9", "gen_ai.response.model": "gpt-oss-20b",
			"gen_ai.usage.input_tokens": 3, "gen_ai.usage.output_tokens": 1,
		},
	},
	{
		name:     "unknown-family",
		model:    "acme.mystery-v1",
		request:  `{"foo":"bar"}`,
		response: `{"answer":"42"}`,
		chunks:   []string{`{"answer":"4"}`, `{"answer":"2"}`},
		common: map[string]any{
			"gen_ai.operation.name": "chat", "gen_ai.system": "aws.bedrock", "gen_ai.request.model": "acme.mystery-v1",
			"gen_ai.prompt.0.role": nil, "gen_ai.usage.input_tokens": nil,
		},
	},
}

func merge(ms ...map[string]any) map[string]any {
	out := map[string]any{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

func TestInvokeModelFamilies(t *testing.T) {
	for _, tc := range familyCases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			f := newFake(t, reply{body: tc.response, headers: tc.headers})
			out, err := e.runtime(f.URL, true).InvokeModel(context.Background(), &bedrockruntime.InvokeModelInput{
				ModelId: aws.String(tc.model), Body: []byte(tc.request), ContentType: aws.String("application/json"),
			})
			if err != nil {
				t.Fatal(err)
			}
			if string(out.Body) != tc.response {
				t.Fatalf("caller's body changed: %s", out.Body)
			}
			if !bytes.Equal(f.body(0), []byte(tc.request)) {
				t.Fatalf("request body changed")
			}
			s := e.oneSpan()
			if s.Name() != "bedrock.invoke_model" || s.Status().Code != codes.Unset {
				t.Errorf("span %s %+v", s.Name(), s.Status())
			}
			a := attrsOf(s)
			a.want(t, merge(map[string]any{"gen_ai.request.model": tc.model}, tc.common, tc.plain))
			if t.Failed() {
				t.Logf("attributes: %v", a.keys())
			}
		})
		t.Run(tc.name+"/stream", func(t *testing.T) {
			e := newEnv(t)
			var frames [][]byte
			for _, c := range tc.chunks {
				frames = append(frames, chunk(t, c))
			}
			f := newFake(t, reply{frames: frames})
			out, err := e.runtime(f.URL, true).InvokeModelWithResponseStream(context.Background(), &bedrockruntime.InvokeModelWithResponseStreamInput{
				ModelId: aws.String(tc.model), Body: []byte(tc.request), ContentType: aws.String("application/json"),
			})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for ev := range out.GetStream().Events() {
				got = append(got, string(ev.(*types.ResponseStreamMemberChunk).Value.Bytes))
			}
			if err := out.GetStream().Err(); err != nil {
				t.Fatal(err)
			}
			_ = out.GetStream().Close()
			if strings.Join(got, "\n") != strings.Join(tc.chunks, "\n") {
				t.Fatalf("caller's chunks changed:\n%v", got)
			}
			s := e.oneSpan()
			if s.Name() != "bedrock.invoke_model_with_response_stream" || s.Status().Code != codes.Unset {
				t.Errorf("span %s %+v", s.Name(), s.Status())
			}
			a := attrsOf(s)
			a.want(t, merge(map[string]any{"gen_ai.request.model": tc.model}, tc.common, tc.stream))
			if t.Failed() {
				t.Logf("attributes: %v", a.keys())
			}
			e.leakCheck(t, f)
		})
	}
}

// With capture off no family records content.
func TestInvokeModelFamiliesNoContent(t *testing.T) {
	for _, tc := range familyCases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			var frames [][]byte
			for _, c := range tc.chunks {
				frames = append(frames, chunk(t, c))
			}
			f := newFake(t, reply{body: tc.response, headers: tc.headers}, reply{frames: frames})
			c := e.runtime(f.URL, false)
			if _, err := c.InvokeModel(context.Background(), &bedrockruntime.InvokeModelInput{ModelId: aws.String(tc.model), Body: []byte(tc.request)}); err != nil {
				t.Fatal(err)
			}
			out, err := c.InvokeModelWithResponseStream(context.Background(), &bedrockruntime.InvokeModelWithResponseStreamInput{ModelId: aws.String(tc.model), Body: []byte(tc.request)})
			if err != nil {
				t.Fatal(err)
			}
			for range out.GetStream().Events() {
			}
			_ = out.GetStream().Close()
			if n := len(e.spans()); n != 2 {
				t.Fatalf("%d spans", n)
			}
			for _, s := range e.spans() {
				a := attrsOf(s)
				a.none(t, "*.content", "*.arguments")
				if v, ok := tc.common["gen_ai.prompt.0.role"]; ok && v != nil {
					a.want(t, map[string]any{"gen_ai.prompt.0.role": v})
				}
			}
		})
	}
}

func TestInvokeModelError(t *testing.T) {
	e := newEnv(t)
	f := newFake(t, reply{status: 400, headers: map[string]string{"X-Amzn-Errortype": "ValidationException"}, body: `{"message":"bad model"}`})
	_, err := e.runtime(f.URL, true).InvokeModel(context.Background(), &bedrockruntime.InvokeModelInput{
		ModelId: aws.String("meta.llama3-nope-v0:0"), Body: []byte(`{"prompt":"reply with one word"}`)})
	if err == nil {
		t.Fatal("want error")
	}
	a := attrsOf(e.oneSpan())
	a.want(t, map[string]any{"error.type": "ValidationException", "gen_ai.prompt.0.content": "reply with one word", "gen_ai.response.model": nil})
	checkMetrics(t, e, nil, "ValidationException", -1, -1)
}

// A body that is not JSON still gives a span with the base attributes, and the
// call is not affected.
func TestInvokeModelGarbage(t *testing.T) {
	e := newEnv(t)
	f := newFake(t, reply{body: `{"generation": "x`}) // truncated response
	out, err := e.runtime(f.URL, true).InvokeModel(context.Background(), &bedrockruntime.InvokeModelInput{
		ModelId: aws.String("meta.llama3-8b-instruct-v1:0"), Body: []byte("\x00not json{{{")})
	if err != nil || string(out.Body) != `{"generation": "x` {
		t.Fatalf("%v %s", err, out.Body)
	}
	attrsOf(e.oneSpan()).want(t, map[string]any{"gen_ai.request.model": "meta.llama3-8b-instruct-v1:0", "gen_ai.system": "aws.bedrock"})
}

// runInvokeStream streams chunks through InvokeModelWithResponseStream and
// returns the span's attributes.
func runInvokeStream(t *testing.T, e *env, model, body string, chunks ...string) attrs {
	t.Helper()
	var fr [][]byte
	for _, c := range chunks {
		fr = append(fr, chunk(t, c))
	}
	f := newFake(t, reply{frames: fr})
	out, err := e.runtime(f.URL, true).InvokeModelWithResponseStream(context.Background(), &bedrockruntime.InvokeModelWithResponseStreamInput{
		ModelId: aws.String(model), Body: []byte(body), ContentType: aws.String("application/json"),
	})
	if err != nil {
		t.Fatal(err)
	}
	for range out.GetStream().Events() {
	}
	if err := out.GetStream().Err(); err != nil {
		t.Fatal(err)
	}
	_ = out.GetStream().Close()
	return attrsOf(e.oneSpan())
}

// TestClaudeStreamToolWithoutInput: a tool called without input streams one
// empty argument fragment; its arguments are {}, as without streaming.
func TestClaudeStreamToolWithoutInput(t *testing.T) {
	e := newEnv(t)
	a := runInvokeStream(t, e, "anthropic.claude-3-5-sonnet-20240620-v1:0",
		`{"anthropic_version":"bedrock-2023-05-31","max_tokens":100,"messages":[{"role":"user","content":"time?"}],"tools":[{"name":"now","description":"time","input_schema":{"type":"object","properties":{}}}]}`,
		`{"type":"message_start","message":{"id":"msg_bdrk_1","type":"message","role":"assistant","model":"claude-3-5-sonnet-20240620","content":[],"usage":{"input_tokens":5,"output_tokens":1}}}`,
		`{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`,
		`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Checking."}}`,
		`{"type":"content_block_stop","index":0}`,
		`{"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_1","name":"now","input":{}}}`,
		`{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":""}}`,
		`{"type":"content_block_stop","index":1}`,
		`{"type":"message_delta","delta":{"stop_reason":"tool_use"},"usage":{"output_tokens":9}}`,
		`{"type":"message_stop",`+invMetrics("5", "9")+`}`)
	a.want(t, map[string]any{
		"gen_ai.completion.0.content":                         "Checking.",
		"gen_ai.completion.0.tool_calls.0.id":                 "toolu_1",
		"gen_ai.completion.0.tool_calls.0.function.arguments": jsonValue(`{}`),
		"gen_ai.response.finish_reasons":                      []string{"tool_use"},
	})
}

// TestOpaqueModelIDSniffing: behind an application inference profile (an ARN
// that names no model) the request body's shape picks the family, and an
// ambiguous one the response's: a Llama prompt without max_gen_len, a
// chat-completions body whose first message has content parts (not Nova's
// untyped blocks).
func TestOpaqueModelIDSniffing(t *testing.T) {
	const arn = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3"
	t.Run("llama_without_max_gen_len", func(t *testing.T) {
		a := runInvokeStream(t, newEnv(t), arn, `{"prompt":"hi there","temperature":0.5}`,
			`{"generation":"Hel","prompt_token_count":3,"generation_token_count":1,"stop_reason":null}`,
			`{"generation":"lo","prompt_token_count":null,"generation_token_count":2,"stop_reason":"stop",`+invMetrics("3", "2")+`}`)
		a.want(t, map[string]any{"gen_ai.completion.0.content": "Hello", "gen_ai.response.finish_reasons": []string{"stop"},
			"gen_ai.request.temperature": 0.5, "gen_ai.prompt.0.content": "hi there"})
	})
	t.Run("mistral_text", func(t *testing.T) {
		a := runInvokeStream(t, newEnv(t), arn, `{"prompt":"<s>[INST] hi [/INST]","temperature":0.5}`,
			`{"outputs":[{"text":" Hel","stop_reason":null}]}`,
			`{"outputs":[{"text":"lo!","stop_reason":"stop"}],`+invMetrics("12", "3")+`}`)
		a.want(t, map[string]any{"gen_ai.completion.0.content": " Hello!", "gen_ai.response.finish_reasons": []string{"stop"}})
	})
	t.Run("chat_parts_first", func(t *testing.T) {
		a := runInvokeStream(t, newEnv(t), arn,
			`{"messages":[{"role":"user","content":[{"type":"text","text":"hi"}]}],"max_completion_tokens":50}`,
			`{"id":"chatcmpl-1","object":"chat.completion.chunk","model":"openai.gpt-oss-20b-1:0","choices":[{"index":0,"delta":{"role":"assistant","content":"Hel"},"finish_reason":null}]}`,
			`{"id":"chatcmpl-1","object":"chat.completion.chunk","model":"openai.gpt-oss-20b-1:0","choices":[{"index":0,"delta":{"content":"lo"},"finish_reason":"stop"}],`+invMetrics("8", "2")+`}`)
		a.want(t, map[string]any{"gen_ai.request.max_tokens": 50, "gen_ai.completion.0.content": "Hello", "gen_ai.response.finish_reasons": []string{"stop"}})
	})
}

// TestChatStreamToolCallsWithoutIndex: Mistral's chat chunks carry whole tool
// calls without an "index"; two calls are two tool calls, not one with the
// arguments of both concatenated.
func TestChatStreamToolCallsWithoutIndex(t *testing.T) {
	a := runInvokeStream(t, newEnv(t), "mistral.mistral-large-2407-v1:0", `{"messages":[{"role":"user","content":"weather in Rome and Oslo?"}]}`,
		`{"choices":[{"index":0,"message":{"role":"assistant","content":"","tool_calls":[{"id":"a1","function":{"name":"get_weather","arguments":"{\"city\": \"Rome\"}"}},{"id":"a2","function":{"name":"get_time","arguments":"{\"city\": \"Oslo\"}"}}]},"stop_reason":"tool_calls"}],`+invMetrics("30", "20")+`}`)
	a.want(t, map[string]any{
		"gen_ai.completion.0.tool_calls.0.id":                 "a1",
		"gen_ai.completion.0.tool_calls.0.function.name":      "get_weather",
		"gen_ai.completion.0.tool_calls.0.function.arguments": jsonValue(`{"city":"Rome"}`),
		"gen_ai.completion.0.tool_calls.1.id":                 "a2",
		"gen_ai.completion.0.tool_calls.1.function.name":      "get_time",
		"gen_ai.completion.0.tool_calls.1.function.arguments": jsonValue(`{"city":"Oslo"}`),
		"gen_ai.response.finish_reasons":                      []string{"tool_calls"},
	})
}

// TestNonChatModelNotSniffed: the body of a bare model id of no known family
// (a video or speech model, a model of a vendor not known) is not read as a
// chat prompt: such a span has only the base attributes (§4.4), while an ARN
// that names no model is still sniffed (TestOpaqueModelIDSniffing).
// (Embedding, rerank and image models are families of their own:
// TestInvokeModelEmbeddings, TestInvokeModelRerank, TestInvokeModelImage.)
func TestNonChatModelNotSniffed(t *testing.T) {
	for _, tc := range [][3]string{
		{"amazon.nova-reel-v1:0", `{"taskType":"TEXT_VIDEO","textToVideoParams":{"text":"a cat"},"videoGenerationConfig":{"seed":1}}`, `{"invocationArn":"arn:x"}`},
		{"amazon.nova-sonic-v1:0", `{"prompt":"a cat"}`, `{"audio":"AAAA"}`},
		{"acme.imagegen-v1:0", `{"prompt":"a cat","mode":"text-to-image"}`, `{"images":["AAAA"],"finish_reasons":[null],"seeds":[1]}`},
	} {
		e := newEnv(t)
		f := newFake(t, reply{body: tc[2]})
		if _, err := e.runtime(f.URL, true).InvokeModel(context.Background(), &bedrockruntime.InvokeModelInput{
			ModelId: aws.String(tc[0]), Body: []byte(tc[1])}); err != nil {
			t.Fatal(err)
		}
		a := attrsOf(e.oneSpan())
		a.want(t, map[string]any{"gen_ai.request.model": tc[0], "gen_ai.prompt.0.role": nil, "gen_ai.prompt.0.content": nil, "gen_ai.completion.0.role": nil})
	}
}
