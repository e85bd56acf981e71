package bedrocktrace

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/embedded"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/tracekit-go/tracekit/internal/genai"
)

// panickingProvider's tracers panic on Start.
type panickingProvider struct{ embedded.TracerProvider }

func (panickingProvider) Tracer(string, ...trace.TracerOption) trace.Tracer { return panickingTracer{} }

type panickingTracer struct{ noop.Tracer }

func (panickingTracer) Start(context.Context, string, ...trace.SpanStartOption) (context.Context, trace.Span) {
	panic("tracer exploded")
}

// A panic inside tracing never reaches the caller: it is reported through
// otel.Handle and the call goes on untraced.
func TestPanicDoesNotEscape(t *testing.T) {
	var handled []error
	prev := otel.GetErrorHandler()
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) { handled = append(handled, err) }))
	defer otel.SetErrorHandler(prev)

	e := newEnv(t)
	f := newFake(t, reply{body: converseReply})
	c := bedrockruntime.NewFromConfig(e.cfg(f.URL), WithTracing(WithTracerProvider(panickingProvider{}), WithMeterProvider(e.mp)))
	out, err := c.Converse(context.Background(), converseInput())
	if err != nil || out.Usage == nil || aws.ToInt32(out.Usage.InputTokens) != 17 {
		t.Fatalf("call broken: %v", err)
	}
	if len(handled) != 1 || !strings.Contains(handled[0].Error(), "tracer exploded") {
		t.Fatalf("handled %v", handled)
	}
}

// Retries happen inside the traced call: one span per call, with the result
// of the last attempt.
func TestRetryOneSpan(t *testing.T) {
	e := newEnv(t)
	f := newFake(t,
		reply{status: 503, headers: map[string]string{"X-Amzn-Errortype": "ServiceUnavailableException"}, body: `{"message":"busy"}`},
		reply{body: converseReply, headers: map[string]string{"X-Amzn-Requestid": "req-2"}})
	cfg := e.cfg(f.URL)
	cfg.RetryMaxAttempts = 2
	cfg.Retryer = func() aws.Retryer { return retry.AddWithMaxBackoffDelay(retry.NewStandard(), 0) }
	c := bedrockruntime.NewFromConfig(cfg, WithTracing(e.opts(false)...))
	if _, err := c.Converse(context.Background(), converseInput()); err != nil {
		t.Fatal(err)
	}
	attrsOf(e.oneSpan()).want(t, map[string]any{"gen_ai.response.id": "req-2", "error.type": nil, "gen_ai.usage.input_tokens": 17})
}

// A stream's accumulated content is bounded.
func TestStreamContentBounded(t *testing.T) {
	var a streamAcc
	big := strings.Repeat("x", 64<<10)
	for i := 0; i < 40; i++ { // 2.5 MiB of text and arguments
		converseStreamEvent(&a, "contentBlockDelta", `{"contentBlockIndex":0,"delta":{"text":"`+big+`"}}`, true)
		converseStreamEvent(&a, "contentBlockDelta", `{"contentBlockIndex":1,"delta":{"toolUse":{"input":"`+big+`"}}}`, true)
	}
	for i := 0; i < 2*maxToolCalls; i++ {
		a.tool(a.choice(0), 10+i)
	}
	for i := 0; i < 2*maxChoices; i++ {
		a.choice(i)
	}
	var c genai.Call
	a.into(&c, true)
	total := 0
	for _, ch := range c.Response.Choices {
		total += len(ch.Content)
		for _, tc := range ch.ToolCalls {
			total += len(tc.Arguments)
		}
	}
	if total > maxStreamContent || len(c.Response.Choices) > maxChoices || len(c.Response.Choices[0].ToolCalls) > maxToolCalls {
		t.Fatalf("%d bytes, %d choices, %d tool calls", total, len(c.Response.Choices), len(c.Response.Choices[0].ToolCalls))
	}
	if total != maxStreamContent {
		t.Fatalf("kept %d bytes, want the first %d", total, maxStreamContent)
	}
}
