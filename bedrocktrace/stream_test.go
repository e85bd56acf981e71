package bedrocktrace

import (
	"context"
	"errors"
	"fmt"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"go.opentelemetry.io/otel/codes"
	"go.uber.org/goleak"

	"github.com/tracekit-go/tracekit/internal/spantest"
)

// leakCheck shuts the fake and the client's connections down, then checks
// that no goroutine is left. A connection whose body was read to its end
// returns to the idle pool a moment later (net/http's own goroutine), so
// idle connections are closed again until none is left or the check
// fails.
func (e *env) leakCheck(t *testing.T, f *fake) {
	t.Helper()
	if e.stopCalls != nil {
		e.stopCalls()
	}
	f.Close()
	for deadline := time.Now().Add(5 * time.Second); ; {
		e.http.CloseIdleConnections()
		if goleak.Find(sdkLeak) == nil || time.Now().After(deadline) {
			break
		}
	}
	goleak.VerifyNone(t, sdkLeak)
}

// sdkLeak ignores the goroutine the SDK itself leaves for each
// AgenticRetrieveStream call, traced or not: its asynchronous reader waits
// on a channel nothing closes.
var sdkLeak = goleak.IgnoreTopFunction("github.com/aws/aws-sdk-go-v2/service/bedrockagentruntime.newAsyncEventStreamReader.func1")

func converseStreamFrames(t testing.TB, deltas int) [][]byte {
	fr := [][]byte{event(t, "messageStart", `{"role":"assistant"}`)}
	for i := 0; i < deltas; i++ {
		fr = append(fr, event(t, "contentBlockDelta", fmt.Sprintf(`{"contentBlockIndex":0,"delta":{"text":"w%d "}}`, i)))
	}
	return append(fr,
		event(t, "contentBlockStop", `{"contentBlockIndex":0}`),
		event(t, "contentBlockStart", `{"contentBlockIndex":1,"start":{"toolUse":{"name":"get_weather","toolUseId":"tu_9"}}}`),
		event(t, "contentBlockDelta", `{"contentBlockIndex":1,"delta":{"toolUse":{"input":"{\"city\": "}}}`),
		event(t, "contentBlockDelta", `{"contentBlockIndex":1,"delta":{"toolUse":{"input":"\"Paris\"}"}}}`),
		event(t, "contentBlockStop", `{"contentBlockIndex":1}`),
		event(t, "messageStop", `{"stopReason":"tool_use"}`),
		event(t, "metadata", `{"usage":{"inputTokens":9,"outputTokens":4,"totalTokens":13,"cacheReadInputTokens":1},"metrics":{"latencyMs":30}}`),
	)
}

func streamInput() *bedrockruntime.ConverseStreamInput {
	return &bedrockruntime.ConverseStreamInput{
		ModelId:         aws.String("anthropic.claude-3-5-sonnet-20240620-v1:0"),
		Messages:        []types.Message{{Role: types.ConversationRoleUser, Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: "hi"}}}},
		InferenceConfig: &types.InferenceConfiguration{MaxTokens: aws.Int32(100)},
		GuardrailConfig: &types.GuardrailStreamConfiguration{GuardrailIdentifier: aws.String("gr-9"), GuardrailVersion: aws.String("DRAFT")},
	}
}

