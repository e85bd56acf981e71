package bedrocktrace

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentruntime"
	agtypes "github.com/aws/aws-sdk-go-v2/service/bedrockagentruntime/types"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/tracekit-go/tracekit/internal/schemacheck"
	"github.com/tracekit-go/tracekit/semconv"
)

const agenticModel = "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-5-sonnet-20240620-v1:0"

// agenticInput asks two knowledge bases, with a conversation of three
// messages, a custom model, a guardrail, the end user and a memory session.
func agenticInput(generate *bool) *bedrockagentruntime.AgenticRetrieveStreamInput {
	kb := func(id string) agtypes.AgenticRetriever {
		return agtypes.AgenticRetriever{Description: aws.String("manuals"), Configuration: &agtypes.RetrieverConfigurationMemberKnowledgeBase{
			Value: agtypes.KnowledgeBaseRetrieverConfiguration{KnowledgeBaseId: aws.String(id)}}}
	}
	msg := func(role agtypes.ConversationRole, text string) agtypes.AgenticRetrieveMessage {
		return agtypes.AgenticRetrieveMessage{Role: role, Content: &agtypes.AgenticRetrieveMessageContent{Text: aws.String(text)}}
	}
	return &bedrockagentruntime.AgenticRetrieveStreamInput{
		AgenticRetrieveConfiguration: &agtypes.AgenticRetrieveConfiguration{
			FoundationModelType: agtypes.FoundationModelTypeCustom,
			FoundationModelConfiguration: &agtypes.FoundationModelConfiguration{
				Type: agtypes.FoundationModelConfigurationTypeBedrockFoundationModel,
				BedrockFoundationModelConfiguration: &agtypes.BedrockFoundationModelConfiguration{
					ModelConfiguration: &agtypes.BedrockFoundationModelModelConfiguration{ModelArn: aws.String(agenticModel)}},
			},
		},
		Messages: []agtypes.AgenticRetrieveMessage{
			msg(agtypes.ConversationRoleUser, "which routers do we sell?"),
			msg(agtypes.ConversationRoleAssistant, "The R1 and the R2."),
			msg(agtypes.ConversationRoleUser, "how do I reset the R2?"),
		},
		Retrievers:          []agtypes.AgenticRetriever{kb("KB1"), kb("KB2")},
		GenerateResponse:    generate,
		PolicyConfiguration: &agtypes.AgenticRetrievePolicyConfiguration{BedrockGuardrailConfiguration: &agtypes.AgenticRetrieveBedrockGuardrailConfiguration{GuardrailId: aws.String("gr-7"), GuardrailVersion: aws.String("1")}},
		UserContext:         &agtypes.UserContext{UserId: aws.String("u-5")},
		MemoryConfiguration: &agtypes.AgenticRetrieveMemoryConfiguration{MemoryId: aws.String("mem-1"),
			SessionBinding: &agtypes.AgenticRetrieveMemorySessionBinding{ActorId: aws.String("actor-1"), SessionId: aws.String("sess-9")}},
	}
}

// agenticTexts are the contents of agenticInput and agenticFrames: none
// may be recorded with capture off.
var agenticTexts = []string{"which routers", "R1 and the R2", "reset the R2", "Hold the pin", "for 10 seconds", "pinhole", "R2 reset guide", "sub-query"}

const agenticResult = `{"results":[` +
	`{"content":{"mimeType":"text/plain","text":"The R2 resets with the pinhole button."},"sourceRetriever":{"identifier":"KB2"},"metadata":{"x-amz-bedrock-kb-source-uri":"s3://manuals/r2.pdf","x-amz-bedrock-kb-chunk-id":"c-1"}},` +
	`{"content":{"mimeType":"text/plain","text":"R2 reset guide: hold 10 s."},"sourceRetriever":{"identifier":"KB1"},"metadata":{"x-amz-bedrock-kb-source-uri":"https://wiki.example/r2?sig=abc"}},` +
	`{"content":{"mimeType":"text/plain","text":"The R2 resets with the pinhole button."},"sourceRetriever":{"identifier":"KB2"},"metadata":{"x-amz-bedrock-kb-source-uri":"s3://manuals/r2.pdf"}}],` +
	`"generatedResponse":{"answer":"Hold the pin for 10 seconds.","citations":[{"startIndex":0,"endIndex":28,"references":[{"resultIndex":0}]}]}}`

