// Command bedrock-converse shows the spans tracekit records for Amazon
// Bedrock: a Converse tool-call round trip, a ConverseStream and an
// InvokeModel call (Anthropic Claude body), with content capture on.
//
// With no AWS credentials in the environment it runs offline against an
// in-process fake Bedrock that answers with real event-stream frames (and
// says so). With AWS_REGION (or AWS_DEFAULT_REGION) and AWS_ACCESS_KEY_ID /
// AWS_SECRET_ACCESS_KEY (optionally AWS_SESSION_TOKEN), or a Bedrock API key
// in AWS_BEARER_TOKEN_BEDROCK, it calls the real service. BEDROCK_MODEL picks
// the model (default us.anthropic.claude-3-5-haiku-20241022-v1:0).
//
//	go run ./examples/bedrock-converse
package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/document"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/tracekit-go/tracekit/bedrocktrace"
	"github.com/tracekit-go/tracekit/examples/internal/fakellm"
)

func main() {
	if err := run(); err != nil {
		log.Fatal(err)
	}
}

func run() error {
	ctx := context.Background()
	// Spans go to an in-memory recorder and metrics to a manual reader, so
	// that they can be printed below. See examples/quickstart for exporting.
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	defer func() { _ = tp.Shutdown(ctx) }()
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))

	cfg, model, closeFake := awsConfig()
	defer closeFake()
	// Every client built from cfg is traced (the agent runtime too).
	bedrocktrace.AppendMiddlewares(&cfg.APIOptions,
		bedrocktrace.WithTracerProvider(tp),
		bedrocktrace.WithMeterProvider(mp),
		bedrocktrace.WithCaptureContent(true), // or OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true
	)
	client := bedrockruntime.NewFromConfig(cfg)

	// 1. A question that needs a tool, then the tool's answer.
	tools := &types.ToolConfiguration{Tools: []types.Tool{&types.ToolMemberToolSpec{Value: types.ToolSpecification{
		Name:        aws.String("get_weather"),
		Description: aws.String("Current weather for a city"),
		InputSchema: &types.ToolInputSchemaMemberJson{Value: document.NewLazyDocument(map[string]any{
			"type": "object", "properties": map[string]any{"city": map[string]any{"type": "string"}}, "required": []string{"city"},
		})},
	}}}}
	msgs := []types.Message{{Role: types.ConversationRoleUser, Content: []types.ContentBlock{
		&types.ContentBlockMemberText{Value: "What is the weather in Lisbon?"}}}}
	in := &bedrockruntime.ConverseInput{
		ModelId:         aws.String(model),
		System:          []types.SystemContentBlock{&types.SystemContentBlockMemberText{Value: "You are a weather assistant. Use the tool."}},
		Messages:        msgs,
		InferenceConfig: &types.InferenceConfiguration{MaxTokens: aws.Int32(300), Temperature: aws.Float32(0)},
		ToolConfig:      tools,
		RequestMetadata: map[string]string{"user": "user-42"},
	}
	first, err := client.Converse(ctx, in)
	if err != nil {
		return err
	}
	reply := first.Output.(*types.ConverseOutputMemberMessage).Value
	in.Messages = append(in.Messages, reply)
	var results []types.ContentBlock
	for _, b := range reply.Content {
		if tu, ok := b.(*types.ContentBlockMemberToolUse); ok {
			results = append(results, &types.ContentBlockMemberToolResult{Value: types.ToolResultBlock{
				ToolUseId: tu.Value.ToolUseId,
				Content:   []types.ToolResultContentBlock{&types.ToolResultContentBlockMemberJson{Value: document.NewLazyDocument(map[string]any{"temp_c": 21, "sky": "sunny"})}},
			}})
		}
	}
	if len(results) > 0 {
		in.Messages = append(in.Messages, types.Message{Role: types.ConversationRoleUser, Content: results})
		second, err := client.Converse(ctx, in)
		if err != nil {
			return err
		}
		fmt.Println("answer:", text(second.Output.(*types.ConverseOutputMemberMessage).Value.Content))
	}

	// 2. A streamed answer. Read it to the end (or Close it).
	out, err := client.ConverseStream(ctx, &bedrockruntime.ConverseStreamInput{
		ModelId:  aws.String(model),
		Messages: []types.Message{{Role: types.ConversationRoleUser, Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: "Say hello in five words."}}}},
	})
	if err != nil {
		return err
	}
	fmt.Print("stream: ")
	for ev := range out.GetStream().Events() {
		if d, ok := ev.(*types.ConverseStreamOutputMemberContentBlockDelta); ok {
			if t, ok := d.Value.Delta.(*types.ContentBlockDeltaMemberText); ok {
				fmt.Print(t.Value)
			}
		}
	}
	fmt.Println()
	if err := out.GetStream().Err(); err != nil {
		return err
	}
	_ = out.GetStream().Close()

	// 3. InvokeModel with an Anthropic Claude body.
	inv, err := client.InvokeModel(ctx, &bedrockruntime.InvokeModelInput{
		ModelId:     aws.String(model),
		ContentType: aws.String("application/json"),
		Body:        []byte(`{"anthropic_version":"bedrock-2023-05-31","max_tokens":100,"system":"Be brief.","messages":[{"role":"user","content":"Name one museum in Lisbon."}]}`),
	})
	if err != nil {
		return err
	}
	fmt.Printf("invoke: %s\n\n", inv.Body)

	for _, s := range rec.Ended() {
		printSpan(s)
	}
	return printMetrics(ctx, reader)
}

