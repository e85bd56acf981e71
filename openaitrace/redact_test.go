package openaitrace

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/tracekit-go/tracekit/redact"
	"github.com/tracekit-go/tracekit/semconv"
)

// TestStreamRedaction checks that the text of a streamed completion, known
// only when the stream ends, is redacted in every convention, and that the
// request is sent unchanged.
func TestStreamRedaction(t *testing.T) {
	chunk := func(delta string) string {
		return `{"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,"delta":` + delta + `,"finish_reason":null}]}`
	}
	head := []string{chunk(`{"role":"assistant","content":"Write to "}`), chunk(`{"content":"ann@example.org"}`), chunk(`{"content":" today."}`)}
	ends := map[string][]string{
		"finished": {`{"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}`, "[DONE]"},
		// An error after the text: the span is an error span that keeps
		// what the server said, redacted all the same.
		"error_event": {`{"error":{"message":"overloaded","type":"server_error","code":"server_overloaded"}}`},
	}
	for name, end := range ends {
		t.Run(name, func(t *testing.T) {
			testStreamRedaction(t, dataEvents(append(append([]string{}, head...), end...)...), name == "error_event")
		})
	}
}

func testStreamRedaction(t *testing.T, events []string, wantErr bool) {
	for _, conv := range []semconv.Convention{semconv.Tracekit, semconv.OTelGenAI, semconv.OpenInference} {
		rec := tracetest.NewSpanRecorder()
		tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
		srv := httptest.NewServer(sseHandler(events...))
		client := openai.NewClient(option.WithBaseURL(srv.URL+"/v1"), option.WithAPIKey("k"), option.WithMaxRetries(0),
			WithTracing(WithTracerProvider(tp), WithCaptureContent(true), WithConventions(conv), WithRedactor(redact.New())))
		st := client.Chat.Completions.NewStreaming(context.Background(), openai.ChatCompletionNewParams{
			Model: "gpt-4o", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("my mail is ann@example.org")},
		})
		var text string
		for st.Next() {
			if c := st.Current(); len(c.Choices) > 0 {
				text += c.Choices[0].Delta.Content
			}
		}
		if (st.Err() != nil) != wantErr {
			t.Fatalf("%v: stream error %v", conv, st.Err())
		}
		_ = st.Close()
		srv.Close()
		if text != "Write to ann@example.org today." {
			t.Fatalf("%v: caller got %q", conv, text)
		}
		spans := rec.Ended()
		if len(spans) != 1 {
			t.Fatalf("%v: %d spans", conv, len(spans))
		}
		redacted := 0
		for _, kv := range spans[0].Attributes() {
			v := kv.Value.String()
			if strings.Contains(v, "ann@example.org") {
				t.Errorf("%v: %s not redacted: %s", conv, kv.Key, v)
			}
			if strings.Contains(v, "Write to [REDACTED] today.") {
				redacted++
			}
		}
		if redacted == 0 {
			t.Errorf("%v: no redacted completion among %v", conv, spans[0].Attributes())
		}
	}
}