// agenticFrames are an AgenticRetrieveStream answer: trace events (a plan,
// a retrieval with a sub-query), the answer in two response events, then
// the result.
func agenticFrames(t testing.TB) [][]byte {
	return [][]byte{
		event(t, "traceEvent", `{"id":"t1","timestamp":1700000000,"attributes":{"message":"planning","status":"IN_PROGRESS","step":"Planning"}}`),
		event(t, "traceEvent", `{"id":"t2","timestamp":1700000001,"attributes":{"message":"retrieving","status":"SUCCEEDED","step":"Retrieval",`+
			`"actions":[{"retrieve":{"inputQuery":{"text":"sub-query: R2 reset"},"sourceRetrievers":[{"identifier":"KB2"}]}}],`+
			`"retrievalResponse":[{"content":{"mimeType":"text/plain","text":"R2 reset guide: hold 10 s."},"sourceRetriever":{"identifier":"KB1"}}]}}`),
		event(t, "responseEvent", `{"text":"Hold the pin "}`),
		event(t, "responseEvent", `{"text":"for 10 seconds."}`),
		event(t, "result", agenticResult),
	}
}

// agenticRead reads the whole stream: the text of its response events,
// the number of results and the stream's Err.
func agenticRead(t *testing.T, out *bedrockagentruntime.AgenticRetrieveStreamOutput) (text string, results int, err error) {
	t.Helper()
	for ev := range out.GetStream().Events() {
		switch ev := ev.(type) {
		case *agtypes.AgenticRetrieveStreamResponseOutputMemberResponseEvent:
			text += aws.ToString(ev.Value.Text)
		case *agtypes.AgenticRetrieveStreamResponseOutputMemberResult:
			results += len(ev.Value.Results)
		}
	}
	err = out.GetStream().Err()
	_ = out.GetStream().Close()
	return text, results, err
}

// waitSpan waits for the only span to end.
func (e *env) waitSpan(t *testing.T) sdktrace.ReadOnlySpan {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for len(e.spans()) == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	// (The span ends on the SDK's goroutine, its metrics just after.)
	for !e.hasDuration() && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	return e.oneSpan()
}

// hasDuration reports whether the duration metric has a point.
func (e *env) hasDuration() bool {
	for _, sm := range e.metrics().ScopeMetrics {
		for _, m := range sm.Metrics {
			if h, ok := m.Data.(metricdata.Histogram[float64]); ok && m.Name == "gen_ai.client.operation.duration" && len(h.DataPoints) > 0 {
				return true
			}
		}
	}
	return false
}

