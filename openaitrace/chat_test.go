package openaitrace

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/shared"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestChatSpan(t *testing.T) {
	h := newHarness(t, jsonHandler(200, chatResponseJSON), true)
	res, err := h.client.Chat.Completions.New(context.Background(), chatParams())
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Choices[0].Message.Content; got != "Expect 18-24°C, light showers on Saturday: pack both." {
		t.Fatalf("caller got %q", got)
	}
	s := h.onlySpan()
	if s.Name() != "chat gpt-4o-mini" || s.SpanKind() != trace.SpanKindClient {
		t.Errorf("span %q kind %v", s.Name(), s.SpanKind())
	}
	if s.Status().Code != codes.Unset {
		t.Errorf("status %v, want unset on success", s.Status())
	}
	if s.InstrumentationScope().Name != ScopeName || s.InstrumentationScope().Version != Version {
		t.Errorf("scope %+v", s.InstrumentationScope())
	}
	wantAttrs(t, attrs(s), map[string]any{
		"gen_ai.operation.name":                       "chat",
		"gen_ai.system":                               "openai",
		"gen_ai.request.model":                        "gpt-4o-mini",
		"gen_ai.request.temperature":                  0.2,
		"gen_ai.request.user":                         "u-123",
		"server.address":                              "127.0.0.1",
		"gen_ai.prompt.0.role":                        "system",
		"gen_ai.prompt.0.content":                     "You are a helpful travel assistant.",
		"gen_ai.prompt.1.role":                        "user",
		"gen_ai.prompt.1.content":                     userPrompt,
		"gen_ai.request.tools.0.type":                 "function",
		"gen_ai.request.tools.0.function.name":        "get_weather",
		"gen_ai.request.tools.0.function.description": "Get the current weather in a given location",
		"gen_ai.request.tools.0.function.parameters":  jsonValue(`{"type":"object","properties":{"location":{"type":"string","description":"City and country"},"unit":{"type":"string","enum":["celsius","fahrenheit"]}},"required":["location"]}`),
		"gen_ai.response.id":                          "chatcmpl-fixture1",
		"gen_ai.response.model":                       "gpt-4o-mini-2024-07-18",
		"gen_ai.response.finish_reasons":              []string{"stop"},
		"gen_ai.usage.input_tokens":                   96,
		"gen_ai.usage.output_tokens":                  14,
		"gen_ai.usage.cache_read.input_tokens":        64,
		"gen_ai.usage.reasoning.output_tokens":        3,
		"gen_ai.openai.response.service_tier":         "default",
		"gen_ai.openai.response.system_fingerprint":   "fp_fixture",
		"gen_ai.completion.0.role":                    "assistant",
		"gen_ai.completion.0.finish_reason":           "stop",
		"gen_ai.completion.0.content":                 "Expect 18-24°C, light showers on Saturday: pack both.",
		"gen_ai.openai.request.service_tier":          nil,
		"gen_ai.response.time_to_first_chunk":         nil,
		"http.request.resend_count":                   nil,
		"error.type":                                  nil,
	})
	if _, ok := attrs(s)["server.port"]; !ok {
		t.Error("server.port missing for an explicit non-443 port")
	}
}

func TestChatRequestParameters(t *testing.T) {
	var body []byte
	h := newHarness(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ = readAll(r)
		jsonHandler(200, chatResponseJSON)(w, r)
	}), false)
	p := chatParams()
	p.User = openai.String("")
	p.SafetyIdentifier = openai.String("safety-7")
	p.MaxCompletionTokens = openai.Int(300)
	p.TopP = openai.Float(0.9)
	p.PresencePenalty = openai.Float(0.1)
	p.FrequencyPenalty = openai.Float(-0.5)
	p.Seed = openai.Int(42)
	p.ServiceTier = openai.ChatCompletionNewParamsServiceTierFlex
	p.ResponseFormat = openai.ChatCompletionNewParamsResponseFormatUnion{OfJSONSchema: &shared.ResponseFormatJSONSchemaParam{
		JSONSchema: shared.ResponseFormatJSONSchemaJSONSchemaParam{Name: "trip", Schema: map[string]any{"type": "object"}},
	}}
	if _, err := h.client.Chat.Completions.New(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(body), `"max_completion_tokens":300`) {
		t.Fatalf("request body %s", body)
	}
	wantAttrs(t, attrs(h.onlySpan()), map[string]any{
		"gen_ai.request.max_tokens":             300,
		"gen_ai.request.top_p":                  0.9,
		"gen_ai.request.presence_penalty":       0.1,
		"gen_ai.request.frequency_penalty":      -0.5,
		"gen_ai.openai.request.seed":            42,
		"gen_ai.openai.request.service_tier":    "flex",
		"gen_ai.openai.response.service_tier":   "default",
		"gen_ai.openai.request.response_format": "json_schema",
		"gen_ai.request.user":                   "safety-7",
	})
}

