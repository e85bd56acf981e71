package bedrocktrace

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentruntime"
	agtypes "github.com/aws/aws-sdk-go-v2/service/bedrockagentruntime/types"
	"go.opentelemetry.io/otel/codes"

	"github.com/tracekit-go/tracekit/redact"
	"github.com/tracekit-go/tracekit/semconv"
)

// TestRetrieveAndGenerateRedactedOnce: a redactor need not be idempotent:
// the question of a call whose session is learnt from the output is
// redacted once.
func TestRetrieveAndGenerateRedactedOnce(t *testing.T) {
	wrap := redact.Func(func(s string) string { return "<" + s + ">" })
	t.Run("sync", func(t *testing.T) {
		e := newEnv(t)
		e.extra = []Option{WithRedactor(wrap)}
		f := newFake(t, reply{body: ragAnswer})
		if _, err := e.agents(f.URL, true).RetrieveAndGenerate(context.Background(), ragInput(nil)); err != nil {
			t.Fatal(err)
		}
		attrsOf(e.oneSpan()).want(t, map[string]any{"gen_ai.prompt.0.content": "<how do I reset the router?>"})
	})
	t.Run("stream", func(t *testing.T) {
		e := newEnv(t)
		e.extra = []Option{WithRedactor(wrap)}
		f := newFake(t, reply{frames: ragFrames(t), headers: map[string]string{"X-Amzn-Bedrock-Knowledge-Base-Session-Id": "sess-s"}})
		out, err := e.agents(f.URL, true).RetrieveAndGenerateStream(context.Background(), &bedrockagentruntime.RetrieveAndGenerateStreamInput{
			Input: &agtypes.RetrieveAndGenerateInput{Text: aws.String("hello")}, RetrieveAndGenerateConfiguration: ragConfig()})
		if err != nil {
			t.Fatal(err)
		}
		for range out.GetStream().Events() {
		}
		_ = out.GetStream().Close()
		attrsOf(e.oneSpan()).want(t, map[string]any{"gen_ai.prompt.0.content": "<hello>"})
	})
}

// TestRetrieveAndGenerateWithholdsTemplateLine: a prompt template is
// multi-line: an error quoting one of its lines loses it with capture off
// (as the question's lines do).
func TestRetrieveAndGenerateWithholdsTemplateLine(t *testing.T) {
	e := newEnv(t)
	f := newFake(t, reply{status: 400, headers: map[string]string{"X-Amzn-Errortype": "ValidationException"},
		body: `{"message":"template line 'You are the ACME support bot, secret codename Falcon.' is invalid"}`})
	in := ragInput(aws.String("s"))
	in.RetrieveAndGenerateConfiguration.KnowledgeBaseConfiguration.GenerationConfiguration.PromptTemplate.TextPromptTemplate =
		aws.String("You are the ACME support bot, secret codename Falcon.\nAnswer from: $search_results$")
	_, err := e.agents(f.URL, false).RetrieveAndGenerate(context.Background(), in)
	if err == nil {
		t.Fatal("want error")
	}
	s := e.oneSpan()
	if s.Status().Code != codes.Error || strings.Contains(s.Status().Description, "Falcon") {
		t.Errorf("status %+v", s.Status())
	}
}

// TestRetrieveAndGenerateWithholdsGivenDocumentLine: the same for a
// document given in ExternalSourcesConfiguration.
func TestRetrieveAndGenerateWithholdsGivenDocumentLine(t *testing.T) {
	e := newEnv(t)
	f := newFake(t, reply{status: 400, headers: map[string]string{"X-Amzn-Errortype": "ValidationException"},
		body: `{"message":"cannot parse 'Patient Jane Roe, DOB 1970-01-01' in document"}`})
	in := &bedrockagentruntime.RetrieveAndGenerateInput{
		Input: &agtypes.RetrieveAndGenerateInput{Text: aws.String("q?")},
		RetrieveAndGenerateConfiguration: &agtypes.RetrieveAndGenerateConfiguration{
			Type: agtypes.RetrieveAndGenerateTypeExternalSources,
			ExternalSourcesConfiguration: &agtypes.ExternalSourcesRetrieveAndGenerateConfiguration{
				ModelArn: aws.String(ragModel),
				Sources: []agtypes.ExternalSource{{SourceType: agtypes.ExternalSourceTypeByteContent,
					ByteContent: &agtypes.ByteContentDoc{Identifier: aws.String("rec.txt"), ContentType: aws.String("text/plain"),
						Data: []byte("Patient Jane Roe, DOB 1970-01-01\nDiagnosis: flu")}}},
			},
		},
	}
	if _, err := e.agents(f.URL, false).RetrieveAndGenerate(context.Background(), in); err == nil {
		t.Fatal("want error")
	}
	if d := e.oneSpan().Status().Description; strings.Contains(d, "Jane Roe") {
		t.Errorf("status %q", d)
	}
}

