// Package export sets up OpenTelemetry tracing and metrics for a program in
// one call, so that the spans and gen_ai.client.* metrics of tracekit's
// instrumentations reach a backend (or the terminal) without boilerplate.
//
//	shutdown, err := export.Setup(ctx, export.WithServiceName("my-app"))
//	if err != nil {
//		log.Fatal(err)
//	}
//	defer func() {
//		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
//		defer cancel()
//		_ = shutdown(ctx) // flushes; gives up after 5s whatever the backend does
//	}()
//
// # Where telemetry goes
//
// Setup decides where spans and metrics go by this rule:
//
//  1. If any exporter option is given ([WithOTLPGRPC], [WithOTLPHTTP],
//     [WithConsole], [WithFile], [WithSpanExporter], [WithMetricReader]),
//     exactly those are used, for both signals, and the environment adds no
//     exporter: OTEL_TRACES_EXPORTER, OTEL_METRICS_EXPORTER and the OTLP
//     endpoint variables are ignored (when only the console or a file is
//     given and OTEL_TRACES_EXPORTER or an OTLP endpoint for traces is set,
//     Setup reports it through otel.Handle). The OTLP options export spans and
//     metrics; the console and file exporters, spans only. The OTLP exporters
//     still read the standard OTEL_EXPORTER_OTLP_* variables for whatever the
//     option leaves unset (timeout, certificates, ...).
//  2. Otherwise each signal is configured from the environment when the
//     environment names an exporter for it: spans when OTEL_TRACES_EXPORTER,
//     OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is
//     set; metrics when OTEL_METRICS_EXPORTER, OTEL_EXPORTER_OTLP_ENDPOINT or
//     OTEL_EXPORTER_OTLP_METRICS_ENDPOINT is set. The exporter is "otlp"
//     unless the variable names another: OTLP over http/protobuf unless
//     OTEL_EXPORTER_OTLP_[TRACES_|METRICS_]PROTOCOL says grpc. "none" turns
//     a signal off. For traces, "console" is the tree printer of
//     [NewConsoleExporter], on standard error, and OTEL_TRACES_EXPORTER may
//     list several of otlp, console and none ("otlp,console");
//     OTEL_METRICS_EXPORTER may list otlp and none. Names and protocols are
//     read without regard to case or surrounding spaces. Any other name,
//     alone, goes to go.opentelemetry.io/contrib/exporters/autoexport, which
//     reads the variable as written: "console" for metrics (the SDK's stdout
//     exporter, which prints to standard output), "prometheus", or a name
//     registered with autoexport. So does a lone otlp metrics exporter when
//     OTEL_METRICS_PRODUCERS is set, since only autoexport reads it.
//  3. Otherwise spans are printed to standard error by the console exporter,
//     and metrics are not exported.
//
// Rule 3 deliberately differs from autoexport's own default, which would send
// OTLP to localhost and fail silently when no collector runs there: a program
// that has not been told where to send telemetry shows it to the person running
// it instead.
//
// # Processing
//
// Every span exporter gets its own batching processor, so a slow exporter does
// not hold up another. The queue of each is bounded (2048 spans, or
// OTEL_BSP_MAX_QUEUE_SIZE, or [WithMaxQueueSize]); when it is full new spans
// are dropped, never waited for, and the drops are reported through
// otel.Handle. Span processors given with [WithSpanProcessors] run before the exporters'
// processors, in the order given: their OnStart can add attributes to the
// span, and their OnEnd sees the span before it is queued for export. (In Go
// an ended span is read-only; to rewrite attributes on the way out, wrap an
// exporter and pass it to [WithSpanExporter].)
//
// The span attribute count limit is 512 rather than OpenTelemetry's 128, which
// truncates long conversations. [WithAttributeCountLimit] overrides
// OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT, which overrides the default. The sampler
// is [WithSampler] or [WithSampleRatio], else OTEL_TRACES_SAMPLER and
// OTEL_TRACES_SAMPLER_ARG, else parent-based always-on. OTEL_BSP_MAX_QUEUE_SIZE,
// OTEL_BSP_MAX_EXPORT_BATCH_SIZE and OTEL_BSP_SCHEDULE_DELAY are used only
// when they are positive.
//
// The resource is built afresh by every call: a default service.name
// ("unknown_service:" and the executable's name), then
// OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME as they are at the time of
// the call, then the SDK's telemetry.sdk.* attributes, then [WithResource]
// and [WithServiceName].
//
// # Failure behaviour
//
// An unreachable or failing endpoint never reaches the application: starting
// and ending spans does not wait for the network, memory is bounded by the
// queue limits, export errors and drops are reported through otel.Handle,
// and the shutdown function returns when its context is done, whatever the
// endpoint does. Only [WithSimpleProcessor] exports on the caller's goroutine;
// it is meant for tests and debugging.
//
// The shutdown function first ends the spans of openaitrace and bedrocktrace
// streams (and speech answers) that their callers still hold unfinished,
// cut short (error.type=shutdown), so that they are exported rather than
// lost with the process ([NewShutdownProcessor] does the same for a
// TracerProvider of your own). It returns an error when the last spans or metrics
// could not be exported (they are lost), naming the exporter for spans, and
// saying how many spans were still queued or being exported when it gave up
// at its deadline. A failed Setup or New leaves nothing running.
//
// Before creating an OTLP exporter, Setup checks the
// OTEL_EXPORTER_OTLP_[TRACES_|METRICS_]HEADERS variables the exporter reads
// (comma-separated name=value pairs, values %-encoded) and fails when one is
// malformed: the exporter would leave the header out (an API key, often) and
// log the malformed entry, value included. The error names the variable and,
// when its name is well-formed, the header, never the value. This holds with [WithHeaders] too, which
// replaces those headers but does not keep the exporter from reading them.
//
// OTEL_SDK_DISABLED=true makes Setup install nothing and return a shutdown
// function that does nothing.
package export