func readAll(r *http.Request) ([]byte, error) {
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := r.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			return []byte(b.String()), nil
		}
	}
}

func TestChatMultipartContentJoined(t *testing.T) {
	h := newHarness(t, jsonHandler(200, chatResponseJSON), true)
	p := chatParams()
	p.Messages = []openai.ChatCompletionMessageParamUnion{openai.UserMessage([]openai.ChatCompletionContentPartUnionParam{
		openai.TextContentPart("Describe "),
		openai.ImageContentPart(openai.ChatCompletionContentPartImageImageURLParam{URL: "https://example.com/cat.png"}),
		openai.TextContentPart("this picture."),
	})}
	if _, err := h.client.Chat.Completions.New(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	a := attrs(h.onlySpan())
	wantAttrs(t, a, map[string]any{"gen_ai.prompt.0.role": "user", "gen_ai.prompt.0.content": "Describe this picture."})
	for k, v := range a {
		if strings.Contains(v.String(), "cat.png") {
			t.Errorf("%s carries the image URL: %s", k, v.String())
		}
	}
}

// TestChatToolRoundTripGolden pins the exact attribute key set of a tool-call
// round trip with content capture on and off.
func TestChatToolRoundTripGolden(t *testing.T) {
	for _, capture := range []bool{true, false} {
		name := map[bool]string{true: "capture_on", false: "capture_off"}[capture]
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, inTurn(jsonHandler(200, toolCallResponseJSON), jsonHandler(200, chatResponseJSON)), capture)
			first, err := h.client.Chat.Completions.New(context.Background(), chatParams())
			if err != nil {
				t.Fatal(err)
			}
			if len(first.Choices[0].Message.ToolCalls) != 2 {
				t.Fatalf("caller got %d tool calls", len(first.Choices[0].Message.ToolCalls))
			}
			if _, err := h.client.Chat.Completions.New(context.Background(), toolRoundTripParams()); err != nil {
				t.Fatal(err)
			}
			spans := h.spans()
			if len(spans) != 2 {
				t.Fatalf("%d spans", len(spans))
			}
			var golden strings.Builder
			for i, s := range spans {
				a := attrs(s)
				golden.WriteString("# span " + s.Name() + "\n")
				for _, k := range keys(a) {
					v := a[k].String()
					switch k {
					case "server.port":
						v = "<port>"
					}
					golden.WriteString(k + "=" + v + "\n")
				}
				if i == 0 {
					wantAttrs(t, a, map[string]any{
						"gen_ai.response.finish_reasons":                 []string{"tool_calls"},
						"gen_ai.completion.0.finish_reason":              "tool_calls",
						"gen_ai.completion.0.tool_calls.0.id":            "call_lisbon",
						"gen_ai.completion.0.tool_calls.1.function.name": "get_weather",
					})
				}
			}
			a := attrs(spans[1])
			want := map[string]any{
				"gen_ai.prompt.2.role":                            "assistant",
				"gen_ai.prompt.2.tool_calls.0.id":                 "call_lisbon",
				"gen_ai.prompt.2.tool_calls.0.type":               "function",
				"gen_ai.prompt.2.tool_calls.0.function.name":      "get_weather",
				"gen_ai.prompt.2.tool_calls.1.id":                 "call_porto",
				"gen_ai.prompt.3.role":                            "tool",
				"gen_ai.prompt.3.tool_call_id":                    "call_lisbon",
				"gen_ai.prompt.4.tool_call_id":                    "call_porto",
				"gen_ai.prompt.3.content":                         "21 degrees and sunny",
				"gen_ai.prompt.2.tool_calls.0.function.arguments": jsonValue(`{"location":"Lisbon, PT"}`),
			}
			if !capture {
				want["gen_ai.prompt.3.content"] = nil
				want["gen_ai.prompt.2.tool_calls.0.function.arguments"] = nil
			}
			wantAttrs(t, a, want)
			checkGolden(t, filepath.Join("testdata", "golden", "tool_round_trip_"+name+".txt"), golden.String())
		})
	}
}

