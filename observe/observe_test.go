package observe_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"

	"github.com/tracekit-go/tracekit/observe"
	"github.com/tracekit-go/tracekit/redact"
	"github.com/tracekit-go/tracekit/semconv"
)

func TestGoroutines(t *testing.T) {
	p := newPipeline()
	obs := observe.New(observe.WithTracerProvider(p.tp), observe.WithCaptureContent(true))
	ctx := observe.WithUser(context.Background(), "u1")
	ctx, root := obs.Start(ctx, observe.Workflow, "fan-out")
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// The package-level Run finds the Observer of the parent span.
			_, _ = observe.Run(ctx, observe.Task, fmt.Sprintf("task-%d", i), i, func(ctx context.Context) (int, error) {
				observe.SpanFromContext(ctx).SetAttributes(attribute.Int("worker", i))
				// Setters on the shared root span from many goroutines.
				observe.SpanFromContext(ctx).SetAttributes()
				root.SetOutput(i)
				return i * i, nil
			})
		}()
	}
	wg.Wait()
	root.End()
	spans := p.byName(t)
	if len(spans) != 9 {
		t.Fatalf("%d spans", len(spans))
	}
	for i := range 8 {
		s := spans[fmt.Sprintf("task-%d", i)]
		if s == nil {
			t.Fatalf("task-%d missing", i)
		}
		childOf(t, s, spans["fan-out"])
		attrsOf(s).want(t, s.Name(), map[string]any{"user.id": "u1", "tracekit.span.kind": "task", "worker": i,
			"tracekit.input.value": i, "tracekit.input.mime_type": "application/json", "tracekit.output.value": i * i})
	}
}

type myErr struct{}

func (myErr) Error() string     { return "quota exceeded" }
func (myErr) ErrorType() string { return "quota" }

func TestRunErrors(t *testing.T) {
	p := newPipeline()
	obs := observe.New(observe.WithTracerProvider(p.tp), observe.WithCaptureContent(true))
	ctx := context.Background()
	_, err := observe.RunWith(obs, ctx, observe.Tool, "fails", "in", func(context.Context) (string, error) {
		return "ignored", errors.New("boom")
	})
	if err == nil || err.Error() != "boom" {
		t.Fatalf("err = %v", err)
	}
	_, _ = observe.RunWith(obs, ctx, observe.Tool, "typed", "in", func(context.Context) (string, error) { return "", myErr{} })
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, _ = observe.RunWith(obs, cctx, observe.Task, "canceled", 1, func(ctx context.Context) (int, error) { return 0, ctx.Err() })
	func() {
		defer func() {
			if r := recover(); r != "kaboom" {
				t.Errorf("recovered %v, want the panic to propagate", r)
			}
		}()
		_, _ = observe.RunWith(obs, ctx, observe.Guardrail, "panics", 1, func(context.Context) (int, error) { panic("kaboom") })
	}()
	spans := p.byName(t)
	for name, typ := range map[string]string{"fails": "*errors.errorString", "typed": "quota", "canceled": "canceled", "panics": "panic"} {
		s := spans[name]
		if s == nil {
			t.Fatalf("%s missing", name)
		}
		if s.Status().Code != codes.Error {
			t.Errorf("%s: status %v", name, s.Status())
		}
		a := attrsOf(s)
		a.want(t, name, map[string]any{"error.type": typ, "tracekit.output.value": nil})
		if len(s.Events()) != 1 || s.Events()[0].Name != "exception" {
			t.Errorf("%s: events %v", name, s.Events())
		}
	}
}

func TestCaptureOff(t *testing.T) {
	p := newPipeline()
	obs := observe.New(observe.WithTracerProvider(p.tp), observe.WithCaptureContent(false),
		observe.WithConventions(semconv.Tracekit|semconv.OTelGenAI|semconv.OpenInference))
	ctx, s := obs.Start(context.Background(), observe.Retriever, "kb", observe.WithInput("secret query"))
	s.SetDocuments(observe.Document{ID: "d", Content: "secret doc"})
	s.SetOutput("secret out")
	s.SetToolArguments(`{"a":1}`)
	_, _ = observe.Run(ctx, observe.Tool, "t", "secret args", func(context.Context) (string, error) { return "secret result", nil })
	s.End()
	for _, sp := range p.rec.Ended() {
		a := attrsOf(sp)
		a.none(t, sp.Name(), "input.", "output.", "tracekit.input", "tracekit.output", "retrieval.", "tracekit.documents",
			"gen_ai.retrieval", "gen_ai.tool.call.arguments", "gen_ai.tool.call.result", "gen_ai.input", "gen_ai.output")
		for k, v := range a {
			if v.Type() == attribute.STRING && len(v.AsString()) >= 6 && v.AsString()[:6] == "secret" {
				t.Errorf("%s: %s = %q with capture off", sp.Name(), k, v.AsString())
			}
		}
	}
	// Non-content attributes are still there.
	attrsOf(p.byName(t)["retrieval kb"]).want(t, "kb", map[string]any{"gen_ai.operation.name": "retrieval",
		"openinference.span.kind": "RETRIEVER", "tracekit.span.kind": "retriever"})
}

