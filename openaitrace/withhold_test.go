package openaitrace

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/tracekit-go/tracekit/semconv"
)

const echoedPrompt = "my account number is 4417-secret-0042"

// spanText is everything a span says: name, status, attributes, events.
func spanText(s sdktrace.ReadOnlySpan) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s|%s|", s.Name(), s.Status().Description)
	for _, kv := range s.Attributes() {
		fmt.Fprintf(&b, "%s=%s|", kv.Key, kv.Value.String())
	}
	for _, e := range s.Events() {
		for _, kv := range e.Attributes {
			fmt.Fprintf(&b, "%s:%s=%s|", e.Name, kv.Key, kv.Value.String())
		}
	}
	return b.String()
}

func echoParams() openai.ChatCompletionNewParams {
	return openai.ChatCompletionNewParams{Model: "gpt-4o-mini",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage(echoedPrompt)}}
}

// TestErrorEchoingAPIKey: a server (a proxy, a gateway) that quotes the key
// it was sent in its error message: the span's status must not carry it.
func TestErrorEchoingAPIKey(t *testing.T) {
	h := newHarness(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(401)
		fmt.Fprintf(w, `{"error":{"message":"Incorrect API key provided: %s.","type":"invalid_request_error","code":"invalid_api_key"}}`, key)
	}), true)
	if _, err := h.client.Chat.Completions.New(context.Background(), echoParams()); err == nil {
		t.Fatal("want an error")
	}
	if got := spanText(h.onlySpan()); strings.Contains(got, "sk-test-secret") {
		t.Errorf("the API key reached the span: %s", got)
	}
}

// TestErrorEchoingPromptCaptureOff: an error (a response, a stream error
// event) that quotes the prompt must not put it on the span when content
// capture is off, in any convention; with capture on the message is kept.
func TestErrorEchoingPromptCaptureOff(t *testing.T) {
	body := `{"error":{"message":"Invalid content: '` + echoedPrompt + `'","type":"invalid_request_error","code":"invalid_value"}}`
	all := WithConventions(semconv.Tracekit, semconv.OTelGenAI, semconv.OpenInference)
	for _, capture := range []bool{false, true} {
		h := newHarnessWith(t, jsonHandler(400, body), capture, &harnessConfig{tracing: []Option{all}})
		_, _ = h.client.Chat.Completions.New(context.Background(), echoParams())
		got := spanText(h.onlySpan())
		if leaked := strings.Contains(got, echoedPrompt); leaked == !capture {
			t.Errorf("capture=%v: prompt on the span = %v: %s", capture, leaked, got)
		}

		hs := newHarnessWith(t, sseHandler(dataEvents(body)...), capture, &harnessConfig{tracing: []Option{all}})
		st := hs.client.Chat.Completions.NewStreaming(context.Background(), echoParams())
		for st.Next() {
		}
		_ = st.Close()
		got = spanText(hs.onlySpan())
		if leaked := strings.Contains(got, echoedPrompt); leaked == !capture {
			t.Errorf("stream, capture=%v: prompt on the span = %v: %s", capture, leaked, got)
		}
	}
}

// TestTransportErrorURLUserInfo: net/http hides the password of a base
// URL's user info in its errors, not the user name, which may be the key.
func TestTransportErrorURLUserInfo(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	c := openai.NewClient(option.WithBaseURL("http://sk-userkey-0123456789:pa55word@127.0.0.1:1/v1"),
		option.WithAPIKey("k"), option.WithMaxRetries(0), WithTracing(WithTracerProvider(tp)))
	if _, err := c.Chat.Completions.New(context.Background(), echoParams()); err == nil {
		t.Fatal("want an error")
	}
	s := rec.Ended()
	if len(s) != 1 {
		t.Fatalf("%d spans", len(s))
	}
	if got := spanText(s[0]); strings.Contains(got, "sk-userkey") || strings.Contains(got, "pa55word") {
		t.Errorf("the URL's credentials reached the span: %s", got)
	}
}