func checkGolden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs (run go test -update after checking):\n--- want\n%s\n--- got\n%s", path, want, got)
	}
}

// TestCaptureOffDropsExactlyContent compares the key sets with capture on
// and off: off drops message content and tool-call arguments, nothing else.
func TestCaptureOffDropsExactlyContent(t *testing.T) {
	keysFor := func(capture bool) map[string]bool {
		h := newHarness(t, jsonHandler(200, toolCallResponseJSON), capture)
		if _, err := h.client.Chat.Completions.New(context.Background(), toolRoundTripParams()); err != nil {
			t.Fatal(err)
		}
		m := map[string]bool{}
		for k := range attrs(h.onlySpan()) {
			m[k] = true
		}
		return m
	}
	on, off := keysFor(true), keysFor(false)
	for k := range off {
		if !on[k] {
			t.Errorf("%s only with capture off", k)
		}
	}
	dropped := 0
	for k := range on {
		if off[k] {
			continue
		}
		dropped++
		if !strings.HasSuffix(k, ".content") && !strings.HasSuffix(k, ".function.arguments") {
			t.Errorf("capture off dropped %s", k)
		}
	}
	if dropped == 0 {
		t.Error("capture off dropped nothing")
	}
}

func TestCaptureFromEnvironment(t *testing.T) {
	for _, tc := range []struct {
		env  string
		want bool
	}{{"true", true}, {"TRUE", true}, {" True ", true}, {"false", false}, {"1", false}, {"", false},
		{"SPAN_ONLY", true}, {"span_and_event", true}, {"EVENT_ONLY", false}, {"NO_CONTENT", false}} {
		t.Run(tc.env, func(t *testing.T) {
			t.Setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", tc.env)
			rec := tracetest.NewSpanRecorder()
			tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
			srv := newServer(t, jsonHandler(200, chatResponseJSON))
			client := openai.NewClient(option.WithBaseURL(srv+"/v1"), option.WithAPIKey("k"), WithTracing(WithTracerProvider(tp)))
			if _, err := client.Chat.Completions.New(context.Background(), chatParams()); err != nil {
				t.Fatal(err)
			}
			_, got := attrs(rec.Ended()[0])["gen_ai.prompt.0.content"]
			if got != tc.want {
				t.Errorf("env %q: content recorded %v, want %v", tc.env, got, tc.want)
			}
		})
	}
}

func TestChatAPIError(t *testing.T) {
	const body = `{"error":{"message":"The model ` + "`nope`" + ` does not exist or you do not have access to it.","type":"invalid_request_error","param":null,"code":"model_not_found"}}`
	h := newHarness(t, jsonHandler(404, body), true)
	p := chatParams()
	p.Model = "nope"
	_, err := h.client.Chat.Completions.New(context.Background(), p)
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 404 {
		t.Fatalf("caller got %v", err)
	}
	// The same call untraced returns the same error text.
	plain := openai.NewClient(option.WithBaseURL(h.srv.URL+"/v1"), option.WithAPIKey("sk-test-secret"), option.WithMaxRetries(0))
	_, plainErr := plain.Chat.Completions.New(context.Background(), p)
	if plainErr == nil || plainErr.Error() != err.Error() {
		t.Errorf("traced error %q differs from untraced %q", err, plainErr)
	}
	s := h.onlySpan()
	if s.Status().Code != codes.Error || !strings.Contains(s.Status().Description, "does not exist") {
		t.Errorf("status %+v", s.Status())
	}
	a := attrs(s)
	wantAttrs(t, a, map[string]any{
		"error.type":                "model_not_found",
		"gen_ai.request.model":      "nope",
		"gen_ai.prompt.1.content":   userPrompt,
		"gen_ai.response.id":        nil,
		"gen_ai.usage.input_tokens": nil,
	})
	if hasPrefixKey(a, "gen_ai.completion.") {
		t.Error("error span has completions")
	}
}

