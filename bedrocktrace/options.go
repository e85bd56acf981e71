package bedrocktrace

import (
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/tracekit-go/tracekit/internal/instr"
	"github.com/tracekit-go/tracekit/redact"
	"github.com/tracekit-go/tracekit/semconv"
)

// ScopeName is the instrumentation scope of the spans and metrics this
// package records.
const ScopeName = "github.com/tracekit-go/tracekit/bedrocktrace"

// Version is the version of this package, recorded as the instrumentation
// scope version.
const Version = "0.1.0"

// Option configures the instrumentation. openaitrace, bedrocktrace and
// observe share this type: an option of one package given to another has
// the effect it has there (a provider's WithPricing does nothing in
// observe).
type Option = instr.Option

// pkg holds the kill switch and the defaults set by Instrument.
var pkg = instr.NewPackage(ScopeName, Version)

// WithTracerProvider sets the TracerProvider spans are created with. The
// default is the global provider (otel.GetTracerProvider) at the time of the
// call being traced.
func WithTracerProvider(tp trace.TracerProvider) Option { return instr.WithTracerProvider(tp) }

// WithMeterProvider sets the MeterProvider the gen_ai.client.* metrics are
// recorded with: the gen_ai.client.operation.duration and
// gen_ai.client.token.usage histograms, and the gen_ai.client.cost counter
// when WithPricing is given. The default is
// the global provider.
func WithMeterProvider(mp metric.MeterProvider) Option { return instr.WithMeterProvider(mp) }

// WithCaptureContent turns the capture of message content (prompt and
// completion text, tool-call arguments) on or off. It overrides the
// OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT environment variable,
// which turns capture on when it is "true", "span_only" or "span_and_event"
// (in any case). Capture is off by default.
func WithCaptureContent(on bool) Option { return instr.WithCaptureContent(on) }

// WithConventions selects the attribute conventions spans carry: any
// combination of semconv.Tracekit (Coralogix llm-tracekit's keys, the
// default), semconv.OTelGenAI (OpenTelemetry GenAI v1.41.0) and
// semconv.OpenInference. Without this option, the environment variable
// OTEL_SEMCONV_STABILITY_OPT_IN containing gen_ai_latest_experimental adds
// OTelGenAI to Tracekit. The same option exists in openaitrace.
func WithConventions(conv ...semconv.Convention) Option { return instr.WithConventions(conv...) }

// Instrument turns tracing on for every client instrumented by this package
// and makes opts the defaults of all of them (options given to
// AppendMiddlewares or WithTracing take precedence). The options of one call
// replace those of an earlier one as a whole, and Instrument() clears them:
// give them all in every call (Instrument(WithPricing(p)) after
// Instrument(WithRedactor(r)) leaves no redactor, which is reported through
// otel.Handle; so does Uninstrument then Instrument() — a redactor set with
// redact.SetDefault stays). Tracing is on
// by default; Instrument is needed only to set defaults or to undo
// Uninstrument.
func Instrument(opts ...Option) { pkg.Instrument(opts...) }

// Uninstrument turns tracing off for every client instrumented by this
// package: the middlewares stay installed but pass calls through untouched
// (one atomic load per call) until Instrument is called again.
func Uninstrument() { pkg.Uninstrument() }

// WithRedactor sets the redactor applied to every captured content string
// (prompts, completions, tool-call arguments) before it becomes a span
// attribute, for example redact.New(). nil turns redaction off even when a
// process-wide default is set with redact.SetDefault. Redaction runs only
// when content capture is on.
func WithRedactor(r redact.Redactor) Option { return instr.WithRedactor(r) }

// Price is what one model's tokens cost, per million tokens, in Currency.
// Its fields:
//
//	Input       float64 // a million uncached input tokens
//	CachedInput float64 // a million input tokens read from the prompt cache (0: priced as Input)
//	Output      float64 // a million output tokens, reasoning included
//	Currency    string  // e.g. "USD", recorded as gen_ai.usage.cost.currency
type Price = instr.Price

// Pricing maps model ids, or prefixes ending in "*", to prices (a
// map[string]Price): an exact key wins over prefixes, a longer prefix over
// a shorter; the response model is looked up first, then the request model.
// The same table serves openaitrace and bedrocktrace.
type Pricing = instr.Pricing

// WithPricing records the cost of every call whose model is in p on its
// span (gen_ai.usage.cost; llm.cost.* with the OpenInference convention) and
// in the gen_ai.client.cost counter. No price list is built in.
func WithPricing(p Pricing) Option { return instr.WithPricing(p) }
