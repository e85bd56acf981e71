package openaitrace

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// harness is a traced openai-go client against a test server, with the spans
// and metrics it produced.
type harness struct {
	t      testing.TB
	rec    *tracetest.SpanRecorder
	reader *sdkmetric.ManualReader
	tp     *sdktrace.TracerProvider
	mp     *sdkmetric.MeterProvider
	client openai.Client
	srv    *httptest.Server
}

func newHarness(t testing.TB, handler http.Handler, capture bool, extra ...option.RequestOption) *harness {
	t.Helper()
	return newHarnessWith(t, handler, capture, nil, extra...)
}

// harnessConfig adds tracing options and span processors to a harness.
type harnessConfig struct {
	tracing    []Option
	processors []sdktrace.SpanProcessor
	spanLimits bool // no attribute count limit (the SDK's default is 128)
}

func newHarnessWith(t testing.TB, handler http.Handler, capture bool, hc *harnessConfig, extra ...option.RequestOption) *harness {
	t.Helper()
	if hc == nil {
		hc = &harnessConfig{}
	}
	h := &harness{t: t, rec: tracetest.NewSpanRecorder(), reader: sdkmetric.NewManualReader()}
	tpOpts := []sdktrace.TracerProviderOption{sdktrace.WithSpanProcessor(h.rec)}
	if hc.spanLimits {
		tpOpts = append(tpOpts, sdktrace.WithRawSpanLimits(sdktrace.SpanLimits{AttributeCountLimit: -1, AttributeValueLengthLimit: -1,
			EventCountLimit: -1, LinkCountLimit: -1, AttributePerEventCountLimit: -1, AttributePerLinkCountLimit: -1}))
	}
	for _, p := range hc.processors {
		tpOpts = append(tpOpts, sdktrace.WithSpanProcessor(p))
	}
	h.tp = sdktrace.NewTracerProvider(tpOpts...)
	h.mp = sdkmetric.NewMeterProvider(sdkmetric.WithReader(h.reader))
	h.srv = httptest.NewServer(handler)
	t.Cleanup(h.srv.Close)
	opts := []option.RequestOption{
		option.WithBaseURL(h.srv.URL + "/v1"),
		option.WithAPIKey("sk-test-secret"),
		option.WithMaxRetries(0),
		WithTracing(append([]Option{WithTracerProvider(h.tp), WithMeterProvider(h.mp), WithCaptureContent(capture)}, hc.tracing...)...),
	}
	h.client = openai.NewClient(append(opts, extra...)...)
	return h
}

func (h *harness) spans() []sdktrace.ReadOnlySpan { return h.rec.Ended() }

func (h *harness) onlySpan() sdktrace.ReadOnlySpan {
	h.t.Helper()
	s := h.rec.Ended()
	if len(s) != 1 {
		h.t.Fatalf("got %d ended spans, want 1 (started %d)", len(s), len(h.rec.Started()))
	}
	return s[0]
}

func (h *harness) metrics() metricdata.ResourceMetrics {
	h.t.Helper()
	var rm metricdata.ResourceMetrics
	if err := h.reader.Collect(context.Background(), &rm); err != nil {
		h.t.Fatal(err)
	}
	return rm
}

// attrs returns a span's attributes as a map of their emitted values.
func attrs(s sdktrace.ReadOnlySpan) map[string]attribute.Value {
	m := map[string]attribute.Value{}
	for _, kv := range s.Attributes() {
		m[string(kv.Key)] = kv.Value
	}
	return m
}

func keys(m map[string]attribute.Value) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// wantAttrs checks that the span carries exactly these values for these keys.
func wantAttrs(t testing.TB, got map[string]attribute.Value, want map[string]any) {
	t.Helper()
	for k, w := range want {
		v, ok := got[k]
		if w == nil {
			if ok {
				t.Errorf("%s = %v, want absent", k, v.String())
			}
			continue
		}
		if !ok {
			t.Errorf("%s missing, want %v", k, w)
			continue
		}
		if !sameValue(v, w) {
			t.Errorf("%s = %s (%s), want %v", k, v.String(), v.Type(), w)
		}
	}
}

func sameValue(v attribute.Value, w any) bool {
	switch w := w.(type) {
	case string:
		return v.Type() == attribute.STRING && v.AsString() == w
	case int:
		return v.Type() == attribute.INT64 && v.AsInt64() == int64(w)
	case bool:
		return v.Type() == attribute.BOOL && v.AsBool() == w
	case float64:
		return v.Type() == attribute.FLOAT64 && v.AsFloat64() == w
	case []string:
		return v.Type() == attribute.STRINGSLICE && fmt.Sprint(v.AsStringSlice()) == fmt.Sprint(w)
	case jsonValue:
		return v.Type() == attribute.STRING && jsonEq(v.AsString(), string(w))
	}
	return false
}

// jsonValue is a wanted string attribute compared as a JSON value.
type jsonValue string

func jsonEq(a, b string) bool {
	var va, vb any
	if json.Unmarshal([]byte(a), &va) != nil || json.Unmarshal([]byte(b), &vb) != nil {
		return a == b
	}
	ja, _ := json.Marshal(va)
	jb, _ := json.Marshal(vb)
	return string(ja) == string(jb)
}

// ifCaptured returns a function of an expected content attribute value: the
// value itself with capture on, nil (no attribute) with capture off.
func ifCaptured(capture bool) func(string) any {
	return func(v string) any {
		if capture {
			return v
		}
		return nil
	}
}

// jsonHandler answers every request with status and body.
func jsonHandler(status int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}
}

// inTurn answers the n-th request with handlers[n-1], and every request
// after that many with the last handler.
func inTurn(handlers ...http.HandlerFunc) http.HandlerFunc {
	var mu sync.Mutex
	n := 0
	return func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		i := min(n, len(handlers)-1)
		n++
		mu.Unlock()
		handlers[i](w, r)
	}
}

// sseHandler streams the events, one write and flush each.
func sseHandler(events ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream; charset=utf-8")
		w.WriteHeader(200)
		for _, e := range events {
			_, _ = w.Write([]byte(e))
			w.(http.Flusher).Flush()
		}
	}
}

func dataEvents(payloads ...string) []string {
	out := make([]string, len(payloads))
	for i, p := range payloads {
		out[i] = "data: " + p + "\n\n"
	}
	return out
}

func hasPrefixKey(m map[string]attribute.Value, prefix string) bool {
	for k := range m {
		if strings.HasPrefix(k, prefix) {
			return true
		}
	}
	return false
}

func httptestServer(h http.Handler) *httptest.Server { return httptest.NewServer(h) }

// histogramSum returns the sum of all data points of an int64 histogram.
func histogramSum(t testing.TB, rm metricdata.ResourceMetrics, name string) int64 {
	t.Helper()
	var sum int64
	found := false
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != name {
				continue
			}
			found = true
			h, ok := m.Data.(metricdata.Histogram[int64])
			if !ok {
				t.Fatalf("%s is %T", name, m.Data)
			}
			for _, dp := range h.DataPoints {
				sum += dp.Sum
			}
		}
	}
	if !found {
		t.Fatalf("metric %s not recorded", name)
	}
	return sum
}
