package instr

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"

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
	cost     metric.Float64Counter
	cache    *optionCache
	render   semconv.Renderer
}

// optionCache keeps the measurement options (attribute sets) of recent
// attribute combinations, so that recording a call's metrics builds and
// sorts no attribute set in the common case. It holds at most
// maxCachedSets combinations; beyond that, sets are built per call.
type optionCache struct {
	mu sync.Mutex
	m  map[metricKey]*measureOpts
}

const maxCachedSets = 512

// metricKey is everything a call's metric attributes depend on.
type metricKey struct {
	op, provider, hosting, reqModel, respModel, tier, fingerprint, server, errType string
	port, implicitPort                                                             int
}

type measureOpts struct {
	duration, input, output []metric.RecordOption
	// cost is built on the first priced call of the combination (the price,
	// hence the currency, depends only on the models in the key).
	cost atomic.Pointer[[]metric.AddOption]
}

func newMetrics(m metric.Meter, render semconv.Renderer) metrics {
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
	c, err := m.Float64Counter(semconv.MetricCost,
		metric.WithUnit(semconv.MetricCostUnit),
		metric.WithDescription(semconv.MetricCostDesc))
	if err != nil {
		otel.Handle(err)
		c, _ = noop.Meter{}.Float64Counter(semconv.MetricCost)
	}
	return metrics{duration: d, tokens: t, cost: c, cache: &optionCache{m: map[metricKey]*measureOpts{}}, render: render}
}

func keyOf(c *genai.Call) metricKey {
	k := metricKey{op: c.Operation, provider: c.Provider, hosting: c.Hosting, server: c.ServerAddress, port: c.ServerPort, implicitPort: c.ImplicitPort}
	if !c.Request.ModelLearnt {
		k.reqModel = c.Request.Model
	}
	if c.Err != nil {
		k.errType = c.Err.Type
	} else {
		k.respModel, k.tier, k.fingerprint = c.Response.Model, c.Response.ServiceTier, c.Response.SystemFingerprint
	}
	return k
}

// get returns the measurement options of the attribute combination of c,
// building them in buf (scratch space) on a miss; it also returns how many
// entries of buf it wrote.
func (oc *optionCache) get(c *genai.Call, render semconv.Renderer, buf []attribute.KeyValue) (*measureOpts, int) {
	k := keyOf(c)
	oc.mu.Lock()
	o := oc.m[k]
	oc.mu.Unlock()
	if o != nil {
		return o, 0
	}
	attrs := render.Metric(buf[:0], c)
	n := len(attrs)
	o = &measureOpts{duration: []metric.RecordOption{metric.WithAttributeSet(attribute.NewSet(attrs...))}}
	if c.Err == nil {
		// attribute.NewSet sorts the slice it is given in place: the
		// token type is appended to attrs[:n] (all of the call's
		// attributes, in some order) and the slice is restored after each
		// set, so that the next set does not overwrite one of them.
		typed := func(typ string) []metric.RecordOption {
			attrs = append(attrs[:n], semconv.TokenType(typ))
			opts := []metric.RecordOption{metric.WithAttributeSet(attribute.NewSet(attrs...))}
			// NewSet moved the token type somewhere in attrs[:n+1]: put
			// the call's attributes back in attrs[:n].
			for i := range attrs[:n] {
				if attrs[i].Key == semconv.KeyTokenType {
					attrs[i] = attrs[n]
					break
				}
			}
			return opts
		}
		o.input = typed(semconv.TokenTypeInput)
		o.output = typed(semconv.TokenTypeOutput)
	}
	used := len(attrs)
	oc.mu.Lock()
	if len(oc.m) < maxCachedSets {
		// The key's strings may alias a response buffer: keep owned copies
		// (of a copy of the whole key, so that no field is left out).
		owned := k
		for _, s := range []*string{&owned.op, &owned.provider, &owned.hosting, &owned.reqModel, &owned.respModel,
			&owned.tier, &owned.fingerprint, &owned.server, &owned.errType} {
			*s = strings.Clone(*s)
		}
		oc.m[owned] = o
	}
	oc.mu.Unlock()
	return o, used
}

// record records the duration and, when known, the token usage of a call.
// buf is scratch space; it returns how many of its entries it wrote.
func (m metrics) record(ctx context.Context, c *genai.Call, seconds float64, buf []attribute.KeyValue) int {
	o, used := m.cache.get(c, m.render, buf)
	m.duration.Record(ctx, seconds, o.duration...)
	if c.Err != nil {
		return used
	}
	u := &c.Response.Usage
	if in := m.render.InputTokens(c); in.Set {
		m.tokens.Record(ctx, in.V, o.input...)
	}
	if u.OutputTokens.Set {
		m.tokens.Record(ctx, u.OutputTokens.V, o.output...)
	}
	return used
}

// recordCost adds the cost of a priced call to the gen_ai.client.cost
// counter, with the call's metric attributes and the currency. buf is
// scratch space; it returns how many of its entries it wrote.
func (m metrics) recordCost(ctx context.Context, c *genai.Call, cost genai.Cost, buf []attribute.KeyValue) int {
	o, used := m.cache.get(c, m.render, buf)
	opts := o.cost.Load()
	if opts == nil {
		attrs := semconv.CostMetricAttrs(m.render.Metric(buf[:0], c), cost)
		used = max(used, len(attrs))
		opts = &[]metric.AddOption{metric.WithAttributeSet(attribute.NewSet(attrs...))}
		o.cost.Store(opts)
	}
	m.cost.Add(ctx, cost.Total, *opts...)
	return used
}