// TestAgenticRetrieveStream: an agentic retrieval that generates an answer
// (the default) is a chat span bedrock.agentic_retrieve_stream: the custom
// model, the knowledge bases, the guardrail, the user, the memory session
// as the conversation, the messages as prompts, the streamed answer as the
// completion with the time to its first text, the results as documents
// (each once), the request id as the response id; no usage (the stream
// reports none). The caller gets every event; no goroutine is left behind.
func TestAgenticRetrieveStream(t *testing.T) {
	e := newEnv(t)
	f := newFake(t, reply{frames: agenticFrames(t), headers: map[string]string{"X-Amzn-Requestid": "req-ar"}})
	out, err := e.agents(f.URL, true).AgenticRetrieveStream(e.callCtx(), agenticInput(nil))
	if err != nil {
		t.Fatal(err)
	}
	text, results, err := agenticRead(t, out)
	if err != nil || text != "Hold the pin for 10 seconds." || results != 3 {
		t.Fatalf("caller got %q, %d results, %v", text, results, err)
	}
	if got := f.paths[0]; got != "/retrieveAgentic" && !strings.Contains(strings.ToLower(got), "agentic") {
		t.Errorf("path %q", got)
	}
	s := e.waitSpan(t)
	if s.Name() != "bedrock.agentic_retrieve_stream" || s.Status().Code != codes.Unset {
		t.Errorf("span %s %+v", s.Name(), s.Status())
	}
	a := attrsOf(s)
	a.want(t, map[string]any{
		"gen_ai.operation.name":             "chat",
		"gen_ai.system":                     "aws.bedrock",
		"gen_ai.request.model":              agenticModel,
		"gen_ai.response.model":             agenticModel,
		"aws.bedrock.knowledge_base.id":     "KB1,KB2",
		"aws.bedrock.guardrail.id":          "gr-7",
		"gen_ai.request.user":               "u-5",
		"gen_ai.conversation.id":            "sess-9",
		"gen_ai.response.id":                "req-ar",
		"gen_ai.request.top_k":              nil, // none asked for
		"gen_ai.prompt.0.role":              "user",
		"gen_ai.prompt.0.content":           "which routers do we sell?",
		"gen_ai.prompt.1.role":              "assistant",
		"gen_ai.prompt.1.content":           "The R1 and the R2.",
		"gen_ai.prompt.2.role":              "user",
		"gen_ai.prompt.2.content":           "how do I reset the R2?",
		"gen_ai.prompt.3.role":              nil,
		"gen_ai.completion.0.role":          "assistant",
		"gen_ai.completion.0.content":       "Hold the pin for 10 seconds.",
		"gen_ai.completion.0.finish_reason": nil,
		"gen_ai.completion.1.role":          nil,
		"gen_ai.response.finish_reasons":    nil,
		"gen_ai.usage.input_tokens":         nil,
		"gen_ai.usage.output_tokens":        nil,
		"tracekit.documents.0.id":           "s3://manuals/r2.pdf",
		"tracekit.documents.0.content":      "The R2 resets with the pinhole button.",
		"tracekit.documents.1.id":           "https://wiki.example/r2?sig=REDACTED",
		"tracekit.documents.1.content":      "R2 reset guide: hold 10 s.",
		"tracekit.documents.2.id":           nil, // the repeated result is recorded once
		"error.type":                        nil,
	})
	if v, ok := a["gen_ai.response.time_to_first_chunk"]; !ok || v.AsFloat64() <= 0 {
		t.Errorf("time to first chunk %v", v)
	}
	checkMetrics(t, e, map[string]string{"gen_ai.request.model": agenticModel}, "", -1, -1)
	e.leakCheck(t, f)
}

// TestAgenticRetrieveStreamCaptureOff: with capture off the roles are
// recorded, no message, answer or document text, nor any document.
func TestAgenticRetrieveStreamCaptureOff(t *testing.T) {
	for _, generate := range []*bool{nil, aws.Bool(false)} {
		e := newEnv(t)
		e.extra = []Option{WithConventions(semconv.Tracekit, semconv.OTelGenAI, semconv.OpenInference)}
		f := newFake(t, reply{frames: agenticFrames(t)})
		out, err := e.agents(f.URL, false).AgenticRetrieveStream(e.callCtx(), agenticInput(generate))
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := agenticRead(t, out); err != nil {
			t.Fatal(err)
		}
		s := e.waitSpan(t)
		a := attrsOf(s)
		a.want(t, map[string]any{"gen_ai.prompt.0.role": "user", "gen_ai.prompt.2.role": "user", "aws.bedrock.knowledge_base.id": "KB1,KB2"})
		if generate == nil {
			a.want(t, map[string]any{"gen_ai.completion.0.role": "assistant"})
		}
		a.none(t, "*.content", "tracekit.documents.", "retrieval.documents.", "gen_ai.retrieval.", "input.value", "output.value",
			"gen_ai.input.messages", "gen_ai.output.messages")
		for k, v := range a {
			for _, secret := range agenticTexts {
				if strings.Contains(v.String(), secret) {
					t.Errorf("%s = %q holds content %q", k, v.String(), secret)
				}
			}
		}
		e.leakCheck(t, f)
	}
}

