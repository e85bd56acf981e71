package openaitrace

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"maps"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/tracekit-go/tracekit/internal/schemacheck"
	"github.com/tracekit-go/tracekit/internal/vcr"
	"github.com/tracekit-go/tracekit/semconv"
)

// TestConformanceChat replays every chat-completions recording of the
// llm-tracekit test suite through the real openai-go client wrapped by our
// middleware and checks the span against what the reference asserts. The
// expected values are computed from the recording with encoding/json,
// independently of the middleware's gjson parsers.
//
// Deliberate differences from the reference (see the corpus README):
//   - streamed gen_ai.response.finish_reasons holds the real reasons (the
//     reference always records []);
//   - the request's service tier goes on gen_ai.openai.request.service_tier
//     and the response's on gen_ai.openai.response.service_tier (the
//     reference swaps them);
//   - array content is recorded as its text parts joined (the reference
//     drops it);
//   - error.type is the API's error code (model_not_found) rather than the
//     Python exception class (NotFoundError);
//   - server.address is the replay server's (127.0.0.1), not api.openai.com.
func TestConformanceChat(t *testing.T) {
	dir := vcr.Dir(t)
	files, _ := filepath.Glob(filepath.Join(dir, "openai", "*chat_completion*.yaml"))
	if len(files) != 30 {
		t.Fatalf("found %d chat-completions recordings, want 30", len(files))
	}
	// Every span also carries the OTel GenAI and OpenInference conventions:
	// their JSON values must validate against the official schemas, and
	// they must not disturb the Tracekit attributes the suite checks.
	schemas := schemacheck.New(t)
	for _, f := range files {
		c, err := vcr.Load(f)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(c.Name, func(t *testing.T) { replayChat(t, c, schemas) })
	}
	for _, e := range schemas.Errors() {
		t.Error(e)
	}
	for _, k := range []attribute.Key{"gen_ai.input.messages", "gen_ai.output.messages", "gen_ai.tool.definitions"} {
		if schemas.Checked[k] == 0 {
			t.Errorf("no %s was produced to validate", k)
		}
	}
}

func replayChat(t *testing.T, c *vcr.Cassette, schemas *schemacheck.Checker) {
	capture := !strings.Contains(c.Name, "no_content")
	unsampled := strings.Contains(c.Name, "unsampled")
	notComplete := strings.Contains(c.Name, "not_complete")

	rec := tracetest.NewSpanRecorder()
	sampler := sdktrace.AlwaysSample()
	if unsampled {
		sampler = sdktrace.NeverSample()
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sampler), sdktrace.WithSpanProcessor(rec), sdktrace.WithSpanProcessor(schemas))
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	srv := vcr.NewServer(t, c)
	if notComplete {
		srv.HoldAfterEvents(3)
	}
	client := openai.NewClient(option.WithBaseURL(srv.URL+"/v1"), option.WithAPIKey("test_openai_api_key"), option.WithMaxRetries(0),
		WithTracing(WithTracerProvider(tp), WithMeterProvider(mp), WithCaptureContent(capture),
			WithConventions(semconv.Tracekit, semconv.OTelGenAI, semconv.OpenInference)))

	for i, in := range c.Interactions {
		var params openai.ChatCompletionNewParams
		if err := json.Unmarshal(in.RequestBody, &params); err != nil {
			t.Fatalf("rebuild request %d: %v", i, err)
		}
		var req map[string]any
		_ = json.Unmarshal(in.RequestBody, &req)
		stream, _ := req["stream"].(bool)
		var callErr error
		if stream {
			st := client.Chat.Completions.NewStreaming(context.Background(), params)
			n := 0
			for st.Next() {
				n++
				if notComplete && n == 2 {
					break
				}
			}
			callErr = st.Err()
			_ = st.Close()
		} else {
			_, callErr = client.Chat.Completions.New(context.Background(), params)
		}
		if (callErr != nil) != (in.Status >= 400) {
			t.Fatalf("interaction %d: status %d, call error %v", i, in.Status, callErr)
		}
		got := srv.Received()[i]
		if !vcr.JSONEqual(withoutStreamFalse(got.Body), withoutStreamFalse(in.RequestBody)) {
			t.Errorf("interaction %d: sent %s\nrecorded %s", i, got.Body, in.RequestBody)
		}
	}

	spans := rec.Ended()
	if unsampled {
		if len(spans) != 0 {
			t.Fatalf("%d spans with an always-off sampler", len(spans))
		}
		return
	}
	if len(spans) != len(c.Interactions) || len(rec.Started()) != len(spans) {
		t.Fatalf("%d spans started, %d ended, for %d interactions", len(rec.Started()), len(spans), len(c.Interactions))
	}
	for i, in := range c.Interactions {
		checkChatSpan(t, spans[i], in, capture, notComplete)
	}
	if strings.Contains(c.Name, "metrics") {
		checkChatMetrics(t, reader, c.Interactions[0])
	} else {
		checkDurationPoints(t, reader, spans)
	}
}

