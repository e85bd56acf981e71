package instr

import (
	"context"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"

	"github.com/tracekit-go/tracekit/internal/genai"
	"github.com/tracekit-go/tracekit/semconv"
)

type metrics struct {
	duration metric.Float64Histogram
	tokens   metric.Int64Histogram
}

func newMetrics(m metric.Meter) metrics {
	d, err := m.Float64Histogram(semconv.MetricOperationDuration,
		metric.WithUnit(semconv.MetricOperationDurationUnit),
		metric.WithDescription(semconv.MetricOperationDurationDesc),
		metric.WithExplicitBucketBoundaries(semconv.DurationBuckets...))
	if err != nil {
		otel.Handle(err)
		d, _ = noop.Meter{}.Float64Histogram(semconv.MetricOperationDuration)
	}
	t, err := m.Int64Histogram(semconv.MetricTokenUsage,
		metric.WithUnit(semconv.MetricTokenUsageUnit),
		metric.WithDescription(semconv.MetricTokenUsageDesc),
		metric.WithExplicitBucketBoundaries(semconv.TokenBuckets...))
	if err != nil {
		otel.Handle(err)
		t, _ = noop.Meter{}.Int64Histogram(semconv.MetricTokenUsage)
	}
	return metrics{duration: d, tokens: t}
}

// record records the duration and, when known, the token usage of a call.
func (m metrics) record(ctx context.Context, c *genai.Call, seconds float64, buf []attribute.KeyValue) {
	attrs := semconv.MetricAttrs(buf[:0], c)
	n := len(attrs)
	m.duration.Record(ctx, seconds, metric.WithAttributeSet(attribute.NewSet(attrs...)))
	if c.Err != nil {
		return
	}
	u := &c.Response.Usage
	if u.InputTokens.Set {
		attrs = append(attrs[:n], semconv.TokenType(semconv.TokenTypeInput))
		m.tokens.Record(ctx, u.InputTokens.V, metric.WithAttributeSet(attribute.NewSet(attrs...)))
	}
	if u.OutputTokens.Set {
		attrs = append(attrs[:n], semconv.TokenType(semconv.TokenTypeOutput))
		m.tokens.Record(ctx, u.OutputTokens.V, metric.WithAttributeSet(attribute.NewSet(attrs...)))
	}
}
