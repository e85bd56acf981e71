// Package sdkfloor is a benchmark aid: it replays the OpenTelemetry SDK's own
// work for one traced call (the span with the very attributes the tracer set,
// the same metric records) without any of the tracer's work (no body read,
// parsed or copied, nothing rendered). Set beside the real tracer in a paired
// benchmark, it shows which part of the overhead the SDK takes on the
// caller's path, and which part is the tracer's.
package sdkfloor

import (
	"context"
	"errors"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/tracekit-go/tracekit/semconv"
)

// Floor is the SDK work of one traced call, captured from a real one.
type Floor struct {
	name       string
	kind       trace.SpanStartOption
	start, end []attribute.KeyValue
	records    []record

	tracer trace.Tracer
	dur    metric.Float64Histogram
	tok    metric.Int64Histogram
}

// record is one metric point of the captured call.
type record struct {
	duration bool // else a token count
	tokens   int64
	opts     []metric.RecordOption
}

// Capture runs a traced call once, on the tracer and meter providers it is
// given, and returns its floor: the span's name, kind and attributes (those
// given at start, then the others), and the metric points it recorded.
func Capture(run func(trace.TracerProvider, metric.MeterProvider) error) (*Floor, error) {
	snap := &snapshotter{}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(snap))
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	if err := run(tp, mp); err != nil {
		return nil, err
	}
	if snap.ended == nil {
		return nil, errors.New("sdkfloor: the call ended no span")
	}
	f := &Floor{name: snap.ended.Name(), kind: trace.WithSpanKind(snap.ended.SpanKind()), start: snap.start}
	// The attributes set after the start: new keys, and start keys given a
	// new value.
	started := map[attribute.Key]attribute.Value{}
	for _, kv := range snap.start {
		started[kv.Key] = kv.Value
	}
	for _, kv := range snap.ended.Attributes() {
		if v, ok := started[kv.Key]; !ok || v != kv.Value {
			f.end = append(f.end, kv)
		}
	}
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		return nil, err
	}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Histogram[float64]:
				if m.Name == semconv.MetricOperationDuration {
					for _, p := range d.DataPoints {
						f.records = append(f.records, record{duration: true, opts: []metric.RecordOption{metric.WithAttributeSet(p.Attributes)}})
					}
				}
			case metricdata.Histogram[int64]:
				if m.Name == semconv.MetricTokenUsage {
					for _, p := range d.DataPoints {
						f.records = append(f.records, record{tokens: p.Sum, opts: []metric.RecordOption{metric.WithAttributeSet(p.Attributes)}})
					}
				}
			}
		}
	}
	if len(f.start) == 0 || len(f.records) == 0 {
		return nil, errors.New("sdkfloor: the call's span has no start attributes or it recorded no metric")
	}
	return f, nil
}

// Install creates the floor's tracer and instruments on tp and mp (as a
// tracer does once, when it is configured).
func (f *Floor) Install(tp trace.TracerProvider, mp metric.MeterProvider) {
	f.tracer = tp.Tracer("sdkfloor")
	m := mp.Meter("sdkfloor")
	f.dur, _ = m.Float64Histogram(semconv.MetricOperationDuration, metric.WithUnit(semconv.MetricOperationDurationUnit),
		metric.WithExplicitBucketBoundaries(semconv.DurationBuckets...))
	f.tok, _ = m.Int64Histogram(semconv.MetricTokenUsage, metric.WithUnit(semconv.MetricTokenUsageUnit),
		metric.WithExplicitBucketBoundaries(semconv.TokenBuckets...))
}

// Start starts the span with the start attributes; the returned function
// sets the other attributes, ends the span and records the metrics.
func (f *Floor) Start(ctx context.Context) (context.Context, func()) {
	t0 := time.Now()
	ctx, span := f.tracer.Start(ctx, f.name, f.kind, trace.WithAttributes(f.start...))
	return ctx, func() {
		span.SetAttributes(f.end...)
		span.End()
		for _, r := range f.records {
			if r.duration {
				f.dur.Record(ctx, time.Since(t0).Seconds(), r.opts...)
			} else {
				f.tok.Record(ctx, r.tokens, r.opts...)
			}
		}
	}
}

// StartSpan is Start without the metrics: the span's share of the floor.
func (f *Floor) StartSpan(ctx context.Context) (context.Context, func()) {
	ctx, span := f.tracer.Start(ctx, f.name, f.kind, trace.WithAttributes(f.start...))
	return ctx, func() {
		span.SetAttributes(f.end...)
		span.End()
	}
}

// snapshotter keeps the attributes a span had when it started, and the span
// when it ended.
type snapshotter struct {
	start []attribute.KeyValue
	ended sdktrace.ReadOnlySpan
}

func (s *snapshotter) OnStart(_ context.Context, rw sdktrace.ReadWriteSpan) {
	s.start = append([]attribute.KeyValue(nil), rw.Attributes()...)
}
func (s *snapshotter) OnEnd(ro sdktrace.ReadOnlySpan)   { s.ended = ro }
func (s *snapshotter) Shutdown(context.Context) error   { return nil }
func (s *snapshotter) ForceFlush(context.Context) error { return nil }