// checkDurationPoints checks what every reference test implies of the
// duration metric (test_chat_completion_404 asserts it for an error): one
// measurement per call, a failed call's with the error.type its span has,
// and the request model.
func checkDurationPoints(t *testing.T, reader *sdkmetric.ManualReader, spans []sdktrace.ReadOnlySpan) {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	counts := map[string]uint64{} // error.type ("" for none) -> measurements
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != "gen_ai.client.operation.duration" {
				continue
			}
			for _, dp := range m.Data.(metricdata.Histogram[float64]).DataPoints {
				if v, _ := dp.Attributes.Value("gen_ai.request.model"); v.AsString() == "" {
					t.Errorf("duration point without gen_ai.request.model: %v", dp.Attributes)
				}
				et, _ := dp.Attributes.Value("error.type")
				counts[et.AsString()] += dp.Count
			}
		}
	}
	want := map[string]uint64{}
	for _, s := range spans {
		want[attrs(s)["error.type"].AsString()]++
	}
	if !maps.Equal(counts, want) {
		t.Errorf("duration measurements by error.type %v, want %v (one per span)", counts, want)
	}
}

// withoutStreamFalse drops "stream": false, which the Python client sent
// and openai-go leaves out (both mean a plain call).
func withoutStreamFalse(b []byte) []byte {
	var m map[string]any
	if json.Unmarshal(b, &m) != nil {
		return b
	}
	if s, ok := m["stream"].(bool); ok && !s {
		delete(m, "stream")
	}
	out, _ := json.Marshal(m)
	return out
}

