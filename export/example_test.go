package export_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/tracekit-go/tracekit/export"
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
