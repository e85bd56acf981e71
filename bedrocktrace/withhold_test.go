package bedrocktrace

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/tracekit-go/tracekit/semconv"
)

const echoedPrompt = "my account number is 4417-secret-0042"

func spanText(s sdktrace.ReadOnlySpan) string {
	var b strings.Builder
	b.WriteString(s.Name() + "|" + s.Status().Description + "|")
	for _, kv := range s.Attributes() {
		b.WriteString(string(kv.Key) + "=" + kv.Value.String() + "|")
	}
	for _, e := range s.Events() {
		for _, kv := range e.Attributes {
			b.WriteString(e.Name + ":" + string(kv.Key) + "=" + kv.Value.String() + "|")
		}
	}
	return b.String()
}

func echoMessages() []types.Message {
	return []types.Message{{Role: types.ConversationRoleUser,
		Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: echoedPrompt}}}}
}

// TestErrorEchoingPromptCaptureOff: AWS validation errors quote the value
// they reject ("Value '...' at 'messages.1.member...'"), and a stream's
// exception frame may quote the input: with content capture off neither
// puts the prompt on the span.
func TestErrorEchoingPromptCaptureOff(t *testing.T) {
	e := newEnv(t)
	e.extra = []Option{WithConventions(semconv.Tracekit, semconv.OTelGenAI, semconv.OpenInference)}
	msg := "1 validation error detected: Value '" + echoedPrompt + "' at 'messages.1.member.content.1.member.text' failed to satisfy constraint"
	f := newFake(t,
		reply{status: 400, headers: map[string]string{"X-Amzn-Errortype": "ValidationException"}, body: `{"message":"` + msg + `"}`},
		reply{frames: [][]byte{exception(t, "validationException", msg)}})
	if _, err := e.runtime(f.URL, false).Converse(context.Background(), &bedrockruntime.ConverseInput{
		ModelId: aws.String("anthropic.claude-3-haiku-20240307-v1:0"), Messages: echoMessages()}); err == nil {
		t.Fatal("want an error")
	}
	out, err := e.runtime(f.URL, false).ConverseStream(context.Background(), &bedrockruntime.ConverseStreamInput{
		ModelId: aws.String("anthropic.claude-3-haiku-20240307-v1:0"), Messages: echoMessages()})
	if err != nil {
		t.Fatal(err)
	}
	for range out.GetStream().Events() {
	}
	_ = out.GetStream().Close()
	spans := e.spans()
	if len(spans) != 2 {
		t.Fatalf("%d spans", len(spans))
	}
	for _, s := range spans {
		if got := spanText(s); strings.Contains(got, echoedPrompt) {
			t.Errorf("%s: the prompt reached the span with capture off: %s", s.Name(), got)
		}
		if !strings.Contains(s.Status().Description, "failed to satisfy constraint") {
			t.Errorf("%s: status %q lost the error", s.Name(), s.Status().Description)
		}
	}
}

// TestErrorQuotingAccessKeyID: an error message that quotes an access key
// id does not put it on the span.
func TestErrorQuotingAccessKeyID(t *testing.T) {
	e := newEnv(t)
	f := newFake(t, reply{status: 403, headers: map[string]string{"X-Amzn-Errortype": "UnrecognizedClientException"},
		body: `{"message":"The access key ID AKIAIOSFODNN7EXAMPLE is not valid for this account"}`})
	_, _ = e.runtime(f.URL, true).Converse(context.Background(), &bedrockruntime.ConverseInput{
		ModelId: aws.String("anthropic.claude-3-haiku-20240307-v1:0"), Messages: echoMessages()})
	s := e.oneSpan()
	if got := spanText(s); strings.Contains(got, "AKIAIOSFODNN7EXAMPLE") {
		t.Errorf("the access key id reached the span: %s", got)
	}
	if attrsOf(s)["error.type"] != attribute.StringValue("UnrecognizedClientException") {
		t.Errorf("error.type = %v", attrsOf(s)["error.type"])
	}
}
