package export

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"

	"go.opentelemetry.io/contrib/exporters/autoexport"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/tracekit-go/tracekit/semconv"

	"github.com/tracekit-go/tracekit/internal/safeurl"
)

// Environment variables Setup reads itself; the rest are read by the SDK,
// the OTLP exporters and autoexport.
const (
	envSDKDisabled        = "OTEL_SDK_DISABLED"
	envTracesExporter     = "OTEL_TRACES_EXPORTER"
	envMetricsExporter    = "OTEL_METRICS_EXPORTER"
	envOTLPEndpoint       = "OTEL_EXPORTER_OTLP_ENDPOINT"
	envOTLPTracesEndpoint = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
	envOTLPMetricsEndpt   = "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"
	envOTLPProtocol       = "OTEL_EXPORTER_OTLP_PROTOCOL"
	envOTLPTracesProtocol = "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"
	envOTLPMetricsProto   = "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL"
	envAttrCountLimit     = "OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT"
	envBSPMaxQueue        = "OTEL_BSP_MAX_QUEUE_SIZE"
	envBSPMaxExportBatch  = "OTEL_BSP_MAX_EXPORT_BATCH_SIZE"
)

// Providers are the tracer and meter providers built by [New].
type Providers struct {
	// TracerProvider exports spans to the configured exporters.
	TracerProvider *sdktrace.TracerProvider
	// MeterProvider exports metrics to the configured readers.
	MeterProvider *sdkmetric.MeterProvider

	once sync.Once
	err  error

	// The MeterProvider's readers, shut down side by side.
	metricReaders []sdkmetric.Reader

	// What was configured, for tests.
	exporters []string
	readers   int
}

// Shutdown flushes and stops both providers, giving up when ctx is done.
// Only the first call does anything; later calls return its result.
func (p *Providers) Shutdown(ctx context.Context) error {
	p.once.Do(func() { p.err = p.shutdown(ctx) })
	return p.err
}

func (p *Providers) shutdown(ctx context.Context) error {
	var wg sync.WaitGroup
	var terr, merr error
	wg.Go(func() { terr = p.TracerProvider.Shutdown(ctx) })
	wg.Go(func() { merr = p.shutdownMeters(ctx) })
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		// Both providers honour ctx; this only guards against an exporter
		// that does not.
		return fmt.Errorf("export: shutdown: %w", ctx.Err())
	}
	if err := errors.Join(terr, merr); err != nil {
		return fmt.Errorf("export: shutdown: %w", err)
	}
	return nil
}

// shutdownMeters shuts the MeterProvider down. The provider shuts its
// readers down one after the other, each with what is left of ctx, so that a
// reader whose exporter hangs would leave the others no time for their last
// export: shut the readers down side by side first. The provider's own call
// then finds them shut down and only reports ErrReaderShutdown for each.
func (p *Providers) shutdownMeters(ctx context.Context) error {
	if len(p.metricReaders) < 2 {
		return p.MeterProvider.Shutdown(ctx)
	}
	errs := make([]error, len(p.metricReaders))
	var wg sync.WaitGroup
	for i, r := range p.metricReaders {
		wg.Go(func() { errs[i] = r.Shutdown(ctx) })
	}
	wg.Wait()
	_ = p.MeterProvider.Shutdown(ctx)
	return errors.Join(errs...)
}

// Setup builds a TracerProvider and a MeterProvider as described in the
// package documentation, registers them as the OpenTelemetry globals
// together with the W3C trace-context and baggage propagator, and returns a
// function that flushes and shuts both down. Call it when the program ends,
// with a context that bounds how long it may take; it is safe to call more
// than once.
//
// To build the providers without registering them, use [New].
func Setup(ctx context.Context, opts ...Option) (shutdown func(context.Context) error, err error) {
	if envBool(envSDKDisabled) {
		return func(context.Context) error { return nil }, nil
	}
	p, err := New(ctx, opts...)
	if err != nil {
		return nil, err
	}
	otel.SetTracerProvider(p.TracerProvider)
	otel.SetMeterProvider(p.MeterProvider)
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	return p.Shutdown, nil
}

