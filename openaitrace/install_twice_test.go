package openaitrace

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// TestNewClientWithTracingOptions: NewClient given WithTracing(opts...)
// installs that one, with its options (here its provider and content
// capture), and no second one that would take the call with the package
// defaults.
func TestNewClientWithTracingOptions(t *testing.T) {
	t.Setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "")
	srv := httptest.NewServer(jsonHandler(200, chatResponseJSON))
	defer srv.Close()
	rec := tracetest.NewSpanRecorder()
	client := NewClient(option.WithBaseURL(srv.URL), option.WithAPIKey("k"), option.WithMaxRetries(0),
		WithTracing(WithTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))), WithCaptureContent(true)))
	if _, err := client.Chat.Completions.New(context.Background(), chatParams()); err != nil {
		t.Fatal(err)
	}
	spans := rec.Ended()
	if len(spans) != 1 {
		t.Fatalf("%d spans in the option's provider, want 1", len(spans))
	}
	if _, ok := attrs(spans[0])["gen_ai.prompt.0.content"]; !ok {
		t.Error("WithTracing(WithCaptureContent(true)) given to NewClient captured no content")
	}
}

// TestInstalledTwiceOptionsReported: a call traced by its client's
// installation and by one of its own is traced once, by the client's; the
// ignored options of the call's installation are reported through
// otel.Handle, once per process.
func TestInstalledTwiceOptionsReported(t *testing.T) {
	var mu sync.Mutex
	var handled []error
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) { mu.Lock(); handled = append(handled, err); mu.Unlock() }))
	t.Cleanup(func() { otel.SetErrorHandler(otel.ErrorHandlerFunc(func(error) {})) })
	ignoredReported.Store(false)
	t.Cleanup(func() { ignoredReported.Store(false) })

	srv := httptest.NewServer(jsonHandler(200, chatResponseJSON))
	defer srv.Close()
	rec := tracetest.NewSpanRecorder()
	other := tracetest.NewSpanRecorder()
	client := openai.NewClient(option.WithBaseURL(srv.URL), option.WithAPIKey("k"), option.WithMaxRetries(0),
		WithTracing(WithTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec)))))
	// Without options of its own, a second installation is no news.
	if _, err := client.Chat.Completions.New(context.Background(), chatParams(), WithTracing()); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := client.Chat.Completions.New(context.Background(), chatParams(),
			WithTracing(WithTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(other))))); err != nil {
			t.Fatal(err)
		}
	}
	if n, m := len(rec.Ended()), len(other.Ended()); n != 4 || m != 0 {
		t.Errorf("%d spans by the client's installation, %d by the call's; want 4 and 0", n, m)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(handled) != 1 || !errors.Is(handled[0], errIgnoredOptions) {
		t.Errorf("reported %v, want errIgnoredOptions once", handled)
	}
}

// TestNewClientWithTracingOutermost: a WithTracing given to NewClient after
// another middleware is still installed outermost, as NewClient promises:
// a middleware that calls next twice (hedging, say) makes one SDK call,
// traced once.
func TestNewClientWithTracingOutermost(t *testing.T) {
	srv := httptest.NewServer(jsonHandler(200, chatResponseJSON))
	defer srv.Close()
	rec := tracetest.NewSpanRecorder()
	twice := option.WithMiddleware(func(r *http.Request, next option.MiddlewareNext) (*http.Response, error) {
		r2 := r.Clone(r.Context())
		if r.GetBody != nil {
			r2.Body, _ = r.GetBody()
		}
		resp, err := next(r)
		if err == nil {
			resp.Body.Close()
		}
		return next(r2)
	})
	client := NewClient(option.WithBaseURL(srv.URL), option.WithAPIKey("k"), option.WithMaxRetries(0), twice,
		WithTracing(WithTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec)))))
	if _, err := client.Chat.Completions.New(context.Background(), chatParams()); err != nil {
		t.Fatal(err)
	}
	if n := len(rec.Ended()); n != 1 {
		t.Fatalf("%d spans for one SDK call; tracing is not the outermost middleware", n)
	}
}
