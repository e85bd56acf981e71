// Command otlp sends the traces and metrics of a traced OpenAI chat call, a
// traced OpenAI streamed call and a traced Amazon Bedrock Converse call
// wherever the standard OpenTelemetry environment variables say. It has no
// exporter configuration in code. The calls go to an in-process fake of both
// APIs unless -live is given (OpenAI only; Bedrock stays offline).
//
//	OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4317 OTEL_EXPORTER_OTLP_PROTOCOL=grpc \
//	OTEL_SERVICE_NAME=otlp-example OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true \
//	go run ./examples/otlp
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"go.opentelemetry.io/otel"

	"github.com/tracekit-go/tracekit/bedrocktrace"
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
	// Everything from the environment: OTEL_SERVICE_NAME,
	// OTEL_RESOURCE_ATTRIBUTES, OTEL_TRACES_EXPORTER, OTEL_METRICS_EXPORTER,
	// OTEL_EXPORTER_OTLP_ENDPOINT, ..._PROTOCOL, ..._HEADERS,
	// OTEL_TRACES_SAMPLER, OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT. With none set,
	// traces are printed to standard error.
	shutdown, err := export.Setup(ctx)
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

	// Content capture follows OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT.
	fake := fakellm.New()
	defer fake.Close()
	var opts []option.RequestOption
	if !live {
		opts = append(opts, option.WithBaseURL(fake.URL+"/v1/"), option.WithAPIKey("offline"))
	} else if os.Getenv("OPENAI_API_KEY") == "" {
		return fmt.Errorf("-live needs OPENAI_API_KEY")
	}
	client := openaitrace.NewClient(opts...)
	bedrock := bedrocktrace.NewFromConfig(aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("offline", "offline", ""),
		BaseEndpoint: aws.String(fake.URL),
		HTTPClient:   fakellm.HTTPClient(), // one that suits a local fake
	})

	ctx, span := otel.Tracer("otlp-example").Start(ctx, "otlp example")
	defer span.End()
	completion, err := client.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
		Model:    "gpt-4o-mini",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("What is the capital of France?")},
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

	out, err := bedrock.Converse(ctx, &bedrockruntime.ConverseInput{
		ModelId: aws.String("anthropic.claude-3-5-haiku-20241022-v1:0"),
		Messages: []types.Message{{Role: types.ConversationRoleUser, Content: []types.ContentBlock{
			&types.ContentBlockMemberText{Value: "What is the capital of Portugal?"}}}},
	})
	if err != nil {
		return err
	}
	if msg, ok := out.Output.(*types.ConverseOutputMemberMessage); ok && len(msg.Value.Content) > 0 {
		if text, ok := msg.Value.Content[0].(*types.ContentBlockMemberText); ok {
			fmt.Println("bedrock:", text.Value)
		}
	}
	fmt.Printf("trace:  %s\n", span.SpanContext().TraceID())
	return nil
}
