package openaitrace

import (
	"net/http"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/tracekit-go/tracekit/internal/instr"
	"github.com/tracekit-go/tracekit/redact"
	"github.com/tracekit-go/tracekit/semconv"
)

// ScopeName is the instrumentation scope of the spans and metrics this
// package produces.
const ScopeName = "github.com/tracekit-go/tracekit/openaitrace"

// Version is the version of this instrumentation.
const Version = "0.1.0"

// Option configures the instrumentation. Options left unset fall back to
// the defaults given to Instrument, then to the OpenTelemetry globals and
// the environment. openaitrace, bedrocktrace and observe share this type:
// an option of one package given to another has the effect it has there (a
// provider's WithPricing does nothing in observe).
type Option = instr.Option

// WithTracerProvider sets the TracerProvider spans are created with. The
// default is the global provider (otel.GetTracerProvider).
func WithTracerProvider(tp trace.TracerProvider) Option { return instr.WithTracerProvider(tp) }

// WithMeterProvider sets the MeterProvider the gen_ai.client.* metrics are
// recorded with: the gen_ai.client.operation.duration and
// gen_ai.client.token.usage histograms, and the gen_ai.client.cost counter
// when WithPricing is given. The default is
// the global provider (otel.GetMeterProvider).
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
// semconv.OpenInference (Arize Phoenix). Without this option, the
// environment variable OTEL_SEMCONV_STABILITY_OPT_IN containing
// gen_ai_latest_experimental adds OTelGenAI to Tracekit.
func WithConventions(conv ...semconv.Convention) Option { return instr.WithConventions(conv...) }

var pkg = instr.NewPackage(ScopeName, Version)

// Instrument turns tracing on for every client traced by this package (it is
// on from the start) and makes opts the defaults of every middleware that
// does not set them itself. The options of one call replace those of an
// earlier one as a whole, and Instrument() clears them: give them all in
// every call (Instrument(WithPricing(p)) after Instrument(WithRedactor(r))
// leaves no redactor, which is reported through otel.Handle; so does
// Uninstrument then Instrument() — a redactor set with redact.SetDefault
// stays). The environment variable for content
// capture is read again on the next call.
func Instrument(opts ...Option) { pkg.Instrument(opts...) }

// Uninstrument turns tracing off: every traced client becomes a
// pass-through, at the cost of one atomic load per request, until Instrument
// is called.
func Uninstrument() { pkg.Uninstrument() }

// Middleware returns an openai-go middleware that records every chat
// completion, Responses, embeddings, legacy completions, image generation
// (edits and variations too), speech, transcription, translation and
// moderation request as an OpenTelemetry span with gen_ai.* attributes, and records the
// gen_ai.client.* metrics. Other endpoints pass through untouched.
//
// Each HTTP attempt is its own span (the SDK retries inside the middleware
// chain); a retried attempt carries http.request.resend_count. The
// middleware never changes the request or the response bytes, never returns
// an error of its own, and installed twice on one client records one span.
func Middleware(opts ...Option) option.Middleware {
	t := &tracer{in: pkg.New(opts...), explicit: len(opts) > 0}
	return func(req *http.Request, next option.MiddlewareNext) (*http.Response, error) {
		return t.handle(req, next)
	}
}

// WithTracing returns a request option that installs Middleware(opts...), for
// openai.NewClient or for a single call. On a call of a client that is
// traced already, the client's installation traces the call and opts are
// ignored (reported once through otel.Handle): options for one call's span
// belong on a client of its own.
func WithTracing(opts ...Option) option.RequestOption {
	return whileEnabled(option.WithMiddleware(Middleware(opts...)))
}

// whileEnabled wraps the option that installs the middleware so that it
// installs it only while tracing is on: openai-go applies a client's options
// to each request, and builds its middleware chain for each request, so an
// Uninstrumented client then makes exactly the calls, and allocations, of a
// client without tracing. (C is openai-go's request configuration, an
// internal type: it is inferred, never named.)
func whileEnabled[C any](inner interface{ Apply(C) error }) switchable[C] {
	return switchable[C]{inner}
}

type switchable[C any] struct{ inner interface{ Apply(C) error } }

// tracekitTracing marks the option of WithTracing (see NewClient).
func (switchable[C]) tracekitTracing() {}

func (s switchable[C]) Apply(cfg C) error {
	if !pkg.Enabled() {
		return nil
	}
	return s.inner.Apply(cfg)
}

// NewClient returns openai.NewClient(opts...) with tracing installed as its
// outermost middleware. Configure tracing itself with Instrument, or with
// WithTracing(opts...) among opts: NewClient then installs that one (the
// first, if several), outermost, and no other.
func NewClient(opts ...option.RequestOption) openai.Client {
	all := make([]option.RequestOption, 1, len(opts)+1)
	for _, o := range opts {
		if _, ok := o.(interface{ tracekitTracing() }); ok && all[0] == nil {
			all[0] = o
			continue
		}
		all = append(all, o)
	}
	if all[0] == nil {
		all[0] = WithTracing()
	}
	return openai.NewClient(all...)
}

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
