package export

import (
	"bytes"
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	"go.uber.org/goleak"

	"github.com/tracekit-go/tracekit/internal/genai"
	"github.com/tracekit-go/tracekit/internal/instr"
)

// testPkg is the instrumentation used to produce real gen_ai spans and
// metrics in tests, through the same machinery the provider packages use.
var testPkg = instr.NewPackage("github.com/tracekit-go/tracekit/export/test", "0.0.0")

// chatCall returns a finished chat call with usage and content.
func chatCall() *genai.Call {
	return &genai.Call{
		Operation: genai.OpChat,
		Provider:  genai.ProviderOpenAI,
		Request: genai.Request{
			Model: "gpt-4o-mini",
			Messages: []genai.Message{
				{Role: "system", Content: "You are terse.", HasContent: true},
				{Role: "user", Content: "What is the capital of France?", HasContent: true},
			},
		},
		Response: genai.Response{
			ID:            "chatcmpl-1",
			Model:         "gpt-4o-mini-2024-07-18",
			FinishReasons: []string{"stop"},
			Choices:       []genai.Choice{{Role: "assistant", FinishReason: "stop", Content: "Paris.", HasContent: true}},
			Usage:         genai.Usage{InputTokens: genai.SetInt(12), OutputTokens: genai.SetInt(3)},
		},
		TimeToFirstChunk: -1,
	}
}

// tracedChat records one chat call (span and metrics) with the providers.
func tracedChat(t testing.TB, ctx context.Context, tp trace.TracerProvider, mp metric.MeterProvider) {
	t.Helper()
	in := testPkg.New(instr.WithTracerProvider(tp), instr.WithMeterProvider(mp), instr.WithCaptureContent(true))
	call := chatCall()
	_, span := in.Resolved().Start(ctx, call)
	span.End(call)
}

func attrString(attrs []*commonpb.KeyValue, key string) (string, bool) {
	for _, kv := range attrs {
		if kv.Key == key {
			switch v := kv.Value.Value.(type) {
			case *commonpb.AnyValue_StringValue:
				return v.StringValue, true
			case *commonpb.AnyValue_IntValue:
				return strconv.FormatInt(v.IntValue, 10), true
			case *commonpb.AnyValue_ArrayValue:
				s := ""
				for i, e := range v.ArrayValue.Values {
					if i > 0 {
						s += ","
					}
					s += e.GetStringValue()
				}
				return s, true
			default:
				return kv.Value.String(), true
			}
		}
	}
	return "", false
}

// syncBuffer is a bytes.Buffer safe for concurrent use.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// findLeaks returns goleak's report of the goroutines not ignored that are
// still running after a generous wait (goleak's own retries last well under
// a second, short on a loaded machine running the race detector), nil when
// there are none.
func findLeaks(ignore goleak.Option) error {
	deadline := time.Now().Add(15 * time.Second)
	for {
		err := goleak.Find(ignore)
		if err == nil || time.Now().After(deadline) {
			return err
		}
	}
}
