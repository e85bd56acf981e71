package bedrocktrace

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/document"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/tracekit-go/tracekit/semconv"
)

const converseReply = `{
  "metrics": {"latencyMs": 400},
  "output": {"message": {"role": "assistant", "content": [
    {"text": "Let me check."},
    {"toolUse": {"toolUseId": "tu_1", "name": "get_weather", "input": {"city": "Paris"}}}
  ]}},
  "stopReason": "tool_use",
  "usage": {"inputTokens": 17, "outputTokens": 8, "totalTokens": 25, "cacheReadInputTokens": 3, "cacheWriteInputTokens": 2}
}`

func converseInput() *bedrockruntime.ConverseInput {
	return &bedrockruntime.ConverseInput{
		ModelId: aws.String("us.anthropic.claude-3-5-sonnet-20240620-v1:0"),
		System: []types.SystemContentBlock{
			&types.SystemContentBlockMemberText{Value: "answer in one line"},
			&types.SystemContentBlockMemberCachePoint{Value: types.CachePointBlock{Type: types.CachePointTypeDefault}},
		},
		Messages: []types.Message{
			{Role: types.ConversationRoleUser, Content: []types.ContentBlock{
				&types.ContentBlockMemberText{Value: "weather in "},
				&types.ContentBlockMemberImage{Value: types.ImageBlock{Format: types.ImageFormatPng, Source: &types.ImageSourceMemberBytes{Value: []byte{1, 2}}}},
				&types.ContentBlockMemberText{Value: "Paris?"},
			}},
			{Role: types.ConversationRoleAssistant, Content: []types.ContentBlock{
				&types.ContentBlockMemberToolUse{Value: types.ToolUseBlock{ToolUseId: aws.String("tu_0"), Name: aws.String("get_weather"),
					Input: document.NewLazyDocument(map[string]any{"city": "Lyon"})}},
			}},
			{Role: types.ConversationRoleUser, Content: []types.ContentBlock{
				&types.ContentBlockMemberToolResult{Value: types.ToolResultBlock{ToolUseId: aws.String("tu_0"),
					Content: []types.ToolResultContentBlock{&types.ToolResultContentBlockMemberText{Value: "sunny"}}}},
				&types.ContentBlockMemberToolResult{Value: types.ToolResultBlock{ToolUseId: aws.String("tu_x"),
					Content: []types.ToolResultContentBlock{&types.ToolResultContentBlockMemberJson{Value: document.NewLazyDocument(map[string]any{"t": 20})}}}},
			}},
		},
		InferenceConfig: &types.InferenceConfiguration{MaxTokens: aws.Int32(300), Temperature: aws.Float32(0), TopP: aws.Float32(1)},
		ToolConfig: &types.ToolConfiguration{Tools: []types.Tool{
			&types.ToolMemberToolSpec{Value: types.ToolSpecification{Name: aws.String("get_weather"), Description: aws.String("Weather of a city"),
				InputSchema: &types.ToolInputSchemaMemberJson{Value: document.NewLazyDocument(map[string]any{
					"type": "object", "properties": map[string]any{"city": map[string]any{"type": "string"}}})}}},
			&types.ToolMemberCachePoint{Value: types.CachePointBlock{Type: types.CachePointTypeDefault}},
		}},
		GuardrailConfig: &types.GuardrailConfiguration{GuardrailIdentifier: aws.String("gr-123"), GuardrailVersion: aws.String("1")},
		RequestMetadata: map[string]string{"userId": "u-42"},
	}
}