func TestChatServerErrorRetriedEachAttemptASpan(t *testing.T) {
	h := newHarness(t, inTurn(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After-Ms", "1")
		jsonHandler(500, `{"error":{"message":"boom","type":"server_error","param":null,"code":null}}`)(w, r)
	}, jsonHandler(200, chatResponseJSON)), false, option.WithMaxRetries(2))
	if _, err := h.client.Chat.Completions.New(context.Background(), chatParams()); err != nil {
		t.Fatal(err)
	}
	spans := h.spans()
	if len(spans) != 2 {
		t.Fatalf("%d spans, want one per attempt", len(spans))
	}
	// openai-go closes the retried attempt's body unread, and so does the
	// span (reading it could hold the retry): the status code stands in.
	wantAttrs(t, attrs(spans[0]), map[string]any{"error.type": "500", "http.request.resend_count": nil})
	if st := spans[0].Status(); st.Code != codes.Error || st.Description != "500 Internal Server Error" {
		t.Errorf("first attempt status %v", st)
	}
	wantAttrs(t, attrs(spans[1]), map[string]any{"error.type": nil, "http.request.resend_count": 1, "gen_ai.response.id": "chatcmpl-fixture1"})
}

func TestChatTransportErrors(t *testing.T) {
	t.Run("connection refused", func(t *testing.T) {
		h := newHarness(t, jsonHandler(200, chatResponseJSON), false)
		h.srv.Close()
		_, err := h.client.Chat.Completions.New(context.Background(), chatParams())
		if err == nil {
			t.Fatal("no error")
		}
		s := h.onlySpan()
		wantAttrs(t, attrs(s), map[string]any{"error.type": "connection_error", "gen_ai.request.model": "gpt-4o-mini"})
		if s.Status().Code != codes.Error {
			t.Error("status not Error")
		}
	})
	t.Run("deadline", func(t *testing.T) {
		block := make(chan struct{})
		h := newHarness(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-block:
			case <-r.Context().Done():
			}
		}), false)
		defer close(block)
		ctx, cancel := context.WithTimeout(context.Background(), 50*1e6)
		defer cancel()
		if _, err := h.client.Chat.Completions.New(ctx, chatParams()); err == nil {
			t.Fatal("no error")
		}
		wantAttrs(t, attrs(h.onlySpan()), map[string]any{"error.type": "timeout"})
	})
}

func TestResponseBytesUnchanged(t *testing.T) {
	// An outer middleware records the bytes the SDK reads through ours.
	var seen strings.Builder
	recordBody := func(req *http.Request, next option.MiddlewareNext) (*http.Response, error) {
		resp, err := next(req)
		if err == nil {
			resp.Body = &recordingBody{rc: resp.Body, w: &seen}
		}
		return resp, err
	}
	for _, tc := range []struct {
		name string
		h    http.HandlerFunc
		body string
		call func(c openai.Client) error
	}{
		{"chat", jsonHandler(200, chatResponseJSON), chatResponseJSON, func(c openai.Client) error {
			_, err := c.Chat.Completions.New(context.Background(), chatParams())
			return err
		}},
		{"stream", sseHandler(dataEvents(streamChunks(5, true)...)...), strings.Join(dataEvents(streamChunks(5, true)...), ""), func(c openai.Client) error {
			s := c.Chat.Completions.NewStreaming(context.Background(), chatParams())
			defer s.Close()
			for s.Next() {
			}
			return s.Err()
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			seen.Reset()
			srv := newServer(t, tc.h)
			c := openai.NewClient(option.WithBaseURL(srv+"/v1"), option.WithAPIKey("k"),
				option.WithMiddleware(recordBody), WithTracing(WithCaptureContent(true)))
			if err := tc.call(c); err != nil {
				t.Fatal(err)
			}
			if seen.String() != tc.body {
				t.Errorf("SDK read %q\nserver sent %q", seen.String(), tc.body)
			}
		})
	}
}

type recordingBody struct {
	rc interface {
		Read([]byte) (int, error)
		Close() error
	}
	w *strings.Builder
}

func (r *recordingBody) Read(p []byte) (int, error) {
	n, err := r.rc.Read(p)
	r.w.Write(p[:n])
	return n, err
}
func (r *recordingBody) Close() error { return r.rc.Close() }