func checkChatSpan(t *testing.T, s sdktrace.ReadOnlySpan, in vcr.Interaction, capture, notComplete bool) {
	t.Helper()
	var req struct {
		Model    string
		Messages []struct {
			Role       string
			Content    json.RawMessage
			ToolCallID string         `json:"tool_call_id"`
			ToolCalls  []wireToolCall `json:"tool_calls"`
		}
		Tools []struct {
			Type     string
			Function struct {
				Name, Description string
				Parameters        json.RawMessage
			}
		}
		Temperature    *float64
		MaxTokens      *int `json:"max_tokens"`
		Seed           *int
		User           string
		ServiceTier    string                 `json:"service_tier"`
		ResponseFormat *struct{ Type string } `json:"response_format"`
	}
	if err := json.Unmarshal(in.RequestBody, &req); err != nil {
		t.Fatal(err)
	}
	a := attrs(s)
	want := map[string]any{
		"gen_ai.operation.name": "chat",
		"gen_ai.system":         "openai",
		"gen_ai.request.model":  req.Model,
		"server.address":        "127.0.0.1",
	}
	if s.Name() != "chat "+req.Model {
		t.Errorf("span name %q", s.Name())
	}
	if req.Temperature != nil {
		want["gen_ai.request.temperature"] = *req.Temperature
	}
	if req.MaxTokens != nil {
		want["gen_ai.request.max_tokens"] = *req.MaxTokens
	}
	if req.Seed != nil {
		want["gen_ai.openai.request.seed"] = *req.Seed
	}
	if req.User != "" {
		want["gen_ai.request.user"] = req.User
	}
	if req.ServiceTier != "" {
		want["gen_ai.openai.request.service_tier"] = req.ServiceTier
	}
	if req.ResponseFormat != nil {
		want["gen_ai.openai.request.response_format"] = req.ResponseFormat.Type
	}
	for i, m := range req.Messages {
		p := "gen_ai.prompt." + itoa(i)
		want[p+".role"] = m.Role
		text, isText := wireText(m.Content)
		if capture && isText {
			want[p+".content"] = text
		} else {
			want[p+".content"] = nil
		}
		if m.ToolCallID != "" {
			want[p+".tool_call_id"] = m.ToolCallID
		}
		wantToolCalls(want, p, m.ToolCalls, capture)
	}
	for i, tool := range req.Tools {
		p := "gen_ai.request.tools." + itoa(i)
		want[p+".type"] = tool.Type
		want[p+".function.name"] = tool.Function.Name
		want[p+".function.description"] = tool.Function.Description
		want[p+".function.parameters"] = jsonValue(tool.Function.Parameters)
	}

	if in.Status >= 400 {
		var e struct {
			Error struct{ Code, Message string }
		}
		_ = json.Unmarshal(in.Body, &e)
		want["error.type"] = e.Error.Code // the reference: NotFoundError
		want["gen_ai.response.id"] = nil
		want["gen_ai.response.model"] = nil
		want["gen_ai.usage.input_tokens"] = nil
		if s.Status().Code != codes.Error || s.Status().Description != e.Error.Message {
			t.Errorf("status %+v, want Error %q", s.Status(), e.Error.Message)
		}
		wantAttrs(t, a, want)
		if hasPrefixKey(a, "gen_ai.completion.") {
			t.Error("error span has completions")
		}
		return
	}
	if s.Status().Code != codes.Unset {
		t.Errorf("status %+v on success", s.Status())
	}
	want["error.type"] = nil

	var resp wireResponse
	if strings.HasPrefix(in.Headers.Get("Content-Type"), "text/event-stream") {
		resp = accumulateWireStream(t, in.Body, notComplete)
		if _, ok := a["gen_ai.response.time_to_first_chunk"]; !ok {
			t.Error("stream without time_to_first_chunk")
		}
	} else if err := json.Unmarshal(in.Body, &resp); err != nil {
		t.Fatal(err)
	}
	want["gen_ai.response.id"] = resp.ID
	want["gen_ai.response.model"] = resp.Model
	want["gen_ai.usage.input_tokens"] = resp.Usage.PromptTokens
	want["gen_ai.usage.output_tokens"] = resp.Usage.CompletionTokens
	if resp.ServiceTier != "" {
		want["gen_ai.openai.response.service_tier"] = resp.ServiceTier
	}
	var reasons []string
	for i, ch := range resp.Choices {
		p := "gen_ai.completion." + itoa(i)
		reason := ch.FinishReason
		if reason == "" {
			reason = "error"
		}
		reasons = append(reasons, reason)
		want[p+".role"] = "assistant"
		want[p+".finish_reason"] = reason
		if capture && ch.Message.Content != nil {
			want[p+".content"] = *ch.Message.Content
		} else {
			want[p+".content"] = nil
		}
		wantToolCalls(want, p, ch.Message.ToolCalls, capture)
	}
	want["gen_ai.response.finish_reasons"] = reasons
	want["gen_ai.completion."+itoa(len(resp.Choices))+".role"] = nil
	want["gen_ai.prompt."+itoa(len(req.Messages))+".role"] = nil
	wantAttrs(t, a, want)
}

type wireToolCall struct {
	ID       string
	Type     string
	Index    int
	Function struct{ Name, Arguments string }
}

