// Command coralogix sends the traces and metrics of a traced chat call and a
// traced streamed call to Coralogix. The calls go to an in-process fake of
// the OpenAI API unless -live is given.
//
//	CX_TOKEN=... CX_ENDPOINT=ingress.eu2.coralogix.com:443 \
//	CX_APPLICATION_NAME=shop CX_SUBSYSTEM_NAME=assistant go run ./examples/coralogix
//
// Without CX_TOKEN (or CX_ENDPOINT) it explains what is missing and prints
// the trace to the console instead, so it runs offline.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"go.opentelemetry.io/otel"

	"github.com/tracekit-go/tracekit/coralogix"
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
	// One call: OTLP gRPC to CX_ENDPOINT with the Coralogix headers, traces
	// and metrics, and content capture turned ON for every instrumentation
	// (Coralogix AI Center needs prompts and completions; set
	// DisableContentCapture to keep them out).
	shutdown, err := coralogix.Setup(ctx, coralogix.Config{ServiceName: "coralogix-example"})
	if errors.Is(err, coralogix.ErrNoToken) || errors.Is(err, coralogix.ErrNoEndpoint) {
		log.Printf("%v\nrunning offline: the trace is printed below instead", err)
		shutdown, err = export.Setup(ctx, export.WithServiceName("coralogix-example"), export.WithConsole(os.Stderr))
		openaitrace.Instrument(openaitrace.WithCaptureContent(true)) // as Coralogix would
	}
	if err != nil {
		return err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := shutdown(sctx); err != nil {
			log.Print(err)
		}
	}()

	var opts []option.RequestOption
	if !live {
		fake := fakellm.New()
		defer fake.Close()
		opts = append(opts, option.WithBaseURL(fake.URL+"/v1/"), option.WithAPIKey("offline"))
	} else if os.Getenv("OPENAI_API_KEY") == "" {
		return fmt.Errorf("-live needs OPENAI_API_KEY")
	}
	client := openaitrace.NewClient(opts...)

	ctx, span := otel.Tracer("coralogix-example").Start(ctx, "support answer")
	defer span.End()
	completion, err := client.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
		Model: "gpt-4o-mini",
		Messages: []openai.ChatCompletionMessageParamUnion{
			openai.SystemMessage("You are a helpful support agent."),
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
	var acc openai.ChatCompletionAccumulator
	for stream.Next() {
		acc.AddChunk(stream.Current())
	}
	if err := stream.Err(); err != nil {
		return err
	}
	fmt.Println("stream:", acc.Choices[0].Message.Content)
	return nil
}