// New builds the providers Setup would, without registering them anywhere.
// Pass them to the instrumentations with their WithTracerProvider and
// WithMeterProvider options, and call [Providers.Shutdown] at the end.
//
// With OTEL_SDK_DISABLED=true the providers record nothing and export
// nothing.
func New(ctx context.Context, opts ...Option) (*Providers, error) {
	var c config
	for _, o := range opts {
		if o != nil {
			o.apply(&c)
		}
	}
	if envBool(envSDKDisabled) {
		return &Providers{
			TracerProvider: sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.NeverSample())),
			MeterProvider:  sdkmetric.NewMeterProvider(),
		}, nil
	}

	res, err := c.buildResource(ctx)
	if err != nil {
		return nil, err
	}
	b := &builder{cfg: &c}
	if err := b.build(ctx); err != nil {
		b.abort()
		return nil, err
	}

	topts := []sdktrace.TracerProviderOption{
		sdktrace.WithResource(res),
		sdktrace.WithRawSpanLimits(c.spanLimits()),
	}
	if c.sampler != nil {
		topts = append(topts, sdktrace.WithSampler(c.sampler))
	}
	for _, sp := range c.processors {
		topts = append(topts, sdktrace.WithSpanProcessor(sp))
	}
	if len(b.processors) > 0 {
		topts = append(topts, sdktrace.WithSpanProcessor(fanout(b.processors)))
	}
	mopts := []sdkmetric.Option{sdkmetric.WithResource(res)}
	for _, r := range b.readers {
		mopts = append(mopts, sdkmetric.WithReader(r))
	}
	return &Providers{
		TracerProvider: sdktrace.NewTracerProvider(topts...),
		MeterProvider:  sdkmetric.NewMeterProvider(mopts...),
		metricReaders:  b.readers,
		exporters:      b.names,
		readers:        len(b.readers),
	}, nil
}

func (c *config) buildResource(ctx context.Context) (*resource.Resource, error) {
	// resource.Default holds the SDK attributes and a default service.name,
	// and the environment as it was when first called: read it again.
	env, err := resource.New(ctx, resource.WithFromEnv())
	if err != nil {
		return nil, fmt.Errorf("export: resource: %w", err)
	}
	res, err := resource.Merge(resource.Default(), env)
	if err != nil {
		return nil, fmt.Errorf("export: resource: %w", err)
	}
	if c.resource != nil {
		// A schema URL conflict still merges the attributes (schemaless):
		// keep them rather than fail over a semconv version.
		if res, err = resource.Merge(res, c.resource); err != nil && !errors.Is(err, resource.ErrSchemaURLConflict) {
			return nil, fmt.Errorf("export: resource: %w", err)
		}
	}
	if c.serviceName != "" {
		svc := resource.NewSchemaless(semconv.KeyServiceName.String(c.serviceName))
		if res, err = resource.Merge(res, svc); err != nil {
			return nil, fmt.Errorf("export: resource: %w", err)
		}
	}
	return res, nil
}

// spanLimits returns the SDK limits (which read the OTEL_SPAN_* variables)
// with the attribute count limit of the option, else of the environment,
// else DefaultAttributeCountLimit.
func (c *config) spanLimits() sdktrace.SpanLimits {
	l := sdktrace.NewSpanLimits()
	switch {
	case c.attrLimit != 0:
		l.AttributeCountLimit = c.attrLimit
	case envInt(envAttrCountLimit, 0) == 0:
		l.AttributeCountLimit = DefaultAttributeCountLimit
	}
	return l
}

func (c *config) queueSize() int {
	if c.maxQueue > 0 {
		return c.maxQueue
	}
	if n := envInt(envBSPMaxQueue, 0); n > 0 {
		return n
	}
	return DefaultMaxQueueSize
}