type wireResponse struct {
	ID, Model   string
	ServiceTier string `json:"service_tier"`
	Choices     []struct {
		Index        int
		FinishReason string `json:"finish_reason"`
		Message      struct {
			Content   *string
			ToolCalls []wireToolCall `json:"tool_calls"`
		}
	}
	Usage struct {
		PromptTokens     int `json:"prompt_tokens"`
		CompletionTokens int `json:"completion_tokens"`
	}
}

func wantToolCalls(want map[string]any, p string, calls []wireToolCall, capture bool) {
	for j, tc := range calls {
		q := p + ".tool_calls." + itoa(j)
		want[q+".id"] = tc.ID
		want[q+".type"] = "function"
		want[q+".function.name"] = tc.Function.Name
		if capture {
			want[q+".function.arguments"] = jsonValue(tc.Function.Arguments)
		} else {
			want[q+".function.arguments"] = nil
		}
	}
}

// wireText returns a message content's text: a string, or the text parts of
// an array joined.
func wireText(raw json.RawMessage) (string, bool) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, true
	}
	var parts []struct{ Type, Text string }
	if json.Unmarshal(raw, &parts) != nil {
		return "", false
	}
	var b strings.Builder
	found := false
	for _, p := range parts {
		if p.Type == "text" {
			b.WriteString(p.Text)
			found = true
		}
	}
	return b.String(), found
}

// accumulateWireStream rebuilds a chat completion from an SSE body with
// encoding/json. With partial set, it keeps only the first three events, as
// the replay server sends them, and leaves the usage at zero.
func accumulateWireStream(t *testing.T, body []byte, partial bool) wireResponse {
	t.Helper()
	var out wireResponse
	events := bytes.Split(body, []byte("\n\n"))
	if partial {
		events = events[:3]
	}
	type acc struct {
		text   *string
		reason string
		calls  map[int]*wireToolCall
	}
	choices := map[int]*acc{}
	for _, e := range events {
		data, ok := bytes.CutPrefix(bytes.TrimSpace(e), []byte("data: "))
		if !ok || string(data) == "[DONE]" {
			continue
		}
		var chunk struct {
			ID, Model   string
			ServiceTier string `json:"service_tier"`
			Choices     []struct {
				Index        int
				FinishReason *string `json:"finish_reason"`
				Delta        struct {
					Content   *string
					ToolCalls []wireToolCall `json:"tool_calls"`
				}
			}
			Usage *struct {
				PromptTokens     int `json:"prompt_tokens"`
				CompletionTokens int `json:"completion_tokens"`
			}
		}
		if err := json.Unmarshal(data, &chunk); err != nil {
			t.Fatal(err)
		}
		if out.ID == "" {
			out.ID = chunk.ID
		}
		if out.Model == "" {
			out.Model = chunk.Model
		}
		if out.ServiceTier == "" {
			out.ServiceTier = chunk.ServiceTier
		}
		if chunk.Usage != nil {
			out.Usage.PromptTokens, out.Usage.CompletionTokens = chunk.Usage.PromptTokens, chunk.Usage.CompletionTokens
		}
		for _, ch := range chunk.Choices {
			a := choices[ch.Index]
			if a == nil {
				a = &acc{calls: map[int]*wireToolCall{}}
				choices[ch.Index] = a
			}
			if ch.FinishReason != nil {
				a.reason = *ch.FinishReason
			}
			if ch.Delta.Content != nil {
				s := ""
				if a.text != nil {
					s = *a.text
				}
				s += *ch.Delta.Content
				a.text = &s
			}
			for _, tc := range ch.Delta.ToolCalls {
				c := a.calls[tc.Index]
				if c == nil {
					c = &wireToolCall{ID: tc.ID, Type: "function"}
					c.Function.Name = tc.Function.Name
					a.calls[tc.Index] = c
				}
				c.Function.Arguments += tc.Function.Arguments
			}
		}
	}
	idx := make([]int, 0, len(choices))
	for i := range choices {
		idx = append(idx, i)
	}
	sort.Ints(idx)
	for _, i := range idx {
		a := choices[i]
		var ch struct {
			Index        int
			FinishReason string `json:"finish_reason"`
			Message      struct {
				Content   *string
				ToolCalls []wireToolCall `json:"tool_calls"`
			}
		}
		ch.Index, ch.FinishReason, ch.Message.Content = i, a.reason, a.text
		for j := 0; j < len(a.calls); j++ {
			ch.Message.ToolCalls = append(ch.Message.ToolCalls, *a.calls[j])
		}
		out.Choices = append(out.Choices, ch)
	}
	return out
}

