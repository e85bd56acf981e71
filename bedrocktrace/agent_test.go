package bedrocktrace

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/tracekit-go/tracekit/internal/spantest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentruntime"
	agtypes "github.com/aws/aws-sdk-go-v2/service/bedrockagentruntime/types"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// agentTrace builds a trace event payload.
func agentTrace(t testing.TB, kind string, sub map[string]any) []byte {
	b, err := json.Marshal(map[string]any{"agentId": "A1", "sessionId": "s-1", "trace": map[string]any{kind: sub}})
	if err != nil {
		t.Fatal(err)
	}
	return encodeFrame(t, "event", "trace", b)
}

func modelInput(t testing.TB, messages ...map[string]string) map[string]any {
	text, _ := json.Marshal(map[string]any{"system": "sys", "messages": messages})
	return map[string]any{"modelInvocationInput": map[string]any{
		"foundationModel": "anthropic.claude-3-5-sonnet-20240620-v1:0",
		"inferenceConfiguration": map[string]any{"maximumLength": 2048, "temperature": 0.0, "topK": 250, "topP": 1.0,
			"stopSequences": []string{"</answer>"}},
		"text": string(text), "type": "ORCHESTRATION"}}
}

func modelOutput(in, out int, stop string) map[string]any {
	raw, _ := json.Marshal(map[string]any{"stop_reason": stop, "model": "claude"})
	return map[string]any{"modelInvocationOutput": map[string]any{
		"metadata":    map[string]any{"usage": map[string]any{"inputTokens": in, "outputTokens": out}},
		"rawResponse": map[string]any{"content": string(raw)}}}
}

func agentFrames(t testing.TB) [][]byte {
	return [][]byte{
		agentTrace(t, "preProcessingTrace", modelInput(t, map[string]string{"role": "user", "content": "what is the weather?"})),
		agentTrace(t, "preProcessingTrace", modelOutput(100, 10, "end_turn")),
		agentTrace(t, "orchestrationTrace", modelInput(t, map[string]string{"role": "user", "content": "[{text=what is the weather?, type=text}]"})),
		agentTrace(t, "orchestrationTrace", modelOutput(200, 20, "tool_use")),
		agentTrace(t, "orchestrationTrace", modelInput(t,
			map[string]string{"role": "user", "content": "[{text=what is the weather?, type=text}]"},
			map[string]string{"role": "assistant", "content": "[{input={city=Paris}, name=get_weather, id=toolu_1, type=tool_use}]"},
			map[string]string{"role": "user", "content": "[{tool_use_id=toolu_1, type=tool_result, content=sunny}]"})),
		agentTrace(t, "orchestrationTrace", modelOutput(300, 30, "tool_use")),
		agentTrace(t, "orchestrationTrace", map[string]any{"rationale": map[string]any{"text": "thinking"}}),
		chunk(t, "It is "),
		chunk(t, "sunny."),
	}
}