func TestSecretsNeverRecorded(t *testing.T) {
	h := newHarness(t, jsonHandler(200, chatResponseJSON), true,
		option.WithHeader("OpenAI-Organization", "org-secret-header"), option.WithHeader("api-key", "azure-secret-key"))
	if _, err := h.client.Chat.Completions.New(context.Background(), chatParams()); err != nil {
		t.Fatal(err)
	}
	for k, v := range attrs(h.onlySpan()) {
		for _, secret := range []string{"sk-test-secret", "Bearer", "org-secret-header", "azure-secret-key"} {
			if strings.Contains(v.String(), secret) || strings.Contains(k, strings.ToLower(secret)) {
				t.Errorf("%s=%s leaks %q", k, v.String(), secret)
			}
		}
	}
}

func TestUninstrumentAndInstrument(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { Instrument() })
	srv := newServer(t, jsonHandler(200, chatResponseJSON))
	// No provider on the client: it follows Instrument's defaults.
	client := NewClient(option.WithBaseURL(srv+"/v1"), option.WithAPIKey("k"))
	Instrument(WithTracerProvider(tp), WithCaptureContent(true))
	call := func() {
		t.Helper()
		if _, err := client.Chat.Completions.New(context.Background(), chatParams()); err != nil {
			t.Fatal(err)
		}
	}
	call()
	if n := len(rec.Ended()); n != 1 {
		t.Fatalf("instrumented: %d spans", n)
	}
	if _, ok := attrs(rec.Ended()[0])["gen_ai.prompt.0.content"]; !ok {
		t.Error("Instrument's WithCaptureContent(true) not applied")
	}
	Uninstrument()
	call()
	if n := len(rec.Ended()); n != 1 {
		t.Fatalf("uninstrumented: %d spans, want still 1", n)
	}
	Instrument(WithTracerProvider(tp))
	call()
	if n := len(rec.Ended()); n != 2 {
		t.Fatalf("re-instrumented: %d spans, want 2", n)
	}
	if _, ok := attrs(rec.Ended()[1])["gen_ai.prompt.0.content"]; ok {
		t.Error("defaults of the earlier Instrument call still apply")
	}
}

func TestDoubleInstallOneSpan(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	srv := newServer(t, jsonHandler(200, chatResponseJSON))
	client := NewClient(option.WithBaseURL(srv+"/v1"), option.WithAPIKey("k"), WithTracing(WithTracerProvider(tp)))
	Instrument(WithTracerProvider(tp))
	t.Cleanup(func() { Instrument() })
	if _, err := client.Chat.Completions.New(context.Background(), chatParams(), WithTracing(WithTracerProvider(tp))); err != nil {
		t.Fatal(err)
	}
	if n := len(rec.Ended()); n != 1 {
		t.Fatalf("three installs gave %d spans", n)
	}
}

func TestUnsampledStillMeasures(t *testing.T) {
	h := newHarness(t, jsonHandler(200, chatResponseJSON), true)
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.NeverSample()), sdktrace.WithSpanProcessor(rec))
	client := openai.NewClient(option.WithBaseURL(h.srv.URL+"/v1"), option.WithAPIKey("k"), WithTracing(WithTracerProvider(tp), WithMeterProvider(h.mp)))
	if _, err := client.Chat.Completions.New(context.Background(), chatParams()); err != nil {
		t.Fatal(err)
	}
	if n := len(rec.Ended()) + len(h.rec.Ended()); n != 0 {
		t.Fatalf("%d spans recorded with a never sampler", n)
	}
	if tokens := histogramSum(t, h.metrics(), "gen_ai.client.token.usage"); tokens != 96+14 {
		t.Errorf("token usage sum %d, want %d", tokens, 96+14)
	}
}

func TestPanicInTracingNeverReachesCaller(t *testing.T) {
	var handled []error
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) { handled = append(handled, err) }))
	t.Cleanup(func() { otel.SetErrorHandler(otel.ErrorHandlerFunc(func(error) {})); testHook = nil })
	for _, stage := range []string{"begin", "observe"} {
		t.Run(stage, func(t *testing.T) {
			handled = nil
			testHook = func(s string) {
				if s == stage {
					panic("injected " + s)
				}
			}
			defer func() { testHook = nil }()
			h := newHarness(t, jsonHandler(200, chatResponseJSON), true)
			res, err := h.client.Chat.Completions.New(context.Background(), chatParams())
			if err != nil || res.ID != "chatcmpl-fixture1" {
				t.Fatalf("caller got %v, %v", res, err)
			}
			st := h.client.Chat.Completions.NewStreaming(context.Background(), chatParams())
			n := 0
			for st.Next() {
				n++
			}
			_ = st.Close()
			if len(handled) == 0 || !strings.Contains(handled[0].Error(), "injected") {
				t.Errorf("panic not reported through otel.Handle: %v", handled)
			}
			if len(h.rec.Started()) != len(h.rec.Ended()) {
				t.Errorf("%d spans started, %d ended", len(h.rec.Started()), len(h.rec.Ended()))
			}
		})
	}
}

