package sdkfloor

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/tracekit-go/tracekit/semconv"
)

// TestReplay: the floor replays the captured span (name, kind, start and end
// attributes) and metric points.
func TestReplay(t *testing.T) {
	f, err := Capture(func(tp trace.TracerProvider, mp metric.MeterProvider) error {
		_, span := tp.Tracer("x").Start(context.Background(), "chat m", trace.WithSpanKind(trace.SpanKindClient),
			trace.WithAttributes(attribute.String("req", "a"), attribute.Int("n", 1)))
		span.SetAttributes(attribute.String("resp", "b"), attribute.String("req", "a2"))
		span.End()
		m := mp.Meter("x")
		d, _ := m.Float64Histogram(semconv.MetricOperationDuration)
		d.Record(context.Background(), 0.5, metric.WithAttributes(attribute.String("op", "chat")))
		tok, _ := m.Int64Histogram(semconv.MetricTokenUsage)
		tok.Record(context.Background(), 7, metric.WithAttributes(attribute.String("gen_ai.token.type", "input")))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	rec := tracetest.NewSpanRecorder()
	reader := sdkmetric.NewManualReader()
	f.Install(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec)), sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)))
	_, end := f.Start(context.Background())
	if got := len(rec.Started()[0].Attributes()); got != 2 {
		t.Errorf("%d attributes at start, want 2", got)
	}
	end()
	s := rec.Ended()[0]
	got := map[attribute.Key]string{}
	for _, kv := range s.Attributes() {
		got[kv.Key] = kv.Value.String()
	}
	if s.Name() != "chat m" || s.SpanKind() != trace.SpanKindClient || len(got) != 3 || got["req"] != "a2" || got["resp"] != "b" || got["n"] != "1" {
		t.Errorf("replayed span %q %v %v", s.Name(), s.SpanKind(), got)
	}
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	points := 0
	for _, m := range rm.ScopeMetrics[0].Metrics {
		switch d := m.Data.(type) {
		case metricdata.Histogram[float64]:
			points += len(d.DataPoints)
		case metricdata.Histogram[int64]:
			points += len(d.DataPoints)
			if d.DataPoints[0].Sum != 7 {
				t.Errorf("tokens %d", d.DataPoints[0].Sum)
			}
		}
	}
	if points != 2 {
		t.Errorf("%d metric points, want 2", points)
	}
}
