package bedrocktrace

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// TestInstallTwiceOptionsCombine: installed on an aws.Config and again on a
// client (or a call), tracing records one span, with the options of both
// installations combined, the later one's winning: content capture given
// per client (or per call) applies over a config-wide installation, and an
// installation without options (NewFromConfig's own) changes nothing.
func TestInstallTwiceOptionsCombine(t *testing.T) {
	t.Setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "")
	for _, tc := range []struct {
		name        string
		client      func(e *env, url string) *bedrockruntime.Client
		perCall     []func(*bedrockruntime.Options)
		wantContent bool
	}{
		{"config then client", func(e *env, url string) *bedrockruntime.Client {
			cfg := e.cfg(url)
			AppendMiddlewares(&cfg.APIOptions, WithTracerProvider(e.tp), WithMeterProvider(e.mp))
			return bedrockruntime.NewFromConfig(cfg, WithTracing(WithCaptureContent(true)))
		}, nil, true},
		{"config then NewFromConfig", func(e *env, url string) *bedrockruntime.Client {
			cfg := e.cfg(url)
			AppendMiddlewares(&cfg.APIOptions, WithTracerProvider(e.tp), WithMeterProvider(e.mp), WithCaptureContent(true))
			return NewFromConfig(cfg)
		}, nil, true},
		{"client then call", func(e *env, url string) *bedrockruntime.Client {
			return bedrockruntime.NewFromConfig(e.cfg(url), WithTracing(WithTracerProvider(e.tp), WithMeterProvider(e.mp)))
		}, []func(*bedrockruntime.Options){WithTracing(WithCaptureContent(true))}, true},
		{"call turns capture off", func(e *env, url string) *bedrockruntime.Client {
			return bedrockruntime.NewFromConfig(e.cfg(url), WithTracing(WithTracerProvider(e.tp), WithCaptureContent(true)))
		}, []func(*bedrockruntime.Options){WithTracing(WithCaptureContent(false))}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			f := newFake(t, reply{body: converseReply}, reply{body: converseReply})
			c := tc.client(e, f.URL)
			for range 2 { // the second call takes the cached combination
				if _, err := c.Converse(context.Background(), converseInput(), tc.perCall...); err != nil {
					t.Fatal(err)
				}
			}
			spans := e.spans()
			if len(spans) != 2 {
				t.Fatalf("%d spans, want 2", len(spans))
			}
			for _, s := range spans {
				_, got := attrsOf(s)["gen_ai.prompt.0.content"]
				if got != tc.wantContent {
					t.Errorf("content captured: %v, want %v", got, tc.wantContent)
				}
			}
		})
	}
}

// TestWithAgentRuntimeTracing: WithAgentRuntimeTracing installs tracing on a
// Bedrock Agent Runtime client, with its options.
func TestWithAgentRuntimeTracing(t *testing.T) {
	e := newEnv(t)
	f := newFake(t, reply{frames: agentFrames(t)})
	c := bedrockagentruntime.NewFromConfig(e.cfg(f.URL), WithAgentRuntimeTracing(e.opts(true)...))
	out, err := c.InvokeAgent(context.Background(), &bedrockagentruntime.InvokeAgentInput{
		AgentId: aws.String("AGENT1"), AgentAliasId: aws.String("ALIAS1"), SessionId: aws.String("s-1"),
		InputText: aws.String("what is the weather?"),
	})
	if err != nil {
		t.Fatal(err)
	}
	for range out.GetStream().Events() {
	}
	_ = out.GetStream().Close()
	if n := len(e.spans()); n != 1 {
		t.Fatalf("%d spans, want 1", n)
	}
}

// TestPerCallOptionCombinedOnce: a call-level WithTracing value reused for
// many calls over a traced client combines its options with the client's
// once: every call's stack gets the same combined installation (one
// configuration, resolved once), not a new one per call.
func TestPerCallOptionCombinedOnce(t *testing.T) {
	client := WithTracing(WithCaptureContent(false))
	per := WithTracing(WithCaptureContent(true))
	var got []*hooks
	for range 3 {
		var o bedrockruntime.Options
		client(&o)
		per(&o)
		s := middleware.NewStack("Converse", smithyhttp.NewStackRequest)
		for _, f := range o.APIOptions {
			if err := f(s); err != nil {
				t.Fatal(err)
			}
		}
		m, ok := s.Initialize.Get(initID)
		if !ok {
			t.Fatal("not installed")
		}
		got = append(got, m.(initMW).h)
	}
	if got[0] != got[1] || got[1] != got[2] {
		t.Error("each call got a combined installation of its own")
	}
	if r := got[0].in.Resolved(); !r.Capture {
		t.Error("the call's option (capture on) did not win over the client's")
	}
}
