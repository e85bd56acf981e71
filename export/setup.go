package export

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
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

	"github.com/tracekit-go/tracekit/internal/instr"
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
	envBSPScheduleDelay   = "OTEL_BSP_SCHEDULE_DELAY"
	envMetricsProducers   = "OTEL_METRICS_PRODUCERS"
	// envXResource is the SDK's experimental flag that adds
	// service.instance.id to its default resource.
	envXResource = "OTEL_GO_X_RESOURCE"
)

// Providers are the tracer and meter providers built by [New].
type Providers struct {
	// TracerProvider exports spans to the configured exporters.
	TracerProvider *sdktrace.TracerProvider
	// MeterProvider exports metrics to the configured readers.
	MeterProvider *sdkmetric.MeterProvider

	once sync.Once
	done chan struct{} // closed when the shutdown has finished
	err  error         // its result, set before done is closed

	// The MeterProvider's readers, shut down side by side.
	metricReaders []sdkmetric.Reader

	// The span processors' guards: what each holds.
	guards []*queueGuard

	// What was configured, for tests.
	exporters []string
	readers   int
}

// unexported returns the spans the processors still hold (queued, or being
// exported).
func (p *Providers) unexported() int64 {
	var n int64
	for _, g := range p.guards {
		n += g.inflight.Load()
	}
	return n
}

// Shutdown flushes and stops both providers, giving up when ctx is done. It
// returns an error when the final export of spans or metrics failed (the
// spans or metrics are lost) and, wrapping ctx.Err(), when ctx was done
// first. Streams (and speech answers) of openaitrace and bedrocktrace
// whose callers still hold them unfinished end first, cut short
// (error.type=shutdown), so that their spans are exported too.
//
// The work is done once, with the context of the first call. Every call,
// concurrent or later, waits until that work has finished or its own ctx is
// done, whichever comes first; once the work has finished, every call
// returns its result.
func (p *Providers) Shutdown(ctx context.Context) error {
	p.once.Do(func() {
		p.done = make(chan struct{})
		go func() {
			p.err = p.shutdown(ctx)
			close(p.done)
		}()
	})
	select {
	case <-p.done:
		return p.err
	case <-ctx.Done():
		select {
		case <-p.done: // both ready: the result is worth more
			return p.err
		default:
		}
		// Both providers honour ctx; this also covers an exporter that
		// does not.
		if n := p.unexported(); n > 0 {
			return fmt.Errorf("export: shutdown: %d span(s) still queued or being exported when shutdown gave up: %w", n, ctx.Err())
		}
		return fmt.Errorf("export: shutdown: %w", ctx.Err())
	}
}

func (p *Providers) shutdown(ctx context.Context) error {
	var wg sync.WaitGroup
	var terr, merr error
	wg.Go(func() {
		// Streams and raw answers their callers still hold (never
		// closed, on contexts that never end): their spans end now, cut
		// short, rather than be lost with the process. (Beside the meters'
		// shutdown: slow span processors do not eat its time.)
		instr.EndHeld(p.TracerProvider)
		terr = p.TracerProvider.Shutdown(ctx)
	})
	wg.Go(func() { merr = p.shutdownMeters(ctx) })
	wg.Wait()
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
// (otel.SetTracerProvider, otel.SetMeterProvider) together with the W3C
// trace-context and baggage propagator (otel.SetTextMapPropagator), and
// returns a function that flushes and shuts both down ([Providers.Shutdown]).
// Call it when the program ends, with a context that bounds how long it may
// take; it is safe to call more than once, and from several goroutines.
//
// The shutdown function does not unregister the providers: the globals keep
// pointing at them, and what is recorded after it is dropped. Calling Setup
// again registers the new providers in place of the previous ones (tracekit's
// instrumentations switch to them on their next call; tracers and meters
// obtained earlier keep the providers they came from). The previous
// providers keep running until their own shutdown function is called: call
// each one. If Setup fails, it registers nothing and leaves nothing running.
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
// WithMeterProvider options, and call [Providers.Shutdown] at the end. If
// New fails, it shuts down the exporters and readers it had set up (those
// given by [WithSpanExporter] and [WithMetricReader] included), so that
// nothing keeps running.
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
		guards:         b.guards,
		readers:        len(b.readers),
	}, nil
}

