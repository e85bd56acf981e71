package observe_test

import (
	"context"
	"runtime"
	"strings"
	"testing"

	"go.opentelemetry.io/otel"

	"github.com/tracekit-go/tracekit/observe"
	"github.com/tracekit-go/tracekit/redact"
)

// TestRunEndsSpanOnGoexit: fn that leaves its goroutine with runtime.Goexit
// (t.FailNow, t.Skip inside fn) still ends the span.
func TestRunEndsSpanOnGoexit(t *testing.T) {
	p := newPipeline()
	obs := observe.New(observe.WithTracerProvider(p.tp))
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = observe.RunWith(obs, context.Background(), observe.Task, "exits", "in",
			func(context.Context) (string, error) {
				runtime.Goexit()
				return "", nil
			})
	}()
	<-done
	if n := len(p.rec.Ended()); n != 1 {
		t.Fatalf("%d ended spans after runtime.Goexit in fn, want 1", n)
	}
}

// TestRedactorPanicStaysInside: a panicking redactor is a panic inside
// tracing: it reaches otel.Handle, not the caller; fn still runs, the span
// ends, and the unredacted content is not recorded.
func TestRedactorPanicStaysInside(t *testing.T) {
	var handled []error
	prev := otel.GetErrorHandler()
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) { handled = append(handled, err) }))
	t.Cleanup(func() { otel.SetErrorHandler(prev) })

	p := newPipeline()
	bad := redact.Func(func(s string) string { panic("redactor bug") })
	obs := observe.New(observe.WithTracerProvider(p.tp), observe.WithCaptureContent(true), observe.WithRedactor(bad))

	ran := false
	func() {
		defer func() {
			if r := recover(); r != nil {
				t.Errorf("the redactor's panic reached the caller: %v", r)
			}
		}()
		out, err := observe.RunWith(obs, context.Background(), observe.Tool, "lookup", "secret sk-input",
			func(ctx context.Context) (string, error) {
				ran = true
				s := observe.SpanFromContext(ctx)
				s.SetToolArguments(`{"q":"secret"}`)
				s.SetDocuments(observe.Document{ID: "d", Content: "secret doc"})
				return "secret output", nil
			})
		if out != "secret output" || err != nil {
			t.Errorf("Run = %q, %v", out, err)
		}
	}()
	if !ran {
		t.Error("fn did not run")
	}
	ended := p.rec.Ended()
	if len(ended) != 1 {
		t.Fatalf("%d ended spans, want 1", len(ended))
	}
	for _, kv := range ended[0].Attributes() {
		if strings.Contains(kv.Value.String(), "secret") {
			t.Errorf("unredacted content recorded: %s = %s", kv.Key, kv.Value.String())
		}
	}
	if len(handled) == 0 {
		t.Error("the redactor's panic was not reported through otel.Handle")
	}
}

// TestNilOptions: nil options are ignored, as export's are.
func TestNilOptions(t *testing.T) {
	p := newPipeline()
	obs := observe.New(nil, observe.WithTracerProvider(p.tp), nil)
	func() {
		defer func() {
			if r := recover(); r != nil {
				t.Errorf("nil option panicked: %v", r)
			}
		}()
		_, s := obs.Start(context.Background(), observe.Agent, "a", nil, observe.WithHandoffs("b"))
		s.End()
	}()
	if n := len(p.rec.Ended()); n != 1 {
		t.Fatalf("%d ended spans, want 1", n)
	}
}