func TestConverse(t *testing.T) {
	for _, capture := range []bool{true, false} {
		t.Run(map[bool]string{true: "capture", false: "nocapture"}[capture], func(t *testing.T) {
			e := newEnv(t)
			f := newFake(t, reply{body: converseReply, headers: map[string]string{"X-Amzn-Requestid": "req-1"}})
			out, err := e.runtime(f.URL, capture).Converse(context.Background(), converseInput())
			if err != nil {
				t.Fatal(err)
			}
			if out.StopReason != types.StopReasonToolUse {
				t.Fatalf("caller got %v", out.StopReason)
			}
			s := e.oneSpan()
			if s.Name() != "bedrock.converse" || s.SpanKind() != trace.SpanKindClient || statusOf(s) != codes.Unset {
				t.Errorf("span %q kind %v status %v", s.Name(), s.SpanKind(), s.Status())
			}
			if s.InstrumentationScope().Name != ScopeName || s.InstrumentationScope().Version != Version {
				t.Errorf("scope %+v", s.InstrumentationScope())
			}
			a := attrsOf(s)
			a.want(t, map[string]any{
				"gen_ai.operation.name":                          "chat",
				"gen_ai.system":                                  "aws.bedrock",
				"gen_ai.request.model":                           "us.anthropic.claude-3-5-sonnet-20240620-v1:0",
				"gen_ai.request.max_tokens":                      300,
				"gen_ai.request.temperature":                     0.0,
				"gen_ai.request.top_p":                           1.0,
				"gen_ai.request.user":                            "u-42",
				"aws.bedrock.guardrail.id":                       "gr-123",
				"gen_ai.response.id":                             "req-1",
				"gen_ai.response.model":                          "us.anthropic.claude-3-5-sonnet-20240620-v1:0",
				"gen_ai.response.finish_reasons":                 []string{"tool_use"},
				"gen_ai.usage.input_tokens":                      17,
				"gen_ai.usage.output_tokens":                     8,
				"gen_ai.usage.cache_read.input_tokens":           3,
				"gen_ai.usage.cache_creation.input_tokens":       2,
				"gen_ai.prompt.0.role":                           "system",
				"gen_ai.prompt.1.role":                           "user",
				"gen_ai.prompt.2.role":                           "assistant",
				"gen_ai.prompt.2.tool_calls.0.id":                "tu_0",
				"gen_ai.prompt.2.tool_calls.0.type":              "function",
				"gen_ai.prompt.2.tool_calls.0.function.name":     "get_weather",
				"gen_ai.prompt.3.role":                           "tool",
				"gen_ai.prompt.3.tool_call_id":                   "tu_0",
				"gen_ai.prompt.4.role":                           "tool",
				"gen_ai.prompt.4.tool_call_id":                   "tu_x",
				"gen_ai.prompt.5.role":                           nil,
				"gen_ai.request.tools.0.type":                    "function",
				"gen_ai.request.tools.0.function.name":           "get_weather",
				"gen_ai.request.tools.0.function.description":    "Weather of a city",
				"gen_ai.request.tools.0.function.parameters":     jsonValue(`{"type":"object","properties":{"city":{"type":"string"}}}`),
				"gen_ai.request.tools.1.type":                    nil,
				"gen_ai.completion.0.role":                       "assistant",
				"gen_ai.completion.0.finish_reason":              "tool_use",
				"gen_ai.completion.0.tool_calls.0.id":            "tu_1",
				"gen_ai.completion.0.tool_calls.0.function.name": "get_weather",
			})
			if capture {
				a.want(t, map[string]any{
					"gen_ai.prompt.0.content":                             "answer in one line",
					"gen_ai.prompt.1.content":                             "weather in Paris?",
					"gen_ai.prompt.2.tool_calls.0.function.arguments":     jsonValue(`{"city":"Lyon"}`),
					"gen_ai.prompt.3.content":                             "sunny",
					"gen_ai.prompt.4.content":                             jsonValue(`{"t":20}`),
					"gen_ai.completion.0.content":                         "Let me check.",
					"gen_ai.completion.0.tool_calls.0.function.arguments": jsonValue(`{"city":"Paris"}`),
				})
			} else {
				a.none(t, "*.content", "*.arguments")
			}
			a.none(t, "http.", "aws.request", "authorization")
			for k, v := range a {
				if strings.Contains(v.String(), "AKIDTEST") || strings.Contains(v.String(), "SECRETTEST") || strings.Contains(k, "header") {
					t.Errorf("credential or header leaked in %s", k)
				}
			}
			checkMetrics(t, e, map[string]string{"gen_ai.response.model": "us.anthropic.claude-3-5-sonnet-20240620-v1:0"}, "", 17, 8)
		})
	}
}