// builder creates the exporters and readers of a config.
type builder struct {
	cfg        *config
	processors []sdktrace.SpanProcessor
	readers    []sdkmetric.Reader
	names      []string                // of the span exporters
	exporters  []sdktrace.SpanExporter // to shut down if build fails
}

func (b *builder) build(ctx context.Context) error {
	c := b.cfg
	b.readers = append(b.readers, c.readers...)
	if c.hasDestination() {
		for i := range c.dests {
			if err := b.addDestination(ctx, &c.dests[i]); err != nil {
				return err
			}
		}
		return nil
	}
	if err := b.tracesFromEnv(ctx); err != nil {
		return err
	}
	return b.metricsFromEnv(ctx)
}

func (b *builder) addDestination(ctx context.Context, d *destination) error {
	switch d.kind {
	case kindOTLPGRPC, kindOTLPHTTP:
		newSpan, newMetric, proto := newGRPCSpanExporter, newGRPCMetricExporter, "otlp-grpc"
		if d.kind == kindOTLPHTTP {
			newSpan, newMetric, proto = newHTTPSpanExporter, newHTTPMetricExporter, "otlp-http"
		}
		se, err := newSpan(ctx, d.endpoint, d.otlp)
		if err != nil {
			return fmt.Errorf("export: %s span exporter: %w", proto, err)
		}
		b.addSpanExporter(strings.TrimSpace(proto+" "+safeurl.Redact(d.endpoint)), se)
		me, err := newMetric(ctx, d.endpoint, d.otlp)
		if err != nil {
			return fmt.Errorf("export: %s metric exporter: %w", proto, err)
		}
		b.readers = append(b.readers, sdkmetric.NewPeriodicReader(me))
	case kindConsole:
		w := d.w
		if w == nil {
			w = os.Stderr
		}
		b.addSpanExporter("console", NewConsoleExporter(w, b.cfg.consoleOptions...))
	case kindFile:
		e, err := NewFileExporter(d.path)
		if err != nil {
			return err
		}
		b.addSpanExporter("file "+d.path, e)
	case kindSpanExporter:
		b.addSpanExporter(fmt.Sprintf("%T", d.exporter), d.exporter)
	}
	return nil
}

func (b *builder) addSpanExporter(name string, e sdktrace.SpanExporter) {
	b.exporters = append(b.exporters, e)
	b.names = append(b.names, name)
	if b.cfg.simple {
		b.processors = append(b.processors, sdktrace.NewSimpleSpanProcessor(e))
		return
	}
	b.processors = append(b.processors, newBatchProcessor(name, e, b.cfg.queueSize(), b.cfg.batchTimeout))
}

// abort releases what a failed build created.
func (b *builder) abort() {
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // do not wait for anything
	for _, e := range b.exporters {
		_ = e.Shutdown(ctx)
	}
	for _, r := range b.readers {
		_ = r.Shutdown(ctx)
	}
}

// exporterNames returns the comma-separated names of an OTEL_*_EXPORTER
// variable, lower-cased, without empty entries.
func exporterNames(key string) []string {
	var names []string
	for n := range strings.SplitSeq(os.Getenv(key), ",") {
		if n = strings.ToLower(strings.TrimSpace(n)); n != "" {
			names = append(names, n)
		}
	}
	return names
}

