package bedrocktrace_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentruntime"
	agenttypes "github.com/aws/aws-sdk-go-v2/service/bedrockagentruntime/types"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/tracekit-go/tracekit/bedrocktrace"
	"github.com/tracekit-go/tracekit/internal/vcr"
)

// fakeBedrock answers Converse with a canned response and ConverseStream with
// real event-stream frames, so that the examples run offline.
func fakeBedrock() *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Amzn-Requestid", "example-request-id")
		if strings.HasSuffix(r.URL.Path, "/converse-stream") {
			w.Header().Set("Content-Type", "application/vnd.amazon.eventstream")
			enc := eventstream.NewEncoder()
			for _, ev := range [][2]string{
				{"messageStart", `{"role":"assistant"}`},
				{"contentBlockDelta", `{"contentBlockIndex":0,"delta":{"text":"Hello"}}`},
				{"contentBlockDelta", `{"contentBlockIndex":0,"delta":{"text":" there!"}}`},
				{"contentBlockStop", `{"contentBlockIndex":0}`},
				{"messageStop", `{"stopReason":"end_turn"}`},
				{"metadata", `{"usage":{"inputTokens":9,"outputTokens":3,"totalTokens":12},"metrics":{"latencyMs":40}}`},
			} {
				var m eventstream.Message
				m.Headers.Set(":message-type", eventstream.StringValue("event"))
				m.Headers.Set(":event-type", eventstream.StringValue(ev[0]))
				m.Headers.Set(":content-type", eventstream.StringValue("application/json"))
				m.Payload = []byte(ev[1])
				_ = enc.Encode(w, m)
				w.(http.Flusher).Flush()
			}
			return
		}
		w.Header().Set("Content-Type", "application/json")
		if strings.HasSuffix(r.URL.Path, "/retrieveAndGenerate") {
			fmt.Fprint(w, `{"sessionId":"session-1","output":{"text":"Hold the reset button for 10 seconds."},`+
				`"citations":[{"retrievedReferences":[{"content":{"text":"To reset, hold the button for 10 s."},`+
				`"location":{"type":"S3","s3Location":{"uri":"s3://manuals/router.pdf"}}}]}]}`)
			return
		}
		fmt.Fprint(w, `{"output":{"message":{"role":"assistant","content":[{"text":"Hello there!"}]}},`+
			`"stopReason":"end_turn","usage":{"inputTokens":9,"outputTokens":3,"totalTokens":12},"metrics":{"latencyMs":40}}`)
	}))
}

// exampleConfig points a client at the fake. With a real aws.Config (from
// config.LoadDefaultConfig) nothing else changes.
func exampleConfig(url string) aws.Config {
	return aws.Config{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
		BaseEndpoint:     aws.String(url),
		RetryMaxAttempts: 1,
		// An HTTP client that suits a local fake (see the README's note on
		// fakes): it sends a copy of each request body.
		HTTPClient: vcr.BufferedClient(),
	}
}

var userHi = []types.Message{{Role: types.ConversationRoleUser, Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: "Hi"}}}}

// Build a traced client: NewFromConfig is bedrockruntime.NewFromConfig with
// tracing installed.
func ExampleNewFromConfig() {
	srv := fakeBedrock()
	defer srv.Close()
	rec := tracetest.NewSpanRecorder()
	bedrocktrace.Instrument(bedrocktrace.WithTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))))
	defer bedrocktrace.Instrument()

	client := bedrocktrace.NewFromConfig(exampleConfig(srv.URL))
	out, err := client.Converse(context.Background(), &bedrockruntime.ConverseInput{
		ModelId:  aws.String("anthropic.claude-3-5-sonnet-20240620-v1:0"),
		Messages: userHi,
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(out.Output.(*types.ConverseOutputMemberMessage).Value.Content[0].(*types.ContentBlockMemberText).Value)
	span := rec.Ended()[0]
	fmt.Println(span.Name(), span.SpanKind())
	for _, kv := range span.Attributes() {
		switch kv.Key {
		case "gen_ai.system", "gen_ai.response.finish_reasons", "gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens":
			fmt.Println(kv.Key, "=", kv.Value.String())
		}
	}
	// Output:
	// Hello there!
	// bedrock.converse client
	// gen_ai.system = aws.bedrock
	// gen_ai.response.finish_reasons = ["end_turn"]
	// gen_ai.usage.input_tokens = 9
	// gen_ai.usage.output_tokens = 3
}

// Trace every client built from one aws.Config, agent runtime included.
// Installing again per client is harmless: calls still get one span.
func ExampleAppendMiddlewares() {
	srv := fakeBedrock()
	defer srv.Close()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))

	cfg := exampleConfig(srv.URL)
	bedrocktrace.AppendMiddlewares(&cfg.APIOptions, bedrocktrace.WithTracerProvider(tp))
	runtime := bedrockruntime.NewFromConfig(cfg, bedrocktrace.WithTracing(bedrocktrace.WithTracerProvider(tp)))
	_ = bedrockagentruntime.NewFromConfig(cfg) // InvokeAgent calls are traced too

	_, _ = runtime.Converse(context.Background(), &bedrockruntime.ConverseInput{
		ModelId: aws.String("amazon.nova-lite-v1:0"), Messages: userHi,
	})
	fmt.Println(len(rec.Ended()), "span:", rec.Ended()[0].Name())
	// Output: 1 span: bedrock.converse
}

