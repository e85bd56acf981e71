package observe_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/tracekit-go/tracekit/observe"
	"github.com/tracekit-go/tracekit/openaitrace"
	"github.com/tracekit-go/tracekit/redact"
	"github.com/tracekit-go/tracekit/semconv"
)

const (
	toolCallReply = `{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"gpt-4o-2024-08-06",
"choices":[{"index":0,"finish_reason":"tool_calls","message":{"role":"assistant","content":null,
"tool_calls":[{"id":"call_1","type":"function","function":{"name":"web_search","arguments":"{\"q\":\"order of jane@example.com\"}"}}]}}],
"usage":{"prompt_tokens":1000,"completion_tokens":100,"total_tokens":1100,"prompt_tokens_details":{"cached_tokens":400}}}`
	textReply = `{"id":"chatcmpl-2","object":"chat.completion","created":1,"model":"gpt-4o-2024-08-06",
"choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":"Your order shipped on Monday."}}],
"usage":{"prompt_tokens":2000,"completion_tokens":200,"total_tokens":2200}}`
)

// fakeOpenAI answers the first chat completion with a tool call and the
// others with text; it records the request bodies.
func fakeOpenAI(t *testing.T) (*httptest.Server, *[]string) {
	var n atomic.Int32
	var bodies []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		bodies = append(bodies, string(b))
		w.Header().Set("Content-Type", "application/json")
		if n.Add(1) == 1 {
			_, _ = io.WriteString(w, toolCallReply)
			return
		}
		_, _ = io.WriteString(w, textReply)
	}))
	t.Cleanup(srv.Close)
	return srv, &bodies
}

func openaiLLM(client openai.Client) llmFunc {
	return func(ctx context.Context, prompt, toolResult string) (string, string, string, error) {
		msgs := []openai.ChatCompletionMessageParamUnion{openai.UserMessage(prompt)}
		if toolResult != "" {
			msgs = []openai.ChatCompletionMessageParamUnion{openai.ToolMessage(toolResult, "call_1")}
		}
		resp, err := client.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "gpt-4o", Messages: msgs})
		if err != nil {
			return "", "", "", err
		}
		m := resp.Choices[0].Message
		if len(m.ToolCalls) > 0 {
			return "", m.ToolCalls[0].Function.Name, m.ToolCalls[0].Function.Arguments, nil
		}
		return m.Content, "", "", nil
	}
}

// prices: gpt-4o at 2.5 / 1.25 / 10 per million tokens.
var prices = openaitrace.Pricing{"gpt-4o*": {Input: 2.5, CachedInput: 1.25, Output: 10, Currency: "USD"}}

// requestContext is the request context of the tree tests.
func requestContext() context.Context {
	ctx := observe.WithUser(context.Background(), "user-42")
	ctx = observe.WithSession(ctx, "sess-7")
	ctx = observe.WithOrganization(ctx, "org-1")
	ctx = observe.WithProject(ctx, "proj-2")
	ctx = observe.WithMetadata(ctx, map[string]string{"tier": "gold"})
	return observe.WithTags(ctx, "beta", "eu")
}

var conventions = []struct {
	name string
	conv semconv.Convention
}{
	{"tracekit", semconv.Tracekit},
	{"otel", semconv.OTelGenAI},
	{"openinference", semconv.OpenInference},
}

