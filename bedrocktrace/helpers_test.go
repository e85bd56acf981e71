package bedrocktrace

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/tracekit-go/tracekit/internal/vcr"
)

// env is one test's telemetry pipeline and client configuration.
type env struct {
	t      testing.TB
	rec    *tracetest.SpanRecorder
	tp     *sdktrace.TracerProvider
	reader *sdkmetric.ManualReader
	mp     *sdkmetric.MeterProvider
	http   *http.Client
	// extra options every traced client of this env gets.
	extra []Option
	// calls is the context of calls made with callCtx, cancelled by
	// leakCheck.
	calls     context.Context
	stopCalls context.CancelFunc
}

// callCtx is a context for a call whose connection the SDK may leave open
// (AgenticRetrieveStream's SDK never closes the body it stops copying):
// leakCheck cancels it, which closes that connection, before it looks.
func (e *env) callCtx() context.Context {
	if e.calls == nil || e.calls.Err() != nil {
		e.calls, e.stopCalls = context.WithCancel(context.Background())
	}
	return e.calls
}

func newEnv(t testing.TB, procs ...sdktrace.SpanProcessor) *env {
	t.Helper()
	if tt, ok := t.(*testing.T); ok {
		tt.Setenv("AWS_BEARER_TOKEN_BEDROCK", "") // would switch the client to bearer auth
	}
	e := &env{t: t, rec: tracetest.NewSpanRecorder(), reader: sdkmetric.NewManualReader(), http: vcr.BufferedClient()}
	tpOpts := []sdktrace.TracerProviderOption{sdktrace.WithSpanProcessor(e.rec)}
	for _, p := range procs {
		tpOpts = append(tpOpts, sdktrace.WithSpanProcessor(p))
	}
	e.tp = sdktrace.NewTracerProvider(tpOpts...)
	e.mp = sdkmetric.NewMeterProvider(sdkmetric.WithReader(e.reader))
	t.Cleanup(e.http.CloseIdleConnections)
	return e
}

// opts are the options of a traced client of this env.
func (e *env) opts(capture bool) []Option {
	return append([]Option{WithTracerProvider(e.tp), WithMeterProvider(e.mp), WithCaptureContent(capture)}, e.extra...)
}

func (e *env) cfg(url string) aws.Config {
	return aws.Config{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDTEST", "SECRETTEST", "SESSIONTOKEN"),
		BaseEndpoint:     aws.String(url),
		RetryMaxAttempts: 1,
		HTTPClient:       e.http,
	}
}

// runtime returns a traced bedrockruntime client for url.
func (e *env) runtime(url string, capture bool) *bedrockruntime.Client {
	return bedrockruntime.NewFromConfig(e.cfg(url), WithTracing(e.opts(capture)...))
}

// agents returns a traced bedrockagentruntime client for url.
func (e *env) agents(url string, capture bool) *bedrockagentruntime.Client {
	cfg := e.cfg(url)
	AppendMiddlewares(&cfg.APIOptions, e.opts(capture)...)
	return bedrockagentruntime.NewFromConfig(cfg)
}

func (e *env) spans() []sdktrace.ReadOnlySpan { return e.rec.Ended() }

// oneSpan returns the only ended span.
func (e *env) oneSpan() sdktrace.ReadOnlySpan {
	e.t.Helper()
	s := e.spans()
	if len(s) != 1 {
		e.t.Fatalf("got %d ended spans, want 1 (started %d)", len(s), len(e.rec.Started()))
	}
	return s[0]
}

func (e *env) metrics() metricdata.ResourceMetrics {
	e.t.Helper()
	var rm metricdata.ResourceMetrics
	if err := e.reader.Collect(context.Background(), &rm); err != nil {
		e.t.Fatal(err)
	}
	return rm
}

// attrs is a span's attributes by key.
type attrs map[string]attribute.Value

func attrsOf(s sdktrace.ReadOnlySpan) attrs {
	m := attrs{}
	for _, kv := range s.Attributes() {
		m[string(kv.Key)] = kv.Value
	}
	return m
}

func (a attrs) keys() []string {
	var k []string
	for key := range a {
		k = append(k, key)
	}
	sort.Strings(k)
	return k
}

// want checks that every key in kv has the given value (a string, int,
// int64, float64, []string or nil for "absent").
func (a attrs) want(t testing.TB, kv map[string]any) {
	t.Helper()
	for k, v := range kv {
		got, ok := a[k]
		if v == nil {
			if ok {
				t.Errorf("%s = %v, want absent", k, got.String())
			}
			continue
		}
		if !ok {
			t.Errorf("%s absent, want %v", k, v)
			continue
		}
		switch v := v.(type) {
		case string:
			if got.Type() != attribute.STRING || got.AsString() != v {
				t.Errorf("%s = %q, want %q", k, got.String(), v)
			}
		case int:
			if got.Type() != attribute.INT64 || got.AsInt64() != int64(v) {
				t.Errorf("%s = %v, want %d", k, got.String(), v)
			}
		case float64:
			if got.Type() != attribute.FLOAT64 || got.AsFloat64() != v {
				t.Errorf("%s = %v, want %v", k, got.String(), v)
			}
		case []string:
			gs := got.AsStringSlice()
			if got.Type() != attribute.STRINGSLICE || strings.Join(gs, "\x00") != strings.Join(v, "\x00") || len(gs) != len(v) {
				t.Errorf("%s = %v, want %v", k, got.String(), v)
			}
		case []float64:
			if got.Type() != attribute.FLOAT64SLICE || fmt.Sprint(got.AsFloat64Slice()) != fmt.Sprint(v) {
				t.Errorf("%s = %v, want %v", k, got.String(), v)
			}
		case prefix:
			if got.Type() != attribute.STRING || !strings.HasPrefix(got.AsString(), string(v)) {
				t.Errorf("%s = %q, want prefix %q", k, got.String(), string(v))
			}
		case jsonValue:
			if got.Type() != attribute.STRING || !vcr.JSONEqual([]byte(got.AsString()), []byte(v)) {
				t.Errorf("%s = %s, want JSON %s", k, got.String(), string(v))
			}
		default:
			t.Fatalf("bad want type %T", v)
		}
	}
}