func TestNilSpanAndUninstrument(t *testing.T) {
	var s *observe.Span
	s.SetInput("x")
	s.SetOutput("x")
	s.SetDocuments(observe.Document{})
	s.SetTools(observe.ToolDefinition{Name: "t"})
	s.SetHandoffs("a")
	s.SetToolDescription("d")
	s.SetToolCallID("id")
	s.SetToolArguments("{}")
	s.SetAttributes(attribute.Bool("b", true))
	s.RecordError(errors.New("e"))
	s.End()
	if s.SpanContext().IsValid() {
		t.Fatal("nil span has a valid span context")
	}
	if observe.SpanFromContext(context.Background()) != nil || observe.SpanFromContext(nilCtx()) != nil {
		t.Fatal("span from an empty context")
	}

	p := newPipeline()
	obs := observe.New(observe.WithTracerProvider(p.tp))
	observe.Uninstrument()
	ctx := context.Background()
	ctx2, sp := obs.Start(ctx, observe.Agent, "off")
	out, err := observe.RunWith(obs, ctx, observe.Tool, "off", 2, func(context.Context) (int, error) { return 4, nil })
	observe.Instrument()
	if sp != nil || ctx2 != ctx || out != 4 || err != nil {
		t.Fatalf("uninstrumented: span %v, ctx changed %v, out %v, err %v", sp, ctx2 != ctx, out, err)
	}
	_, sp = obs.Start(ctx, observe.Agent, "on")
	sp.End()
	sp.End() // twice: no-op
	sp.SetOutput("after end")
	if n := len(p.rec.Ended()); n != 1 {
		t.Fatalf("%d spans, want 1", n)
	}
}

func TestValuesAndKinds(t *testing.T) {
	p := newPipeline()
	obs := observe.New(observe.WithTracerProvider(p.tp), observe.WithCaptureContent(true),
		observe.WithConventions(semconv.OpenInference|semconv.Tracekit))
	ctx := context.Background()
	for _, k := range []struct {
		kind observe.Kind
		oi   string
	}{{observe.Chain, "CHAIN"}, {observe.Task, "CHAIN"}, {observe.Reranker, "RERANKER"}, {observe.Embedding, "EMBEDDING"},
		{observe.Guardrail, "GUARDRAIL"}, {observe.Evaluator, "EVALUATOR"}} {
		_, s := obs.Start(ctx, k.kind, "k-"+string(k.kind)+k.oi, observe.WithAttributes(attribute.String("custom", "v")))
		s.SetInput(json.RawMessage(`{"raw":true}`))
		s.SetOutput([]byte("bytes"))
		if k.kind == observe.Reranker {
			s.SetDocuments(observe.Document{ID: "a", Content: "A", Score: 2})
		}
		s.End()
		sp := p.byName(t)["k-"+string(k.kind)+k.oi]
		a := attrsOf(sp)
		a.want(t, sp.Name(), map[string]any{"openinference.span.kind": k.oi, "tracekit.span.kind": string(k.kind), "custom": "v",
			"input.value": `{"raw":true}`, "input.mime_type": "application/json", "output.value": "bytes", "output.mime_type": "text/plain"})
		if k.kind == observe.Reranker {
			a.want(t, sp.Name(), map[string]any{"reranker.output_documents.0.document.id": "a", "reranker.output_documents.0.document.score": 2,
				"tracekit.documents.0.content": "A", "retrieval.documents.0.document.id": nil})
		}
	}
	// An unmarshalable value falls back to its fmt form.
	_, s := obs.Start(ctx, observe.Task, "chan")
	s.SetInput(make(chan int))
	s.End()
	if v := attrsOf(p.byName(t)["chan"])["input.mime_type"]; v.AsString() != "text/plain" {
		t.Errorf("chan input mime %q", v.AsString())
	}
}

