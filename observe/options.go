package observe

import (
	"go.opentelemetry.io/otel/trace"

	"github.com/tracekit-go/tracekit/internal/instr"
	"github.com/tracekit-go/tracekit/redact"
	"github.com/tracekit-go/tracekit/semconv"
)

// ScopeName is the instrumentation scope of the spans this package records.
const ScopeName = "github.com/tracekit-go/tracekit/observe"

// Version is the version of this package, recorded as the instrumentation
// scope version.
const Version = "0.1.0"

// Option configures an Observer. The same options are accepted by
// openaitrace and bedrocktrace.
type Option = instr.Option

// WithTracerProvider sets the TracerProvider spans are created with. The
// default is the global provider (otel.GetTracerProvider).
func WithTracerProvider(tp trace.TracerProvider) Option { return instr.WithTracerProvider(tp) }

// WithCaptureContent turns the capture of content (inputs, outputs, tool
// arguments, documents) on or off, overriding the
// OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT environment variable.
// Capture is off by default.
func WithCaptureContent(on bool) Option { return instr.WithCaptureContent(on) }

// WithConventions selects the attribute conventions spans carry: any
// combination of semconv.Tracekit (the default), semconv.OTelGenAI and
// semconv.OpenInference, as in openaitrace and bedrocktrace. Without this
// option, OTEL_SEMCONV_STABILITY_OPT_IN containing gen_ai_latest_experimental
// adds OTelGenAI to Tracekit.
func WithConventions(conv ...semconv.Convention) Option { return instr.WithConventions(conv...) }

// WithRedactor sets the redactor applied to every captured content string
// before it becomes an attribute. nil turns redaction off even when a
// process-wide default is set with redact.SetDefault.
func WithRedactor(r redact.Redactor) Option { return instr.WithRedactor(r) }

var pkg = instr.NewPackage(ScopeName, Version)

// std is the Observer of the package-level functions when the context holds
// no span of another Observer. Its options are the defaults set by
// Instrument.
var std = &Observer{in: pkg.New()}

// Instrument turns application spans on (they are on from the start) and
// makes opts the defaults of every Observer, including the one behind the
// package-level Start and Run. The options of one call replace those of an
// earlier one as a whole, and Instrument() clears them (defaults that drop
// an earlier redactor are reported through otel.Handle).
func Instrument(opts ...Option) { pkg.Instrument(opts...) }

// Uninstrument turns application spans off: Start returns the context
// unchanged and a nil *Span (whose methods do nothing) until Instrument is
// called.
func Uninstrument() { pkg.Uninstrument() }

// Observer starts application spans with its own options. Spans started
// below one of its spans with the package-level Start and Run use the same
// Observer.
type Observer struct {
	in *instr.Instrumentation
}

// New returns an Observer with opts (unset options fall back to the defaults
// given to Instrument, then to the OpenTelemetry globals and the
// environment).
func New(opts ...Option) *Observer { return &Observer{in: pkg.New(opts...)} }
