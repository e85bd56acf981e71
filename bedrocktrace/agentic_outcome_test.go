package bedrocktrace

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentruntime"
	agtypes "github.com/aws/aws-sdk-go-v2/service/bedrockagentruntime/types"

	"go.opentelemetry.io/otel/codes"
)

// TestAgenticSDKRejectsLastEvent: a known event whose payload is
// valid JSON but of a shape the SDK's deserializer rejects (text a number)
// fails the caller's stream (Err non-nil). The span records an error too:
// it takes the SDK's verdict on the last frames, not the frames' alone.
func TestAgenticSDKRejectsLastEvent(t *testing.T) {
	for _, payload := range []string{`{"text":5}`, `{"text":{"a":1}}`} {
		e := newEnv(t)
		f := newFake(t, reply{frames: [][]byte{
			event(t, "responseEvent", `{"text":"Hold "}`),
			event(t, "responseEvent", payload),
		}})
		out, err := e.agents(f.URL, true).AgenticRetrieveStream(e.callCtx(), agenticInput(nil))
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = agenticRead(t, out)
		s := e.waitSpan(t)
		t.Logf("payload %s: caller Err=%v; span status %+v", payload, err, s.Status())
		if (err != nil) != (s.Status().Code == codes.Error) {
			t.Errorf("payload %s: caller got Err=%v but span status is %v (error.type %v)", payload, err, s.Status().Code, attrsOf(s)["error.type"])
		}
		e.leakCheck(t, f)
	}
}

// TestAgenticExceptionThenHangEnds: the server sends an exception
// and keeps the connection open. The SDK's reader has stopped, the caller
// got the error and Closed the stream: the span ends, not staying open
// until the connection goes away.
func TestAgenticExceptionThenHangEnds(t *testing.T) {
	e := newEnv(t)
	f := newFake(t, reply{frames: [][]byte{
		event(t, "responseEvent", `{"text":"Hold "}`),
		exception(t, "throttlingException", "slow down"),
	}, hang: true})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out, err := e.agents(f.URL, true).AgenticRetrieveStream(ctx, agenticInput(nil))
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = agenticRead(t, out) // reads all, Err, Close
	if err == nil {
		t.Fatal("caller saw no error")
	}
	deadline := time.Now().Add(2 * time.Second)
	for len(e.spans()) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := len(e.spans()); n != 1 {
		t.Errorf("%d spans ended 2s after the caller got Err and Closed the stream", n)
	}
	cancel()
	e.leakCheck(t, f)
}

// TestRAGStreamSDKRejectsLastEvent: RetrieveAndGenerateStream, whose span
// is settled from the SDK when it closes the body, records the error the
// caller got for the same kind of rejected last event.
func TestRAGStreamSDKRejectsLastEvent(t *testing.T) {
	e := newEnv(t)
	f := newFake(t, reply{frames: [][]byte{
		event(t, "output", `{"text":"Hold "}`),
		event(t, "output", `{"text":5}`),
	}})
	out, err := e.agents(f.URL, true).RetrieveAndGenerateStream(context.Background(), &bedrockagentruntime.RetrieveAndGenerateStreamInput{
		Input:                            &agtypes.RetrieveAndGenerateInput{Text: aws.String("how do I reset the router?")},
		RetrieveAndGenerateConfiguration: ragConfig(),
	})
	if err != nil {
		t.Fatal(err)
	}
	for range out.GetStream().Events() {
	}
	err = out.GetStream().Err()
	_ = out.GetStream().Close()
	s := e.waitSpan(t)
	if (err != nil) != (s.Status().Code == codes.Error) {
		t.Errorf("caller got Err=%v but span status is %v", err, s.Status().Code)
	}
	e.leakCheck(t, f)
}
