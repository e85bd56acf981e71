// Command openai-chat shows every attribute tracekit records for a chat
// completion with a tool-call round trip and for a streamed completion.
//
// With no OPENAI_API_KEY it runs offline against a canned in-process server
// (and says so); with a key it calls the real OpenAI API.
//
//	go run ./examples/openai-chat
package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"sort"
	"strings"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/shared"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/tracekit-go/tracekit/openaitrace"
)

func main() {
	if err := run(); err != nil {
		log.Fatal(err)
	}
}

func run() error {
	ctx := context.Background()
	// Spans go to an in-memory recorder so that we can print them below.
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	defer func() { _ = tp.Shutdown(ctx) }()

	opts := []option.RequestOption{openaitrace.WithTracing(
		openaitrace.WithTracerProvider(tp),
		openaitrace.WithCaptureContent(true), // or OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true
	)}
	model := "gpt-4o-mini"
	if os.Getenv("OPENAI_API_KEY") == "" {
		fake := newFakeServer()
		defer fake.Close()
		fmt.Printf("OPENAI_API_KEY is not set: running offline against a canned server at %s\n\n", fake.URL)
		opts = append(opts, option.WithBaseURL(fake.URL+"/v1"), option.WithAPIKey("offline"))
	} else {
		fmt.Print("Calling the OpenAI API.\n\n")
	}
	client := openai.NewClient(opts...)

	// 1. A question that needs a tool.
	params := openai.ChatCompletionNewParams{
		Model: model,
		Messages: []openai.ChatCompletionMessageParamUnion{
			openai.SystemMessage("You are a weather assistant. Use the tool."),
			openai.UserMessage("What is the weather in Lisbon?"),
		},
		Tools: []openai.ChatCompletionToolUnionParam{openai.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{
			Name:        "get_weather",
			Description: openai.String("Current weather for a city"),
			Parameters: shared.FunctionParameters{
				"type":       "object",
				"properties": map[string]any{"city": map[string]any{"type": "string"}},
				"required":   []string{"city"},
			},
		})},
		User: openai.String("user-42"),
	}
	first, err := client.Chat.Completions.New(ctx, params)
	if err != nil {
		return err
	}
	msg := first.Choices[0].Message
	params.Messages = append(params.Messages, msg.ToParam())
	for _, tc := range msg.ToolCalls {
		params.Messages = append(params.Messages, openai.ToolMessage(`{"temp_c": 21, "sky": "sunny"}`, tc.ID))
	}

	// 2. The tool's answer goes back; the model answers.
	second, err := client.Chat.Completions.New(ctx, params)
	if err != nil {
		return err
	}
	fmt.Println("answer:", second.Choices[0].Message.Content)

	// 3. A streamed answer. Always Close a stream.
	stream := client.Chat.Completions.NewStreaming(ctx, openai.ChatCompletionNewParams{
		Model:         model,
		Messages:      []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Say hello in five words.")},
		StreamOptions: openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)},
	})
	defer stream.Close()
	fmt.Print("stream: ")
	for stream.Next() {
		if len(stream.Current().Choices) > 0 {
			fmt.Print(stream.Current().Choices[0].Delta.Content)
		}
	}
	if err := stream.Err(); err != nil {
		return err
	}
	_ = stream.Close()
	fmt.Print("\n\n")

	for _, s := range rec.Ended() {
		printSpan(s)
	}
	return nil
}

// printSpan prints a span's name, duration, status and attributes.
func printSpan(s sdktrace.ReadOnlySpan) {
	fmt.Printf("span %q  kind=%s  duration=%s  status=%s\n", s.Name(), s.SpanKind(), s.EndTime().Sub(s.StartTime()).Round(1e5), s.Status().Code)
	lines := make([]string, 0, len(s.Attributes()))
	for _, kv := range s.Attributes() {
		v := kv.Value.String()
		if len(v) > 100 {
			v = v[:97] + "..."
		}
		lines = append(lines, fmt.Sprintf("    %s = %s", kv.Key, v))
	}
	sort.Strings(lines)
	fmt.Println(strings.Join(lines, "\n"))
	fmt.Println()
}
