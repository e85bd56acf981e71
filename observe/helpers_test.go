package observe_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/tracekit-go/tracekit/observe"
)

// pipeline is one test's tracer and meter providers.
type pipeline struct {
	rec    *tracetest.SpanRecorder
	tp     *sdktrace.TracerProvider
	reader *sdkmetric.ManualReader
	mp     *sdkmetric.MeterProvider
}

func newPipeline() *pipeline {
	p := &pipeline{rec: tracetest.NewSpanRecorder(), reader: sdkmetric.NewManualReader()}
	p.tp = sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(p.rec))
	p.mp = sdkmetric.NewMeterProvider(sdkmetric.WithReader(p.reader))
	return p
}

// byName returns the ended spans by name; it fails on duplicates.
func (p *pipeline) byName(t *testing.T) map[string]sdktrace.ReadOnlySpan {
	t.Helper()
	m := map[string]sdktrace.ReadOnlySpan{}
	for _, s := range p.rec.Ended() {
		if _, dup := m[s.Name()]; dup {
			t.Fatalf("two spans named %q", s.Name())
		}
		m[s.Name()] = s
	}
	return m
}

func (p *pipeline) counterSum(t *testing.T, name string) float64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := p.reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != name {
				continue
			}
			for _, dp := range m.Data.(metricdata.Sum[float64]).DataPoints {
				sum += dp.Value
				if v, ok := dp.Attributes.Value("gen_ai.usage.cost.currency"); !ok || v.AsString() != "USD" {
					t.Errorf("%s data point without the currency: %v", name, dp.Attributes.ToSlice())
				}
				if _, ok := dp.Attributes.Value("gen_ai.request.model"); !ok {
					t.Errorf("%s data point without the model: %v", name, dp.Attributes.ToSlice())
				}
			}
		}
	}
	return sum
}

type attrs map[string]attribute.Value

func attrsOf(s sdktrace.ReadOnlySpan) attrs {
	m := attrs{}
	for _, kv := range s.Attributes() {
		m[string(kv.Key)] = kv.Value
	}
	return m
}

// want checks every key: a nil value means "absent".
func (a attrs) want(t *testing.T, span string, kv map[string]any) {
	t.Helper()
	keys := make([]string, 0, len(kv))
	for k := range kv {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		w := kv[k]
		v, ok := a[k]
		if w == nil {
			if ok {
				t.Errorf("%s: %s = %s, want absent", span, k, v.String())
			}
			continue
		}
		if !ok {
			t.Errorf("%s: %s missing (have %s)", span, k, a.keys())
			continue
		}
		if got := fmt.Sprint(v.AsInterface()); got != fmt.Sprint(w) {
			t.Errorf("%s: %s = %s, want %v", span, k, got, w)
		}
	}
}

// none checks that no key starts with one of the prefixes.
func (a attrs) none(t *testing.T, span string, prefixes ...string) {
	t.Helper()
	for k := range a {
		for _, p := range prefixes {
			if strings.HasPrefix(k, p) {
				t.Errorf("%s: unexpected %s", span, k)
			}
		}
	}
}

func (a attrs) keys() string {
	ks := make([]string, 0, len(a))
	for k := range a {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return strings.Join(ks, " ")
}

// childOf fails unless child's parent is parent.
func childOf(t *testing.T, child, parent sdktrace.ReadOnlySpan) {
	t.Helper()
	if child.Parent().SpanID() != parent.SpanContext().SpanID() || child.SpanContext().TraceID() != parent.SpanContext().TraceID() {
		t.Errorf("%q is not a child of %q", child.Name(), parent.Name())
	}
}

// llmFunc calls a model: it returns the model's text, or the name and JSON
// arguments of the tool it asks for.
type llmFunc func(ctx context.Context, prompt string, toolResult string) (text, tool, args string, err error)

// runAgent is the application under test: a workflow running an agent that
// retrieves documents, calls the model, runs the tool the model asks for and
// calls the model again.
func runAgent(ctx context.Context, obs *observe.Observer, llm llmFunc) (string, error) {
	return observe.RunWith(obs, ctx, observe.Workflow, "support", "Where is my order? I am jane@example.com",
		func(ctx context.Context) (string, error) {
			ctx, agent := observe.Start(ctx, observe.Agent, "research_agent",
				observe.WithTools(observe.ToolDefinition{Name: "web_search", Description: "Search the web"}),
				observe.WithHandoffs("billing_agent"))
			defer agent.End()
			agent.SetInput("Where is my order? I am jane@example.com")

			docs, err := observe.Run(ctx, observe.Retriever, "kb", "order status", func(ctx context.Context) ([]observe.Document, error) {
				d := []observe.Document{{ID: "doc-1", Content: "Orders ship in 2 days. Call +44 20 7946 0958.", Score: 0.9, Metadata: map[string]any{"source": "faq"}}}
				observe.SpanFromContext(ctx).SetDocuments(d...)
				return d, nil
			})
			if err != nil {
				return "", err
			}
			_, tool, args, err := llm(ctx, "Where is my order? I am jane@example.com. Context: "+docs[0].Content, "")
			if err != nil {
				return "", err
			}
			result, err := observe.Run(ctx, observe.Tool, tool, args, func(ctx context.Context) (string, error) {
				s := observe.SpanFromContext(ctx)
				s.SetToolDescription("Search the web")
				s.SetToolCallID("call_1")
				s.SetToolArguments(args)
				return "shipped on Monday", nil
			})
			if err != nil {
				return "", err
			}
			text, _, _, err := llm(ctx, "", result)
			if err != nil {
				return "", err
			}
			agent.SetOutput(text)
			return text, nil
		})
}
