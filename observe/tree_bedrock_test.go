package observe_test

import (
	"context"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"

	"github.com/tracekit-go/tracekit/bedrocktrace"
	"github.com/tracekit-go/tracekit/internal/vcr"
	"github.com/tracekit-go/tracekit/observe"
	"github.com/tracekit-go/tracekit/redact"
	"github.com/tracekit-go/tracekit/semconv"
)

const (
	converseToolUse = `{"output":{"message":{"role":"assistant","content":[
{"toolUse":{"toolUseId":"call_1","name":"web_search","input":{"q":"order of jane@example.com"}}}]}},
"stopReason":"tool_use","usage":{"inputTokens":1000,"outputTokens":100,"totalTokens":1500,"cacheReadInputTokens":400}}`
	converseText = `{"output":{"message":{"role":"assistant","content":[{"text":"Your order shipped on Monday."}]}},
"stopReason":"end_turn","usage":{"inputTokens":2000,"outputTokens":200,"totalTokens":2200}}`
)

const haiku = "anthropic.claude-3-haiku-20240307-v1:0"

func fakeBedrock(t *testing.T) *httptest.Server {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		if n.Add(1) == 1 {
			_, _ = io.WriteString(w, converseToolUse)
			return
		}
		_, _ = io.WriteString(w, converseText)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func bedrockLLM(client *bedrockruntime.Client) llmFunc {
	return func(ctx context.Context, prompt, toolResult string) (string, string, string, error) {
		in := &bedrockruntime.ConverseInput{ModelId: aws.String(haiku)}
		if toolResult == "" {
			in.Messages = []types.Message{{Role: types.ConversationRoleUser, Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: prompt}}}}
		} else {
			in.Messages = []types.Message{{Role: types.ConversationRoleUser, Content: []types.ContentBlock{
				&types.ContentBlockMemberToolResult{Value: types.ToolResultBlock{ToolUseId: aws.String("call_1"),
					Content: []types.ToolResultContentBlock{&types.ToolResultContentBlockMemberText{Value: toolResult}}}}}}}
			// This request names its user: the context must not override it.
			in.RequestMetadata = map[string]string{"userId": "explicit-user"}
		}
		out, err := client.Converse(ctx, in)
		if err != nil {
			return "", "", "", err
		}
		msg := out.Output.(*types.ConverseOutputMemberMessage).Value
		for _, b := range msg.Content {
			switch b := b.(type) {
			case *types.ContentBlockMemberToolUse:
				var args map[string]any
				if err := b.Value.Input.UnmarshalSmithyDocument(&args); err != nil {
					return "", "", "", err
				}
				js, _ := json.Marshal(args)
				return "", aws.ToString(b.Value.Name), string(js), nil
			case *types.ContentBlockMemberText:
				return b.Value, "", "", nil
			}
		}
		return "", "", "", nil
	}
}

// TestAgentTreeBedrock is TestAgentTreeOpenAI through bedrockruntime
// Converse.
func TestAgentTreeBedrock(t *testing.T) {
	t.Setenv("AWS_BEARER_TOKEN_BEDROCK", "")
	for _, cv := range conventions {
		t.Run(cv.name, func(t *testing.T) {
			p := newPipeline()
			srv := fakeBedrock(t)
			red := redact.New()
			obs := observe.New(observe.WithTracerProvider(p.tp), observe.WithCaptureContent(true),
				observe.WithConventions(cv.conv), observe.WithRedactor(red))
			hc := vcr.BufferedClient()
			t.Cleanup(hc.CloseIdleConnections)
			cfg := aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), RetryMaxAttempts: 1, HTTPClient: hc,
				Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "SECRETTEST", "")}
			client := bedrockruntime.NewFromConfig(cfg, bedrocktrace.WithTracing(
				bedrocktrace.WithTracerProvider(p.tp), bedrocktrace.WithMeterProvider(p.mp), bedrocktrace.WithCaptureContent(true),
				bedrocktrace.WithConventions(cv.conv), bedrocktrace.WithRedactor(red),
				bedrocktrace.WithPricing(bedrocktrace.Pricing{"anthropic.claude-3-haiku*": {Input: 0.25, CachedInput: 0.03, Output: 1.25, Currency: "USD"}})))

			out, err := runAgent(requestContext(), obs, bedrockLLM(client))
			if err != nil || out != "Your order shipped on Monday." {
				t.Fatalf("runAgent = %q, %v", out, err)
			}
			llms := checkTree(t, p, cv.conv)
			first, second := llms[0], llms[1]
			// Bedrock reports cache reads apart from input tokens:
			// (1000*0.25 + 400*0.03 + 100*1.25)/1e6 and (2000*0.25 + 200*1.25)/1e6.
			costKey := "gen_ai.usage.cost"
			if cv.conv == semconv.OpenInference {
				costKey = "llm.cost.total"
				near(t, first, "llm.cost.prompt", 0.000262)
				near(t, first, "llm.cost.completion", 0.000125)
			}
			near(t, first, costKey, 0.000387)
			near(t, second, costKey, 0.00075)
			if got := p.counterSum(t, "gen_ai.client.cost"); math.Abs(got-0.001137) > 1e-9 {
				t.Errorf("gen_ai.client.cost = %v", got)
			}
			checkUser(t, first, cv.conv, "user-42")
			checkUser(t, second, cv.conv, "explicit-user")
			for _, a := range llms {
				checkContext(t, "llm", a, cv.conv)
			}
			if cv.conv == semconv.Tracekit {
				first.want(t, "llm 1", map[string]any{
					"gen_ai.prompt.0.content": "Where is my order? I am [REDACTED]. Context: Orders ship in 2 days. Call [REDACTED].",
				})
				if v := first["gen_ai.completion.0.tool_calls.0.function.arguments"]; !strings.Contains(v.AsString(), "[REDACTED]") {
					t.Errorf("tool call arguments not redacted: %q", v.AsString())
				}
			}
		})
	}
}

func near(t *testing.T, a attrs, k string, want float64) {
	t.Helper()
	v, ok := a[k]
	if !ok || math.Abs(v.AsFloat64()-want) > 1e-12 {
		t.Errorf("%s = %v (present %v), want %v", k, v.AsFloat64(), ok, want)
	}
}
