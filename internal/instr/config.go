// Package instr is the machinery every provider package shares: options and
// their defaults, the run-time kill switch, the tracer and metric instruments,
// the span lifecycle (start, end, status and error.type, metrics) and the
// panic guard.
package instr

import (
	"errors"
	"os"
	"strings"
	"sync/atomic"
	"unsafe"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/tracekit-go/tracekit/internal/genai"
	"github.com/tracekit-go/tracekit/redact"
	"github.com/tracekit-go/tracekit/semconv"
)

// EnvCaptureContent is the environment variable that turns content capture on
// when its value is "true", or (the values of the latest experimental OTel
// GenAI instrumentations) "span_only" or "span_and_event", in any case.
// "event_only" and "no_content" leave it off: tracekit records no events.
const EnvCaptureContent = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"

// Config is the resolved configuration of one instrumentation.
type Config struct {
	TracerProvider trace.TracerProvider
	MeterProvider  metric.MeterProvider
	// Capture overrides the environment variable when non-nil.
	Capture     *bool
	Conventions semconv.Convention
	// Redactor applies when RedactorSet; otherwise redact.Default() does.
	Redactor    redact.Redactor
	RedactorSet bool
	// Pricing prices LLM calls (nil: no cost).
	Pricing *priceTable
}

// Option configures an instrumentation. Provider packages re-export it under
// their own name so that both packages take the same options.
type Option interface {
	apply(*Config)
}

type optionFunc func(*Config)

func (f optionFunc) apply(c *Config) { f(c) }

// WithTracerProvider sets the TracerProvider spans are created with.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return optionFunc(func(c *Config) {
		if tp != nil {
			c.TracerProvider = tp
		}
	})
}

// WithMeterProvider sets the MeterProvider the gen_ai.client.* metrics are
// recorded with.
func WithMeterProvider(mp metric.MeterProvider) Option {
	return optionFunc(func(c *Config) {
		if mp != nil {
			c.MeterProvider = mp
		}
	})
}

// WithCaptureContent turns content capture on or off, overriding the
// environment variable.
func WithCaptureContent(on bool) Option {
	return optionFunc(func(c *Config) { c.Capture = &on })
}

// WithConventions selects the attribute conventions spans carry: any
// combination of semconv.Tracekit, semconv.OTelGenAI and
// semconv.OpenInference. The default is Tracekit, plus OTelGenAI when
// OTEL_SEMCONV_STABILITY_OPT_IN lists gen_ai_latest_experimental.
func WithConventions(conv ...semconv.Convention) Option {
	return optionFunc(func(c *Config) {
		var set semconv.Convention
		for _, v := range conv {
			set |= v
		}
		c.Conventions = set
	})
}

// EnvStabilityOptIn is the OpenTelemetry variable that opts in to the latest
// experimental GenAI conventions with the value gen_ai_latest_experimental.
const EnvStabilityOptIn = "OTEL_SEMCONV_STABILITY_OPT_IN"

// ConventionsFromEnv returns the default conventions: Tracekit, plus
// OTelGenAI when OTEL_SEMCONV_STABILITY_OPT_IN lists
// gen_ai_latest_experimental.
func ConventionsFromEnv() semconv.Convention {
	conv := semconv.Tracekit
	for _, v := range strings.Split(os.Getenv(EnvStabilityOptIn), ",") {
		if strings.TrimSpace(v) == "gen_ai_latest_experimental" {
			conv |= semconv.OTelGenAI
		}
	}
	return conv
}

// CaptureFromEnv reports whether the environment turns content capture on.
func CaptureFromEnv() bool {
	v := strings.TrimSpace(os.Getenv(EnvCaptureContent))
	return strings.EqualFold(v, "true") || strings.EqualFold(v, "span_only") || strings.EqualFold(v, "span_and_event")
}

// Package is the state one provider package keeps: its instrumentation scope,
// the kill switch and the defaults given to Instrument.
type Package struct {
	scope, version string
	disabled       atomic.Bool
	defaults       atomic.Pointer[[]Option]
	gen            atomic.Uint64
}

// NewPackage returns the state of a provider package; tracing starts enabled.
func NewPackage(scope, version string) *Package {
	return &Package{scope: scope, version: version}
}

// Enabled reports whether tracing is on: one atomic load.
func (p *Package) Enabled() bool { return !p.disabled.Load() }

// Instrument turns tracing on and makes opts the defaults of every
// instrumentation of the package. Defaults that drop a redactor the earlier
// ones had are reported through otel.Handle: captured content is no longer
// redacted by them, which a later call made for another option (pricing)
// may do unawares.
func (p *Package) Instrument(opts ...Option) {
	cp := append([]Option(nil), opts...)
	if prev := p.defaults.Load(); prev != nil && redactorOf(*prev) != nil && !redactorGiven(cp) {
		otel.Handle(errors.New("tracekit: " + p.scope + ": Instrument replaced defaults that had a redactor with defaults that have none: " +
			"captured content is no longer redacted by them (give WithRedactor in every Instrument call)"))
	}
	p.defaults.Store(&cp)
	p.gen.Add(1)
	p.disabled.Store(false)
}

// redactorOf returns the redactor options set (nil: none, or set to nil).
func redactorOf(opts []Option) redact.Redactor {
	var cfg Config
	for _, o := range opts {
		if o != nil {
			o.apply(&cfg)
		}
	}
	return cfg.Redactor
}

