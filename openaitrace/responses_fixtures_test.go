package openaitrace

import (
	"fmt"
	"strings"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/responses"
	"github.com/openai/openai-go/v3/shared"
)

// Responses API fixtures, written for these tests after the shapes of the
// OpenAI API reference.

// responsesParams is a second turn of a tool-using conversation: the user's
// question, the model's reasoning and two function calls, their outputs.
func responsesParams() responses.ResponseNewParams {
	lisbonOut := responses.ResponseInputItemParamOfFunctionCallOutput("21 degrees and sunny")
	lisbonOut.OfFunctionCallOutput.CallID = openai.String("call_lisbon")
	portoOut := responses.ResponseInputItemParamOfFunctionCallOutput("17 degrees and cloudy")
	portoOut.OfFunctionCallOutput.CallID = openai.String("call_porto")
	return responses.ResponseNewParams{
		Model:        shared.ResponsesModel("gpt-4o-mini"),
		Instructions: openai.String("You are a helpful travel assistant."),
		Input: responses.ResponseNewParamsInputUnion{OfInputItemList: responses.ResponseInputParam{
			responses.ResponseInputItemParamOfMessage(userPrompt, responses.EasyInputMessageRoleUser),
			responses.ResponseInputItemParamOfReasoning("rs_1", nil),
			responses.ResponseInputItemParamOfFunctionCall(`{"location":"Lisbon, PT"}`, "call_lisbon", "get_weather"),
			responses.ResponseInputItemParamOfFunctionCall(`{"location":"Porto, PT"}`, "call_porto", "get_weather"),
			lisbonOut,
			portoOut,
		}},
		Temperature:        openai.Float(0.3),
		TopP:               openai.Float(0.9),
		MaxOutputTokens:    openai.Int(256),
		SafetyIdentifier:   openai.String("user-hash-1"),
		PreviousResponseID: openai.String("resp_previous"),
		Conversation:       responses.ResponseNewParamsConversationUnion{OfConversationObject: &responses.ResponseConversationParam{ID: "conv_trip"}},
		ServiceTier:        responses.ResponseNewParamsServiceTierFlex,
		Tools: []responses.ToolUnionParam{
			responses.ToolParamOfFunction("get_weather", map[string]any{
				"type":       "object",
				"properties": map[string]any{"location": map[string]any{"type": "string"}},
				"required":   []string{"location"},
			}, true),
			responses.ToolParamOfWebSearch(responses.WebSearchToolTypeWebSearch),
		},
	}
}

const responsesUsageJSON = `"usage":{"input_tokens":120,"input_tokens_details":{"cached_tokens":64},"output_tokens":30,"output_tokens_details":{"reasoning_tokens":12},"total_tokens":150}`

// responseJSON is a response object with the given status, output items and
// extra top-level members.
func responseJSON(id, status, output, extra string) string {
	return `{"id":"` + id + `","object":"response","created_at":1731368630,"status":"` + status + `",` +
		`"model":"gpt-4o-mini-2024-07-18","output":[` + output + `],"parallel_tool_calls":true,"tool_choice":"auto","tools":[],` +
		`"service_tier":"flex","error":null,"incomplete_details":null,` + extra + responsesUsageJSON + `}`
}

const (
	outputMessageJSON = `{"type":"message","id":"msg_1","status":"completed","role":"assistant","content":[` +
		`{"type":"output_text","text":"Lisbon: 21\u00b0C and sunny. ","annotations":[]},{"type":"output_text","text":"Porto: 17\u00b0C, cloudy.","annotations":[]}]}`
	outputReasoningJSON = `{"type":"reasoning","id":"rs_2","summary":[]}`
	outputCallJSON      = `{"type":"function_call","id":"fc_1","call_id":"call_faro","name":"get_weather","arguments":"{\"location\":\"Faro, PT\"}","status":"completed"}`
	outputRefusalJSON   = `{"type":"message","id":"msg_2","status":"completed","role":"assistant","content":[{"type":"refusal","refusal":"I can't help with that."}]}`
)

// sseEvent returns one typed Responses stream event.
func sseEvent(typ, data string) string {
	return "event: " + typ + "\ndata: " + data + "\n\n"
}