func TestConverseStream(t *testing.T) {
	e := newEnv(t)
	f := newFake(t, reply{frames: converseStreamFrames(t, 3), headers: map[string]string{"X-Amzn-Requestid": "req-s"}})
	out, err := e.runtime(f.URL, true).ConverseStream(context.Background(), streamInput())
	if err != nil {
		t.Fatal(err)
	}
	var n int
	for range out.GetStream().Events() {
		n++
	}
	if err := out.GetStream().Err(); err != nil {
		t.Fatal(err)
	}
	_ = out.GetStream().Close()
	if n != 11 {
		t.Fatalf("caller got %d events, want 11", n)
	}
	s := e.oneSpan()
	if s.Name() != "bedrock.converse_stream" || s.Status().Code != codes.Unset {
		t.Errorf("span %s %v", s.Name(), s.Status())
	}
	a := attrsOf(s)
	a.want(t, map[string]any{
		"gen_ai.request.model":                                "anthropic.claude-3-5-sonnet-20240620-v1:0",
		"gen_ai.request.max_tokens":                           100,
		"aws.bedrock.guardrail.id":                            "gr-9",
		"gen_ai.response.id":                                  "req-s",
		"gen_ai.response.model":                               "anthropic.claude-3-5-sonnet-20240620-v1:0",
		"gen_ai.response.finish_reasons":                      []string{"tool_use"}, // fix: the reference records []
		"gen_ai.usage.input_tokens":                           9,
		"gen_ai.usage.output_tokens":                          4,
		"gen_ai.usage.cache_read.input_tokens":                1,
		"gen_ai.completion.0.role":                            "assistant",
		"gen_ai.completion.0.finish_reason":                   "tool_use",
		"gen_ai.completion.0.content":                         "w0 w1 w2 ",
		"gen_ai.completion.0.tool_calls.0.id":                 "tu_9",
		"gen_ai.completion.0.tool_calls.0.function.name":      "get_weather",
		"gen_ai.completion.0.tool_calls.0.function.arguments": jsonValue(`{"city":"Paris"}`),
		"gen_ai.prompt.0.content":                             "hi",
	})
	if v, ok := a["gen_ai.response.time_to_first_chunk"]; !ok || v.AsFloat64() <= 0 {
		t.Errorf("time_to_first_chunk %v", v.String())
	}
	checkMetrics(t, e, nil, "", 9, 4)
	e.leakCheck(t, f)
}

// The tee hands every event to the caller at once: the server waits for the
// caller to have the first event before it writes the rest.
func TestConverseStreamNoDelay(t *testing.T) {
	e := newEnv(t)
	gate := make(chan struct{})
	f := newFake(t, reply{frames: converseStreamFrames(t, 2), gate: gate})
	out, err := e.runtime(f.URL, true).ConverseStream(context.Background(), streamInput())
	if err != nil {
		t.Fatal(err)
	}
	select {
	case ev := <-out.GetStream().Events():
		if _, ok := ev.(*types.ConverseStreamOutputMemberMessageStart); !ok {
			t.Fatalf("first event %T", ev)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("first event held back")
	}
	close(gate)
	for range out.GetStream().Events() {
	}
	_ = out.GetStream().Close()
	e.oneSpan()
	e.leakCheck(t, f)
}

func TestConverseStreamException(t *testing.T) {
	e := newEnv(t)
	fr := converseStreamFrames(t, 2)[:3]
	fr = append(fr, exception(t, "throttlingException", "slow down"))
	f := newFake(t, reply{frames: fr})
	out, err := e.runtime(f.URL, true).ConverseStream(context.Background(), streamInput())
	if err != nil {
		t.Fatal(err)
	}
	for range out.GetStream().Events() {
	}
	var te *types.ThrottlingException
	if !errors.As(out.GetStream().Err(), &te) {
		t.Fatalf("caller got %v, want ThrottlingException", out.GetStream().Err())
	}
	_ = out.GetStream().Close()
	s := e.oneSpan()
	if s.Status().Code != codes.Error || s.Status().Description != "slow down" {
		t.Errorf("status %+v", s.Status())
	}
	attrsOf(s).want(t, map[string]any{"error.type": "ThrottlingException", "gen_ai.completion.0.role": nil, "gen_ai.prompt.0.content": "hi"})
	checkMetrics(t, e, nil, "ThrottlingException", -1, -1)
	e.leakCheck(t, f)
}

// Closing a stream before its terminal event ends the span with what was
// seen (the reference never ends it).
func TestConverseStreamClosedEarly(t *testing.T) {
	e := newEnv(t)
	fr := converseStreamFrames(t, 2)[:3]
	f := newFake(t, reply{frames: fr, hang: true})
	out, err := e.runtime(f.URL, true).ConverseStream(context.Background(), streamInput())
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		<-out.GetStream().Events()
	}
	if n := len(e.spans()); n != 0 {
		t.Fatalf("span ended before Close")
	}
	_ = out.GetStream().Close()
	s := e.oneSpan()
	if s.Status().Code != codes.Unset {
		t.Errorf("status %+v", s.Status())
	}
	attrsOf(s).want(t, map[string]any{"gen_ai.completion.0.content": "w0 w1 ", "gen_ai.response.finish_reasons": nil})
	e.leakCheck(t, f)
}