// checkMetrics checks the duration point (with errType when set) and the
// token points (in/out; -1 for "no point").
func checkMetrics(t *testing.T, e *env, attrsWant map[string]string, errType string, in, out int64) {
	t.Helper()
	rm := e.metrics()
	var dur *metricdata.Histogram[float64]
	var tok *metricdata.Histogram[int64]
	for _, sm := range rm.ScopeMetrics {
		if sm.Scope.Name != ScopeName {
			continue
		}
		for _, m := range sm.Metrics {
			switch m.Name {
			case "gen_ai.client.operation.duration":
				h := m.Data.(metricdata.Histogram[float64])
				dur = &h
			case "gen_ai.client.token.usage":
				h := m.Data.(metricdata.Histogram[int64])
				tok = &h
			}
		}
	}
	if dur == nil || len(dur.DataPoints) != 1 || dur.DataPoints[0].Count != 1 {
		t.Fatalf("duration metric: %+v", dur)
	}
	dp := dur.DataPoints[0]
	if v, _ := dp.Attributes.Value("gen_ai.system"); v.AsString() != "aws.bedrock" {
		t.Errorf("duration attrs %v", dp.Attributes.ToSlice())
	}
	if v, ok := dp.Attributes.Value("error.type"); errType != "" && v.AsString() != errType || errType == "" && ok {
		t.Errorf("duration error.type = %v, want %q", v.String(), errType)
	}
	for k, want := range attrsWant {
		if v, ok := dp.Attributes.Value(attributeKey(k)); !ok || v.AsString() != want {
			t.Errorf("duration %s = %v, want %q", k, v.String(), want)
		}
	}
	sums := map[string]int64{}
	if tok != nil {
		for _, p := range tok.DataPoints {
			v, _ := p.Attributes.Value("gen_ai.token.type")
			sums[v.AsString()] += p.Sum
		}
	}
	for typ, want := range map[string]int64{"input": in, "output": out} {
		got, ok := sums[typ]
		if want < 0 && ok || want >= 0 && got != want {
			t.Errorf("token %s = %d (present %v), want %d", typ, got, ok, want)
		}
	}
}

func TestConverseError(t *testing.T) {
	e := newEnv(t)
	f := newFake(t, reply{status: 400, headers: map[string]string{"X-Amzn-Errortype": "ValidationException:http://example.invalid/errors/"},
		body: `{"message":"no such model: fake-model"}`})
	_, err := e.runtime(f.URL, true).Converse(context.Background(), &bedrockruntime.ConverseInput{
		ModelId:  aws.String("anthropic.claude-does-not-exist-v0:0"),
		Messages: []types.Message{{Role: types.ConversationRoleUser, Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: "hi"}}}},
	})
	var ve *types.ValidationException
	if !errors.As(err, &ve) {
		t.Fatalf("caller got %v, want the SDK's ValidationException untouched", err)
	}
	s := e.oneSpan()
	if s.Status().Code != codes.Error || s.Status().Description != "no such model: fake-model" {
		t.Errorf("status %+v", s.Status())
	}
	a := attrsOf(s)
	a.want(t, map[string]any{
		"error.type":                "ValidationException",
		"gen_ai.request.model":      "anthropic.claude-does-not-exist-v0:0",
		"gen_ai.prompt.0.role":      "user",
		"gen_ai.prompt.0.content":   "hi",
		"gen_ai.response.model":     nil,
		"gen_ai.usage.input_tokens": nil,
	})
	if len(s.Events()) != 0 {
		t.Errorf("events %v", s.Events())
	}
	checkMetrics(t, e, nil, "ValidationException", -1, -1)
	var api smithy.APIError
	if !errors.As(err, &api) || api.ErrorCode() != "ValidationException" {
		t.Errorf("api error %v", err)
	}
}

// Installing twice (config-wide and per client) gives one span and a working
// call.
func TestInstallTwice(t *testing.T) {
	e := newEnv(t)
	f := newFake(t, reply{body: converseReply})
	cfg := e.cfg(f.URL)
	AppendMiddlewares(&cfg.APIOptions, e.opts(true)...)
	c := NewFromConfig(cfg, WithTracing(e.opts(true)...))
	if _, err := c.Converse(context.Background(), converseInput(), WithTracing(e.opts(true)...)); err != nil {
		t.Fatal(err)
	}
	if n := len(e.spans()); n != 1 {
		t.Fatalf("%d spans, want 1", n)
	}
}

