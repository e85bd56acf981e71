package observe

import (
	"context"
	"errors"
	"strings"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// TestRunErrorQuotingInputCaptureOff: an error that quotes the span's input
// (an API error that echoes the prompt) must not put the input on the span,
// in its status or its exception event, with content capture off.
func TestRunErrorQuotingInputCaptureOff(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	o := New(WithTracerProvider(tp), WithCaptureContent(false))
	question := "my account number is 4417-secret-0042"
	_, _ = RunWith(o, context.Background(), Agent, "support", question, func(ctx context.Context) (string, error) {
		return "", errors.New(`400 Bad Request {"message":"Invalid content: '` + question + `'"}`)
	})
	s := rec.Ended()
	if len(s) != 1 {
		t.Fatalf("%d spans", len(s))
	}
	var b strings.Builder
	b.WriteString(s[0].Status().Description)
	for _, kv := range s[0].Attributes() {
		b.WriteString("|" + kv.Value.String())
	}
	for _, e := range s[0].Events() {
		for _, kv := range e.Attributes {
			b.WriteString("|" + kv.Value.String())
		}
	}
	if strings.Contains(b.String(), question) {
		t.Errorf("the input reached the span with capture off: %s", b.String())
	}
}