func TestInvokeAgent(t *testing.T) {
	e := newEnv(t)
	f := newFake(t, reply{frames: agentFrames(t), headers: map[string]string{"X-Amz-Bedrock-Agent-Session-Id": "s-1"}})
	out, err := e.agents(f.URL, true).InvokeAgent(context.Background(), &bedrockagentruntime.InvokeAgentInput{
		AgentId: aws.String("AGENT1"), AgentAliasId: aws.String("ALIAS1"), SessionId: aws.String("s-1"),
		InputText: aws.String("what is the weather?"), EnableTrace: aws.Bool(true),
		SessionState: &agtypes.SessionState{SessionAttributes: map[string]string{"userId": "u-7"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	var text string
	var traces int
	for ev := range out.GetStream().Events() {
		switch ev := ev.(type) {
		case *agtypes.ResponseStreamMemberChunk:
			text += string(ev.Value.Bytes)
		case *agtypes.ResponseStreamMemberTrace:
			traces++
		}
	}
	if err := out.GetStream().Err(); err != nil {
		t.Fatal(err)
	}
	_ = out.GetStream().Close()
	if text != "It is sunny." || traces != 7 {
		t.Fatalf("caller got %q and %d traces", text, traces)
	}
	s := e.oneSpan()
	if s.Name() != "bedrock.invoke_agent" || s.Status().Code != codes.Unset {
		t.Errorf("span %s %+v", s.Name(), s.Status())
	}
	a := attrsOf(s)
	a.want(t, map[string]any{
		"gen_ai.operation.name":          "chat",
		"gen_ai.system":                  "aws.bedrock",
		"gen_ai.agent.id":                "AGENT1",
		"gen_ai.bedrock.agent_alias.id":  "ALIAS1",
		"gen_ai.conversation.id":         "s-1",
		"gen_ai.request.user":            "u-7",
		"gen_ai.request.model":           "anthropic.claude-3-5-sonnet-20240620-v1:0",
		"gen_ai.response.model":          "anthropic.claude-3-5-sonnet-20240620-v1:0",
		"gen_ai.request.max_tokens":      2048,
		"gen_ai.request.temperature":     0.0,
		"gen_ai.request.top_k":           250.0,
		"gen_ai.request.top_p":           1.0,
		"gen_ai.usage.input_tokens":      600,
		"gen_ai.usage.output_tokens":     60,
		"gen_ai.response.finish_reasons": []string{"end_turn", "tool_use"},
		// the latest model input replaced the prompt
		"gen_ai.prompt.0.role":                            "user",
		"gen_ai.prompt.0.content":                         "what is the weather?",
		"gen_ai.prompt.1.role":                            "assistant",
		"gen_ai.prompt.1.tool_calls.0.id":                 "toolu_1",
		"gen_ai.prompt.1.tool_calls.0.function.name":      "get_weather",
		"gen_ai.prompt.1.tool_calls.0.function.arguments": "{city=Paris}",
		"gen_ai.prompt.2.role":                            "tool",
		"gen_ai.prompt.2.tool_call_id":                    "toolu_1",
		"gen_ai.prompt.2.content":                         "sunny",
		"gen_ai.prompt.3.role":                            nil,
		"gen_ai.completion.0.role":                        "assistant",
		"gen_ai.completion.0.content":                     "It is sunny.",
		"gen_ai.completion.0.finish_reason":               nil,
	})
	checkMetrics(t, e, map[string]string{"gen_ai.response.model": "anthropic.claude-3-5-sonnet-20240620-v1:0"}, "", 600, 60)
	e.leakCheck(t, f)
}

func TestInvokeAgentNoContentNoTrace(t *testing.T) {
	e := newEnv(t)
	f := newFake(t, reply{frames: [][]byte{chunk(t, "Hello")}})
	out, err := e.agents(f.URL, false).InvokeAgent(context.Background(), &bedrockagentruntime.InvokeAgentInput{
		AgentId: aws.String("AGENT1"), AgentAliasId: aws.String("ALIAS1"), SessionId: aws.String("s-2"),
		InputText:    aws.String("hello"),
		SessionState: &agtypes.SessionState{SessionAttributes: map[string]string{"user": "bob"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	for range out.GetStream().Events() {
	}
	_ = out.GetStream().Close()
	a := attrsOf(e.oneSpan())
	a.want(t, map[string]any{
		"gen_ai.request.user": "bob", "gen_ai.prompt.0.role": "user", "gen_ai.completion.0.role": "assistant",
		"gen_ai.request.model": nil, "gen_ai.usage.input_tokens": nil, "gen_ai.response.finish_reasons": nil,
	})
	a.none(t, "*.content")
	e.leakCheck(t, f)
}

// runAgent streams frames through InvokeAgent and returns the span's
// attributes.
func runAgent(t *testing.T, e *env, capture bool, frames [][]byte) attrs {
	t.Helper()
	f := newFake(t, reply{frames: frames})
	out, err := e.agents(f.URL, capture).InvokeAgent(context.Background(), &bedrockagentruntime.InvokeAgentInput{
		AgentId: aws.String("AGENT1"), AgentAliasId: aws.String("ALIAS1"), SessionId: aws.String("s-1"),
		InputText: aws.String("q"), EnableTrace: aws.Bool(true),
	})
	if err != nil {
		t.Fatal(err)
	}
	for range out.GetStream().Events() {
	}
	_ = out.GetStream().Close()
	return attrsOf(e.oneSpan())
}

// TestAgentHistoryToolBlocks: in the Java renderings of an agent's prompt
// history, a tool call's id and name are its block's own fields (not keys
// inside its input of the same names), every tool_use block is a tool call
// and every tool_result block a tool message (agents call tools in
// parallel), and a tool result's content may hold commas.
func TestAgentHistoryToolBlocks(t *testing.T) {
	a := runAgent(t, newEnv(t), true, [][]byte{
		agentTrace(t, "orchestrationTrace", modelInput(t,
			map[string]string{"role": "user", "content": "[{text=where are orders 42 and 43?, type=text}]"},
			map[string]string{"role": "assistant", "content": "[{text=Let me look., type=text}, {input={order_id=42, customer_name=Bob}, name=get_order, id=toolu_1, type=tool_use}, {input={order_id=43, name=x}, name=get_order, id=toolu_2, type=tool_use}]"},
			map[string]string{"role": "user", "content": "[{tool_use_id=toolu_1, type=tool_result, content=shipped, on time}, {tool_use_id=toolu_2, type=tool_result, content=pending}]"})),
		chunk(t, "One shipped, one pending."),
	})
	a.want(t, map[string]any{
		"gen_ai.prompt.0.role":                            "user",
		"gen_ai.prompt.0.content":                         "where are orders 42 and 43?",
		"gen_ai.prompt.1.role":                            "assistant",
		"gen_ai.prompt.1.content":                         "Let me look.",
		"gen_ai.prompt.1.tool_calls.0.id":                 "toolu_1",
		"gen_ai.prompt.1.tool_calls.0.function.name":      "get_order",
		"gen_ai.prompt.1.tool_calls.0.function.arguments": "{order_id=42, customer_name=Bob}",
		"gen_ai.prompt.1.tool_calls.1.id":                 "toolu_2",
		"gen_ai.prompt.1.tool_calls.1.function.name":      "get_order",
		"gen_ai.prompt.2.role":                            "tool",
		"gen_ai.prompt.2.tool_call_id":                    "toolu_1",
		"gen_ai.prompt.2.content":                         "shipped, on time",
		"gen_ai.prompt.3.role":                            "tool",
		"gen_ai.prompt.3.tool_call_id":                    "toolu_2",
		"gen_ai.prompt.3.content":                         "pending",
		"gen_ai.prompt.4.role":                            nil,
	})
}

// TestAgentHistoryLongToolResults: the bound on tool messages is per history
// message: in a long session's history (more messages than maxToolCalls),
// the tool results of the latest step are still recorded.
func TestAgentHistoryLongToolResults(t *testing.T) {
	var msgs []map[string]string
	for i := 0; i < maxToolCalls; i++ {
		msgs = append(msgs,
			map[string]string{"role": "user", "content": "[{text=hi, type=text}]"},
			map[string]string{"role": "assistant", "content": "[{text=hello, type=text}]"})
	}
	msgs = append(msgs,
		map[string]string{"role": "user", "content": "[{text=weather?, type=text}]"},
		map[string]string{"role": "assistant", "content": "[{input={city=Paris}, name=get_weather, id=toolu_1, type=tool_use}]"},
		map[string]string{"role": "user", "content": "[{tool_use_id=toolu_1, type=tool_result, content=sunny}]"})
	e := newEnv(t)
	limits := sdktrace.NewSpanLimits()
	limits.AttributeCountLimit = 2048 // the default 128 would drop most of the history
	e.tp = sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(e.rec), sdktrace.WithRawSpanLimits(limits))
	a := runAgent(t, e, true, [][]byte{
		agentTrace(t, "orchestrationTrace", modelInput(t, msgs...)),
		chunk(t, "Sunny."),
	})
	n := 2*maxToolCalls + 2
	a.want(t, map[string]any{
		fmt.Sprintf("gen_ai.prompt.%d.role", n-1):            "assistant",
		fmt.Sprintf("gen_ai.prompt.%d.tool_calls.0.id", n-1): "toolu_1",
		fmt.Sprintf("gen_ai.prompt.%d.role", n):              "tool",
		fmt.Sprintf("gen_ai.prompt.%d.tool_call_id", n):      "toolu_1",
		fmt.Sprintf("gen_ai.prompt.%d.content", n):           "sunny",
	})
}

// TestInvokeAgentMetricsNoRequestModel: as llm-tracekit's, an agent's metric
// points carry the foundation model as the response model only (the request
// named no model); the span records it as both.
func TestInvokeAgentMetricsNoRequestModel(t *testing.T) {
	e := newEnv(t)
	f := newFake(t, reply{frames: agentFrames(t)})
	out, err := e.agents(f.URL, true).InvokeAgent(context.Background(), &bedrockagentruntime.InvokeAgentInput{
		AgentId: aws.String("AGENT1"), AgentAliasId: aws.String("ALIAS1"), SessionId: aws.String("s-1"), InputText: aws.String("hi"),
	})
	if err != nil {
		t.Fatal(err)
	}
	for range out.GetStream().Events() {
	}
	_ = out.GetStream().Close()
	if a := attrsOf(e.oneSpan()); a["gen_ai.request.model"].AsString() == "" {
		t.Error("the span lost gen_ai.request.model (the foundation model)")
	}
	sets := spantest.PointSets(e.metrics(), "")
	for _, set := range sets {
		if v, ok := set.Value("gen_ai.request.model"); ok {
			t.Errorf("a metric point has gen_ai.request.model=%s (llm-tracekit: absent for invoke_agent)", v.AsString())
		}
		if _, ok := set.Value("gen_ai.response.model"); !ok {
			t.Errorf("a metric point has no gen_ai.response.model: %v", set)
		}
	}
	points := len(sets)
	if points != 3 {
		t.Errorf("%d metric points, want duration, input and output", points)
	}
}