func TestUninstrument(t *testing.T) {
	e := newEnv(t)
	f := newFake(t, reply{body: converseReply})
	c := e.runtime(f.URL, true)
	Uninstrument()
	_, err := c.Converse(context.Background(), converseInput())
	Instrument()
	if err != nil {
		t.Fatal(err)
	}
	if n := len(e.rec.Started()); n != 0 {
		t.Fatalf("%d spans while uninstrumented", n)
	}
	if _, err := c.Converse(context.Background(), converseInput()); err != nil {
		t.Fatal(err)
	}
	if n := len(e.spans()); n != 1 {
		t.Fatalf("%d spans after Instrument, want 1", n)
	}
}

// TestUninstrumentedStackIsUntraced: while Uninstrumented, a traced client's
// operations are built without the tracing steps (the SDK builds each
// operation's stack anew), exactly as an untraced client's.
func TestUninstrumentedStackIsUntraced(t *testing.T) {
	e := newEnv(t)
	f := newFake(t, reply{body: converseReply})
	var installed []bool
	c := e.runtime(f.URL, true)
	look := func(o *bedrockruntime.Options) {
		o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error {
			_, ok := s.Initialize.Get(initID)
			installed = append(installed, ok)
			return nil
		})
	}
	t.Cleanup(func() { Instrument() })
	Uninstrument()
	if _, err := c.Converse(context.Background(), converseInput(), look); err != nil {
		t.Fatal(err)
	}
	Instrument()
	if _, err := c.Converse(context.Background(), converseInput(), look); err != nil {
		t.Fatal(err)
	}
	if len(installed) != 2 || installed[0] || !installed[1] {
		t.Fatalf("tracing step installed (uninstrumented, instrumented): %v", installed)
	}
}

// Instrument's options are defaults; a client's own options win.
func TestInstrumentDefaults(t *testing.T) {
	e := newEnv(t)
	f := newFake(t, reply{body: converseReply})
	Instrument(WithTracerProvider(e.tp), WithMeterProvider(e.mp), WithCaptureContent(true))
	defer Instrument()
	c := NewFromConfig(e.cfg(f.URL))
	if _, err := c.Converse(context.Background(), converseInput()); err != nil {
		t.Fatal(err)
	}
	attrsOf(e.oneSpan()).want(t, map[string]any{"gen_ai.prompt.1.content": "weather in Paris?"})
}

func TestUnsampled(t *testing.T) {
	e := newEnv(t)
	f := newFake(t, reply{body: converseReply})
	tp := noop.NewTracerProvider()
	c := bedrockruntime.NewFromConfig(e.cfg(f.URL), WithTracing(WithTracerProvider(tp), WithMeterProvider(e.mp), WithCaptureContent(true)))
	out, err := c.Converse(context.Background(), converseInput())
	if err != nil || out.Usage == nil || *out.Usage.InputTokens != 17 {
		t.Fatalf("call broken: %v %+v", err, out)
	}
}

// Operations that are not traced pass through.
func TestUntracedOperation(t *testing.T) {
	e := newEnv(t)
	f := newFake(t, reply{body: `{"inputTokens": 5}`})
	out, err := e.runtime(f.URL, true).CountTokens(context.Background(), &bedrockruntime.CountTokensInput{
		ModelId: aws.String("anthropic.claude-3-5-sonnet-20240620-v1:0"),
		Input:   &types.CountTokensInputMemberInvokeModel{Value: types.InvokeModelTokensRequest{Body: []byte(`{}`)}},
	})
	if err != nil || aws.ToInt32(out.InputTokens) != 5 {
		t.Fatalf("%v %+v", err, out)
	}
	if n := len(e.rec.Started()); n != 0 {
		t.Fatalf("%d spans for CountTokens", n)
	}
}

