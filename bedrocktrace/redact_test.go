package bedrocktrace

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"

	"github.com/tracekit-go/tracekit/internal/reqctx"
	"github.com/tracekit-go/tracekit/redact"
)

// TestInvokeAgentRedaction checks that the prompt history an agent span
// learns from the stream (rendered again at the end) is redacted, and that
// the request context reaches the span.
func TestInvokeAgentRedaction(t *testing.T) {
	e := newEnv(t)
	frames := [][]byte{
		agentTrace(t, "orchestrationTrace", modelInput(t, map[string]string{"role": "user", "content": "mail me at bob@example.com"})),
		agentTrace(t, "orchestrationTrace", modelOutput(200, 20, "end_turn")),
		chunk(t, "Sent to bob@example.com."),
	}
	f := newFake(t, reply{frames: frames})
	cfg := e.cfg(f.URL)
	AppendMiddlewares(&cfg.APIOptions, append(e.opts(true), WithRedactor(redact.New(redact.Only(redact.Email))))...)
	ctx := reqctx.WithSession(reqctx.WithUser(context.Background(), "ctx-user"), "ctx-session")
	out, err := bedrockagentruntime.NewFromConfig(cfg).InvokeAgent(ctx, &bedrockagentruntime.InvokeAgentInput{
		AgentId: aws.String("AGENT1"), AgentAliasId: aws.String("ALIAS1"), SessionId: aws.String("s-1"),
		InputText: aws.String("mail me at bob@example.com"), EnableTrace: aws.Bool(true),
	})
	if err != nil {
		t.Fatal(err)
	}
	for range out.GetStream().Events() {
	}
	_ = out.GetStream().Close()
	a := attrsOf(e.oneSpan())
	var contents int
	for k, v := range a {
		if strings.Contains(v.String(), "bob@example.com") {
			t.Errorf("%s not redacted: %s", k, v.String())
		}
		if strings.HasSuffix(k, ".content") && strings.Contains(v.String(), "[REDACTED]") {
			contents++
		}
	}
	if contents < 2 {
		t.Errorf("%d redacted content attributes, want the prompt and the completion; have %v", contents, a.keys())
	}
	// The request names no user: the context's user fills gen_ai.request.user.
	// The agent's own session id wins over the context's session.
	a.want(t, map[string]any{"gen_ai.request.user": "ctx-user", "user.id": "ctx-user", "gen_ai.conversation.id": "s-1"})
}

// TestInvokeAgentRedactedOnce: the prompt of an agent call whose stream
// told no prompt history (traces off) is the input text, redacted once (a
// redactor need not be idempotent: one that hashes or wraps its input).
func TestInvokeAgentRedactedOnce(t *testing.T) {
	e := newEnv(t)
	f := newFake(t, reply{frames: [][]byte{chunk(t, "ok")}})
	cfg := e.cfg(f.URL)
	wrap := redact.Func(func(s string) string { return "<" + s + ">" })
	AppendMiddlewares(&cfg.APIOptions, append(e.opts(true), WithRedactor(wrap))...)
	out, err := bedrockagentruntime.NewFromConfig(cfg).InvokeAgent(context.Background(), &bedrockagentruntime.InvokeAgentInput{
		AgentId: aws.String("AGENT1"), AgentAliasId: aws.String("ALIAS1"), SessionId: aws.String("s-1"),
		InputText: aws.String("hello"),
	})
	if err != nil {
		t.Fatal(err)
	}
	for range out.GetStream().Events() {
	}
	_ = out.GetStream().Close()
	attrsOf(e.oneSpan()).want(t, map[string]any{"gen_ai.prompt.0.content": "<hello>", "gen_ai.completion.0.content": "<ok>"})
}

// TestConverseRedactorPanics: a redactor that panics is a panic inside
// tracing: the caller gets its answer, the span is recorded as usual, and
// each content string the redactor failed on is recorded as
// redact.DefaultReplacement, never as it was.
func TestConverseRedactorPanics(t *testing.T) {
	e := newEnv(t)
	f := newFake(t, reply{body: converseReply})
	cfg := e.cfg(f.URL)
	bad := redact.Func(func(s string) string { panic("redactor bug") })
	AppendMiddlewares(&cfg.APIOptions, append(e.opts(true), WithRedactor(bad))...)
	out, err := bedrockruntime.NewFromConfig(cfg).Converse(context.Background(), converseInput())
	if err != nil || out.Usage == nil {
		t.Fatalf("caller got %v, %v", out, err)
	}
	a := attrsOf(e.oneSpan())
	var replaced int
	for k, v := range a {
		if strings.HasSuffix(k, ".content") || strings.HasSuffix(k, ".arguments") {
			if v.AsString() != redact.DefaultReplacement {
				t.Errorf("%s = %q past a panicking redactor", k, v.AsString())
			}
			replaced++
		}
	}
	if replaced < 2 {
		t.Errorf("%d content attributes, want the prompt's and the completion's; have %v", replaced, a.keys())
	}
	a.want(t, map[string]any{"gen_ai.prompt.1.role": "user", "gen_ai.usage.output_tokens": 8, "gen_ai.completion.0.role": "assistant"})
}
