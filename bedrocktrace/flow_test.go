package bedrocktrace

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentruntime/document"
	agtypes "github.com/aws/aws-sdk-go-v2/service/bedrockagentruntime/types"
	"go.opentelemetry.io/otel/codes"

	"github.com/tracekit-go/tracekit/internal/schemacheck"
	"github.com/tracekit-go/tracekit/semconv"
)

func flowInput() *bedrockagentruntime.InvokeFlowInput {
	return &bedrockagentruntime.InvokeFlowInput{
		FlowIdentifier:      aws.String("FLOW1234"),
		FlowAliasIdentifier: aws.String("ALIAS1"),
		Inputs: []agtypes.FlowInput{{
			NodeName:       aws.String("FlowInputNode"),
			NodeOutputName: aws.String("document"),
			Content:        &agtypes.FlowInputContentMemberDocument{Value: document.NewLazyDocument("Plan a day in Lisbon")},
		}},
	}
}

// flowFrames are a flow's answer: one output document and the completion.
func flowFrames(t testing.TB) [][]byte {
	return [][]byte{
		event(t, "flowTraceEvent", `{"trace":{"nodeInputTrace":{"nodeName":"Prompt"}}}`),
		event(t, "flowOutputEvent", `{"nodeName":"FlowOutputNode","nodeType":"Output","content":{"document":"Morning: Alfama. Afternoon: Belém."}}`),
		event(t, "flowCompletionEvent", `{"completionReason":"SUCCESS"}`),
	}
}

// TestInvokeFlow: a flow run is a workflow span bedrock.invoke_flow: the
// flow as gen_ai.workflow.name, the execution the call started as the
// conversation, the input document as the user prompt, the output document
// as the completion, the completion reason as the finish reason; the
// caller's events are untouched and no goroutine is left behind.
func TestInvokeFlow(t *testing.T) {
	e := newEnv(t)
	f := newFake(t, reply{frames: flowFrames(t), headers: map[string]string{"X-Amz-Bedrock-Flow-Execution-Id": "exec-1"}})
	out, err := e.agents(f.URL, true).InvokeFlow(context.Background(), flowInput())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for ev := range out.GetStream().Events() {
		switch ev := ev.(type) {
		case *agtypes.FlowResponseStreamMemberFlowOutputEvent:
			var s string
			if d, ok := ev.Value.Content.(*agtypes.FlowOutputContentMemberDocument); ok {
				_ = d.Value.UnmarshalSmithyDocument(&s)
			}
			got = append(got, s)
		case *agtypes.FlowResponseStreamMemberFlowCompletionEvent:
			got = append(got, string(ev.Value.CompletionReason))
		case *agtypes.FlowResponseStreamMemberFlowTraceEvent:
			got = append(got, "trace")
		}
	}
	if err := out.GetStream().Err(); err != nil {
		t.Fatal(err)
	}
	_ = out.GetStream().Close()
	if strings.Join(got, "|") != "trace|Morning: Alfama. Afternoon: Belém.|SUCCESS" || aws.ToString(out.ExecutionId) != "exec-1" {
		t.Fatalf("caller got %q, execution %q", got, aws.ToString(out.ExecutionId))
	}
	s := e.oneSpan()
	if s.Name() != "bedrock.invoke_flow" || s.Status().Code != codes.Unset {
		t.Errorf("span %s %+v", s.Name(), s.Status())
	}
	a := attrsOf(s)
	a.want(t, map[string]any{
		"gen_ai.operation.name":             "invoke_workflow",
		"gen_ai.system":                     "aws.bedrock",
		"gen_ai.workflow.name":              "FLOW1234",
		"gen_ai.conversation.id":            "exec-1",
		"gen_ai.prompt.0.role":              "user",
		"gen_ai.prompt.0.content":           "Plan a day in Lisbon",
		"gen_ai.completion.0.role":          "assistant",
		"gen_ai.completion.0.content":       "Morning: Alfama. Afternoon: Belém.",
		"gen_ai.completion.0.finish_reason": "SUCCESS",
		"gen_ai.response.finish_reasons":    []string{"SUCCESS"},
		"gen_ai.request.model":              nil,
	})
	if v, ok := a["gen_ai.response.time_to_first_chunk"]; !ok || v.AsFloat64() <= 0 {
		t.Errorf("time to first chunk %v", v)
	}
	checkMetrics(t, e, nil, "", -1, -1)
	e.leakCheck(t, f)
}