// TestAgenticRetrieveStreamNoGenerate: without a generated answer the call
// is a retrieval span, as Retrieve's: no completion, the results as
// documents; under OTel GenAI "retrieval <knowledge bases>" with the data
// source, the query (the first message) and the documents, valid against
// the official schemas; under OpenInference a RETRIEVER span.
func TestAgenticRetrieveStreamNoGenerate(t *testing.T) {
	frames := agenticFrames(t)
	frames = append(frames[:2], event(t, "result", `{"results":[{"content":{"mimeType":"text/plain","text":"R2 reset guide: hold 10 s."},"sourceRetriever":{"identifier":"KB1"},"metadata":{"x-amz-bedrock-kb-source-uri":"s3://manuals/r2.pdf"}}]}`))
	e := newEnv(t)
	f := newFake(t, reply{frames: frames})
	out, err := e.agents(f.URL, true).AgenticRetrieveStream(e.callCtx(), agenticInput(aws.Bool(false)))
	if err != nil {
		t.Fatal(err)
	}
	if _, n, err := agenticRead(t, out); err != nil || n != 1 {
		t.Fatalf("caller got %d results, %v", n, err)
	}
	s := e.waitSpan(t)
	if s.Name() != "bedrock.agentic_retrieve_stream" || s.Status().Code != codes.Unset {
		t.Errorf("span %s %+v", s.Name(), s.Status())
	}
	attrsOf(s).want(t, map[string]any{
		"gen_ai.operation.name":          "retrieval",
		"aws.bedrock.knowledge_base.id":  "KB1,KB2",
		"gen_ai.prompt.2.content":        "how do I reset the R2?",
		"gen_ai.completion.0.role":       nil,
		"gen_ai.response.finish_reasons": nil,
		"tracekit.documents.0.id":        "s3://manuals/r2.pdf",
		"tracekit.documents.0.content":   "R2 reset guide: hold 10 s.",
		"tracekit.documents.1.id":        nil,
	})
	e.leakCheck(t, f)

	schemas := schemacheck.New(t)
	e2 := newEnv(t, schemas)
	e2.extra = []Option{WithConventions(semconv.OTelGenAI, semconv.OpenInference)}
	f2 := newFake(t, reply{frames: frames})
	in := agenticInput(aws.Bool(false))
	in.Retrievers = in.Retrievers[:1]
	in.Retrievers[0].Configuration = &agtypes.RetrieverConfigurationMemberKnowledgeBase{Value: agtypes.KnowledgeBaseRetrieverConfiguration{
		KnowledgeBaseId: aws.String("KB1"), RetrievalOverrides: &agtypes.RetrievalOverrides{MaxNumberOfResults: aws.Int32(4)}}}
	out, err = e2.agents(f2.URL, true).AgenticRetrieveStream(e2.callCtx(), in)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := agenticRead(t, out); err != nil {
		t.Fatal(err)
	}
	s = e2.waitSpan(t)
	for _, err := range schemas.Errors() {
		t.Error(err)
	}
	if s.Name() != "retrieval KB1" {
		t.Errorf("span name %q", s.Name())
	}
	attrsOf(s).want(t, map[string]any{
		"gen_ai.operation.name":             "retrieval",
		"gen_ai.data_source.id":             "KB1",
		"gen_ai.request.top_k":              4.0,
		"gen_ai.retrieval.query.text":       "which routers do we sell?",
		"gen_ai.retrieval.documents":        nil, // the schema requires scores: the results have none
		"gen_ai.output.messages":            nil,
		"openinference.span.kind":           "RETRIEVER",
		"retrieval.documents.0.document.id": "s3://manuals/r2.pdf",
	})
	e2.leakCheck(t, f2)
}