// redactorGiven reports whether options set a redactor (nil included).
func redactorGiven(opts []Option) bool {
	var cfg Config
	for _, o := range opts {
		if o != nil {
			o.apply(&cfg)
		}
	}
	return cfg.RedactorSet
}

// Uninstrument turns tracing off: every instrumentation of the package
// becomes a pass-through until Instrument is called.
func (p *Package) Uninstrument() { p.disabled.Store(true) }

// Instrumentation is one configured hook (a middleware, a client). It
// resolves its options against the package defaults and the OTel globals
// lazily, and again after every Instrument call.
type Instrumentation struct {
	pkg  *Package
	opts []Option
	cur  atomic.Pointer[Resolved]
}

// New returns an instrumentation of the package with opts.
func (p *Package) New(opts ...Option) *Instrumentation {
	return &Instrumentation{pkg: p, opts: append([]Option(nil), opts...)}
}

// Resolved returns the tracer, instruments and settings in force.
func (in *Instrumentation) Resolved() *Resolved {
	gen := in.pkg.gen.Load()
	if r := in.cur.Load(); r != nil && r.gen == gen && r.globalsCurrent() {
		return r
	}
	r := in.resolve(gen)
	in.cur.Store(r)
	return r
}

func (in *Instrumentation) resolve(gen uint64) *Resolved {
	var cfg Config
	if d := in.pkg.defaults.Load(); d != nil {
		for _, o := range *d {
			if o != nil {
				o.apply(&cfg)
			}
		}
	}
	for _, o := range in.opts {
		if o != nil {
			o.apply(&cfg)
		}
	}
	// Providers taken from the OTel globals are remembered, so that a
	// global set later (also a second time: the global delegates only to
	// the first one set) is picked up on the next call.
	var globalTP trace.TracerProvider
	var globalMP metric.MeterProvider
	if cfg.TracerProvider == nil {
		cfg.TracerProvider = otel.GetTracerProvider()
		globalTP = cfg.TracerProvider
	}
	if cfg.MeterProvider == nil {
		cfg.MeterProvider = otel.GetMeterProvider()
		globalMP = cfg.MeterProvider
	}
	if cfg.Conventions == 0 {
		cfg.Conventions = ConventionsFromEnv()
	}
	capture := CaptureFromEnv()
	if cfg.Capture != nil {
		capture = *cfg.Capture
	}
	r := &Resolved{
		gen:         gen,
		globalTP:    globalTP,
		globalMP:    globalMP,
		Tracer:      cfg.TracerProvider.Tracer(in.pkg.scope, trace.WithInstrumentationVersion(in.pkg.version)),
		Capture:     capture,
		Renderer:    semconv.Renderer{Conventions: cfg.Conventions, Capture: capture},
		redactor:    cfg.Redactor,
		redactorSet: cfg.RedactorSet,
		pricing:     cfg.Pricing,
	}
	r.metrics = newMetrics(cfg.MeterProvider.Meter(in.pkg.scope, metric.WithInstrumentationVersion(in.pkg.version)), r.Renderer)
	return r
}

// Resolved is the configuration in force for one instrumentation.
type Resolved struct {
	gen uint64
	// globalTP and globalMP are the global providers this configuration
	// was resolved with, when no option set them (nil otherwise).
	globalTP trace.TracerProvider
	globalMP metric.MeterProvider
	Tracer   trace.Tracer
	// Capture tells whether content is captured.
	Capture bool
	// Renderer renders records in the selected conventions.
	Renderer semconv.Renderer
	// redactor is applied to captured content when redactorSet (nil:
	// none); otherwise redact.Default() is, read at each call so that a
	// default set after the first call still applies.
	redactor    redact.Redactor
	redactorSet bool
	pricing     *priceTable
	metrics     metrics
	// spanName caches the last span name built (most calls of a client
	// name the same operation and model).
	spanName atomic.Pointer[spanNameEntry]
}

// globalsCurrent reports whether the OTel global providers r fell back to
// are still the globals.
func (r *Resolved) globalsCurrent() bool {
	return (r.globalTP == nil || sameValue(r.globalTP, otel.GetTracerProvider())) &&
		(r.globalMP == nil || sameValue(r.globalMP, otel.GetMeterProvider()))
}

// sameValue is a == b. Values of a type that is not comparable (== would
// panic) are the same when the interfaces hold the same boxed value, as
// every load of an unchanged global does; otherwise false.
func sameValue(a, b any) (same bool) {
	type eface struct{ typ, data unsafe.Pointer }
	if *(*eface)(unsafe.Pointer(&a)) == *(*eface)(unsafe.Pointer(&b)) {
		return true
	}
	defer func() {
		if recover() != nil {
			same = false
		}
	}()
	return a == b
}

// spanNameEntry is a span name and the call fields it was built from (owned
// copies: the call's strings may alias a request body).
type spanNameEntry struct {
	op, api, provider, model, name string
}

// SpanName returns the span name of call, as the renderer names it, without
// building it again when the last call had the same operation and model.
func (r *Resolved) SpanName(call *genai.Call) string {
	if e := r.spanName.Load(); e != nil && e.op == call.Operation && e.model == call.Request.Model &&
		e.api == call.API && e.provider == call.Provider {
		return e.name
	}
	name := r.Renderer.SpanName(call)
	r.spanName.Store(&spanNameEntry{op: strings.Clone(call.Operation), api: strings.Clone(call.API),
		provider: strings.Clone(call.Provider), model: strings.Clone(call.Request.Model), name: name})
	return name
}