// Cancelling the call's context ends the span even when nobody reads or
// closes the stream.
func TestConverseStreamCancelled(t *testing.T) {
	e := newEnv(t)
	fr := converseStreamFrames(t, 2)[:2]
	f := newFake(t, reply{frames: fr, hang: true})
	ctx, cancel := context.WithCancel(context.Background())
	out, err := e.runtime(f.URL, true).ConverseStream(ctx, streamInput())
	if err != nil {
		t.Fatal(err)
	}
	<-out.GetStream().Events()
	cancel()
	deadline := time.Now().Add(5 * time.Second)
	for len(e.spans()) == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	s := e.oneSpan()
	if s.Status().Code != codes.Error {
		t.Errorf("status %+v", s.Status())
	}
	attrsOf(s).want(t, map[string]any{"error.type": "canceled"})
	for range out.GetStream().Events() {
	}
	_ = out.GetStream().Close()
	if n := len(e.spans()); n != 1 {
		t.Fatalf("%d spans", n)
	}
	e.leakCheck(t, f)
}

func TestConverseStreamHTTPError(t *testing.T) {
	e := newEnv(t)
	f := newFake(t, reply{status: 403, headers: map[string]string{"X-Amzn-Errortype": "UnrecognizedClientException:http://example.invalid/errors/"},
		body: `{"message":"bad credentials (test)"}`})
	_, err := e.runtime(f.URL, false).ConverseStream(context.Background(), streamInput())
	if err == nil {
		t.Fatal("want error")
	}
	attrsOf(e.oneSpan()).want(t, map[string]any{"error.type": "UnrecognizedClientException", "gen_ai.request.model": "anthropic.claude-3-5-sonnet-20240620-v1:0"})
	checkMetrics(t, e, nil, "UnrecognizedClientException", -1, -1)
	e.leakCheck(t, f)
}