func (c *config) buildResource(ctx context.Context) (*resource.Resource, error) {
	res, err := defaultResource(ctx)
	if err != nil {
		return nil, fmt.Errorf("export: resource: %w", err)
	}
	for _, r := range c.resources {
		// A schema URL conflict still merges the attributes (schemaless):
		// keep them rather than fail over a semconv version.
		if res, err = resource.Merge(res, r); err != nil && !errors.Is(err, resource.ErrSchemaURLConflict) {
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

// defaultResource returns what resource.Default returns on its first call,
// from the environment as it is now: resource.Default keeps the environment
// of its first call for the life of the process. That is a default
// service.name, then OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME, then
// the SDK's telemetry.sdk.* attributes (and, with the SDK's experimental
// OTEL_GO_X_RESOURCE=true, a service.instance.id).
func defaultResource(ctx context.Context) (*resource.Resource, error) {
	first := resource.WithAttributes(semconv.KeyServiceName.String(defaultServiceName()))
	if strings.EqualFold(os.Getenv(envXResource), "true") {
		// The SDK's default service.name and a service.instance.id.
		first = resource.WithService()
	}
	return resource.New(ctx, first, resource.WithFromEnv(), resource.WithTelemetrySDK())
}

// defaultServiceName is the SDK's default service.name,
// "unknown_service:" and the name of the executable.
func defaultServiceName() string {
	exe, err := os.Executable()
	if err != nil {
		return "unknown_service:go"
	}
	return "unknown_service:" + filepath.Base(exe)
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
	processors []sdktrace.SpanProcessor // each owns its exporter
	readers    []sdkmetric.Reader
	names      []string // of the span exporters
	guards     []*queueGuard
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
		c.reportUnusedEnv()
		return nil
	}
	if err := b.tracesFromEnv(ctx); err != nil {
		return err
	}
	return b.metricsFromEnv(ctx)
}

// reportUnusedEnv reports through otel.Handle exporter settings of the
// environment that exporter options leave unused (rule 1): given only the
// console or a file, an OTLP endpoint or OTEL_TRACES_EXPORTER set for the
// deployment would otherwise export nothing, silently.
func (c *config) reportUnusedEnv() {
	for _, d := range c.dests {
		if d.kind != kindConsole && d.kind != kindFile {
			return // the options name a backend of their own
		}
	}
	if len(c.readers) > 0 {
		return
	}
	for _, k := range []string{envTracesExporter, envOTLPEndpoint, envOTLPTracesEndpoint} {
		if envSet(k) {
			otel.Handle(fmt.Errorf("export: %s is set but not used: exporter options were given (the console or a file), "+
				"and they replace the environment's exporters; add WithOTLPHTTP or WithOTLPGRPC to export there too", k))
			return
		}
	}
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
		b.addSpanExporter("console", NewConsoleExporter(w, d.console...))
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
	b.names = append(b.names, name)
	if b.cfg.simple {
		b.processors = append(b.processors, sdktrace.NewSimpleSpanProcessor(e))
		return
	}
	bp := newBatchProcessor(name, e, b.cfg.queueSize(), b.cfg.batchTimeout)
	b.processors = append(b.processors, bp)
	b.guards = append(b.guards, bp.g)
}

// abort releases what a failed build created: the span processors (whose
// batch processors run a goroutine each) with their exporters, and the
// metric readers with theirs.
func (b *builder) abort() {
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // wait for nothing: no span or metric was recorded
	_ = fanout(b.processors).Shutdown(ctx)
	for _, r := range b.readers {
		_ = r.Shutdown(ctx)
	}
}

// exporterNames returns the comma-separated names of an OTEL_*_EXPORTER
// variable, trimmed and lower-cased, without empty entries.
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
	if len(names) == 0 {
		if !envSet(envOTLPEndpoint) && !envSet(envOTLPTracesEndpoint) {
			b.addSpanExporter("console", NewConsoleExporter(os.Stderr))
			return nil
		}
		names = []string{"otlp"} // the default exporter
	}
	for _, n := range names {
		switch n {
		case "none":
		case "console":
			b.addSpanExporter("console", NewConsoleExporter(os.Stderr))
		case "otlp":
			e, err := envSpanExporter(ctx)
			if err != nil {
				return fmt.Errorf("export: traces from environment: %w", err)
			}
			b.addSpanExporter("env:otlp", e)
		default:
			if len(names) > 1 {
				return fmt.Errorf("export: %s=%q: %q can only be used alone; otlp, console and none combine", envTracesExporter, os.Getenv(envTracesExporter), n)
			}
			// A name registered with autoexport.RegisterSpanExporter.
			e, err := autoexport.NewSpanExporter(ctx)
			if err != nil {
				return fmt.Errorf("export: traces from environment (%s=%q): %w%s", envTracesExporter, os.Getenv(envTracesExporter), err, asWritten(envTracesExporter, n))
			}
			if !autoexport.IsNoneSpanExporter(e) {
				b.addSpanExporter("env:"+n, e)
			}
		}
	}
	return nil
}

// metricsFromEnv configures metric export from the environment: nothing
// unless OTEL_METRICS_EXPORTER or an OTLP endpoint is set.
func (b *builder) metricsFromEnv(ctx context.Context) error {
	names := exporterNames(envMetricsExporter)
	if len(names) == 0 {
		if !envSet(envOTLPEndpoint) && !envSet(envOTLPMetricsEndpt) {
			return nil
		}
		names = []string{"otlp"} // the default exporter
	}
	for _, n := range names {
		switch {
		case n == "none":
		case n == "otlp" && (len(names) > 1 || !envSet(envMetricsProducers)):
			e, err := envMetricExporter(ctx)
			if err != nil {
				return fmt.Errorf("export: metrics from environment: %w", err)
			}
			b.readers = append(b.readers, sdkmetric.NewPeriodicReader(e))
		case len(names) > 1:
			return fmt.Errorf("export: %s=%q: %q can only be used alone; otlp and none combine", envMetricsExporter, os.Getenv(envMetricsExporter), n)
		default:
			// console (the SDK's stdout exporter), prometheus, a name
			// registered with autoexport.RegisterMetricReader, or otlp
			// with OTEL_METRICS_PRODUCERS, which only autoexport handles.
			if n == "otlp" {
				if err := checkEnvHeaders("METRICS"); err != nil {
					return fmt.Errorf("export: metrics from environment: %w", err)
				}
			}
			r, err := autoexport.NewMetricReader(ctx)
			if err != nil {
				return fmt.Errorf("export: metrics from environment (%s=%q): %w%s", envMetricsExporter, os.Getenv(envMetricsExporter), err, asWritten(envMetricsExporter, n))
			}
			if !autoexport.IsNoneMetricReader(r) {
				b.readers = append(b.readers, r)
			}
		}
	}
	return nil
}

// asWritten returns a hint for an autoexport error when the variable key
// holds name other than exactly: autoexport reads it as written.
func asWritten(key, name string) string {
	if v := os.Getenv(key); v == "" || v == name {
		return ""
	}
	return fmt.Sprintf(" (autoexport reads %s as written: try %q)", key, name)
}

// envSpanExporter returns the OTLP span exporter of the environment's
// protocol.
func envSpanExporter(ctx context.Context) (sdktrace.SpanExporter, error) {
	switch p, key := protocol(envOTLPTracesProtocol); p {
	case "grpc":
		return newGRPCSpanExporter(ctx, "", otlpConfig{})
	case "http/protobuf":
		return newHTTPSpanExporter(ctx, "", otlpConfig{})
	default:
		return nil, badProtocol(key)
	}
}

// envMetricExporter returns the OTLP metric exporter of the environment's
// protocol.
func envMetricExporter(ctx context.Context) (sdkmetric.Exporter, error) {
	switch p, key := protocol(envOTLPMetricsProto); p {
	case "grpc":
		return newGRPCMetricExporter(ctx, "", otlpConfig{})
	case "http/protobuf":
		return newHTTPMetricExporter(ctx, "", otlpConfig{})
	default:
		return nil, badProtocol(key)
	}
}

// protocol returns the OTLP protocol of a signal, trimmed and lower-cased,
// and the variable it comes from: the signal's own, else
// OTEL_EXPORTER_OTLP_PROTOCOL, else none (http/protobuf).
func protocol(signalKey string) (proto, key string) {
	for _, k := range [...]string{signalKey, envOTLPProtocol} {
		if v := strings.ToLower(strings.TrimSpace(os.Getenv(k))); v != "" {
			return v, k
		}
	}
	return "http/protobuf", ""
}

func badProtocol(key string) error {
	return fmt.Errorf("%s=%q: unknown OTLP protocol: want grpc or http/protobuf", key, os.Getenv(key))
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