// TestRetrieveAndGenerateStreamEndings: a stream closed before its end and a
// cancelled one end their span once, with what arrived; nil fields of the
// input and output panic nowhere.
func TestRetrieveAndGenerateStreamEndings(t *testing.T) {
	t.Run("close_early", func(t *testing.T) {
		e := newEnv(t)
		f := newFake(t, reply{frames: ragFrames(t)[:2], hang: true, headers: map[string]string{"X-Amzn-Bedrock-Knowledge-Base-Session-Id": "sess-s"}})
		out, err := e.agents(f.URL, true).RetrieveAndGenerateStream(context.Background(), &bedrockagentruntime.RetrieveAndGenerateStreamInput{
			Input: &agtypes.RetrieveAndGenerateInput{Text: aws.String("q")}, RetrieveAndGenerateConfiguration: ragConfig()})
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
		attrsOf(s).want(t, map[string]any{"gen_ai.completion.0.content": "Hold the reset button ", "gen_ai.conversation.id": "sess-s"})
		e.leakCheck(t, f)
	})
	t.Run("cancel", func(t *testing.T) {
		e := newEnv(t)
		f := newFake(t, reply{frames: ragFrames(t)[:1], hang: true})
		ctx, cancel := context.WithCancel(context.Background())
		out, err := e.agents(f.URL, false).RetrieveAndGenerateStream(ctx, &bedrockagentruntime.RetrieveAndGenerateStreamInput{
			Input: &agtypes.RetrieveAndGenerateInput{Text: aws.String("q")}, RetrieveAndGenerateConfiguration: ragConfig()})
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
		f := newFake(t, reply{body: `{"sessionId":"s","citations":[{"retrievedReferences":[{}]},{}]}`},
			reply{frames: [][]byte{event(t, "citation", `{}`), event(t, "output", `{}`), event(t, "guardrail", `{}`)}})
		c := e.agents(f.URL, true)
		_, err := c.RetrieveAndGenerate(context.Background(), &bedrockagentruntime.RetrieveAndGenerateInput{})
		var ae interface{ ErrorCode() string }
		_ = errors.As(err, &ae)
		_, _ = c.RetrieveAndGenerate(context.Background(), &bedrockagentruntime.RetrieveAndGenerateInput{Input: &agtypes.RetrieveAndGenerateInput{Text: aws.String("q")},
			RetrieveAndGenerateConfiguration: &agtypes.RetrieveAndGenerateConfiguration{Type: agtypes.RetrieveAndGenerateTypeExternalSources,
				ExternalSourcesConfiguration: &agtypes.ExternalSourcesRetrieveAndGenerateConfiguration{ModelArn: aws.String("m"), Sources: []agtypes.ExternalSource{{SourceType: "S3"}}}}})
		if n := len(e.spans()); n != 2 {
			t.Errorf("%d spans", n)
		}
	})
}

// TestRetrieveAndGenerateSessionLearntEveryConvention: the session learnt
// from the output reaches every convention, and the prompt stays.
func TestRetrieveAndGenerateSessionLearntEveryConvention(t *testing.T) {
	e := newEnv(t)
	e.extra = []Option{WithConventions(semconv.Tracekit, semconv.OTelGenAI, semconv.OpenInference)}
	f := newFake(t, reply{body: ragAnswer})
	if _, err := e.agents(f.URL, true).RetrieveAndGenerate(context.Background(), ragInput(nil)); err != nil {
		t.Fatal(err)
	}
	a := attrsOf(e.oneSpan())
	a.want(t, map[string]any{"gen_ai.conversation.id": "sess-new", "session.id": "sess-new",
		"gen_ai.input.messages":                `[{"role":"user","parts":[{"type":"text","content":"how do I reset the router?"}]}]`,
		"llm.input_messages.0.message.content": "how do I reset the router?", "gen_ai.prompt.0.content": "how do I reset the router?"})
}

// TestRetrieveAndGenerateStreamExceptionWithheld: with capture off, an
// exception frame that quotes the question loses it, in the status and in
// the exception event.
func TestRetrieveAndGenerateStreamExceptionWithheld(t *testing.T) {
	e := newEnv(t)
	f := newFake(t, reply{frames: [][]byte{
		event(t, "output", `{"text":"Hold "}`),
		exception(t, "validationException", "bad input 'my secret question' here"),
	}})
	out, err := e.agents(f.URL, false).RetrieveAndGenerateStream(context.Background(), &bedrockagentruntime.RetrieveAndGenerateStreamInput{
		Input:                            &agtypes.RetrieveAndGenerateInput{Text: aws.String("my secret question")},
		RetrieveAndGenerateConfiguration: ragConfig(),
	})
	if err != nil {
		t.Fatal(err)
	}
	for range out.GetStream().Events() {
	}
	_ = out.GetStream().Close()
	s := e.oneSpan()
	if strings.Contains(s.Status().Description, "secret") {
		t.Errorf("status %+v", s.Status())
	}
	for _, ev := range s.Events() {
		for _, kv := range ev.Attributes {
			if strings.Contains(kv.Value.String(), "secret") {
				t.Errorf("event %s", kv.Value.String())
			}
		}
	}
}
