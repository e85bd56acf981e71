// Command quickstart makes a traced chat call and a traced streamed call and
// prints the trace as a tree. It runs offline against an in-process fake of
// the OpenAI API unless -live is given (which needs OPENAI_API_KEY).
//
//	go run ./examples/quickstart
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"go.opentelemetry.io/otel"

	"github.com/tracekit-go/tracekit/examples/internal/fakellm"
	"github.com/tracekit-go/tracekit/export"
	"github.com/tracekit-go/tracekit/openaitrace"
)

func main() {
	live := flag.Bool("live", false, "call the real OpenAI API (needs OPENAI_API_KEY) instead of the in-process fake")
	flag.Parse()
	if err := run(*live); err != nil {
		log.Fatal(err)
	}
}

func run(live bool) error {
	ctx := context.Background()

	// 1. One call at start-up. With no OTEL_* variables set, traces are
	//    printed to standard error as trees; set OTEL_EXPORTER_OTLP_ENDPOINT
	//    (and friends) to send them to a collector instead.
	shutdown, err := export.Setup(ctx, export.WithServiceName("quickstart"))
	if err != nil {
		return err
	}
	defer func() {
		// Flush, giving up after five seconds whatever the backend does.
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := shutdown(sctx); err != nil {
			log.Print(err)
		}
	}()

	// 2. Prompts and completions are recorded only when asked: this demo
	//    asks. (Or set OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true.)
	openaitrace.Instrument(openaitrace.WithCaptureContent(true))

	// 3. A traced client.
	var opts []option.RequestOption
	if !live {
		fake := fakellm.New()
		defer fake.Close()
		opts = append(opts, option.WithBaseURL(fake.URL+"/v1/"), option.WithAPIKey("offline"))
	} else if os.Getenv("OPENAI_API_KEY") == "" {
		return fmt.Errorf("-live needs OPENAI_API_KEY")
	}
	client := openaitrace.NewClient(opts...)

	// A span of our own, so that both calls show under one trace.
	ctx, span := otel.Tracer("quickstart").Start(ctx, "answer questions")
	defer span.End()

	completion, err := client.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
		Model: "gpt-4o-mini",
		Messages: []openai.ChatCompletionMessageParamUnion{
			openai.SystemMessage("You answer in one sentence."),
			openai.UserMessage("What is the capital of France?"),
		},
	})
	if err != nil {
		return err
	}
	fmt.Println("chat:  ", completion.Choices[0].Message.Content)

	stream := client.Chat.Completions.NewStreaming(ctx, openai.ChatCompletionNewParams{
		Model:         "gpt-4o-mini",
		Messages:      []openai.ChatCompletionMessageParamUnion{openai.UserMessage("How fast is light?")},
		StreamOptions: openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)},
	})
	defer stream.Close()
	fmt.Print("stream: ")
	for stream.Next() {
		if c := stream.Current(); len(c.Choices) > 0 {
			fmt.Print(c.Choices[0].Delta.Content)
		}
	}
	fmt.Println()
	return stream.Err()
}
