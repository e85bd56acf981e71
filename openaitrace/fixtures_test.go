package openaitrace

import (
	"fmt"
	"strings"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/shared"
)

// The fixtures here are written for these tests; they follow the shapes of
// the OpenAI API reference.

const userPrompt = "I am planning a long weekend trip and would like to know what the weather will be " +
	"like in Lisbon, Portugal over the next few days, including temperature ranges, chance of rain and " +
	"wind, so that I can decide whether to pack a raincoat, sunscreen or both. Please be concise and " +
	"use metric units throughout your answer."

func weatherTool() openai.ChatCompletionToolUnionParam {
	return openai.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{
		Name:        "get_weather",
		Description: openai.String("Get the current weather in a given location"),
		Parameters: shared.FunctionParameters{
			"type": "object",
			"properties": map[string]any{
				"location": map[string]any{"type": "string", "description": "City and country"},
				"unit":     map[string]any{"type": "string", "enum": []string{"celsius", "fahrenheit"}},
			},
			"required": []string{"location"},
		},
	})
}

func chatParams() openai.ChatCompletionNewParams {
	return openai.ChatCompletionNewParams{
		Model: "gpt-4o-mini",
		Messages: []openai.ChatCompletionMessageParamUnion{
			openai.SystemMessage("You are a helpful travel assistant."),
			openai.UserMessage(userPrompt),
		},
		Temperature: openai.Float(0.2),
		Tools:       []openai.ChatCompletionToolUnionParam{weatherTool()},
		User:        openai.String("u-123"),
	}
}

const chatResponseJSON = `{"id":"chatcmpl-fixture1","object":"chat.completion","created":1731368630,"model":"gpt-4o-mini-2024-07-18",` +
	`"choices":[{"index":0,"message":{"role":"assistant","content":"Expect 18-24\u00b0C, light showers on Saturday: pack both.","refusal":null},"logprobs":null,"finish_reason":"stop"}],` +
	`"usage":{"prompt_tokens":96,"completion_tokens":14,"total_tokens":110,"prompt_tokens_details":{"cached_tokens":64,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":3,"audio_tokens":0}},` +
	`"service_tier":"default","system_fingerprint":"fp_fixture"}`

// Tool-call round trip: the first call asks for two tool calls; the second
// sends the tool results back.
const toolCallResponseJSON = `{"id":"chatcmpl-tools1","object":"chat.completion","created":1731368634,"model":"gpt-4o-mini-2024-07-18",` +
	`"choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[` +
	`{"id":"call_lisbon","type":"function","function":{"name":"get_weather","arguments":"{\"location\":\"Lisbon, PT\"}"}},` +
	`{"id":"call_porto","type":"function","function":{"name":"get_weather","arguments":"{\"location\":\"Porto, PT\"}"}}],"refusal":null},"logprobs":null,"finish_reason":"tool_calls"}],` +
	`"usage":{"prompt_tokens":80,"completion_tokens":40,"total_tokens":120}}`

func toolRoundTripParams() openai.ChatCompletionNewParams {
	p := chatParams()
	p.Messages = append(p.Messages,
		openai.ChatCompletionMessageParamUnion{OfAssistant: &openai.ChatCompletionAssistantMessageParam{
			ToolCalls: []openai.ChatCompletionMessageToolCallUnionParam{
				{OfFunction: &openai.ChatCompletionMessageFunctionToolCallParam{ID: "call_lisbon", Function: openai.ChatCompletionMessageFunctionToolCallFunctionParam{Name: "get_weather", Arguments: `{"location":"Lisbon, PT"}`}}},
				{OfFunction: &openai.ChatCompletionMessageFunctionToolCallParam{ID: "call_porto", Function: openai.ChatCompletionMessageFunctionToolCallFunctionParam{Name: "get_weather", Arguments: `{"location":"Porto, PT"}`}}},
			},
		}},
		openai.ToolMessage("21 degrees and sunny", "call_lisbon"),
		openai.ToolMessage("17 degrees and cloudy", "call_porto"),
	)
	return p
}

// streamChunks returns a chat stream of n content chunks, a finish chunk
// and, when usage is true, a usage chunk, then [DONE].
func streamChunks(n int, usage bool) []string {
	var p []string
	head := `{"id":"chatcmpl-stream1","object":"chat.completion.chunk","created":1731368639,"model":"gpt-4o-mini-2024-07-18","system_fingerprint":"fp_fixture","service_tier":"default","choices":[`
	p = append(p, head+`{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}],"usage":null}`)
	for i := 0; i < n; i++ {
		p = append(p, head+fmt.Sprintf(`{"index":0,"delta":{"content":"word%d "},"logprobs":null,"finish_reason":null}],"usage":null}`, i))
	}
	p = append(p, head+`{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}],"usage":null}`)
	if usage {
		p = append(p, head+`],"usage":{"prompt_tokens":96,"completion_tokens":`+fmt.Sprint(n)+`,"total_tokens":`+fmt.Sprint(96+n)+`,"prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}}}`)
	}
	p = append(p, "[DONE]")
	return p
}

func streamText(n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "word%d ", i)
	}
	return b.String()
}