// An exception frame in an InvokeModelWithResponseStream ends the span with
// the exception's error code; the caller gets the SDK's typed error.
func TestInvokeStreamException(t *testing.T) {
	e := newEnv(t)
	f := newFake(t, reply{frames: [][]byte{
		chunk(t, `{"type":"message_start","message":{"id":"msg_x","model":"claude-x","role":"assistant"}}`),
		exception(t, "modelStreamErrorException", "model failed mid-stream"),
	}})
	out, err := e.runtime(f.URL, true).InvokeModelWithResponseStream(context.Background(), &bedrockruntime.InvokeModelWithResponseStreamInput{
		ModelId: aws.String("anthropic.claude-3-haiku-20240307-v1:0"),
		Body:    []byte(`{"anthropic_version":"bedrock-2023-05-31","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	for range out.GetStream().Events() {
	}
	var me *types.ModelStreamErrorException
	if !errors.As(out.GetStream().Err(), &me) {
		t.Fatalf("caller got %v", out.GetStream().Err())
	}
	_ = out.GetStream().Close()
	s := e.oneSpan()
	if s.Status().Code != codes.Error || s.Status().Description != "model failed mid-stream" {
		t.Errorf("status %+v", s.Status())
	}
	attrsOf(s).want(t, map[string]any{"error.type": "ModelStreamErrorException", "gen_ai.prompt.0.content": "hi"})
	checkMetrics(t, e, nil, "ModelStreamErrorException", -1, -1)
	e.leakCheck(t, f)
}

// TestStreamEndNotDelayingEvents: ending the span (an exporter's OnEnd may be
// slow) never holds back the event that ends the call: the terminal metadata
// event, with the body's EOF right behind it or the connection left open, or
// an exception.
func TestStreamEndNotDelayingEvents(t *testing.T) {
	withException := append(converseStreamFrames(t, 2)[:3], exception(t, "throttlingException", "slow down"))
	for _, tc := range []struct {
		name   string
		rp     reply
		isLast func(types.ConverseStreamOutput) bool
	}{
		{"metadata_then_eof", reply{frames: converseStreamFrames(t, 2)}, isMetadata},
		{"metadata_then_open", reply{frames: converseStreamFrames(t, 2), hang: true}, isMetadata},
		{"exception", reply{frames: withException}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := spantest.NewGate()
			e := newEnv(t, p)
			f := newFake(t, tc.rp)
			out, err := e.runtime(f.URL, true).ConverseStream(context.Background(), streamInput())
			if err != nil {
				t.Fatal(err)
			}
			for ev := range out.GetStream().Events() {
				if tc.isLast != nil && tc.isLast(ev) {
					break
				}
			}
			p.Open() // the call's last event (or its error) is in: the span may end
			if tc.isLast == nil && out.GetStream().Err() == nil {
				t.Error("no exception reached the caller")
			}
			_ = out.GetStream().Close()
			if p.TimedOut() {
				t.Error("the call's last event reached the caller only after the span's end gave up waiting")
			}
			e.leakCheck(t, f)
		})
	}
}

func isMetadata(ev types.ConverseStreamOutput) bool {
	_, ok := ev.(*types.ConverseStreamOutputMemberMetadata)
	return ok
}

// TestSettledThenCancelled: a stream whose outcome its frames settled (the
// terminal event, an exception) keeps that outcome when the call's context
// ends before the span does (the span of a settled stream ends at the SDK's
// next read of the body, and the SDK's reader may be waiting for the caller).
func TestSettledThenCancelled(t *testing.T) {
	withException := append(converseStreamFrames(t, 2)[:3], exception(t, "throttlingException", "slow down"))
	for _, tc := range []struct {
		name  string
		rp    reply
		read  int // events the caller takes before the cancellation
		attrs map[string]any
	}{
		// 10 events: the caller stops 2 short, the SDK's reader has read
		// the last frame (metadata) and waits to hand it over.
		{"terminal", reply{frames: converseStreamFrames(t, 2)}, 8,
			map[string]any{"error.type": nil, "gen_ai.usage.input_tokens": 9, "gen_ai.response.finish_reasons": []string{"tool_use"}}},
		{"exception", reply{frames: withException, hang: true}, 3,
			map[string]any{"error.type": "ThrottlingException"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			f := newFake(t, tc.rp)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			out, err := e.runtime(f.URL, true).ConverseStream(ctx, streamInput())
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < tc.read; i++ {
				<-out.GetStream().Events()
			}
			time.Sleep(100 * time.Millisecond) // the SDK's reader takes the rest
			cancel()
			for deadline := time.Now().Add(2 * time.Second); len(e.spans()) == 0 && time.Now().Before(deadline); {
				time.Sleep(5 * time.Millisecond)
			}
			for range out.GetStream().Events() {
			}
			_ = out.GetStream().Close()
			attrsOf(e.oneSpan()).want(t, tc.attrs)
			e.leakCheck(t, f)
		})
	}
}

// TestConverseStreamToolWithoutInput: a tool called without input streams
// one empty input fragment (as Bedrock does before every tool input); its
// arguments are {}, as Converse without streaming says. The same holds for
// Nova's InvokeModel stream, which carries the same events.
func TestConverseStreamToolWithoutInput(t *testing.T) {
	e := newEnv(t)
	f := newFake(t, reply{frames: [][]byte{
		event(t, "messageStart", `{"role":"assistant"}`),
		event(t, "contentBlockStart", `{"contentBlockIndex":0,"start":{"toolUse":{"name":"now","toolUseId":"tu_1"}}}`),
		event(t, "contentBlockDelta", `{"contentBlockIndex":0,"delta":{"toolUse":{"input":""}}}`),
		event(t, "contentBlockStop", `{"contentBlockIndex":0}`),
		event(t, "messageStop", `{"stopReason":"tool_use"}`),
		event(t, "metadata", `{"usage":{"inputTokens":9,"outputTokens":4,"totalTokens":13}}`),
	}})
	out, err := e.runtime(f.URL, true).ConverseStream(context.Background(), streamInput())
	if err != nil {
		t.Fatal(err)
	}
	for range out.GetStream().Events() {
	}
	_ = out.GetStream().Close()
	attrsOf(e.oneSpan()).want(t, map[string]any{
		"gen_ai.completion.0.tool_calls.0.id":                 "tu_1",
		"gen_ai.completion.0.tool_calls.0.function.arguments": jsonValue(`{}`),
	})

	a := runInvokeStream(t, newEnv(t), "us.amazon.nova-pro-v1:0", `{"messages":[{"role":"user","content":[{"text":"time?"}]}]}`,
		`{"messageStart":{"role":"assistant"}}`,
		`{"contentBlockStart":{"start":{"toolUse":{"toolUseId":"t1","name":"now"}},"contentBlockIndex":0}}`,
		`{"contentBlockDelta":{"delta":{"toolUse":{"input":""}},"contentBlockIndex":0}}`,
		`{"contentBlockStop":{"contentBlockIndex":0}}`,
		`{"messageStop":{"stopReason":"tool_use"}}`,
		`{"metadata":{"usage":{"inputTokens":3,"outputTokens":2}},`+invMetrics("3", "2")+`}`)
	a.want(t, map[string]any{
		"gen_ai.completion.0.tool_calls.0.id":                 "t1",
		"gen_ai.completion.0.tool_calls.0.function.arguments": jsonValue(`{}`),
	})
}

// TestNestedUntracedCallNotTaken: a call made in a traced call's context (a
// credentials provider calling a service while the traced call signs, with a
// client that has the middlewares too) is not taken for the traced call: its
// request id does not become the traced call's response id.
func TestNestedUntracedCallNotTaken(t *testing.T) {
	e := newEnv(t)
	f := newFake(t,
		reply{body: `{"inputTokens":3}`, headers: map[string]string{"X-Amzn-Requestid": "nested-req"}},
		reply{status: 400, headers: map[string]string{"X-Amzn-Errortype": "ValidationException"}, body: `{"message":"bad"}`})
	nested := e.runtime(f.URL, true)
	cfg := e.cfg(f.URL)
	cfg.Credentials = aws.CredentialsProviderFunc(func(ctx context.Context) (aws.Credentials, error) {
		_, err := nested.CountTokens(ctx, &bedrockruntime.CountTokensInput{ModelId: aws.String("anthropic.claude-3-haiku-20240307-v1:0"),
			Input: &types.CountTokensInputMemberConverse{Value: types.ConverseTokensRequest{Messages: streamInput().Messages}}})
		return aws.Credentials{AccessKeyID: "AKIDTEST", SecretAccessKey: "SECRETTEST"}, err
	})
	if _, err := bedrockruntime.NewFromConfig(cfg, WithTracing(e.opts(true)...)).ConverseStream(context.Background(), streamInput()); err == nil {
		t.Fatal("want error")
	}
	attrsOf(e.oneSpan()).want(t, map[string]any{"error.type": "ValidationException", "gen_ai.response.id": nil})
}

// TestConverseStreamCorruptFrame: a frame whose checksum does not match
// makes the SDK fail the stream (the caller gets the error from Err); the
// span ends with that failure, not as a success with what came before.
func TestConverseStreamCorruptFrame(t *testing.T) {
	e := newEnv(t)
	bad := event(t, "contentBlockDelta", `{"contentBlockIndex":0,"delta":{"text":"lost"}}`)
	bad[len(bad)-6] ^= 0xff // a payload byte: the message CRC no longer matches
	f := newFake(t, reply{frames: [][]byte{
		event(t, "messageStart", `{"role":"assistant"}`),
		event(t, "contentBlockDelta", `{"contentBlockIndex":0,"delta":{"text":"Hi"}}`),
		bad,
		event(t, "messageStop", `{"stopReason":"end_turn"}`),
		event(t, "metadata", `{"usage":{"inputTokens":9,"outputTokens":4,"totalTokens":13}}`),
	}})
	out, err := e.runtime(f.URL, true).ConverseStream(context.Background(), streamInput())
	if err != nil {
		t.Fatal(err)
	}
	for range out.GetStream().Events() {
	}
	if out.GetStream().Err() == nil {
		t.Fatal("the SDK did not fail the stream")
	}
	_ = out.GetStream().Close()
	s := e.oneSpan()
	if s.Status().Code != codes.Error {
		t.Errorf("status %v, want Error", s.Status())
	}
	attrsOf(s).want(t, map[string]any{"error.type": "EventStreamError", "gen_ai.usage.input_tokens": nil})
}

// TestStreamIdentifiersBounded: each identifier a stream keeps is at most
// maxStreamIdent bytes: tool uses with 2 KiB names keep their ids, not their
// names, whatever their number; the finish reason is kept; the caller gets
// every event.
func TestStreamIdentifiersBounded(t *testing.T) {
	e := newEnv(t)
	e.tp = sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(e.rec), sdktrace.WithRawSpanLimits(sdktrace.SpanLimits{
		AttributeCountLimit: -1, AttributeValueLengthLimit: -1, EventCountLimit: -1, LinkCountLimit: -1,
		AttributePerEventCountLimit: -1, AttributePerLinkCountLimit: -1}))
	long := strings.Repeat("n", 2048)
	fr := [][]byte{event(t, "messageStart", `{"role":"assistant"}`)}
	for i := 0; i < 100; i++ {
		name := fmt.Sprintf("tool_%d", i)
		if i%2 == 1 {
			name = long
		}
		fr = append(fr,
			event(t, "contentBlockStart", fmt.Sprintf(`{"contentBlockIndex":%d,"start":{"toolUse":{"name":"%s","toolUseId":"tu_%d"}}}`, i, name, i)),
			event(t, "contentBlockStop", fmt.Sprintf(`{"contentBlockIndex":%d}`, i)))
	}
	fr = append(fr, event(t, "messageStop", `{"stopReason":"tool_use"}`),
		event(t, "metadata", `{"usage":{"inputTokens":9,"outputTokens":4,"totalTokens":13}}`))
	f := newFake(t, reply{frames: fr})
	out, err := e.runtime(f.URL, false).ConverseStream(context.Background(), streamInput())
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for range out.GetStream().Events() {
		n++
	}
	_ = out.GetStream().Close()
	if n != len(fr) {
		t.Fatalf("caller got %d events of %d", n, len(fr))
	}
	a := attrsOf(e.oneSpan())
	for i := 0; i < 100; i++ {
		p := fmt.Sprintf("gen_ai.completion.0.tool_calls.%d.", i)
		if got := a[p+"id"].AsString(); got != fmt.Sprintf("tu_%d", i) {
			t.Fatalf("%sid = %q", p, got)
		}
		name, hasName := a[p+"function.name"]
		if hasName == (i%2 == 1) || len(name.AsString()) > maxStreamIdent {
			t.Fatalf("%sfunction.name recorded: %v (%d bytes)", p, hasName, len(name.AsString()))
		}
	}
	a.want(t, map[string]any{"gen_ai.response.finish_reasons": []string{"tool_use"}})
}