// TestAgenticRetrieveStreamConventions: a generated answer under OTel
// GenAI is "chat <model>" with the messages as input and the answer as
// output (finishing with stop: the API states no reason), valid against
// the official schemas; the answer of a result event stands in for text
// that was not streamed; a guardrail warning that intervened finishes it
// with guardrail_intervened.
func TestAgenticRetrieveStreamConventions(t *testing.T) {
	schemas := schemacheck.New(t)
	e := newEnv(t, schemas)
	e.extra = []Option{WithConventions(semconv.Tracekit, semconv.OTelGenAI)}
	f := newFake(t,
		reply{frames: [][]byte{agenticFrames(t)[0], event(t, "result", agenticResult)}},
		reply{frames: [][]byte{
			event(t, "responseEvent", `{"text":"I cannot help with that."}`),
			event(t, "traceEvent", `{"id":"t3","timestamp":1,"attributes":{"message":"guardrail","status":"SUCCEEDED","step":"Retrieval","warnings":[{"message":{"message":"note"}},{"guardrail":{"action":"INTERVENED","id":"gr-7","version":"1"}}]}}`),
		}})
	c := e.agents(f.URL, true)
	for i := range 2 {
		out, err := c.AgenticRetrieveStream(e.callCtx(), agenticInput(aws.Bool(true)))
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := agenticRead(t, out); err != nil {
			t.Fatal(err)
		}
		for deadline := time.Now().Add(5 * time.Second); len(e.spans()) <= i && time.Now().Before(deadline); {
			time.Sleep(5 * time.Millisecond)
		}
	}
	for _, err := range schemas.Errors() {
		t.Error(err)
	}
	spans := e.spans()
	if len(spans) != 2 {
		t.Fatalf("%d spans", len(spans))
	}
	a := attrsOf(spans[0])
	a.want(t, map[string]any{
		"gen_ai.operation.name":       "chat",
		"gen_ai.completion.0.content": "Hold the pin for 10 seconds.",
		"gen_ai.input.messages": `[{"role":"user","parts":[{"type":"text","content":"which routers do we sell?"}]},` +
			`{"role":"assistant","parts":[{"type":"text","content":"The R1 and the R2."}]},` +
			`{"role":"user","parts":[{"type":"text","content":"how do I reset the R2?"}]}]`,
		"gen_ai.output.messages": `[{"role":"assistant","parts":[{"type":"text","content":"Hold the pin for 10 seconds."}],"finish_reason":"stop"}]`,
	})
	b := attrsOf(spans[1])
	b.want(t, map[string]any{
		"gen_ai.completion.0.content":       "I cannot help with that.",
		"gen_ai.completion.0.finish_reason": "guardrail_intervened",
		"gen_ai.response.finish_reasons":    []string{"guardrail_intervened"},
	})
	if v := b["gen_ai.output.messages"]; !strings.Contains(v.AsString(), `"finish_reason":"content_filter"`) {
		t.Errorf("output messages %s", v.AsString())
	}
	e2 := newEnv(t)
	e2.extra = []Option{WithConventions(semconv.OTelGenAI)}
	e2.http = e.http // (one client's connections, which leakCheck closes)
	out, err := e2.agents(f.URL, true).AgenticRetrieveStream(e.callCtx(), agenticInput(nil))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := agenticRead(t, out); err != nil {
		t.Fatal(err)
	}
	if s := e2.waitSpan(t); s.Name() != "chat "+agenticModel {
		t.Errorf("span name %q", s.Name())
	}
	e.leakCheck(t, f)
}

// TestAgenticRetrieveStreamException: an exception frame mid-stream fails
// the span with its type, once; the caller gets the SDK's error; with
// capture off a message quoting the prompt loses it.
func TestAgenticRetrieveStreamException(t *testing.T) {
	e := newEnv(t)
	f := newFake(t, reply{frames: [][]byte{
		event(t, "responseEvent", `{"text":"Hold "}`),
		exception(t, "throttlingException", "slow down: how do I reset the R2?"),
		event(t, "responseEvent", `{"text":"never seen"}`),
	}})
	out, err := e.agents(f.URL, false).AgenticRetrieveStream(e.callCtx(), agenticInput(nil))
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = agenticRead(t, out)
	var ae interface{ ErrorCode() string }
	if !errors.As(err, &ae) || ae.ErrorCode() != "ThrottlingException" {
		t.Fatalf("caller got %v", err)
	}
	s := e.waitSpan(t)
	if d := s.Status().Description; s.Status().Code != codes.Error || !strings.HasPrefix(d, "slow down") || strings.Contains(d, "reset the R2") {
		t.Errorf("status %+v", s.Status())
	}
	attrsOf(s).want(t, map[string]any{"error.type": "ThrottlingException", "gen_ai.completion.0.role": nil, "gen_ai.request.model": agenticModel})
	e.leakCheck(t, f)
}

