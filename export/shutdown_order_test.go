package export

import (
	"context"
	"sync"
	"testing"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// TestShutdownSlowExporterDoesNotLoseOthers checks that an exporter that
// never finishes (a dead collector) does not keep the other exporters from
// being flushed at shutdown: each exporter has its own processor, so the
// spans queued for a healthy exporter must reach it before the deadline.
func TestShutdownSlowExporterDoesNotLoseOthers(t *testing.T) {
	for _, tc := range []struct {
		name string
		slow func(chan struct{}) Option
	}{
		{"honours ctx", func(c chan struct{}) Option { return WithSpanExporter(&blockingExporter{release: c}) }},
		{"ignores ctx", func(c chan struct{}) Option { return WithSpanExporter(&hangingExporter{release: c}) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			release := make(chan struct{})
			defer close(release)
			ok := &countingExporter{}
			ctx := context.Background()
			p, err := New(ctx, tc.slow(release), WithSpanExporter(ok))
			if err != nil {
				t.Fatal(err)
			}
			_, s := p.TracerProvider.Tracer("t").Start(ctx, "x")
			s.End()
			sctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
			defer cancel()
			_ = p.Shutdown(sctx)
			ok.mu.Lock()
			defer ok.mu.Unlock()
			if ok.spans != 1 || ok.shutdowns != 1 {
				t.Errorf("healthy exporter: %d spans, %d shutdowns after shutdown; want 1 and 1 (held up by the slow exporter)", ok.spans, ok.shutdowns)
			}
		})
	}
}

// metricExporter is a metric exporter whose Export blocks until its context
// is done when block is set, and counts the exports otherwise.
type metricExporter struct {
	block   bool
	mu      sync.Mutex
	exports int
}

func (e *metricExporter) Temporality(k sdkmetric.InstrumentKind) metricdata.Temporality {
	return sdkmetric.DefaultTemporalitySelector(k)
}

func (e *metricExporter) Aggregation(k sdkmetric.InstrumentKind) sdkmetric.Aggregation {
	return sdkmetric.DefaultAggregationSelector(k)
}

func (e *metricExporter) Export(ctx context.Context, _ *metricdata.ResourceMetrics) error {
	if e.block {
		<-ctx.Done()
		return ctx.Err()
	}
	e.mu.Lock()
	e.exports++
	e.mu.Unlock()
	return nil
}

func (e *metricExporter) ForceFlush(context.Context) error { return nil }
func (e *metricExporter) Shutdown(context.Context) error   { return nil }

// TestShutdownSlowMetricReaderDoesNotLoseOthers is the metric side: the
// final collection of every reader is exported, even when another reader's
// exporter takes the whole deadline.
func TestShutdownSlowMetricReaderDoesNotLoseOthers(t *testing.T) {
	slow, ok := &metricExporter{block: true}, &metricExporter{}
	ctx := context.Background()
	p, err := New(ctx,
		WithSpanExporter(&countingExporter{}),
		WithMetricReader(sdkmetric.NewPeriodicReader(slow, sdkmetric.WithInterval(time.Hour))),
		WithMetricReader(sdkmetric.NewPeriodicReader(ok, sdkmetric.WithInterval(time.Hour))),
	)
	if err != nil {
		t.Fatal(err)
	}
	tracedChat(t, ctx, p.TracerProvider, p.MeterProvider)
	sctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	_ = p.Shutdown(sctx)
	ok.mu.Lock()
	defer ok.mu.Unlock()
	if ok.exports != 1 {
		t.Errorf("healthy metric exporter got %d exports at shutdown, want 1 (held up by the slow one)", ok.exports)
	}
}

// TestShutdownMetricReadersNoSpuriousError checks that shutting several
// readers down reports no error when they all flush.
func TestShutdownMetricReadersNoSpuriousError(t *testing.T) {
	ctx := context.Background()
	p, err := New(ctx,
		WithSpanExporter(&countingExporter{}),
		WithMetricReader(sdkmetric.NewManualReader()),
		WithMetricReader(sdkmetric.NewPeriodicReader(&metricExporter{})),
	)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if err := p.Shutdown(ctx); err != nil {
		t.Fatalf("second shutdown: %v", err)
	}
}
