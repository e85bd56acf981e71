package bedrocktrace

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentruntime/document"
	agtypes "github.com/aws/aws-sdk-go-v2/service/bedrockagentruntime/types"
	"go.opentelemetry.io/otel/codes"

	"github.com/tracekit-go/tracekit/internal/schemacheck"
	"github.com/tracekit-go/tracekit/redact"
	"github.com/tracekit-go/tracekit/semconv"
)

// TestInvokeFlowMultiTurn: a multi-turn flow asks for more input (flowMultiTurnInputRequestEvent,
// then flowCompletionEvent INPUT_REQUIRED); the caller's follow-up call names
// the execution. Both spans end once, valid against the schema.
func TestInvokeFlowMultiTurn(t *testing.T) {
	schemas := schemacheck.New(t)
	e := newEnv(t, schemas)
	e.extra = []Option{WithConventions(semconv.Tracekit, semconv.OTelGenAI, semconv.OpenInference)}
	f := newFake(t,
		reply{frames: [][]byte{
			event(t, "flowMultiTurnInputRequestEvent", `{"nodeName":"Agent","nodeType":"AgentNode","content":{"document":"Which city?"}}`),
			event(t, "flowCompletionEvent", `{"completionReason":"INPUT_REQUIRED"}`),
		}, headers: map[string]string{"X-Amz-Bedrock-Flow-Execution-Id": "exec-9"}},
		reply{frames: flowFrames(t)})
	c := e.agents(f.URL, true)
	out, err := c.InvokeFlow(context.Background(), flowInput())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for ev := range out.GetStream().Events() {
		switch ev := ev.(type) {
		case *agtypes.FlowResponseStreamMemberFlowMultiTurnInputRequestEvent:
			var s string
			if d, ok := ev.Value.Content.(*agtypes.FlowMultiTurnInputContentMemberDocument); ok {
				_ = d.Value.UnmarshalSmithyDocument(&s)
			}
			got = append(got, s)
		case *agtypes.FlowResponseStreamMemberFlowCompletionEvent:
			got = append(got, string(ev.Value.CompletionReason))
		}
	}
	if err := out.GetStream().Err(); err != nil {
		t.Fatal(err)
	}
	_ = out.GetStream().Close()
	if strings.Join(got, "|") != "Which city?|INPUT_REQUIRED" {
		t.Fatalf("caller got %q", got)
	}
	in := flowInput()
	in.ExecutionId = out.ExecutionId
	in.Inputs[0].NodeName = aws.String("Agent")
	out2, err := c.InvokeFlow(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	for range out2.GetStream().Events() {
	}
	_ = out2.GetStream().Close()
	spans := e.spans()
	if len(spans) != 2 {
		t.Fatalf("%d spans", len(spans))
	}
	a := attrsOf(spans[0])
	t.Logf("turn 1: %v", a.keys())
	a.want(t, map[string]any{
		"gen_ai.completion.0.content":       "Which city?",
		"gen_ai.completion.0.finish_reason": "INPUT_REQUIRED",
		"gen_ai.conversation.id":            "exec-9",
		"gen_ai.output.messages":            jsonValue(`[{"role":"assistant","parts":[{"type":"text","content":"Which city?"}],"finish_reason":"INPUT_REQUIRED"}]`),
	})
	attrsOf(spans[1]).want(t, map[string]any{"gen_ai.conversation.id": "exec-9", "gen_ai.completion.0.finish_reason": "SUCCESS"})
	for _, err := range schemas.Errors() {
		t.Error(err)
	}
	e.leakCheck(t, f)
}

// TestInvokeFlowEndings: a flow stream closed early and a cancelled one end the span once,
// without leaking goroutines.
func TestInvokeFlowEndings(t *testing.T) {
	t.Run("close_early", func(t *testing.T) {
		e := newEnv(t)
		f := newFake(t, reply{frames: flowFrames(t)[:2], hang: true})
		out, err := e.agents(f.URL, true).InvokeFlow(context.Background(), flowInput())
		if err != nil {
			t.Fatal(err)
		}
		<-out.GetStream().Events()
		<-out.GetStream().Events()
		if len(e.spans()) != 0 {
			t.Fatal("ended early")
		}
		_ = out.GetStream().Close()
		s := e.oneSpan()
		attrsOf(s).want(t, map[string]any{"gen_ai.completion.0.content": "Morning: Alfama. Afternoon: Belém."})
		e.leakCheck(t, f)
	})
	t.Run("cancel", func(t *testing.T) {
		e := newEnv(t)
		f := newFake(t, reply{frames: flowFrames(t)[:1], hang: true})
		ctx, cancel := context.WithCancel(context.Background())
		out, err := e.agents(f.URL, false).InvokeFlow(ctx, flowInput())
		if err != nil {
			t.Fatal(err)
		}
		<-out.GetStream().Events()
		cancel()
		deadline := time.Now().Add(5 * time.Second)
		for len(e.spans()) == 0 && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		for range out.GetStream().Events() {
		}
		_ = out.GetStream().Close()
		s := e.oneSpan()
		attrsOf(s).want(t, map[string]any{"error.type": "canceled"})
		e.leakCheck(t, f)
	})
	t.Run("nil_fields", func(t *testing.T) {
		e := newEnv(t)
		f := newFake(t, reply{frames: [][]byte{
			event(t, "flowOutputEvent", `{}`), event(t, "flowMultiTurnInputRequestEvent", `{"content":{}}`),
			event(t, "flowCompletionEvent", `{}`)}})
		c := e.agents(f.URL, true)
		out, err := c.InvokeFlow(context.Background(), &bedrockagentruntime.InvokeFlowInput{
			FlowIdentifier: aws.String("F"), FlowAliasIdentifier: aws.String("A"),
			Inputs: []agtypes.FlowInput{{NodeName: aws.String("n"), Content: &agtypes.FlowInputContentMemberDocument{}}}})
		if err != nil {
			t.Fatal(err)
		}
		for range out.GetStream().Events() {
		}
		_ = out.GetStream().Close()
		if n := len(e.spans()); n != 1 {
			t.Errorf("%d spans", n)
		}
	})
}

// TestInvokeFlowObjectInputWithheld: a flow whose input is a JSON object
// (the usual shape of a flow input with several fields): an error quoting
// one of its string values loses it with capture off, like a string
// input's.
func TestInvokeFlowObjectInputWithheld(t *testing.T) {
	e := newEnv(t)
	f := newFake(t, reply{status: 400, headers: map[string]string{"X-Amzn-Errortype": "ValidationException"},
		body: `{"message":"input 'Plan a day in Lisbon' is invalid"}`})
	in := flowInput()
	in.Inputs[0].Content = &agtypes.FlowInputContentMemberDocument{Value: document.NewLazyDocument(map[string]any{"question": "Plan a day in Lisbon", "days": 2})}
	_, err := e.agents(f.URL, false).InvokeFlow(context.Background(), in)
	if err == nil || !strings.Contains(err.Error(), "Lisbon") {
		t.Fatalf("caller got %v", err)
	}
	s := e.oneSpan()
	if d := s.Status().Description; s.Status().Code != codes.Error || strings.Contains(d, "Lisbon") {
		t.Errorf("status keeps the input: %+v", s.Status())
	}
	for _, ev := range s.Events() {
		for _, kv := range ev.Attributes {
			if strings.Contains(kv.Value.String(), "Lisbon") {
				t.Errorf("event %s %s keeps the input: %s", ev.Name, kv.Key, kv.Value.String())
			}
		}
	}
}

// TestRetrieveResultWithoutScore: a Retrieve result without a score (Score is optional in the SDK's
// KnowledgeBaseRetrievalResult): gen_ai.retrieval.documents must stay valid
// against gen-ai-retrieval-documents.json, which requires id and score.
func TestRetrieveResultWithoutScore(t *testing.T) {
	schemas := schemacheck.New(t)
	e := newEnv(t, schemas)
	e.extra = []Option{WithConventions(semconv.OTelGenAI)}
	f := newFake(t, reply{body: `{"retrievalResults":[` +
		`{"content":{"type":"TEXT","text":"To reset, hold the button."},"location":{"type":"S3","s3Location":{"uri":"s3://manuals/router.pdf"}}},` +
		`{"content":{"type":"TEXT","text":"no location"},"score":0.3}]}`})
	if _, err := e.agents(f.URL, true).Retrieve(context.Background(), retrieveInput()); err != nil {
		t.Fatal(err)
	}
	s := e.oneSpan()
	if got := attrsOf(s)["gen_ai.retrieval.documents"].AsString(); got != `[{"id":"","score":0.3}]` {
		t.Errorf("gen_ai.retrieval.documents = %s, want the scored result alone", got)
	}
	for _, err := range schemas.Errors() {
		t.Error(err)
	}
}

// TestRedactorRetrieveAndFlow: the redactor reaches a Retrieve's query and documents, and a flow's
// input and output documents, in every convention.
func TestRedactorRetrieveAndFlow(t *testing.T) {
	e := newEnv(t)
	red := redact.Func(func(s string) string {
		s = strings.ReplaceAll(s, "router", "[X]")
		return strings.ReplaceAll(s, "Lisbon", "[X]")
	})
	e.extra = []Option{WithConventions(semconv.Tracekit, semconv.OTelGenAI, semconv.OpenInference), WithRedactor(red)}
	f := newFake(t, reply{body: `{"retrievalResults":[{"content":{"type":"TEXT","text":"router manual"},"location":{"type":"CUSTOM","customDocumentLocation":{"id":"d"}},"score":0.5}]}`},
		reply{frames: [][]byte{
			event(t, "flowOutputEvent", `{"nodeName":"A","nodeType":"Output","content":{"document":"Lisbon plan"}}`),
			event(t, "flowCompletionEvent", `{"completionReason":"SUCCESS"}`)}})
	c := e.agents(f.URL, true)
	if _, err := c.Retrieve(context.Background(), retrieveInput()); err != nil {
		t.Fatal(err)
	}
	out, err := c.InvokeFlow(context.Background(), flowInput())
	if err != nil {
		t.Fatal(err)
	}
	for range out.GetStream().Events() {
	}
	_ = out.GetStream().Close()
	for _, s := range e.spans() {
		for k, v := range attrsOf(s) {
			if strings.Contains(v.String(), "router") || strings.Contains(v.String(), "Lisbon") {
				t.Errorf("%s: %s = %s not redacted", s.Name(), k, v.String())
			}
		}
	}
}

// TestInvokeFlowExceptionAfterCompletion: the SDK's flow reader does not
// stop at flowCompletionEvent (it reads on to the end), so an exception
// after the completion reaches the caller: the span fails too.
func TestInvokeFlowExceptionAfterCompletion(t *testing.T) {
	e := newEnv(t)
	f := newFake(t, reply{frames: [][]byte{
		event(t, "flowOutputEvent", `{"nodeName":"A","nodeType":"Output","content":{"document":"x"}}`),
		event(t, "flowCompletionEvent", `{"completionReason":"SUCCESS"}`),
		exception(t, "internalServerException", "late failure"),
	}})
	out, err := e.agents(f.URL, true).InvokeFlow(context.Background(), flowInput())
	if err != nil {
		t.Fatal(err)
	}
	var n int
	for range out.GetStream().Events() {
		n++
	}
	callerErr := out.GetStream().Err()
	_ = out.GetStream().Close()
	s := e.oneSpan()
	if callerErr == nil || n != 2 || s.Status().Code != codes.Error {
		t.Errorf("caller got %v, span status %+v", callerErr, s.Status())
	}
}

// TestOpenInferenceNoLLMAttrsOnChainOrRetriever: OpenInference CHAIN (flow)
// and RETRIEVER (Retrieve) spans carry none of the llm.* attributes
// (llm.provider, llm.input_messages, llm.output_messages, llm.finish_reason,
// llm.invocation_parameters), which OpenInference defines for LLM spans.
func TestOpenInferenceNoLLMAttrsOnChainOrRetriever(t *testing.T) {
	e := newEnv(t)
	e.extra = []Option{WithConventions(semconv.OpenInference)}
	f := newFake(t, reply{frames: flowFrames(t)}, reply{body: retrieveAnswer})
	c := e.agents(f.URL, true)
	out, err := c.InvokeFlow(context.Background(), flowInput())
	if err != nil {
		t.Fatal(err)
	}
	for range out.GetStream().Events() {
	}
	_ = out.GetStream().Close()
	if _, err := c.Retrieve(context.Background(), retrieveInput()); err != nil {
		t.Fatal(err)
	}
	for _, s := range e.spans() {
		attrsOf(s).none(t, "llm.")
	}
}