// TestAgentTreeOpenAI runs a workflow -> agent -> retriever / llm / tool /
// llm tree through the wrapped openai-go client and checks the tree, the
// kinds, the request context, redaction and cost, per convention.
func TestAgentTreeOpenAI(t *testing.T) {
	for _, cv := range conventions {
		t.Run(cv.name, func(t *testing.T) {
			p := newPipeline()
			srv, bodies := fakeOpenAI(t)
			red := redact.New()
			obs := observe.New(observe.WithTracerProvider(p.tp), observe.WithCaptureContent(true),
				observe.WithConventions(cv.conv), observe.WithRedactor(red))
			client := openai.NewClient(option.WithBaseURL(srv.URL+"/v1"), option.WithAPIKey("k"), option.WithMaxRetries(0),
				openaitrace.WithTracing(openaitrace.WithTracerProvider(p.tp), openaitrace.WithMeterProvider(p.mp),
					openaitrace.WithCaptureContent(true), openaitrace.WithConventions(cv.conv),
					openaitrace.WithRedactor(red), openaitrace.WithPricing(prices)))

			out, err := runAgent(requestContext(), obs, openaiLLM(client))
			if err != nil || out != "Your order shipped on Monday." {
				t.Fatalf("runAgent = %q, %v", out, err)
			}
			// The wire is untouched by redaction.
			if !strings.Contains((*bodies)[0], "jane@example.com") {
				t.Errorf("request body was changed: %s", (*bodies)[0])
			}
			llms := checkTree(t, p, cv.conv)
			// Cost: (600*2.5 + 400*1.25 + 100*10)/1e6 = 0.003; (2000*2.5 + 200*10)/1e6 = 0.007.
			first, second := llms[0], llms[1]
			if cv.conv == semconv.OpenInference {
				first.want(t, "llm 1", map[string]any{"llm.cost.prompt": 0.002, "llm.cost.completion": 0.001, "llm.cost.total": 0.003,
					"gen_ai.usage.cost": nil, "gen_ai.usage.cost.currency": "USD"})
				second.want(t, "llm 2", map[string]any{"llm.cost.total": 0.007})
			} else {
				first.want(t, "llm 1", map[string]any{"gen_ai.usage.cost": 0.003, "gen_ai.usage.cost.currency": "USD", "llm.cost.total": nil})
				second.want(t, "llm 2", map[string]any{"gen_ai.usage.cost": 0.007})
			}
			if got := p.counterSum(t, "gen_ai.client.cost"); got < 0.00999 || got > 0.01001 {
				t.Errorf("gen_ai.client.cost = %v, want 0.01", got)
			}
			// The LLM spans carry the request context and the end user.
			for _, a := range llms {
				checkContext(t, "llm", a, cv.conv)
				checkUser(t, a, cv.conv, "user-42")
			}
			if cv.conv == semconv.Tracekit {
				first.want(t, "llm 1", map[string]any{
					"gen_ai.prompt.0.content":                             "Where is my order? I am [REDACTED]. Context: Orders ship in 2 days. Call [REDACTED].",
					"gen_ai.completion.0.tool_calls.0.function.arguments": `{"q":"order of [REDACTED]"}`,
				})
			}
		})
	}
}

// checkUser checks the end user of an LLM span: gen_ai.request.user
// (Tracekit), user.id (every convention; with OpenInference, the request's
// own user wins over the context's).
func checkUser(t *testing.T, a attrs, conv semconv.Convention, requestUser string) {
	t.Helper()
	switch conv {
	case semconv.Tracekit:
		a.want(t, "llm", map[string]any{"gen_ai.request.user": requestUser, "user.id": "user-42"})
	case semconv.OTelGenAI:
		a.want(t, "llm", map[string]any{"gen_ai.request.user": nil, "user.id": "user-42"})
	case semconv.OpenInference:
		a.want(t, "llm", map[string]any{"gen_ai.request.user": nil, "user.id": requestUser})
	}
}

// checkLLMRedacted fails when an attribute of an LLM span holds the e-mail
// address or phone number of the test prompt, or when the first LLM span
// carries no redacted content at all.
func checkLLMRedacted(t *testing.T, llms []attrs) {
	t.Helper()
	seen := false
	for i, a := range llms {
		for k, v := range a {
			str := v.String()
			if strings.Contains(str, "jane@example.com") || strings.Contains(str, "7946 0958") {
				t.Errorf("llm %d: %s not redacted: %s", i, k, str)
			}
			seen = seen || (i == 0 && strings.Contains(str, "[REDACTED]"))
		}
	}
	if !seen {
		t.Errorf("no redacted content on the first LLM span")
	}
}

