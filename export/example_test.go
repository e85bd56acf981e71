package export_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/tracekit-go/tracekit/export"
	"github.com/tracekit-go/tracekit/openaitrace"
)

// Setup with a file exporter: every span becomes one JSON line, ready for
// jq. Without options, Setup reads the standard OTEL_* variables or, when
// none is set, prints traces to standard error.
func ExampleSetup() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "spans.jsonl")

	ctx := context.Background()
	shutdown, err := export.Setup(ctx, export.WithServiceName("example"), export.WithFile(path))
	if err != nil {
		log.Fatal(err)
	}
	tr := otel.Tracer("example")
	ctx, parent := tr.Start(ctx, "handle request")
	_, child := tr.Start(ctx, "chat gpt-4o-mini")
	child.End()
	parent.End()

	// Flush and stop; give up after five seconds whatever the backend does.
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := shutdown(sctx); err != nil {
		log.Fatal(err)
	}

	f, _ := os.Open(path)
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var span struct {
			Name     string            `json:"name"`
			Resource map[string]string `json:"resource"`
		}
		_ = json.Unmarshal(sc.Bytes(), &span)
		fmt.Println(span.Name, span.Resource["service.name"])
	}
	// Output:
	// chat gpt-4o-mini example
	// handle request example
}

// New builds providers without registering them globally; hand them to the
// instrumentations with WithTracerProvider and WithMeterProvider.
func ExampleNew() {
	mem := tracetest.NewInMemoryExporter()
	p, err := export.New(context.Background(), export.WithSpanExporter(mem), export.WithSampleRatio(1))
	if err != nil {
		log.Fatal(err)
	}
	_, span := p.TracerProvider.Tracer("example").Start(context.Background(), "work")
	span.End()
	_ = p.TracerProvider.ForceFlush(context.Background())
	fmt.Println(len(mem.GetSpans()), "span exported")
	_ = p.Shutdown(context.Background())
	// Output: 1 span exported
}

// The console exporter prints each trace as a tree when its root ends.
func ExampleNewConsoleExporter() {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tid := trace.TraceID{1}
	sc := func(id byte) trace.SpanContext {
		return trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: trace.SpanID{id}, TraceFlags: trace.FlagsSampled})
	}
	spans := tracetest.SpanStubs{
		{
			Name: "chat gpt-4o-mini", SpanContext: sc(2), Parent: sc(1),
			StartTime: t0, EndTime: t0.Add(1200 * time.Millisecond),
			Attributes: []attribute.KeyValue{
				attribute.String("gen_ai.request.model", "gpt-4o-mini"),
				attribute.Int("gen_ai.usage.input_tokens", 12),
				attribute.Int("gen_ai.usage.output_tokens", 34),
				attribute.StringSlice("gen_ai.response.finish_reasons", []string{"stop"}),
				attribute.String("gen_ai.prompt.0.role", "user"),
				attribute.String("gen_ai.prompt.0.content", "What is the capital of France?"),
				attribute.String("gen_ai.completion.0.role", "assistant"),
				attribute.String("gen_ai.completion.0.content", "Paris."),
			},
		},
		{Name: "handle /ask", SpanContext: sc(1), StartTime: t0, EndTime: t0.Add(1500 * time.Millisecond)},
	}
	e := export.NewConsoleExporter(os.Stdout)
	_ = e.ExportSpans(context.Background(), spans.Snapshots())
	_ = e.Shutdown(context.Background())
	// Output:
	// trace 01000000000000000000000000000000
	// └─ handle /ask  1.5s
	//    └─ chat gpt-4o-mini  1.2s  model=gpt-4o-mini  tokens in=12 out=34  finish=stop
	//          prompt:     [user] What is the capital of France?
	//          completion: [assistant] Paris.
}

// With a TracerProvider of your own, NewShutdownProcessor, registered
// first, makes its Shutdown end and export the span of a stream still open
// (never closed, on a context that never ends), cut short, rather than lose
// it.
func ExampleNewShutdownProcessor() {
	// A model that sends one chunk and then stalls.
	stall := make(chan struct{})
	defer close(stall)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, `data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"content":"Hi"}}]}`+"\n\n")
		w.(http.Flusher).Flush()
		select {
		case <-stall:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()

	recorder := tracetest.NewSpanRecorder() // (stands for your exporter's processor)
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithSpanProcessor(export.NewShutdownProcessor()), // first
		sdktrace.WithSpanProcessor(recorder),
	)
	client := openai.NewClient(option.WithBaseURL(srv.URL), option.WithAPIKey("k"),
		openaitrace.WithTracing(openaitrace.WithTracerProvider(tp)))
	stream := client.Chat.Completions.NewStreaming(context.Background(), openai.ChatCompletionNewParams{
		Model: "gpt-4o-mini", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Hi")}})
	defer stream.Close()
	stream.Next() // one chunk read, and the stream left open

	_ = tp.Shutdown(context.Background())
	for _, s := range recorder.Ended() {
		for _, kv := range s.Attributes() {
			if kv.Key == "error.type" {
				fmt.Println(s.Name(), kv.Value.AsString())
			}
		}
	}
	// Output: chat gpt-4o-mini shutdown
}