// WithConventions(OTelGenAI) renders the same record in the OpenTelemetry
// GenAI convention.
func TestConventionsOTel(t *testing.T) {
	e := newEnv(t)
	f := newFake(t, reply{body: converseReply})
	c := bedrockruntime.NewFromConfig(e.cfg(f.URL), WithTracing(WithTracerProvider(e.tp), WithMeterProvider(e.mp),
		WithConventions(semconv.OTelGenAI)))
	if _, err := c.Converse(context.Background(), converseInput()); err != nil {
		t.Fatal(err)
	}
	a := attrsOf(e.oneSpan())
	// OTel GenAI counts cached input tokens in input_tokens; Bedrock's 17
	// leave out the 3 read from and the 2 written to the cache.
	a.want(t, map[string]any{"gen_ai.provider.name": "aws.bedrock", "gen_ai.usage.input_tokens": 22, "gen_ai.usage.cache_read.input_tokens": 3, "gen_ai.prompt.0.role": nil})
	if got := inputTokenPoint(t, e); got != 22 {
		t.Errorf("input token metric %d, want 22", got)
	}

	// With Tracekit too, the shared key holds llm-tracekit's raw value.
	e = newEnv(t)
	c = bedrockruntime.NewFromConfig(e.cfg(f.URL), WithTracing(WithTracerProvider(e.tp), WithMeterProvider(e.mp),
		WithConventions(semconv.Tracekit, semconv.OTelGenAI)))
	if _, err := c.Converse(context.Background(), converseInput()); err != nil {
		t.Fatal(err)
	}
	attrsOf(e.oneSpan()).want(t, map[string]any{"gen_ai.usage.input_tokens": 17})
	if got := inputTokenPoint(t, e); got != 17 {
		t.Errorf("input token metric %d, want 17", got)
	}
}

// inputTokenPoint returns the sum of the input token usage points recorded.
func inputTokenPoint(t *testing.T, e *env) int64 {
	t.Helper()
	rm := e.metrics()
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if h, ok := m.Data.(metricdata.Histogram[int64]); ok && m.Name == "gen_ai.client.token.usage" {
				for _, p := range h.DataPoints {
					if v, _ := p.Attributes.Value("gen_ai.token.type"); v.AsString() == "input" {
						return p.Sum
					}
				}
			}
		}
	}
	t.Fatal("no input token point")
	return 0
}

// TestConverseFloatParameters: float32 parameters are recorded as the
// decimals the caller wrote (and the SDK sends): 0.2, not 0.20000000298023224.
func TestConverseFloatParameters(t *testing.T) {
	e := newEnv(t)
	f := newFake(t, reply{body: converseReply})
	in := converseInput()
	in.InferenceConfig.Temperature, in.InferenceConfig.TopP = aws.Float32(0.2), aws.Float32(0.9)
	if _, err := e.runtime(f.URL, false).Converse(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	a := attrsOf(e.oneSpan())
	if got := a["gen_ai.request.temperature"].AsFloat64(); got != 0.2 {
		t.Errorf("temperature %v", got)
	}
	if got := a["gen_ai.request.top_p"].AsFloat64(); got != 0.9 {
		t.Errorf("top_p %v", got)
	}
	if !strings.Contains(string(f.bodies[0]), `"temperature":0.2`) {
		t.Errorf("the SDK sent %s", f.bodies[0])
	}
}

// TestErrorMessageCredentialsScrubbed: an AWS signature-mismatch message
// quotes the canonical request, session token included: the span's status
// keeps its first sentences only; the caller gets the error unchanged.
func TestErrorMessageCredentialsScrubbed(t *testing.T) {
	e := newEnv(t)
	msg := `The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.\n\nThe Canonical String for this request should have been\n'POST\n/model/m/converse\n\nhost:bedrock-runtime.us-east-1.amazonaws.com\nx-amz-date:20250101T000000Z\nx-amz-security-token:SESSIONTOKEN\n\nhost;x-amz-date;x-amz-security-token\nabc'\n`
	f := newFake(t, reply{status: 403, headers: map[string]string{"X-Amzn-Errortype": "InvalidSignatureException:http://internal.amazon.com/coral/com.amazon.coral.service/"},
		body: `{"message":"` + msg + `"}`})
	_, err := e.runtime(f.URL, true).Converse(context.Background(), &bedrockruntime.ConverseInput{ModelId: aws.String("m")})
	if err == nil || !strings.Contains(err.Error(), "SESSIONTOKEN") {
		t.Fatalf("the caller's error changed: %v", err)
	}
	s := e.oneSpan()
	if d := s.Status().Description; strings.Contains(d, "SESSIONTOKEN") || !strings.HasPrefix(d, "The request signature we calculated") {
		t.Errorf("status %q", d)
	}
	attrsOf(s).want(t, map[string]any{"error.type": "InvalidSignatureException"})
}

// converseWith runs one Converse call with the Tracekit and OTel GenAI
// conventions and returns the span's attributes.
func converseWith(t *testing.T, capture bool, body string, in *bedrockruntime.ConverseInput) attrs {
	t.Helper()
	e := newEnv(t)
	e.extra = []Option{WithConventions(semconv.Tracekit, semconv.OTelGenAI)}
	f := newFake(t, reply{body: body})
	if _, err := e.runtime(f.URL, capture).Converse(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	return attrsOf(e.oneSpan())
}

func simpleConverseInput() *bedrockruntime.ConverseInput {
	return &bedrockruntime.ConverseInput{
		ModelId:  aws.String("us.amazon.nova-premier-v1:0"),
		Messages: []types.Message{{Role: types.ConversationRoleUser, Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: "news?"}}}},
	}
}