// checkTree checks the tree and the attributes of the application spans,
// and that both LLM (CLIENT) spans are children of the agent with redacted
// content. It returns the attributes of the LLM spans in start order.
func checkTree(t *testing.T, p *pipeline, conv semconv.Convention) []attrs {
	t.Helper()
	otel := conv == semconv.OTelGenAI
	name := func(op, n string) string {
		if otel {
			return op + " " + n
		}
		return n
	}
	spans := map[string][]int{}
	all := p.rec.Ended()
	for i, s := range all {
		spans[s.Name()] = append(spans[s.Name()], i)
	}
	one := func(n string) int {
		t.Helper()
		if len(spans[n]) != 1 {
			t.Fatalf("%d spans named %q; have %v", len(spans[n]), n, spans)
		}
		return spans[n][0]
	}
	wfS := all[one(name("invoke_workflow", "support"))]
	agS := all[one(name("invoke_agent", "research_agent"))]
	kbS := all[one(name("retrieval", "kb"))]
	toS := all[one(name("execute_tool", "web_search"))]
	agent := agS.SpanContext().SpanID()
	if wfS.Parent().IsValid() {
		t.Errorf("workflow has a parent")
	}
	childOf(t, agS, wfS)
	childOf(t, kbS, agS)
	childOf(t, toS, agS)
	var llmSpans []sdktrace.ReadOnlySpan
	for _, s := range all {
		if s.SpanKind() == trace.SpanKindClient {
			llmSpans = append(llmSpans, s)
			if s.Parent().SpanID() != agent {
				t.Errorf("LLM span %q is not a child of the agent", s.Name())
			}
		}
	}
	if len(llmSpans) != 2 {
		t.Fatalf("%d LLM spans, want 2", len(llmSpans))
	}
	sort.Slice(llmSpans, func(i, j int) bool { return llmSpans[i].StartTime().Before(llmSpans[j].StartTime()) })
	llms := []attrs{attrsOf(llmSpans[0]), attrsOf(llmSpans[1])}
	checkLLMRedacted(t, llms)
	for _, s := range []sdktrace.ReadOnlySpan{wfS, agS, kbS, toS} {
		attrsOf(s).want(t, s.Name(), map[string]any{"user.id": "user-42"})
		if s.SpanKind() != trace.SpanKindInternal || s.Status().Code == codes.Error {
			t.Errorf("%q: kind %v status %v", s.Name(), s.SpanKind(), s.Status())
		}
		if s.InstrumentationScope().Name != observe.ScopeName {
			t.Errorf("%q: scope %v", s.Name(), s.InstrumentationScope())
		}
		checkContext(t, s.Name(), attrsOf(s), conv)
	}
	w, a, k, o := attrsOf(wfS), attrsOf(agS), attrsOf(kbS), attrsOf(toS)
	const redactedQ = "Where is my order? I am [REDACTED]"
	switch conv {
	case semconv.Tracekit:
		w.want(t, "workflow", map[string]any{"tracekit.span.kind": "workflow", "gen_ai.workflow.name": "support",
			"tracekit.input.value": redactedQ, "tracekit.input.mime_type": "text/plain",
			"tracekit.output.value": "Your order shipped on Monday.", "openinference.span.kind": nil, "gen_ai.operation.name": nil})
		a.want(t, "agent", map[string]any{"tracekit.span.kind": "agent", "gen_ai.agent.name": "research_agent",
			"tracekit.agent.tools": "[web_search]", "tracekit.agent.handoffs": "[billing_agent]",
			"tracekit.input.value": redactedQ, "tracekit.output.value": "Your order shipped on Monday."})
		k.want(t, "retriever", map[string]any{"tracekit.span.kind": "retriever", "tracekit.input.value": "order status",
			"tracekit.documents.0.id": "doc-1", "tracekit.documents.0.content": "Orders ship in 2 days. Call [REDACTED].",
			"tracekit.documents.0.score": 0.9, "tracekit.documents.0.metadata": `{"source":"faq"}`,
			"tracekit.output.mime_type": "application/json"})
		o.want(t, "tool", map[string]any{"tracekit.span.kind": "tool", "gen_ai.tool.name": "web_search",
			"gen_ai.tool.description": "Search the web", "gen_ai.tool.call.id": "call_1",
			"gen_ai.tool.call.arguments": `{"q":"order of [REDACTED]"}`, "tracekit.output.value": "shipped on Monday"})
	case semconv.OTelGenAI:
		w.want(t, "workflow", map[string]any{"gen_ai.operation.name": "invoke_workflow", "gen_ai.workflow.name": "support",
			"gen_ai.input.messages":  `[{"role":"user","parts":[{"type":"text","content":"` + redactedQ + `"}]}]`,
			"gen_ai.output.messages": `[{"role":"assistant","parts":[{"type":"text","content":"Your order shipped on Monday."}],"finish_reason":"stop"}]`,
			"tracekit.span.kind":     nil, "tracekit.input.value": nil, "session.id": nil})
		a.want(t, "agent", map[string]any{"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "research_agent",
			"gen_ai.tool.definitions": `[{"type":"function","name":"web_search","description":"Search the web"}]`})
		k.want(t, "retriever", map[string]any{"gen_ai.operation.name": "retrieval", "gen_ai.retrieval.query.text": "order status",
			"gen_ai.retrieval.documents": `[{"id":"doc-1","score":0.9}]`})
		o.want(t, "tool", map[string]any{"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "web_search",
			"gen_ai.tool.type": "function", "gen_ai.tool.description": "Search the web", "gen_ai.tool.call.id": "call_1",
			"gen_ai.tool.call.arguments": `{"q":"order of [REDACTED]"}`, "gen_ai.tool.call.result": "shipped on Monday"})
	case semconv.OpenInference:
		w.want(t, "workflow", map[string]any{"openinference.span.kind": "CHAIN", "input.value": redactedQ,
			"input.mime_type": "text/plain", "output.value": "Your order shipped on Monday.", "tracekit.span.kind": nil})
		a.want(t, "agent", map[string]any{"openinference.span.kind": "AGENT", "agent.name": "research_agent",
			"llm.tools.0.tool.json_schema": `{"type":"function","function":{"name":"web_search","description":"Search the web"}}`})
		k.want(t, "retriever", map[string]any{"openinference.span.kind": "RETRIEVER", "input.value": "order status",
			"retrieval.documents.0.document.id": "doc-1", "retrieval.documents.0.document.content": "Orders ship in 2 days. Call [REDACTED].",
			"retrieval.documents.0.document.score": 0.9, "retrieval.documents.0.document.metadata": `{"source":"faq"}`,
			"output.mime_type": "application/json"})
		o.want(t, "tool", map[string]any{"openinference.span.kind": "TOOL", "tool.name": "web_search",
			"tool.description": "Search the web", "tool.id": "call_1", "input.value": `{"q":"order of [REDACTED]"}`,
			"output.value": "shipped on Monday"})
	}
	return llms
}

// checkContext checks the request context attributes of one span (the
// user of LLM spans is checked by checkUser).
func checkContext(t *testing.T, span string, a attrs, conv semconv.Convention) {
	t.Helper()
	a.want(t, span, map[string]any{"tracekit.organization.id": "org-1", "tracekit.project.id": "proj-2"})
	switch conv {
	case semconv.Tracekit:
		a.want(t, span, map[string]any{"session.id": "sess-7", "tracekit.metadata.tier": "gold", "tracekit.tags": "[beta eu]",
			"gen_ai.conversation.id": nil, "metadata": nil})
	case semconv.OTelGenAI:
		a.want(t, span, map[string]any{"gen_ai.conversation.id": "sess-7", "tracekit.metadata.tier": "gold", "tracekit.tags": "[beta eu]",
			"session.id": nil})
	case semconv.OpenInference:
		a.want(t, span, map[string]any{"session.id": "sess-7", "metadata": `{"tier":"gold"}`, "tag.tags": "[beta eu]",
			"tracekit.metadata.tier": nil})
	}
}