func TestRequestContextMerge(t *testing.T) {
	ctx := observe.WithMetadata(context.Background(), map[string]string{"a": "1", "b": "2"})
	ctx2 := observe.WithMetadata(ctx, map[string]string{"b": "3"})
	ctx2 = observe.WithTags(observe.WithTags(ctx2, "x", "y"), "y", "", "z")
	rc := observe.RequestContextFrom(ctx2)
	if rc.Metadata["a"] != "1" || rc.Metadata["b"] != "3" || fmt.Sprint(rc.Tags) != "[x y z]" {
		t.Fatalf("merged %+v", rc)
	}
	if observe.RequestContextFrom(ctx).Metadata["b"] != "2" {
		t.Fatal("parent context changed")
	}
	if rc := observe.RequestContextFrom(context.Background()); rc.User != "" || rc.Metadata != nil {
		t.Fatalf("empty context: %+v", rc)
	}
}

// defaultSet tells whether TestRedactorDefault already set the process-wide
// default redactor in this process (go test -count N runs it N times).
var defaultSet bool

func TestRedactorDefault(t *testing.T) {
	if defaultSet {
		t.Skip("the process-wide default redactor can be set once per process: checked on the first run")
	}
	defaultSet = true
	p := newPipeline()
	on := observe.New(observe.WithTracerProvider(p.tp), observe.WithCaptureContent(true))
	off := observe.New(observe.WithTracerProvider(p.tp), observe.WithCaptureContent(true), observe.WithRedactor(nil))
	// A span before the default is set: the observer's settings are
	// resolved (and cached) now, yet the default set later applies.
	_, _ = observe.RunWith(on, context.Background(), observe.Task, "before", "mail a@b.io", func(context.Context) (int, error) { return 0, nil })
	// The only test in this package that sets the process-wide default.
	if err := redact.SetDefault(redact.New(redact.Only(redact.Email))); err != nil {
		t.Fatal(err)
	}
	_, _ = observe.RunWith(on, context.Background(), observe.Task, "default", "mail a@b.io", func(context.Context) (int, error) { return 0, nil })
	_, _ = observe.RunWith(off, context.Background(), observe.Task, "none", "mail a@b.io", func(context.Context) (int, error) { return 0, nil })
	spans := p.byName(t)
	attrsOf(spans["before"]).want(t, "before", map[string]any{"tracekit.input.value": "mail a@b.io"})
	attrsOf(spans["default"]).want(t, "default", map[string]any{"tracekit.input.value": "mail [REDACTED]"})
	attrsOf(spans["none"]).want(t, "none", map[string]any{"tracekit.input.value": "mail a@b.io"})
}

// nilCtx returns a nil context, which SpanFromContext accepts.
func nilCtx() context.Context { return nil }

// TestErrorCredentialsScrubbed: an error whose message quotes credentials
// (an AWS signature error from a tool's own SDK call, a header) reaches the
// span's status and exception event scrubbed; the caller gets it unchanged.
func TestErrorCredentialsScrubbed(t *testing.T) {
	p := newPipeline()
	obs := observe.New(observe.WithTracerProvider(p.tp))
	secret := errors.New("calling the store: Authorization: Bearer sk-live-SECRET1 rejected, x-amz-security-token:SECRET2")
	_, err := observe.RunWith(obs, context.Background(), observe.Tool, "leaky", "in", func(context.Context) (string, error) { return "", secret })
	if err != secret {
		t.Fatalf("caller got %v", err)
	}
	s := p.byName(t)["leaky"]
	texts := []string{s.Status().Description}
	for _, ev := range s.Events() {
		for _, kv := range ev.Attributes {
			texts = append(texts, kv.Value.String())
		}
	}
	if len(s.Events()) != 1 || s.Events()[0].Name != "exception" {
		t.Fatalf("events %v", s.Events())
	}
	for _, txt := range texts {
		if strings.Contains(txt, "SECRET") {
			t.Errorf("a credential reached the span: %q", txt)
		}
	}
	if !strings.Contains(s.Status().Description, "calling the store") {
		t.Errorf("status %q", s.Status().Description)
	}
}