// TestAgenticRetrieveStreamHTTPError: an HTTP error, which the SDK reports
// through the stream's Err (the call itself returns no error), fails the
// span with the error code, keeps the request attributes, and with capture
// off a message quoting a message loses it.
func TestAgenticRetrieveStreamHTTPError(t *testing.T) {
	e := newEnv(t)
	f := newFake(t, reply{status: 400, headers: map[string]string{"X-Amzn-Errortype": "ValidationException"},
		body: `{"message":"message 'how do I reset the R2?' is invalid"}`})
	out, err := e.agents(f.URL, false).AgenticRetrieveStream(e.callCtx(), agenticInput(nil))
	if err != nil {
		t.Fatalf("the call returned %v: the SDK reports it through the stream", err)
	}
	_, _, err = agenticRead(t, out)
	var ae interface{ ErrorCode() string }
	if !errors.As(err, &ae) || ae.ErrorCode() != "ValidationException" || !strings.Contains(err.Error(), "reset the R2") {
		t.Fatalf("caller got %v, want the SDK's error untouched", err)
	}
	s := e.waitSpan(t)
	if d := s.Status().Description; s.Status().Code != codes.Error || !strings.HasPrefix(d, "message ") || strings.Contains(d, "reset the R2") {
		t.Errorf("status %+v", s.Status())
	}
	a := attrsOf(s)
	a.want(t, map[string]any{"error.type": "ValidationException", "aws.bedrock.knowledge_base.id": "KB1,KB2", "gen_ai.request.model": agenticModel,
		"gen_ai.response.id": nil})
	a.none(t, "*.content", "gen_ai.completion.")
	checkMetrics(t, e, map[string]string{"gen_ai.request.model": agenticModel}, "ValidationException", -1, -1)
	e.leakCheck(t, f)
}

// TestAgenticRetrieveStreamClose: a caller that Closes the stream early
// ends the span without error, with what arrived. The SDK never closes the
// body: the span ends when its copy of the body into the closed stream
// fails, at the next bytes of the body (here while the connection stays
// open).
func TestAgenticRetrieveStreamClose(t *testing.T) {
	e := newEnv(t)
	gate := make(chan struct{})
	frames := agenticFrames(t)
	f := newFake(t, reply{frames: append([][]byte{frames[2]}, frames...), gate: gate, hang: true})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out, err := e.agents(f.URL, true).AgenticRetrieveStream(ctx, agenticInput(nil))
	if err != nil {
		t.Fatal(err)
	}
	ev := <-out.GetStream().Events()
	if _, ok := ev.(*agtypes.AgenticRetrieveStreamResponseOutputMemberResponseEvent); !ok {
		t.Fatalf("first event %T", ev)
	}
	if err := out.GetStream().Close(); err != nil {
		t.Fatal(err)
	}
	close(gate)
	s := e.waitSpan(t)
	if s.Status().Code != codes.Unset {
		t.Errorf("status %+v", s.Status())
	}
	attrsOf(s).want(t, map[string]any{"gen_ai.completion.0.role": "assistant", "gen_ai.completion.0.content": prefix("Hold the pin "), "error.type": nil})
	cancel() // the SDK leaves the connection open
	e.leakCheck(t, f)
}

// TestAgenticRetrieveStreamCloseThenReset: a caller that Closes the stream
// while the server pauses, whose connection then fails, closed it first:
// the span ends without error.
func TestAgenticRetrieveStreamCloseThenReset(t *testing.T) {
	e := newEnv(t)
	gate := make(chan struct{})
	frames := agenticFrames(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/vnd.amazon.eventstream")
		_, _ = w.Write(frames[2])
		w.(http.Flusher).Flush()
		<-gate
		panic(http.ErrAbortHandler) // the connection is cut
	}))
	defer srv.Close()
	out, err := e.agents(srv.URL, true).AgenticRetrieveStream(e.callCtx(), agenticInput(nil))
	if err != nil {
		t.Fatal(err)
	}
	<-out.GetStream().Events()
	if err := out.GetStream().Close(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond) // (the SDK's reader stops on its own goroutine)
	close(gate)
	s := e.waitSpan(t)
	if s.Status().Code != codes.Unset {
		t.Errorf("status %+v", s.Status())
	}
	attrsOf(s).want(t, map[string]any{"error.type": nil, "gen_ai.completion.0.content": "Hold the pin "})
}