func TestNonInferenceEndpointsPassThrough(t *testing.T) {
	h := newHarness(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasSuffix(r.URL.Path, "/models"):
			jsonHandler(200, `{"object":"list","data":[{"id":"gpt-4o-mini","object":"model","created":1,"owned_by":"openai"}]}`)(w, r)
		default:
			jsonHandler(200, `{"id":"batch_1","object":"batch"}`)(w, r)
		}
	}), true)
	if _, err := h.client.Models.List(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := h.client.Batches.New(context.Background(), openai.BatchNewParams{InputFileID: "file-1", Endpoint: openai.BatchNewParamsEndpointV1ChatCompletions,
		CompletionWindow: openai.BatchNewParamsCompletionWindow24h}); err != nil {
		t.Fatal(err)
	}
	if n := len(h.rec.Started()); n != 0 {
		t.Fatalf("%d spans for non-inference endpoints", n)
	}
}

// newServer starts a test server and returns its URL.
func newServer(t testing.TB, h http.Handler) string {
	t.Helper()
	srv := httptestServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

var _ = json.Marshal

func TestMetricsPerAttributeCombination(t *testing.T) {
	h := newHarness(t, inTurn(
		jsonHandler(200, chatResponseJSON),
		jsonHandler(200, chatResponseJSON),
		jsonHandler(200, strings.Replace(chatResponseJSON, "gpt-4o-mini-2024-07-18", "gpt-4o-2024-08-06", 1)),
		jsonHandler(429, `{"error":{"message":"slow down","type":"requests","code":"rate_limit_exceeded"}}`),
	), false)
	for i := 0; i < 4; i++ {
		_, _ = h.client.Chat.Completions.New(context.Background(), chatParams())
	}
	rm := h.metrics()
	for _, m := range rm.ScopeMetrics[0].Metrics {
		switch m.Name {
		case "gen_ai.client.operation.duration":
			pts := m.Data.(metricdata.Histogram[float64]).DataPoints
			got := map[string]uint64{}
			for _, dp := range pts {
				model, _ := dp.Attributes.Value("gen_ai.response.model")
				et, _ := dp.Attributes.Value("error.type")
				got[model.String()+"|"+et.String()] = dp.Count
			}
			want := map[string]uint64{"gpt-4o-mini-2024-07-18|": 2, "gpt-4o-2024-08-06|": 1, "|rate_limit_exceeded": 1}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("duration points %v, want %v", got, want)
			}
		case "gen_ai.client.token.usage":
			if pts := m.Data.(metricdata.Histogram[int64]).DataPoints; len(pts) != 4 {
				t.Errorf("%d token points, want 4 (input/output for 2 models)", len(pts))
			}
		}
	}
}

// TestUninstrumentedClientIsUntraced: a client built with WithTracing and
// switched off by Uninstrument makes exactly the allocations of a client
// without tracing (the middleware is not even installed in openai-go's
// per-request chain); switched on again, it traces.
func TestUninstrumentedClientIsUntraced(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts vary under the race detector")
	}
	d := &fakeDoer{body: []byte(chatResponseJSON), contentType: "application/json"}
	p := chatParams()
	plain, traced := benchClient(d, false, false), benchClient(d, true, true)
	allocs := func(c openai.Client) float64 {
		return testing.AllocsPerRun(50, func() {
			if _, err := c.Chat.Completions.New(context.Background(), p); err != nil {
				t.Fatal(err)
			}
		})
	}
	t.Cleanup(func() { Instrument() })
	Uninstrument()
	if a, b := allocs(plain), allocs(traced); a != b {
		t.Errorf("untraced client %v allocations per call, uninstrumented traced client %v", a, b)
	}
	Instrument()
	if a, b := allocs(plain), allocs(traced); b <= a {
		t.Errorf("instrumented again: %v allocations per call, untraced %v: not traced?", b, a)
	}
}