// checkChatMetrics checks what test_chat_metrics asserts: exactly two
// metrics, the bucket boundaries, the token counts and the attributes.
func checkChatMetrics(t *testing.T, reader *sdkmetric.ManualReader, in vcr.Interaction) {
	t.Helper()
	var resp struct {
		Model             string
		ServiceTier       string `json:"service_tier"`
		SystemFingerprint string `json:"system_fingerprint"`
		Usage             struct {
			PromptTokens     int64 `json:"prompt_tokens"`
			CompletionTokens int64 `json:"completion_tokens"`
		}
	}
	if err := json.Unmarshal(in.Body, &resp); err != nil {
		t.Fatal(err)
	}
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	if len(rm.ScopeMetrics) != 1 || len(rm.ScopeMetrics[0].Metrics) != 2 {
		t.Fatalf("want exactly 2 metrics, got %+v", rm.ScopeMetrics)
	}
	for _, m := range rm.ScopeMetrics[0].Metrics {
		switch m.Name {
		case "gen_ai.client.operation.duration":
			h := m.Data.(metricdata.Histogram[float64])
			dp := h.DataPoints[0]
			if len(h.DataPoints) != 1 || dp.Count != 1 || dp.Sum <= 0 {
				t.Errorf("duration points %+v", h.DataPoints)
			}
			if got := dp.Bounds; len(got) != 14 || got[0] != 0.01 || got[13] != 81.92 {
				t.Errorf("duration bounds %v", got)
			}
			checkMetricAttrs(t, dp.Attributes, resp.Model, resp.ServiceTier, resp.SystemFingerprint)
		case "gen_ai.client.token.usage":
			h := m.Data.(metricdata.Histogram[int64])
			if len(h.DataPoints) != 2 {
				t.Fatalf("token points %+v", h.DataPoints)
			}
			for _, dp := range h.DataPoints {
				typ, _ := dp.Attributes.Value("gen_ai.token.type")
				want := map[string]int64{"input": resp.Usage.PromptTokens, "output": resp.Usage.CompletionTokens}[typ.AsString()]
				if dp.Sum != want || dp.Count != 1 {
					t.Errorf("%s tokens: sum %d count %d, want %d", typ.AsString(), dp.Sum, dp.Count, want)
				}
				if got := dp.Bounds; len(got) != 14 || got[0] != 1 || got[13] != 67108864 {
					t.Errorf("token bounds %v", got)
				}
				checkMetricAttrs(t, dp.Attributes, resp.Model, resp.ServiceTier, resp.SystemFingerprint)
			}
			if in := h.DataPoints[0]; in.BucketCounts[2]+h.DataPoints[1].BucketCounts[2] == 0 {
				t.Error("no token count in the 4-16 bucket")
			}
		default:
			t.Errorf("unexpected metric %s", m.Name)
		}
	}
}

func checkMetricAttrs(t *testing.T, set attribute.Set, model, tier, fingerprint string) {
	t.Helper()
	for k, w := range map[string]string{
		"gen_ai.operation.name":                     "chat",
		"gen_ai.system":                             "openai",
		"gen_ai.request.model":                      "gpt-4o-mini",
		"gen_ai.response.model":                     model,
		"gen_ai.openai.response.service_tier":       tier,
		"gen_ai.openai.response.system_fingerprint": fingerprint,
		"server.address":                            "127.0.0.1",
	} {
		if v, ok := set.Value(attribute.Key(k)); !ok || v.AsString() != w {
			t.Errorf("metric attribute %s = %v, want %q", k, v.String(), w)
		}
	}
}

func itoa(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}

var _ = errors.New
