package export

import (
	"crypto/tls"
	"io"
	"time"

	"go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// DefaultAttributeCountLimit is the span attribute count limit Setup uses
// when neither [WithAttributeCountLimit] nor OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT
// sets one. OpenTelemetry's own default, 128, truncates long conversations.
const DefaultAttributeCountLimit = 512

// DefaultMaxQueueSize is the number of ended spans each exporter may have
// waiting for export before new spans are dropped, when neither
// [WithMaxQueueSize] nor OTEL_BSP_MAX_QUEUE_SIZE sets it.
const DefaultMaxQueueSize = 2048

// Option configures [Setup] and [New].
type Option interface {
	apply(*config)
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// exporterKind is the kind of a span or metric destination given by option.
type exporterKind int

const (
	kindOTLPGRPC exporterKind = iota + 1
	kindOTLPHTTP
	kindConsole
	kindFile
	kindSpanExporter
)

// destination is one exporter named by an option.
type destination struct {
	kind     exporterKind
	endpoint string     // OTLP
	otlp     otlpConfig // OTLP
	w        io.Writer  // console
	console  []ConsoleOption
	path     string // file
	exporter sdktrace.SpanExporter
}

type config struct {
	serviceName  string
	resources    []*resource.Resource // merged in order
	dests        []destination
	readers      []metric.Reader
	sampler      sdktrace.Sampler
	processors   []sdktrace.SpanProcessor
	simple       bool
	attrLimit    int           // 0: env or default
	maxQueue     int           // 0: env or default
	batchTimeout time.Duration // 0: env or default
}

// hasDestination reports whether an option named an exporter or reader.
func (c *config) hasDestination() bool { return len(c.dests) > 0 || len(c.readers) > 0 }

// WithServiceName sets the service.name resource attribute. It takes
// precedence over OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES.
func WithServiceName(name string) Option {
	return optionFunc(func(c *config) { c.serviceName = name })
}

// WithResource merges res over the default resource (the SDK attributes,
// OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME); [WithServiceName], when
// given, still sets service.name. Given more than once, the resources are
// merged in order, a later one's attributes winning over an earlier one's.
func WithResource(res *resource.Resource) Option {
	return optionFunc(func(c *config) {
		if res != nil {
			c.resources = append(c.resources, res)
		}
	})
}

// WithOTLPGRPC exports spans and metrics with OTLP over gRPC to endpoint.
//
// endpoint is either "host:port", which connects with TLS unless
// [WithInsecure] is given (or OTEL_EXPORTER_OTLP_[TRACES_|METRICS_]INSECURE
// is true), or a URL: "https://host:port" (TLS) or
// "http://host:port" (no TLS). A non-empty endpoint replaces the one of
// OTEL_EXPORTER_OTLP_[TRACES_|METRICS_]ENDPOINT whole, scheme included; an
// empty endpoint leaves it to them, else localhost:4317. Settings the OTLP
// options leave unset come from the standard OTEL_EXPORTER_OTLP_* variables.
func WithOTLPGRPC(endpoint string, opts ...OTLPOption) Option {
	return withOTLP(kindOTLPGRPC, endpoint, opts)
}

// WithOTLPHTTP exports spans and metrics with OTLP over HTTP (protobuf) to
// endpoint.
//
// endpoint is a base URL such as "http://127.0.0.1:4318" or
// "https://collector.example.com"; "/v1/traces" and "/v1/metrics" are
// appended to its path, as for OTEL_EXPORTER_OTLP_ENDPOINT. A bare
// "host:port" uses HTTPS unless [WithInsecure] is given (or
// OTEL_EXPORTER_OTLP_[TRACES_|METRICS_]INSECURE is true). A non-empty endpoint
// replaces the one of the OTEL_EXPORTER_OTLP_* variables whole (scheme and
// path included); an empty endpoint leaves it to them, else localhost:4318.
func WithOTLPHTTP(endpoint string, opts ...OTLPOption) Option {
	return withOTLP(kindOTLPHTTP, endpoint, opts)
}

func withOTLP(kind exporterKind, endpoint string, opts []OTLPOption) Option {
	var oc otlpConfig
	for _, o := range opts {
		if o != nil {
			o(&oc)
		}
	}
	return optionFunc(func(c *config) {
		c.dests = append(c.dests, destination{kind: kind, endpoint: endpoint, otlp: oc})
	})
}

// WithConsole prints every finished trace to w (standard error if w is nil)
// as an indented tree (see [NewConsoleExporter]), configured by opts. Spans
// only: metrics are not printed. Each WithConsole is a console exporter of
// its own, with its own options.
func WithConsole(w io.Writer, opts ...ConsoleOption) Option {
	opts = append([]ConsoleOption(nil), opts...)
	return optionFunc(func(c *config) {
		c.dests = append(c.dests, destination{kind: kindConsole, w: w, console: opts})
	})
}

// WithFile appends every span to the file at path as one JSON object per line
// (see [NewJSONLExporter]), creating the file if needed. The file is flushed
// after every batch and closed by shutdown. Spans only.
func WithFile(path string) Option {
	return optionFunc(func(c *config) {
		c.dests = append(c.dests, destination{kind: kindFile, path: path})
	})
}

// WithSpanExporter exports spans with e, batched like the built-in exporters.
// Shutdown shuts e down.
func WithSpanExporter(e sdktrace.SpanExporter) Option {
	return optionFunc(func(c *config) {
		if e != nil {
			c.dests = append(c.dests, destination{kind: kindSpanExporter, exporter: e})
		}
	})
}

// WithMetricReader adds r to the MeterProvider, for example a
// metric.NewPeriodicReader around an exporter of your own, or a
// metric.NewManualReader in tests. Shutdown shuts r down.
func WithMetricReader(r metric.Reader) Option {
	return optionFunc(func(c *config) {
		if r != nil {
			c.readers = append(c.readers, r)
		}
	})
}

// WithSampler sets the sampler, overriding OTEL_TRACES_SAMPLER.
func WithSampler(s sdktrace.Sampler) Option {
	return optionFunc(func(c *config) { c.sampler = s })
}

// WithSampleRatio samples the given fraction of new traces and follows the
// parent's decision otherwise: ParentBased(TraceIDRatioBased(ratio)). It
// overrides OTEL_TRACES_SAMPLER.
func WithSampleRatio(ratio float64) Option {
	return WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(ratio)))
}