// tracesFromEnv configures span export from the environment (rules 2 and 3
// of the package documentation).
func (b *builder) tracesFromEnv(ctx context.Context) error {
	names := exporterNames(envTracesExporter)
	if len(names) == 0 && !envSet(envOTLPEndpoint) && !envSet(envOTLPTracesEndpoint) {
		b.addSpanExporter("console", NewConsoleExporter(os.Stderr, b.cfg.consoleOptions...))
		return nil
	}
	if len(names) == 0 || (len(names) == 1 && names[0] != "console") {
		// otlp (the default), none, or anything registered with
		// autoexport.RegisterSpanExporter.
		e, err := autoexport.NewSpanExporter(ctx)
		if err != nil {
			return fmt.Errorf("export: traces from environment (%s=%q): %w", envTracesExporter, os.Getenv(envTracesExporter), err)
		}
		if !autoexport.IsNoneSpanExporter(e) {
			name := "otlp"
			if len(names) == 1 {
				name = names[0]
			}
			b.addSpanExporter("env:"+name, e)
		}
		return nil
	}
	// "console", or a list: autoexport takes a single name, so combine
	// otlp, console and none here.
	for _, n := range names {
		switch n {
		case "none":
		case "console":
			b.addSpanExporter("console", NewConsoleExporter(os.Stderr, b.cfg.consoleOptions...))
		case "otlp":
			var (
				e   sdktrace.SpanExporter
				err error
			)
			switch p := protocol(envOTLPTracesProtocol); p {
			case "grpc":
				e, err = newGRPCSpanExporter(ctx, "", otlpConfig{})
			case "http/protobuf":
				e, err = newHTTPSpanExporter(ctx, "", otlpConfig{})
			default:
				err = fmt.Errorf("%s=%q: want grpc or http/protobuf", envOTLPProtocol, p)
			}
			if err != nil {
				return fmt.Errorf("export: traces from environment: %w", err)
			}
			b.addSpanExporter("env:otlp", e)
		default:
			return fmt.Errorf("export: %s=%q: %q can only be used alone; otlp, console and none combine", envTracesExporter, os.Getenv(envTracesExporter), n)
		}
	}
	return nil
}

// protocol returns the OTLP protocol of a signal: its own variable, else
// OTEL_EXPORTER_OTLP_PROTOCOL, else http/protobuf.
func protocol(signalKey string) string {
	for _, k := range []string{signalKey, envOTLPProtocol} {
		if v := strings.TrimSpace(os.Getenv(k)); v != "" {
			return v
		}
	}
	return "http/protobuf"
}

// metricsFromEnv configures metric export from the environment: nothing
// unless OTEL_METRICS_EXPORTER or an OTLP endpoint is set.
func (b *builder) metricsFromEnv(ctx context.Context) error {
	names := exporterNames(envMetricsExporter)
	if len(names) == 0 && !envSet(envOTLPEndpoint) && !envSet(envOTLPMetricsEndpt) {
		return nil
	}
	if len(names) <= 1 {
		// A single name (or none: otlp) is autoexport's job.
		r, err := autoexport.NewMetricReader(ctx)
		if err != nil {
			return fmt.Errorf("export: metrics from environment (%s=%q): %w", envMetricsExporter, os.Getenv(envMetricsExporter), err)
		}
		if !autoexport.IsNoneMetricReader(r) {
			b.readers = append(b.readers, r)
		}
		return nil
	}
	for _, n := range names {
		switch n {
		case "none":
		case "otlp":
			var (
				e   sdkmetric.Exporter
				err error
			)
			switch p := protocol(envOTLPMetricsProto); p {
			case "grpc":
				e, err = newGRPCMetricExporter(ctx, "", otlpConfig{})
			case "http/protobuf":
				e, err = newHTTPMetricExporter(ctx, "", otlpConfig{})
			default:
				err = fmt.Errorf("%s=%q: want grpc or http/protobuf", envOTLPProtocol, p)
			}
			if err != nil {
				return fmt.Errorf("export: metrics from environment: %w", err)
			}
			b.readers = append(b.readers, sdkmetric.NewPeriodicReader(e))
		default:
			return fmt.Errorf("export: %s=%q: %q can only be used alone; otlp and none combine", envMetricsExporter, os.Getenv(envMetricsExporter), n)
		}
	}
	return nil
}

func envSet(key string) bool { return strings.TrimSpace(os.Getenv(key)) != "" }

func envBool(key string) bool {
	return strings.EqualFold(strings.TrimSpace(os.Getenv(key)), "true")
}

// envInt returns the integer value of key, or def when it is unset or
// invalid.
func envInt(key string, def int) int {
	v := strings.TrimSpace(os.Getenv(key))
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return def
	}
	return n
}
