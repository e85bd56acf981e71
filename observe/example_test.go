package observe_test

import (
	"context"
	"fmt"
	"strings"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/tracekit-go/tracekit/observe"
	"github.com/tracekit-go/tracekit/redact"
	"github.com/tracekit-go/tracekit/semconv"
)

// printTree prints the spans of rec as an indented tree.
func printTree(rec *tracetest.SpanRecorder) {
	spans := rec.Ended()
	var walk func(parent string, depth int)
	walk = func(parent string, depth int) {
		for _, s := range spans {
			p := ""
			if s.Parent().IsValid() {
				p = s.Parent().SpanID().String()
			}
			if p == parent {
				fmt.Printf("%s%s\n", strings.Repeat("  ", depth), s.Name())
				walk(s.SpanContext().SpanID().String(), depth+1)
			}
		}
	}
	walk("", 0)
}

func Example() {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	obs := observe.New(observe.WithTracerProvider(tp), observe.WithCaptureContent(true))

	ctx := observe.WithUser(context.Background(), "user-42")
	answer, _ := observe.RunWith(obs, ctx, observe.Workflow, "support", "Where is my order?",
		func(ctx context.Context) (string, error) {
			ctx, agent := observe.Start(ctx, observe.Agent, "support_agent")
			defer agent.End()
			status, err := observe.Run(ctx, observe.Tool, "order_status", `{"order_id":"A-1"}`,
				func(ctx context.Context) (string, error) { return "shipped", nil })
			agent.SetOutput("Your order has " + status)
			return "Your order has " + status, err
		})
	fmt.Println(answer)
	printTree(rec)
	// Output:
	// Your order has shipped
	// support
	//   support_agent
	//     order_status
}

func ExampleSpanFromContext() {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	obs := observe.New(observe.WithTracerProvider(tp), observe.WithCaptureContent(true),
		observe.WithConventions(semconv.OpenInference))

	ctx, span := obs.Start(context.Background(), observe.Retriever, "kb")
	// Deeper in the call stack, without the span at hand:
	observe.SpanFromContext(ctx).SetDocuments(observe.Document{ID: "doc-1", Content: "Orders ship in 2 days.", Score: 0.9})
	span.End()

	for _, kv := range rec.Ended()[0].Attributes() {
		fmt.Println(kv.Key, "=", kv.Value.String())
	}
	// Output:
	// openinference.span.kind = RETRIEVER
	// retrieval.documents.0.document.id = doc-1
	// retrieval.documents.0.document.content = Orders ship in 2 days.
	// retrieval.documents.0.document.score = 0.9
}

func ExampleWithRedactor() {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	obs := observe.New(observe.WithTracerProvider(tp), observe.WithCaptureContent(true),
		observe.WithRedactor(redact.New(redact.WithReplacement("<pii>"))))

	_, _ = observe.RunWith(obs, context.Background(), observe.Task, "reply", "mail jane@example.com, card 4111 1111 1111 1111",
		func(context.Context) (string, error) { return "done", nil })
	for _, kv := range rec.Ended()[0].Attributes() {
		if kv.Key == semconv.KeyTracekitInput {
			fmt.Println(kv.Value.AsString())
		}
	}
	// Output:
	// mail <pii>, card <pii>
}

func ExampleWithUser() {
	ctx := observe.WithUser(context.Background(), "user-42")
	ctx = observe.WithSession(ctx, "thread-7")
	ctx = observe.WithMetadata(ctx, map[string]string{"plan": "pro"})
	ctx = observe.WithTags(ctx, "beta")
	rc := observe.RequestContextFrom(ctx)
	fmt.Println(rc.User, rc.Session, rc.Metadata["plan"], rc.Tags)
	// Output: user-42 thread-7 pro [beta]
}