// WithSpanProcessors adds span processors that run before the exporters'
// processors, in the order given, for example to add attributes when spans
// start or to inspect them when they end. Shutdown shuts them down.
func WithSpanProcessors(p ...sdktrace.SpanProcessor) Option {
	return optionFunc(func(c *config) {
		for _, sp := range p {
			if sp != nil {
				c.processors = append(c.processors, sp)
			}
		}
	})
}

// WithSimpleProcessor exports each span synchronously when it ends, on the
// goroutine that ends it, instead of batching. A slow endpoint then slows
// the application: use it for tests and debugging only.
func WithSimpleProcessor() Option {
	return optionFunc(func(c *config) { c.simple = true })
}

// WithAttributeCountLimit sets the maximum number of attributes per span,
// overriding OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT and [DefaultAttributeCountLimit].
// A negative n means no limit; zero leaves the limit to
// OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT, else the default, as if the option were
// not given.
func WithAttributeCountLimit(n int) Option {
	return optionFunc(func(c *config) { c.attrLimit = n })
}

// WithMaxQueueSize sets how many ended spans each exporter may have waiting
// for export; beyond it new spans are dropped and the drop is reported
// through otel.Handle. It overrides OTEL_BSP_MAX_QUEUE_SIZE and
// [DefaultMaxQueueSize]. A value that is not positive, here or in the
// variable, is ignored.
func WithMaxQueueSize(n int) Option {
	return optionFunc(func(c *config) {
		if n > 0 {
			c.maxQueue = n
		}
	})
}

// WithBatchTimeout sets the longest time an ended span waits before its batch
// is exported, overriding OTEL_BSP_SCHEDULE_DELAY (in milliseconds; default
// 5s). A value that is not positive, here or in the variable, is ignored.
func WithBatchTimeout(d time.Duration) Option {
	return optionFunc(func(c *config) {
		if d > 0 {
			c.batchTimeout = d
		}
	})
}

// OTLPOption configures an OTLP exporter of [WithOTLPGRPC] or [WithOTLPHTTP].
type OTLPOption func(*otlpConfig)

type otlpConfig struct {
	headers  map[string]string
	insecure bool
	tls      *tls.Config
	timeout  time.Duration
	gzip     bool
}

// WithHeaders sends headers (gRPC metadata for OTLP gRPC) with every export.
// They replace the headers of OTEL_EXPORTER_OTLP_[TRACES_|METRICS_]HEADERS
// (which must still be well-formed: see the package documentation).
func WithHeaders(headers map[string]string) OTLPOption {
	return func(c *otlpConfig) {
		if c.headers == nil {
			c.headers = make(map[string]string, len(headers))
		}
		for k, v := range headers {
			c.headers[k] = v
		}
	}
}

// WithInsecure disables TLS for a "host:port" endpoint.
func WithInsecure() OTLPOption {
	return func(c *otlpConfig) { c.insecure = true }
}

// WithTLSConfig sets the TLS configuration of the connection.
func WithTLSConfig(cfg *tls.Config) OTLPOption {
	return func(c *otlpConfig) { c.tls = cfg }
}

// WithTimeout bounds each export request, overriding
// OTEL_EXPORTER_OTLP_TIMEOUT (default 10s). Exports that fail with a
// retryable error are retried with backoff until the batch's export deadline
// (30s, OTEL_BSP_EXPORT_TIMEOUT); the application never waits for them.
func WithTimeout(d time.Duration) OTLPOption {
	return func(c *otlpConfig) { c.timeout = d }
}

// WithGzip compresses exports with gzip.
func WithGzip() OTLPOption {
	return func(c *otlpConfig) { c.gzip = true }
}