// awsConfig returns the real configuration when the environment has AWS
// credentials and a region, or one that points at an in-process fake.
func awsConfig() (aws.Config, string, func()) {
	model := os.Getenv("BEDROCK_MODEL")
	if model == "" {
		model = "us.anthropic.claude-3-5-haiku-20241022-v1:0"
	}
	region := os.Getenv("AWS_REGION")
	if region == "" {
		region = os.Getenv("AWS_DEFAULT_REGION")
	}
	key, secret := os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY")
	if region != "" && (key != "" && secret != "" || os.Getenv("AWS_BEARER_TOKEN_BEDROCK") != "") {
		fmt.Printf("Calling Amazon Bedrock in %s with %s.\n\n", region, model)
		cfg := aws.Config{Region: region}
		if key != "" {
			cfg.Credentials = credentials.NewStaticCredentialsProvider(key, secret, os.Getenv("AWS_SESSION_TOKEN"))
		}
		// For profiles, SSO or instance roles use config.LoadDefaultConfig
		// (github.com/aws/aws-sdk-go-v2/config) instead; tracing is the same.
		return cfg, model, func() {}
	}
	fake := newFakeBedrock()
	fmt.Printf("No AWS credentials/region in the environment: running offline against a fake Bedrock at %s\n\n", fake.URL)
	return aws.Config{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDOFFLINE", "offline", ""),
		BaseEndpoint:     aws.String(fake.URL),
		RetryMaxAttempts: 1,
		// (An HTTP client that suits a local fake: see fakellm.HTTPClient.)
		HTTPClient: fakellm.HTTPClient(),
	}, model, fake.Close
}

func text(blocks []types.ContentBlock) string {
	var b strings.Builder
	for _, c := range blocks {
		if t, ok := c.(*types.ContentBlockMemberText); ok {
			b.WriteString(t.Value)
		}
	}
	return b.String()
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
		lines = append(lines, fmt.Sprintf("    %s = %s", kv.Key, strings.ReplaceAll(v, "\n", `\n`)))
	}
	sort.Strings(lines)
	fmt.Println(strings.Join(lines, "\n"))
	fmt.Println()
}

// printMetrics prints the gen_ai.client.* data points.
func printMetrics(ctx context.Context, r *sdkmetric.ManualReader) error {
	var rm metricdata.ResourceMetrics
	if err := r.Collect(ctx, &rm); err != nil {
		return err
	}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Histogram[float64]:
				for _, p := range d.DataPoints {
					fmt.Printf("metric %s count=%d sum=%.4fs %v\n", m.Name, p.Count, p.Sum, p.Attributes.ToSlice())
				}
			case metricdata.Histogram[int64]:
				for _, p := range d.DataPoints {
					fmt.Printf("metric %s count=%d sum=%d %v\n", m.Name, p.Count, p.Sum, p.Attributes.ToSlice())
				}
			}
		}
	}
	return nil
}
