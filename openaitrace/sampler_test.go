package openaitrace

import (
	"context"
	"sync"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/tracekit-go/tracekit/semconv"
)

// recordingSampler samples everything and keeps the attributes each
// sampling decision saw.
type recordingSampler struct {
	mu   sync.Mutex
	seen [][]attribute.KeyValue
}

func (s *recordingSampler) ShouldSample(p sdktrace.SamplingParameters) sdktrace.SamplingResult {
	s.mu.Lock()
	s.seen = append(s.seen, append([]attribute.KeyValue(nil), p.Attributes...))
	s.mu.Unlock()
	return sdktrace.SamplingResult{Decision: sdktrace.RecordAndSample}
}

func (s *recordingSampler) Description() string { return "recording" }

// TestSamplerSeesRequestAttributes: every request attribute, in every
// convention, is given to the tracer when the span starts, so samplers (and
// span processors' OnStart) see them.
func TestSamplerSeesRequestAttributes(t *testing.T) {
	h := newHarness(t, jsonHandler(200, chatResponseJSON), true)
	smp := &recordingSampler{}
	h.tp = sdktrace.NewTracerProvider(sdktrace.WithSampler(smp), sdktrace.WithSpanProcessor(h.rec))
	client := openai.NewClient(option.WithBaseURL(h.srv.URL+"/v1"), option.WithAPIKey("sk-test"), option.WithMaxRetries(0),
		WithTracing(WithTracerProvider(h.tp), WithMeterProvider(h.mp), WithCaptureContent(true),
			WithConventions(semconv.Tracekit, semconv.OTelGenAI, semconv.OpenInference)))
	if _, err := client.Chat.Completions.New(context.Background(), chatParams()); err != nil {
		t.Fatal(err)
	}
	if len(smp.seen) != 1 {
		t.Fatalf("%d sampling decisions", len(smp.seen))
	}
	seen := map[string]bool{}
	for _, kv := range smp.seen[0] {
		seen[string(kv.Key)] = true
	}
	for _, k := range []string{"gen_ai.operation.name", "gen_ai.system", "gen_ai.provider.name", "gen_ai.request.model",
		"server.address", "server.port", "openinference.span.kind", "llm.model_name", "llm.provider", "llm.system",
		"gen_ai.prompt.0.content", "gen_ai.request.temperature", "gen_ai.request.user", "gen_ai.request.tools.0.function.name",
		"gen_ai.input.messages", "llm.input_messages.0.message.role"} {
		if !seen[k] {
			t.Errorf("the sampler did not see %s (saw %v)", k, smp.seen[0])
		}
	}
	a := attrs(h.onlySpan())
	for _, k := range []string{"gen_ai.prompt.0.content", "gen_ai.request.temperature", "gen_ai.request.user",
		"gen_ai.request.tools.0.function.name", "gen_ai.input.messages", "llm.input_messages.0.message.role", "gen_ai.request.model"} {
		if _, ok := a[k]; !ok {
			t.Errorf("finished span lacks %s", k)
		}
	}
}