// jsonValue is an expected attribute compared as JSON.
type jsonValue string

// noneWithPrefix checks that no attribute key has one of the prefixes or
// suffixes given ("*.content" style: a leading '*' means suffix).
func (a attrs) none(t testing.TB, patterns ...string) {
	t.Helper()
	for k := range a {
		for _, p := range patterns {
			if (strings.HasPrefix(p, "*") && strings.HasSuffix(k, p[1:])) || (!strings.HasPrefix(p, "*") && strings.HasPrefix(k, p)) {
				t.Errorf("unexpected attribute %s = %v", k, a[k].String())
			}
		}
	}
}

func statusOf(s sdktrace.ReadOnlySpan) codes.Code { return s.Status().Code }

// ---- fake Bedrock servers

// encodeFrame encodes one event-stream message.
func encodeFrame(tb testing.TB, msgType, eventType string, payload []byte) []byte {
	tb.Helper()
	var m eventstream.Message
	m.Headers.Set(":message-type", eventstream.StringValue(msgType))
	if msgType == "exception" {
		m.Headers.Set(":exception-type", eventstream.StringValue(eventType))
	} else {
		m.Headers.Set(":event-type", eventstream.StringValue(eventType))
	}
	m.Headers.Set(":content-type", eventstream.StringValue("application/json"))
	m.Payload = payload
	var buf bytes.Buffer
	if err := eventstream.NewEncoder().Encode(&buf, m); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// event is an event-stream frame with a JSON payload.
func event(tb testing.TB, eventType, payload string) []byte {
	return encodeFrame(tb, "event", eventType, []byte(payload))
}

// chunk is an InvokeModelWithResponseStream / InvokeAgent chunk frame whose
// bytes are payload.
func chunk(tb testing.TB, payload string) []byte {
	b, _ := json.Marshal(struct {
		Bytes []byte `json:"bytes"`
	}{[]byte(payload)})
	return encodeFrame(tb, "event", "chunk", b)
}

// exception is an exception frame.
func exception(tb testing.TB, typ, msg string) []byte {
	b, _ := json.Marshal(map[string]string{"message": msg})
	return encodeFrame(tb, "exception", typ, b)
}

// fake is a scripted Bedrock server.
type fake struct {
	*httptest.Server
	mu     sync.Mutex
	bodies [][]byte
	paths  []string
}

// reply is what the fake answers: a JSON body or event-stream frames.
type reply struct {
	status  int
	headers map[string]string
	body    string   // JSON body
	frames  [][]byte // event stream, flushed one frame at a time
	// gate, when set, is waited on after the first frame.
	gate chan struct{}
	// hang keeps the stream open after the frames until the request ends.
	hang bool
}

func newFake(t testing.TB, replies ...reply) *fake {
	f := &fake{}
	var next int
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.bodies = append(f.bodies, b)
		f.paths = append(f.paths, r.URL.EscapedPath())
		i := next
		next++
		f.mu.Unlock()
		if i >= len(replies) {
			i = len(replies) - 1
		}
		rp := replies[i]
		for k, v := range rp.headers {
			w.Header().Set(k, v)
		}
		status := rp.status
		if status == 0 {
			status = 200
		}
		if rp.frames == nil {
			if w.Header().Get("Content-Type") == "" {
				w.Header().Set("Content-Type", "application/json")
			}
			w.WriteHeader(status)
			_, _ = io.WriteString(w, rp.body)
			return
		}
		w.Header().Set("Content-Type", "application/vnd.amazon.eventstream")
		w.WriteHeader(status)
		fl := w.(http.Flusher)
		for j, fr := range rp.frames {
			_, _ = w.Write(fr)
			fl.Flush()
			if j == 0 && rp.gate != nil {
				select {
				case <-rp.gate:
				case <-r.Context().Done():
					return
				}
			}
		}
		if rp.hang {
			<-r.Context().Done()
		}
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fake) body(i int) []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.bodies[i]
}

func attributeKey(k string) attribute.Key { return attribute.Key(k) }

// prefix is an expected string attribute checked by prefix.
type prefix string

// invokeOK makes one InvokeModel call of model with request, answered with
// response, on a fresh env; it checks the caller got the body untouched and
// the span is bedrock.invoke_model without error, and returns its
// attributes.
func invokeOK(t *testing.T, capture bool, model, request, response string) attrs {
	t.Helper()
	e := newEnv(t)
	f := newFake(t, reply{body: response})
	out, err := e.runtime(f.URL, capture).InvokeModel(context.Background(), &bedrockruntime.InvokeModelInput{
		ModelId: aws.String(model), Body: []byte(request), ContentType: aws.String("application/json"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if string(out.Body) != response {
		t.Fatalf("caller got %s", out.Body)
	}
	s := e.oneSpan()
	if s.Name() != "bedrock.invoke_model" || s.Status().Code != codes.Unset {
		t.Errorf("span %s %+v", s.Name(), s.Status())
	}
	return attrsOf(s)
}