// responsesTextStream is a streamed text answer of n deltas ending with the
// terminal event term ("response.completed", "response.incomplete", ...)
// whose response has the given status and extra members.
func responsesTextStream(n int, term, status, extra string) []string {
	created := `{"id":"resp_stream1","object":"response","created_at":1731368639,"status":"in_progress","model":"gpt-4o-mini-2024-07-18","output":[],"service_tier":"auto","usage":null}`
	ev := []string{
		sseEvent("response.created", `{"type":"response.created","sequence_number":0,"response":`+created+`}`),
		sseEvent("response.in_progress", `{"type":"response.in_progress","sequence_number":1,"response":`+created+`}`),
		sseEvent("response.output_item.added", `{"type":"response.output_item.added","sequence_number":2,"output_index":0,"item":{"type":"message","id":"msg_s1","status":"in_progress","role":"assistant","content":[]}}`),
		sseEvent("response.content_part.added", `{"type":"response.content_part.added","sequence_number":3,"item_id":"msg_s1","output_index":0,"content_index":0,"part":{"type":"output_text","text":"","annotations":[]}}`),
	}
	for i := 0; i < n; i++ {
		ev = append(ev, sseEvent("response.output_text.delta", fmt.Sprintf(`{"type":"response.output_text.delta","sequence_number":%d,"item_id":"msg_s1","output_index":0,"content_index":0,"delta":"word%d ","logprobs":[]}`, 4+i, i)))
	}
	text := streamText(n)
	ev = append(ev,
		sseEvent("response.output_text.done", fmt.Sprintf(`{"type":"response.output_text.done","sequence_number":%d,"item_id":"msg_s1","output_index":0,"content_index":0,"text":%q,"logprobs":[]}`, 4+n, text)),
		sseEvent("response.output_item.done", fmt.Sprintf(`{"type":"response.output_item.done","sequence_number":%d,"output_index":0,"item":{"type":"message","id":"msg_s1","status":"completed","role":"assistant","content":[{"type":"output_text","text":%q,"annotations":[]}]}}`, 5+n, text)),
	)
	final := strings.Replace(responseJSON("resp_stream1", status,
		fmt.Sprintf(`{"type":"message","id":"msg_s1","status":"completed","role":"assistant","content":[{"type":"output_text","text":%q,"annotations":[]}]}`, text), extra),
		`"service_tier":"flex"`, `"service_tier":"default"`, 1)
	ev = append(ev, sseEvent(term, fmt.Sprintf(`{"type":%q,"sequence_number":%d,"response":%s}`, term, 6+n, final)))
	return ev
}

// responsesCallStream streams two parallel function calls, their arguments
// in fragments.
func responsesCallStream() []string {
	created := `{"id":"resp_calls","object":"response","created_at":1731368639,"status":"in_progress","model":"gpt-4o-mini-2024-07-18","output":[],"usage":null}`
	call := func(idx int, id, callID, city string) []string {
		return []string{
			sseEvent("response.output_item.added", fmt.Sprintf(`{"type":"response.output_item.added","sequence_number":1,"output_index":%d,"item":{"type":"function_call","id":%q,"call_id":%q,"name":"get_weather","arguments":"","status":"in_progress"}}`, idx, id, callID)),
			sseEvent("response.function_call_arguments.delta", fmt.Sprintf(`{"type":"response.function_call_arguments.delta","sequence_number":2,"item_id":%q,"output_index":%d,"delta":"{\"location\":"}`, id, idx)),
			sseEvent("response.function_call_arguments.delta", fmt.Sprintf(`{"type":"response.function_call_arguments.delta","sequence_number":3,"item_id":%q,"output_index":%d,"delta":"\"%s\"}"}`, id, idx, city)),
		}
	}
	ev := []string{sseEvent("response.created", `{"type":"response.created","sequence_number":0,"response":`+created+`}`)}
	ev = append(ev, call(0, "fc_a", "call_a", "Lisbon, PT")...)
	ev = append(ev, call(1, "fc_b", "call_b", "Porto, PT")...)
	output := `{"type":"function_call","id":"fc_a","call_id":"call_a","name":"get_weather","arguments":"{\"location\":\"Lisbon, PT\"}","status":"completed"},` +
		`{"type":"function_call","id":"fc_b","call_id":"call_b","name":"get_weather","arguments":"{\"location\":\"Porto, PT\"}","status":"completed"}`
	ev = append(ev, sseEvent("response.completed", `{"type":"response.completed","sequence_number":9,"response":`+responseJSON("resp_calls", "completed", output, "")+`}`))
	return ev
}
