package openaitrace_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/azure"
	"github.com/openai/openai-go/v3/bedrock"
	"github.com/openai/openai-go/v3/option"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/tracekit-go/tracekit/openaitrace"
	"github.com/tracekit-go/tracekit/semconv"
)

// fakeOpenAI answers chat completions with a canned response, so that the
// examples run offline.
func fakeOpenAI() *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"gpt-4o-mini-2024-07-18",`+
			`"choices":[{"index":0,"message":{"role":"assistant","content":"Hello!"},"finish_reason":"stop"}],`+
			`"usage":{"prompt_tokens":9,"completion_tokens":2,"total_tokens":11}}`)
	}))
}

// Wrap a client: NewClient is openai.NewClient with tracing installed.
func ExampleNewClient() {
	srv := fakeOpenAI()
	defer srv.Close()
	rec := tracetest.NewSpanRecorder()
	openaitrace.Instrument(openaitrace.WithTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))))
	defer openaitrace.Instrument()

	client := openaitrace.NewClient(option.WithBaseURL(srv.URL+"/v1"), option.WithAPIKey("sk-..."))
	res, err := client.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{
		Model:    "gpt-4o-mini",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Hi")},
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(res.Choices[0].Message.Content)
	span := rec.Ended()[0]
	fmt.Println(span.Name(), span.SpanKind())
	for _, kv := range span.Attributes() {
		if kv.Key == "gen_ai.usage.input_tokens" || kv.Key == "gen_ai.response.model" {
			fmt.Println(kv.Key, "=", kv.Value.String())
		}
	}
	// Output:
	// Hello!
	// chat gpt-4o-mini client
	// gen_ai.response.model = gpt-4o-mini-2024-07-18
	// gen_ai.usage.input_tokens = 9
}

// Install tracing on a client you build yourself, with its own providers and
// content capture on.
func ExampleWithTracing() {
	srv := fakeOpenAI()
	defer srv.Close()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))

	client := openai.NewClient(
		option.WithBaseURL(srv.URL+"/v1"), option.WithAPIKey("sk-..."),
		openaitrace.WithTracing(openaitrace.WithTracerProvider(tp), openaitrace.WithCaptureContent(true)),
	)
	_, _ = client.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{
		Model:    "gpt-4o-mini",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Hi")},
	})
	for _, kv := range rec.Ended()[0].Attributes() {
		if kv.Key == "gen_ai.prompt.0.content" || kv.Key == "gen_ai.completion.0.content" {
			fmt.Println(kv.Key, "=", kv.Value.String())
		}
	}
	// Output:
	// gen_ai.prompt.0.content = Hi
	// gen_ai.completion.0.content = Hello!
}

// Azure OpenAI: install tracing beside openai-go's azure options, before or
// after them. Azure is told by the endpoint's host: with the OpenTelemetry
// GenAI conventions the spans' gen_ai.provider.name is azure.ai.openai (the
// Tracekit convention's gen_ai.system stays openai). The Api-Key header is
// never recorded.
func ExampleWithTracing_azure() {
	client := openai.NewClient(
		azure.WithEndpoint("https://contoso.openai.azure.com", "2024-10-21"),
		azure.WithAPIKey("<key>"),
		openaitrace.WithTracing(openaitrace.WithConventions(semconv.Tracekit, semconv.OTelGenAI)),
	)
	_ = client // client.Chat.Completions.New(ctx, params) calls the deployment named by params.Model
}

// Amazon Bedrock's OpenAI-compatible API: give tracing to openai-go's bedrock
// package among its options. The requests are SigV4-signed after the tracer
// has seen them; with the OpenTelemetry GenAI conventions the spans'
// gen_ai.provider.name is aws.bedrock.
func ExampleWithTracing_bedrock() {
	client, err := bedrock.NewClient(context.Background(), bedrock.Config{Endpoint: bedrock.EndpointRuntime, AWSRegion: "us-east-1"},
		openaitrace.WithTracing(openaitrace.WithConventions(semconv.Tracekit, semconv.OTelGenAI)))
	if err != nil {
		return // no AWS credentials here
	}
	_ = client // client.Chat.Completions.New(ctx, params) with params.Model "openai.gpt-oss-120b-1:0", for example
}

// Uninstrument is a run-time kill switch; Instrument turns tracing back on.
func ExampleUninstrument() {
	srv := fakeOpenAI()
	defer srv.Close()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	client := openai.NewClient(option.WithBaseURL(srv.URL+"/v1"), option.WithAPIKey("sk-..."),
		openaitrace.WithTracing(openaitrace.WithTracerProvider(tp)))
	call := func() {
		_, _ = client.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{
			Model: "gpt-4o-mini", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Hi")}})
	}

	openaitrace.Uninstrument()
	call()
	fmt.Println("spans while off:", len(rec.Ended()))
	openaitrace.Instrument()
	call()
	fmt.Println("spans after Instrument:", len(rec.Ended()))
	// Output:
	// spans while off: 0
	// spans after Instrument: 1
}

// Use the middleware directly, here for a single call.
func ExampleMiddleware() {
	srv := fakeOpenAI()
	defer srv.Close()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	client := openai.NewClient(option.WithBaseURL(srv.URL+"/v1"), option.WithAPIKey("sk-..."))
	_, _ = client.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{
		Model: "gpt-4o-mini", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Hi")}},
		option.WithMiddleware(openaitrace.Middleware(openaitrace.WithTracerProvider(tp))))
	fmt.Println(rec.Ended()[0].Name())
	// Output: chat gpt-4o-mini
}
