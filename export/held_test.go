package export

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/tracekit-go/tracekit/openaitrace"
)

// TestShutdownEndsHeldStreams: a stream its caller still holds at exit
// (never closed, on a context that never ends) is not lost: Shutdown ends
// its span, cut short (error.type=shutdown), and exports it.
func TestShutdownEndsHeldStreams(t *testing.T) {
	clearEnv(t, nil)
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = w.Write([]byte(`data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}` + "\n\n"))
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	exp := &keepingExporter{InMemoryExporter: tracetest.NewInMemoryExporter()}
	ctx := context.Background()
	p, err := New(ctx, WithSpanExporter(exp))
	if err != nil {
		t.Fatal(err)
	}
	client := openai.NewClient(option.WithBaseURL(srv.URL), option.WithAPIKey("k"), option.WithMaxRetries(0),
		openaitrace.WithTracing(openaitrace.WithTracerProvider(p.TracerProvider), openaitrace.WithMeterProvider(p.MeterProvider)))
	stream := client.Chat.Completions.NewStreaming(ctx, openai.ChatCompletionNewParams{Model: "m",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")}})
	if !stream.Next() {
		t.Fatal(stream.Err())
	}
	if err := p.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	spans := exp.GetSpans()
	if len(spans) != 1 {
		t.Fatalf("%d spans exported, want the held stream's", len(spans))
	}
	found := false
	for _, kv := range spans[0].Attributes {
		if kv.Key == "error.type" && kv.Value.AsString() == "shutdown" {
			found = true
		}
	}
	if !found {
		t.Errorf("attributes %v, want error.type=shutdown", spans[0].Attributes)
	}
	_ = stream.Close()
}

// keepingExporter is an in-memory exporter whose Shutdown keeps the spans
// (tracetest's forgets them).
type keepingExporter struct{ *tracetest.InMemoryExporter }

func (keepingExporter) Shutdown(context.Context) error { return nil }