// TestConverseContentShapes: an answer that used a server tool (its tool
// result inside the answer) is the assistant's text and tool call; an answer
// with citations is its generated text; a user's text wrapped in
// guardContent is part of the prompt; stop sequences are recorded (OTel).
func TestConverseContentShapes(t *testing.T) {
	const ok = `{"output":{"message":{"role":"assistant","content":[{"text":"ok"}]}},"stopReason":"end_turn","usage":{"inputTokens":1,"outputTokens":1,"totalTokens":2}}`
	t.Run("server_tool", func(t *testing.T) {
		body := `{"output":{"message":{"role":"assistant","content":[
			{"toolUse":{"toolUseId":"st_1","name":"nova_grounding","type":"server_tool_use","input":{"query":"news"}}},
			{"toolResult":{"toolUseId":"st_1","type":"nova_grounding_result","content":[{"text":"search results"}]}},
			{"text":"Here is the news."}]}},
			"stopReason":"end_turn","usage":{"inputTokens":5,"outputTokens":6,"totalTokens":11}}`
		converseWith(t, true, body, simpleConverseInput()).want(t, map[string]any{
			"gen_ai.completion.0.content":                    "Here is the news.",
			"gen_ai.completion.0.tool_calls.0.id":            "st_1",
			"gen_ai.completion.0.tool_calls.0.function.name": "nova_grounding",
		})
	})
	t.Run("citations", func(t *testing.T) {
		body := `{"output":{"message":{"role":"assistant","content":[
			{"citationsContent":{"content":[{"text":"Revenue grew 5%."}],"citations":[{"title":"report","sourceContent":[{"text":"revenue grew 5%"}],"location":{"documentPage":{"documentIndex":0,"start":1,"end":1}}}]}}]}},
			"stopReason":"end_turn","usage":{"inputTokens":5,"outputTokens":6,"totalTokens":11}}`
		converseWith(t, true, body, simpleConverseInput()).want(t, map[string]any{
			"gen_ai.completion.0.content": "Revenue grew 5%.",
			"gen_ai.output.messages":      jsonValue(`[{"role":"assistant","parts":[{"type":"text","content":"Revenue grew 5%."}],"finish_reason":"stop"}]`),
		})
	})
	t.Run("guard_content", func(t *testing.T) {
		in := simpleConverseInput()
		in.Messages[0].Content = []types.ContentBlock{
			&types.ContentBlockMemberText{Value: "Context: docs. "},
			&types.ContentBlockMemberGuardContent{Value: &types.GuardrailConverseContentBlockMemberText{Value: types.GuardrailConverseTextBlock{Text: aws.String("What is X?")}}},
		}
		converseWith(t, true, ok, in).want(t, map[string]any{"gen_ai.prompt.0.content": "Context: docs. What is X?"})
		a := converseWith(t, false, ok, in)
		a.want(t, map[string]any{"gen_ai.prompt.0.role": "user"})
		a.none(t, "*.content")
	})
	t.Run("stop_sequences", func(t *testing.T) {
		in := simpleConverseInput()
		in.InferenceConfig = &types.InferenceConfiguration{StopSequences: []string{"###", "END"}}
		converseWith(t, false, ok, in).want(t, map[string]any{"gen_ai.request.stop_sequences": []string{"###", "END"}})
	})
}