// TestInvokeFlowConventions: OTel GenAI names the span "invoke_workflow
// <flow>" with valid input and output messages (SUCCESS is stop);
// OpenInference records a CHAIN span. A JSON document is recorded as its
// JSON; two outputs are two lines of the answer.
func TestInvokeFlowConventions(t *testing.T) {
	schemas := schemacheck.New(t)
	e := newEnv(t, schemas)
	e.extra = []Option{WithConventions(semconv.OTelGenAI, semconv.OpenInference)}
	f := newFake(t, reply{frames: [][]byte{
		event(t, "flowOutputEvent", `{"nodeName":"A","nodeType":"Output","content":{"document":{"plan":["Alfama","Belém"]}}}`),
		event(t, "flowOutputEvent", `{"nodeName":"B","nodeType":"Output","content":{"document":"Enjoy."}}`),
		event(t, "flowCompletionEvent", `{"completionReason":"SUCCESS"}`),
	}})
	in := flowInput()
	in.ExecutionId = aws.String("exec-0")
	out, err := e.agents(f.URL, true).InvokeFlow(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	for range out.GetStream().Events() {
	}
	_ = out.GetStream().Close()
	for _, err := range schemas.Errors() {
		t.Error(err)
	}
	s := e.oneSpan()
	if s.Name() != "invoke_workflow FLOW1234" {
		t.Errorf("span name %q", s.Name())
	}
	attrsOf(s).want(t, map[string]any{
		"gen_ai.operation.name":   "invoke_workflow",
		"gen_ai.workflow.name":    "FLOW1234",
		"gen_ai.conversation.id":  "exec-0",
		"gen_ai.input.messages":   `[{"role":"user","parts":[{"type":"text","content":"Plan a day in Lisbon"}]}]`,
		"gen_ai.output.messages":  `[{"role":"assistant","parts":[{"type":"text","content":"{\"plan\":[\"Alfama\",\"Belém\"]}\nEnjoy."}],"finish_reason":"stop"}]`,
		"openinference.span.kind": "CHAIN",
	})
}

// TestInvokeFlowCaptureOffAndErrors: with capture off neither the input nor
// the output document is recorded, an error quoting the input loses it, and
// an exception mid-stream fails the span with its type.
func TestInvokeFlowCaptureOffAndErrors(t *testing.T) {
	e := newEnv(t)
	f := newFake(t,
		reply{frames: [][]byte{
			event(t, "flowOutputEvent", `{"nodeName":"A","nodeType":"Output","content":{"document":"partial"}}`),
			exception(t, "dependencyFailedException", "the prompt node failed"),
		}},
		reply{status: 400, headers: map[string]string{"X-Amzn-Errortype": "ValidationException"}, body: `{"message":"input 'Plan a day in Lisbon' is invalid"}`})
	c := e.agents(f.URL, false)
	out, err := c.InvokeFlow(context.Background(), flowInput())
	if err != nil {
		t.Fatal(err)
	}
	for range out.GetStream().Events() {
	}
	if out.GetStream().Err() == nil {
		t.Fatal("the caller saw no stream error")
	}
	_ = out.GetStream().Close()
	_, err = c.InvokeFlow(context.Background(), flowInput())
	var ae interface{ ErrorCode() string }
	if !errors.As(err, &ae) || ae.ErrorCode() != "ValidationException" {
		t.Fatalf("caller got %v", err)
	}
	spans := e.spans()
	if len(spans) != 2 {
		t.Fatalf("%d spans", len(spans))
	}
	a := attrsOf(spans[0])
	a.want(t, map[string]any{"error.type": "DependencyFailedException", "gen_ai.workflow.name": "FLOW1234"})
	if spans[0].Status().Code != codes.Error || spans[0].Status().Description != "the prompt node failed" {
		t.Errorf("status %+v", spans[0].Status())
	}
	if d := spans[1].Status().Description; spans[1].Status().Code != codes.Error || strings.Contains(d, "Lisbon") {
		t.Errorf("status %+v", spans[1].Status())
	}
	for _, s := range spans {
		attrsOf(s).none(t, "*.content")
	}
	e.leakCheck(t, f)
}