// TestAgenticRetrieveStreamCancel: cancelling the call's context mid-stream
// ends the span as canceled; the caller's stream fails too.
func TestAgenticRetrieveStreamCancel(t *testing.T) {
	e := newEnv(t)
	f := newFake(t, reply{frames: agenticFrames(t)[:3], hang: true})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out, err := e.agents(f.URL, true).AgenticRetrieveStream(ctx, agenticInput(nil))
	if err != nil {
		t.Fatal(err)
	}
	events := out.GetStream().Events()
	for range 3 {
		<-events
	}
	cancel()
	for range events {
	}
	if err := out.GetStream().Err(); err == nil {
		t.Error("the caller saw no error")
	}
	_ = out.GetStream().Close()
	s := e.waitSpan(t)
	if s.Status().Code != codes.Error {
		t.Errorf("status %+v", s.Status())
	}
	attrsOf(s).want(t, map[string]any{"error.type": "canceled", "gen_ai.completion.0.role": nil})
	e.leakCheck(t, f)
}

// TestAgenticRetrieveStreamBadEnds: a body that ends within a frame, for
// which the SDK reports no error, ends the span without error; a known event
// whose payload is not JSON, which the SDK fails, fails it.
func TestAgenticRetrieveStreamBadEnds(t *testing.T) {
	fr := agenticFrames(t)
	for _, tc := range []struct {
		frames  [][]byte
		errType string
	}{
		{[][]byte{fr[2], fr[3][:20]}, ""},
		{[][]byte{fr[2], event(t, "result", `{"results":[`)}, "EventStreamError"},
	} {
		e := newEnv(t)
		f := newFake(t, reply{frames: tc.frames})
		out, err := e.agents(f.URL, true).AgenticRetrieveStream(e.callCtx(), agenticInput(nil))
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := agenticRead(t, out); (err != nil) != (tc.errType != "") {
			t.Errorf("caller got %v", err)
		}
		s := e.waitSpan(t)
		if (s.Status().Code == codes.Error) != (tc.errType != "") {
			t.Errorf("status %+v", s.Status())
		}
		want := map[string]any{"error.type": nil, "gen_ai.completion.0.content": "Hold the pin "}
		if tc.errType != "" {
			want = map[string]any{"error.type": tc.errType, "gen_ai.completion.0.content": nil} // (an error span has no response)
		}
		attrsOf(s).want(t, want)
		e.leakCheck(t, f)
	}
}

// TestAgenticRetrieveStreamCloseThenCancel: a caller that Closes the
// stream while the server pauses (the SDK never closes the body) ends its
// span then, without error, with what arrived; cancelling its context
// afterwards changes nothing.
func TestAgenticRetrieveStreamCloseThenCancel(t *testing.T) {
	e := newEnv(t)
	f := newFake(t, reply{frames: agenticFrames(t)[2:4], hang: true})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out, err := e.agents(f.URL, true).AgenticRetrieveStream(ctx, agenticInput(nil))
	if err != nil {
		t.Fatal(err)
	}
	events := out.GetStream().Events()
	<-events
	<-events
	if err := out.GetStream().Close(); err != nil {
		t.Fatal(err)
	}
	s := e.waitSpan(t) // (the SDK's reader stops on its own goroutine)
	cancel()
	if s.Status().Code != codes.Unset {
		t.Errorf("status %+v", s.Status())
	}
	attrsOf(s).want(t, map[string]any{"error.type": nil, "gen_ai.completion.0.content": "Hold the pin for 10 seconds."})
	if n := len(e.spans()); n != 1 {
		t.Errorf("%d spans", n)
	}
	e.leakCheck(t, f)
}
