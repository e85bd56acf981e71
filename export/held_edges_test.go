package export

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"go.opentelemetry.io/otel"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/tracekit-go/tracekit/openaitrace"
)

func stallingServer(t *testing.T) *httptest.Server {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = w.Write([]byte(`data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}` + "\n\n"))
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	return srv
}

func holdStream(t *testing.T, client openai.Client) {
	s := client.Chat.Completions.NewStreaming(context.Background(), openai.ChatCompletionNewParams{Model: "m",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")}})
	if !s.Next() {
		t.Fatal(s.Err())
	}
	t.Cleanup(func() { _ = s.Close() })
}

// TestHeldGlobalBeforeSetup: clients built before Setup on the global
// provider (implicitly, and with the global delegate passed explicitly):
// their held streams are exported.
func TestHeldGlobalBeforeSetup(t *testing.T) {
	if heldGlobalRan {
		// The global delegate forwards to the first provider set, for
		// good: the test means something once per process (-count).
		t.Skip("runs once per process")
	}
	heldGlobalRan = true
	clearEnv(t, nil)
	prevTP, prevMP, prevProp := otel.GetTracerProvider(), otel.GetMeterProvider(), otel.GetTextMapPropagator()
	t.Cleanup(func() {
		otel.SetTracerProvider(prevTP)
		otel.SetMeterProvider(prevMP)
		otel.SetTextMapPropagator(prevProp)
	})
	srv := stallingServer(t)
	implicit := openai.NewClient(option.WithBaseURL(srv.URL), option.WithAPIKey("k"), option.WithMaxRetries(0), openaitrace.WithTracing())
	explicit := openai.NewClient(option.WithBaseURL(srv.URL), option.WithAPIKey("k"), option.WithMaxRetries(0),
		openaitrace.WithTracing(openaitrace.WithTracerProvider(otel.GetTracerProvider())))
	exp := &keepingExporter{InMemoryExporter: tracetest.NewInMemoryExporter()}
	shutdown, err := Setup(context.Background(), WithSpanExporter(exp))
	if err != nil {
		t.Fatal(err)
	}
	holdStream(t, implicit)
	holdStream(t, explicit)
	if err := shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := len(exp.GetSpans()); n != 2 {
		t.Fatalf("%d spans exported, want 2", n)
	}
}

var heldGlobalRan bool

type slowExporter struct{ d time.Duration }

func (e slowExporter) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error {
	time.Sleep(e.d)
	return nil
}
func (slowExporter) Shutdown(context.Context) error { return nil }

type ctxMetricExporter struct {
	sdkmetric.Exporter
	live chan bool
}

func (e ctxMetricExporter) Export(ctx context.Context, _ *metricdata.ResourceMetrics) error {
	select {
	case e.live <- ctx.Err() == nil:
	default:
	}
	return ctx.Err()
}
func (ctxMetricExporter) Shutdown(context.Context) error   { return nil }
func (ctxMetricExporter) ForceFlush(context.Context) error { return nil }
func (ctxMetricExporter) Temporality(k sdkmetric.InstrumentKind) metricdata.Temporality {
	return sdkmetric.DefaultTemporalitySelector(k)
}
func (ctxMetricExporter) Aggregation(k sdkmetric.InstrumentKind) sdkmetric.Aggregation {
	return sdkmetric.DefaultAggregationSelector(k)
}

// TestHeldShutdownStarvesMeters: ending the held spans at shutdown runs
// the span processors' OnEnd (synchronous with WithSimpleProcessor, and
// not bound by ctx): beside the meters' shutdown, so that a slow span
// export of a held stream does not starve the metrics' final export. (The
// shutdown itself gives up at its deadline: the span export is slower.)
func TestHeldShutdownStarvesMeters(t *testing.T) {
	clearEnv(t, nil)
	srv := stallingServer(t)
	me := ctxMetricExporter{live: make(chan bool, 1)}
	p, err := New(context.Background(), WithSpanExporter(slowExporter{time.Second}), WithSimpleProcessor(),
		WithMetricReader(sdkmetric.NewPeriodicReader(me, sdkmetric.WithInterval(time.Hour))))
	if err != nil {
		t.Fatal(err)
	}
	client := openai.NewClient(option.WithBaseURL(srv.URL), option.WithAPIKey("k"), option.WithMaxRetries(0),
		openaitrace.WithTracing(openaitrace.WithTracerProvider(p.TracerProvider), openaitrace.WithMeterProvider(p.MeterProvider)))
	holdStream(t, client)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	err = p.Shutdown(ctx)
	var live bool
	select {
	case live = <-me.live:
	case <-time.After(3 * time.Second):
	}
	if !live {
		t.Fatalf("Shutdown: %v; final metric export with a live context: %v", err, live)
	}
}
