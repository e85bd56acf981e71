// Command openai-stream shows how streamed chat completions are traced: a
// stream read to the end, and a stream the caller abandons after a few
// chunks. It runs offline against an in-process fake of the OpenAI API
// unless -live is given (which needs OPENAI_API_KEY).
//
//	go run ./examples/openai-stream
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
	// Spans to the console on standard output, printed as soon as each
	// trace ends (the simple processor is for demos and tests).
	shutdown, err := export.Setup(ctx, export.WithServiceName("openai-stream"),
		export.WithConsole(os.Stdout), export.WithSimpleProcessor())
	if err != nil {
		return err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
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
	// Tracing options can also be given per client.
	client := openai.NewClient(append(opts, openaitrace.WithTracing(openaitrace.WithCaptureContent(true)))...)

	params := openai.ChatCompletionNewParams{
		Model:    "gpt-4o-mini",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("How fast is light?")},
		// Ask for the usage chunk, so that the span has token counts.
		StreamOptions: openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)},
	}

	// 1. Read to the end: the span ends at the end of the stream, with the
	//    whole completion, the finish reason, the usage and the time to the
	//    first chunk.
	fmt.Println("== a stream read to the end")
	stream := client.Chat.Completions.NewStreaming(ctx, params)
	var acc openai.ChatCompletionAccumulator
	for stream.Next() {
		acc.AddChunk(stream.Current())
	}
	if err := stream.Err(); err != nil {
		return err
	}
	stream.Close()
	fmt.Println("answer:", acc.Choices[0].Message.Content)

	// 2. Abandon after three chunks: Close ends the span with what was
	//    received so far. Always Close a stream (defer stream.Close()).
	fmt.Println("== a stream closed early")
	stream = client.Chat.Completions.NewStreaming(ctx, params)
	for i := 0; i < 3 && stream.Next(); i++ {
	}
	stream.Close()
	return nil
}