// Streams are observed as the caller reads them; the span ends with the
// stream (terminal event, end of body, Close, error or cancellation).
func ExampleWithTracing() {
	srv := fakeBedrock()
	defer srv.Close()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))

	client := bedrockruntime.NewFromConfig(exampleConfig(srv.URL),
		bedrocktrace.WithTracing(bedrocktrace.WithTracerProvider(tp), bedrocktrace.WithCaptureContent(true)))
	out, err := client.ConverseStream(context.Background(), &bedrockruntime.ConverseStreamInput{
		ModelId: aws.String("anthropic.claude-3-5-sonnet-20240620-v1:0"), Messages: userHi,
	})
	if err != nil {
		panic(err)
	}
	stream := out.GetStream()
	for ev := range stream.Events() {
		if d, ok := ev.(*types.ConverseStreamOutputMemberContentBlockDelta); ok {
			fmt.Print(d.Value.Delta.(*types.ContentBlockDeltaMemberText).Value)
		}
	}
	fmt.Println()
	_ = stream.Close()
	for _, kv := range rec.Ended()[0].Attributes() {
		switch kv.Key {
		case "gen_ai.prompt.0.content", "gen_ai.completion.0.content", "gen_ai.response.id":
			fmt.Println(kv.Key, "=", kv.Value.String())
		}
	}
	// Output:
	// Hello there!
	// gen_ai.prompt.0.content = Hi
	// gen_ai.response.id = example-request-id
	// gen_ai.completion.0.content = Hello there!
}

// Uninstrument turns every traced client into a pass-through until
// Instrument is called again.
func ExampleUninstrument() {
	srv := fakeBedrock()
	defer srv.Close()
	rec := tracetest.NewSpanRecorder()
	client := bedrockruntime.NewFromConfig(exampleConfig(srv.URL),
		bedrocktrace.WithTracing(bedrocktrace.WithTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec)))))

	bedrocktrace.Uninstrument()
	_, _ = client.Converse(context.Background(), &bedrockruntime.ConverseInput{ModelId: aws.String("amazon.nova-lite-v1:0"), Messages: userHi})
	bedrocktrace.Instrument()
	_, _ = client.Converse(context.Background(), &bedrockruntime.ConverseInput{ModelId: aws.String("amazon.nova-lite-v1:0"), Messages: userHi})
	fmt.Println(len(rec.Ended()))
	// Output: 1
}

// NewAgentRuntimeFromConfig traces InvokeAgent (bedrock.invoke_agent spans).
func ExampleNewAgentRuntimeFromConfig() {
	client := bedrocktrace.NewAgentRuntimeFromConfig(exampleConfig("http://127.0.0.1:1"))
	_ = client // client.InvokeAgent(ctx, &bedrockagentruntime.InvokeAgentInput{...})
	fmt.Println("ok")
	// Output: ok
}

// A knowledge-base question (RetrieveAndGenerate) is a
// bedrock.retrieve_and_generate span: the model, the knowledge base, the
// session the call opened and, with content capture on, the question, the
// answer and the cited references as documents.
func ExampleNewAgentRuntimeFromConfig_retrieveAndGenerate() {
	srv := fakeBedrock()
	defer srv.Close()
	rec := tracetest.NewSpanRecorder()
	bedrocktrace.Instrument(bedrocktrace.WithTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))),
		bedrocktrace.WithCaptureContent(true))
	defer bedrocktrace.Instrument()

	client := bedrocktrace.NewAgentRuntimeFromConfig(exampleConfig(srv.URL))
	out, err := client.RetrieveAndGenerate(context.Background(), &bedrockagentruntime.RetrieveAndGenerateInput{
		Input: &agenttypes.RetrieveAndGenerateInput{Text: aws.String("How do I reset the router?")},
		RetrieveAndGenerateConfiguration: &agenttypes.RetrieveAndGenerateConfiguration{
			Type: agenttypes.RetrieveAndGenerateTypeKnowledgeBase,
			KnowledgeBaseConfiguration: &agenttypes.KnowledgeBaseRetrieveAndGenerateConfiguration{
				KnowledgeBaseId: aws.String("KB12345678"),
				ModelArn:        aws.String("arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0"),
			},
		},
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(aws.ToString(out.Output.Text))
	span := rec.Ended()[0]
	fmt.Println(span.Name())
	for _, kv := range span.Attributes() {
		switch kv.Key {
		case "aws.bedrock.knowledge_base.id", "gen_ai.conversation.id", "gen_ai.prompt.0.content",
			"gen_ai.completion.0.content", "tracekit.documents.0.id":
			fmt.Println(kv.Key, "=", kv.Value.String())
		}
	}
	// Output:
	// Hold the reset button for 10 seconds.
	// bedrock.retrieve_and_generate
	// aws.bedrock.knowledge_base.id = KB12345678
	// gen_ai.prompt.0.content = How do I reset the router?
	// gen_ai.conversation.id = session-1
	// gen_ai.completion.0.content = Hold the reset button for 10 seconds.
	// tracekit.documents.0.id = s3://manuals/router.pdf
}
