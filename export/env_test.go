package export

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/tracekit-go/tracekit/export/exporttest"
	"github.com/tracekit-go/tracekit/semconv"
)

// envKeys are every variable the tests below set; each test clears them all
// first so that the machine's environment does not leak in.
var envKeys = []string{
	envSDKDisabled, envTracesExporter, envMetricsExporter,
	envOTLPEndpoint, envOTLPTracesEndpoint, envOTLPMetricsEndpt,
	envOTLPProtocol, envOTLPTracesProtocol, envOTLPMetricsProto,
	envAttrCountLimit, envBSPMaxQueue, "OTEL_TRACES_SAMPLER", "OTEL_TRACES_SAMPLER_ARG",
	"OTEL_SERVICE_NAME", "OTEL_RESOURCE_ATTRIBUTES", "OTEL_EXPORTER_OTLP_HEADERS",
	"OTEL_EXPORTER_OTLP_TRACES_HEADERS", "OTEL_EXPORTER_OTLP_METRICS_HEADERS",
	envBSPMaxExportBatch, envBSPScheduleDelay, envMetricsProducers, envXResource,
}

func clearEnv(t *testing.T, set map[string]string) {
	t.Helper()
	for _, k := range envKeys {
		t.Setenv(k, "")
	}
	for k, v := range set {
		t.Setenv(k, v)
	}
}

// TestExporterSelection is the rule of the package documentation, as a
// table: which span exporters and how many metric readers each environment
// (and option) gives.
func TestExporterSelection(t *testing.T) {
	dead := "http://127.0.0.1:1"
	cases := []struct {
		name      string
		env       map[string]string
		opts      []Option
		exporters []string
		readers   int
		err       string
	}{
		{name: "nothing configured: console", exporters: []string{"console"}},
		{name: "traces none", env: map[string]string{envTracesExporter: "none"}},
		{name: "traces console", env: map[string]string{envTracesExporter: "console"}, exporters: []string{"console"}},
		{name: "endpoint alone: otlp for both", env: map[string]string{envOTLPEndpoint: dead}, exporters: []string{"env:otlp"}, readers: 1},
		{name: "traces endpoint: otlp traces only", env: map[string]string{envOTLPTracesEndpoint: dead}, exporters: []string{"env:otlp"}},
		{name: "metrics endpoint: console traces, otlp metrics", env: map[string]string{envOTLPMetricsEndpt: dead}, exporters: []string{"console"}, readers: 1},
		{name: "exporter otlp", env: map[string]string{envTracesExporter: "otlp", envMetricsExporter: "otlp"}, exporters: []string{"env:otlp"}, readers: 1},
		{name: "grpc protocol", env: map[string]string{envOTLPEndpoint: dead, envOTLPProtocol: "grpc"}, exporters: []string{"env:otlp"}, readers: 1},
		{name: "list otlp,console", env: map[string]string{envTracesExporter: "otlp, console"}, exporters: []string{"env:otlp", "console"}},
		{name: "list with none", env: map[string]string{envTracesExporter: "none,console"}, exporters: []string{"console"}},
		{name: "metrics none alone", env: map[string]string{envMetricsExporter: "none"}, exporters: []string{"console"}},
		{name: "metrics list", env: map[string]string{envMetricsExporter: "otlp,none", envTracesExporter: "none"}, readers: 1},
		{name: "unknown traces exporter", env: map[string]string{envTracesExporter: "bogus"}, err: "bogus"},
		{name: "unknown in list", env: map[string]string{envTracesExporter: "zipkin,console"}, err: "zipkin"},
		{name: "unknown metrics exporter", env: map[string]string{envMetricsExporter: "bogus"}, err: "metrics"},
		{name: "bad protocol", env: map[string]string{envOTLPEndpoint: dead, envOTLPProtocol: "carrier-pigeon"}, err: "protocol"},
		{name: "bad protocol in list", env: map[string]string{envTracesExporter: "otlp,console", envOTLPProtocol: "carrier-pigeon"}, err: "grpc or http/protobuf"},
		{name: "options win over env", env: map[string]string{envTracesExporter: "bogus", envMetricsExporter: "bogus"},
			opts: []Option{WithOTLPHTTP(dead)}, exporters: []string{"otlp-http " + dead}, readers: 1},
		{name: "console option only", env: map[string]string{envOTLPEndpoint: dead},
			opts: []Option{WithConsole(&strings.Builder{})}, exporters: []string{"console"}},
		{name: "several options", opts: []Option{WithOTLPGRPC("127.0.0.1:1", WithInsecure()), WithConsole(&strings.Builder{})},
			exporters: []string{"otlp-grpc 127.0.0.1:1", "console"}, readers: 1},
		{name: "bad endpoint URL", opts: []Option{WithOTLPGRPC("ftp://x:1")}, err: "scheme"},
		{name: "sdk disabled", env: map[string]string{envSDKDisabled: "true", envOTLPEndpoint: dead}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clearEnv(t, tc.env)
			p, err := New(context.Background(), tc.opts...)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer shutdownNow(p)
			if !slices.Equal(p.exporters, tc.exporters) {
				t.Errorf("span exporters = %q, want %q", p.exporters, tc.exporters)
			}
			if p.readers != tc.readers {
				t.Errorf("metric readers = %d, want %d", p.readers, tc.readers)
			}
		})
	}
}

func shutdownNow(p *Providers) {
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_ = p.Shutdown(ctx)
}

// TestSetupFromEnvironment sends to real receivers configured only by the
// standard variables, over both protocols.
func TestSetupFromEnvironment(t *testing.T) {
	for _, proto := range []string{"grpc", "http/protobuf"} {
		t.Run(proto, func(t *testing.T) {
			var rcv *exporttest.Receiver
			endpoint := ""
			if proto == "grpc" {
				rcv = exporttest.NewGRPCReceiver(t)
				endpoint = "http://" + rcv.Endpoint
			} else {
				rcv = exporttest.NewHTTPReceiver(t)
				endpoint = rcv.Endpoint
			}
			clearEnv(t, map[string]string{
				envOTLPEndpoint:              endpoint,
				envOTLPProtocol:              proto,
				"OTEL_EXPORTER_OTLP_HEADERS": "x-test=yes",
				"OTEL_SERVICE_NAME":          "env-svc",
			})
			ctx := context.Background()
			p, err := New(ctx)
			if err != nil {
				t.Fatal(err)
			}
			tracedChat(t, ctx, p.TracerProvider, p.MeterProvider)
			if err := p.Shutdown(ctx); err != nil {
				t.Fatal(err)
			}
			checkExport(t, rcv, "env-svc")
		})
	}
}

// record runs fn against providers built with opts and an in-memory
// exporter, and returns the spans.
func record(t *testing.T, fn func(tp *sdktrace.TracerProvider), opts ...Option) tracetest.SpanStubs {
	t.Helper()
	mem := tracetest.NewInMemoryExporter()
	p, err := New(context.Background(), append(opts, WithSpanExporter(mem), WithSimpleProcessor())...)
	if err != nil {
		t.Fatal(err)
	}
	fn(p.TracerProvider)
	spans := mem.GetSpans()
	if err := p.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	return spans
}

func TestAttributeCountLimit(t *testing.T) {
	cases := []struct {
		name string
		env  string
		opts []Option
		want int
	}{
		{name: "default 512", want: 512},
		{name: "env", env: "1000", want: 1000},
		{name: "env lower", env: "100", want: 100},
		{name: "invalid env: default", env: "many", want: 512},
		{name: "option over env", env: "1000", opts: []Option{WithAttributeCountLimit(50)}, want: 50},
		{name: "option unlimited", opts: []Option{WithAttributeCountLimit(-1)}, want: 2000},
		// Zero means "not given": the variable, else the default, applies.
		{name: "zero option leaves env", env: "1000", opts: []Option{WithAttributeCountLimit(0)}, want: 1000},
		{name: "zero option leaves default", opts: []Option{WithAttributeCountLimit(0)}, want: 512},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clearEnv(t, map[string]string{envAttrCountLimit: tc.env})
			attrs := make([]attribute.KeyValue, 2000)
			for i := range attrs {
				attrs[i] = semconv.PromptContentKey(i).String("x")
			}
			spans := record(t, func(tp *sdktrace.TracerProvider) {
				_, s := tp.Tracer("t").Start(context.Background(), "x")
				s.SetAttributes(attrs...)
				s.End()
			}, tc.opts...)
			if len(spans) != 1 {
				t.Fatalf("got %d spans", len(spans))
			}
			if got := len(spans[0].Attributes); got != tc.want {
				t.Errorf("span kept %d attributes, want %d", got, tc.want)
			}
		})
	}
}

func TestSampler(t *testing.T) {
	cases := []struct {
		name    string
		env     map[string]string
		opts    []Option
		sampled bool
	}{
		{name: "default samples", sampled: true},
		{name: "env always_off", env: map[string]string{"OTEL_TRACES_SAMPLER": "always_off"}},
		{name: "env ratio 0", env: map[string]string{"OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0"}},
		{name: "env ratio 1", env: map[string]string{"OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "1"}, sampled: true},
		{name: "option ratio 0", opts: []Option{WithSampleRatio(0)}},
		{name: "option over env", env: map[string]string{"OTEL_TRACES_SAMPLER": "always_off"}, opts: []Option{WithSampler(sdktrace.AlwaysSample())}, sampled: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clearEnv(t, tc.env)
			spans := record(t, func(tp *sdktrace.TracerProvider) {
				_, s := tp.Tracer("t").Start(context.Background(), "x")
				s.End()
			}, tc.opts...)
			if got := len(spans) == 1; got != tc.sampled {
				t.Errorf("sampled = %v, want %v", got, tc.sampled)
			}
		})
	}
}

func TestResource(t *testing.T) {
	cases := []struct {
		name    string
		env     map[string]string
		opts    []Option
		service string
		extra   string // key=value expected in the resource
		extra2  string // another
	}{
		{name: "sdk default", service: "unknown_service:", extra: "telemetry.sdk.language=go"},
		{name: "env service", env: map[string]string{"OTEL_SERVICE_NAME": "env-svc"}, service: "env-svc"},
		{name: "resource attributes", env: map[string]string{"OTEL_RESOURCE_ATTRIBUTES": "service.name=ra-svc,deployment.environment=test"},
			service: "ra-svc", extra: "deployment.environment=test"},
		{name: "option over env", env: map[string]string{"OTEL_SERVICE_NAME": "env-svc", "OTEL_RESOURCE_ATTRIBUTES": "team=llm"},
			opts: []Option{WithServiceName("opt-svc")}, service: "opt-svc", extra: "team=llm"},
		{name: "resource option, other schema", env: map[string]string{"OTEL_SERVICE_NAME": "env-svc"},
			opts:    []Option{WithResource(resource.NewWithAttributes("https://opentelemetry.io/schemas/1.0.0", attribute.String("team", "ai")))},
			service: "env-svc", extra: "team=ai"},
		{name: "resource option, service name option wins",
			opts:    []Option{WithResource(resource.NewSchemaless(semconv.KeyServiceName.String("res-svc"))), WithServiceName("opt-svc")},
			service: "opt-svc"},
		{name: "resource options merge in order", env: map[string]string{"OTEL_SERVICE_NAME": "env-svc"},
			opts: []Option{
				WithResource(resource.NewSchemaless(attribute.String("team", "first"), attribute.String("kept", "yes"))),
				WithResource(resource.NewSchemaless(attribute.String("team", "second"))),
			},
			service: "env-svc", extra: "team=second", extra2: "kept=yes"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clearEnv(t, tc.env)
			spans := record(t, func(tp *sdktrace.TracerProvider) {
				_, s := tp.Tracer("t").Start(context.Background(), "x")
				s.End()
			}, tc.opts...)
			res := spans[0].Resource
			got, _ := res.Set().Value(semconv.KeyServiceName)
			if !strings.HasPrefix(got.AsString(), tc.service) || (tc.service != "unknown_service:" && got.AsString() != tc.service) {
				t.Errorf("service.name = %q, want %q", got.AsString(), tc.service)
			}
			for _, kv := range []string{tc.extra, tc.extra2} {
				if kv == "" {
					continue
				}
				k, v, _ := strings.Cut(kv, "=")
				if got, _ := res.Set().Value(attribute.Key(k)); got.String() != v {
					t.Errorf("resource %s = %q, want %q", k, got.String(), v)
				}
			}
		})
	}
}

// orderProcessor records when it sees a span end, and adds an attribute
// when the span starts.
type orderProcessor struct {
	log *[]string
}

func (p orderProcessor) OnStart(_ context.Context, s sdktrace.ReadWriteSpan) {
	s.SetAttributes(attribute.String("added.by", "processor"))
}
func (p orderProcessor) OnEnd(s sdktrace.ReadOnlySpan) {
	*p.log = append(*p.log, "processor "+s.Name())
}
func (p orderProcessor) Shutdown(context.Context) error {
	*p.log = append(*p.log, "processor shutdown")
	return nil
}
func (p orderProcessor) ForceFlush(context.Context) error { return nil }

type orderExporter struct{ log *[]string }

func (e orderExporter) ExportSpans(_ context.Context, s []sdktrace.ReadOnlySpan) error {
	for _, sp := range s {
		*e.log = append(*e.log, "exporter "+sp.Name())
		set := attribute.NewSet(sp.Attributes()...)
		if v, _ := set.Value("added.by"); v.AsString() != "processor" {
			*e.log = append(*e.log, "exporter missed the processor's attribute")
		}
	}
	return nil
}
func (e orderExporter) Shutdown(context.Context) error { return nil }

func TestSpanProcessorsRunBeforeExport(t *testing.T) {
	clearEnv(t, nil)
	var log []string
	ctx := context.Background()
	p, err := New(ctx, WithSpanProcessors(orderProcessor{&log}), WithSpanExporter(orderExporter{&log}), WithSimpleProcessor())
	if err != nil {
		t.Fatal(err)
	}
	_, s := p.TracerProvider.Tracer("t").Start(ctx, "a")
	s.End()
	if err := p.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	want := []string{"processor a", "exporter a", "processor shutdown"}
	if !slices.Equal(log, want) {
		t.Errorf("order = %q, want %q", log, want)
	}
}

func TestSetupSDKDisabled(t *testing.T) {
	clearEnv(t, map[string]string{envSDKDisabled: "true"})
	before := otel.GetTracerProvider()
	shutdown, err := Setup(context.Background(), WithOTLPGRPC("127.0.0.1:1", WithInsecure()))
	if err != nil {
		t.Fatal(err)
	}
	if otel.GetTracerProvider() != before {
		t.Error("Setup registered a TracerProvider with OTEL_SDK_DISABLED=true")
	}
	if err := shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// TestEnvExporterNamesIgnoreCaseAndSpaces checks that the exporter names of
// OTEL_TRACES_EXPORTER and OTEL_METRICS_EXPORTER and the OTLP protocols are
// read without regard to case or surrounding spaces, a single name as well
// as a list.
func TestEnvExporterNamesIgnoreCaseAndSpaces(t *testing.T) {
	dead := "http://127.0.0.1:1"
	for _, tc := range []struct {
		name      string
		env       map[string]string
		exporters []string
		readers   int
	}{
		{name: "traces OTLP", env: map[string]string{envOTLPEndpoint: dead, envTracesExporter: "OTLP"}, exporters: []string{"env:otlp"}, readers: 1},
		{name: "traces 'otlp '", env: map[string]string{envOTLPEndpoint: dead, envTracesExporter: "otlp "}, exporters: []string{"env:otlp"}, readers: 1},
		{name: "traces list OTLP,Console", env: map[string]string{envTracesExporter: "OTLP, Console"}, exporters: []string{"env:otlp", "console"}},
		{name: "traces ' Console '", env: map[string]string{envTracesExporter: " Console "}, exporters: []string{"console"}},
		{name: "traces NONE", env: map[string]string{envTracesExporter: "NONE"}},
		{name: "metrics OTLP", env: map[string]string{envTracesExporter: "none", envMetricsExporter: "OTLP"}, readers: 1},
		{name: "metrics 'None '", env: map[string]string{envOTLPEndpoint: dead, envTracesExporter: "none", envMetricsExporter: "None "}},
		{name: "protocol GRPC", env: map[string]string{envOTLPEndpoint: dead, envOTLPProtocol: "GRPC"}, exporters: []string{"env:otlp"}, readers: 1},
		{name: "signal protocols", env: map[string]string{envOTLPEndpoint: dead, envOTLPTracesProtocol: " Grpc ", envOTLPMetricsProto: "HTTP/Protobuf"},
			exporters: []string{"env:otlp"}, readers: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clearEnv(t, tc.env)
			p, err := New(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			defer shutdownNow(p)
			if !slices.Equal(p.exporters, tc.exporters) {
				t.Errorf("span exporters = %q, want %q", p.exporters, tc.exporters)
			}
			if p.readers != tc.readers {
				t.Errorf("metric readers = %d, want %d", p.readers, tc.readers)
			}
		})
	}

	// The protocol really is gRPC: a gRPC receiver gets both signals.
	t.Run("GRPC reaches a gRPC receiver", func(t *testing.T) {
		rcv := exporttest.NewGRPCReceiver(t)
		clearEnv(t, map[string]string{
			envOTLPEndpoint: "http://" + rcv.Endpoint, envOTLPProtocol: "GRPC",
			envTracesExporter: " OTLP", envMetricsExporter: "Otlp ",
			"OTEL_EXPORTER_OTLP_HEADERS": "x-test=yes", "OTEL_SERVICE_NAME": "env-svc",
		})
		ctx := context.Background()
		p, err := New(ctx)
		if err != nil {
			t.Fatal(err)
		}
		tracedChat(t, ctx, p.TracerProvider, p.MeterProvider)
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if err := p.Shutdown(sctx); err != nil {
			t.Fatal(err)
		}
		checkExport(t, rcv, "env-svc")
	})
}

// TestProtocolErrorNamesItsVariable checks that an unknown OTLP protocol is
// reported with the variable it was read from: the signal's own, or
// OTEL_EXPORTER_OTLP_PROTOCOL.
func TestProtocolErrorNamesItsVariable(t *testing.T) {
	dead := "http://127.0.0.1:1"
	for _, tc := range []struct {
		name string
		env  map[string]string
		want string
	}{
		{"traces", map[string]string{envOTLPEndpoint: dead, envOTLPTracesProtocol: "pigeon", envOTLPProtocol: "grpc"},
			envOTLPTracesProtocol + `="pigeon"`},
		{"traces in a list", map[string]string{envTracesExporter: "otlp,console", envOTLPTracesProtocol: "pigeon"},
			envOTLPTracesProtocol + `="pigeon"`},
		{"metrics", map[string]string{envOTLPEndpoint: dead, envTracesExporter: "none", envOTLPMetricsProto: "pigeon"},
			envOTLPMetricsProto + `="pigeon"`},
		{"both, from the common variable", map[string]string{envOTLPEndpoint: dead, envOTLPProtocol: "pigeon"},
			envOTLPProtocol + `="pigeon"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clearEnv(t, tc.env)
			p, err := New(context.Background())
			if err == nil {
				shutdownNow(p)
				t.Fatal("New succeeded with an unknown protocol")
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "grpc or http/protobuf") {
				t.Errorf("err = %v, want one naming %s", err, tc.want)
			}
		})
	}
}

// TestNonPositiveBatchVariablesIgnored checks that OTEL_BSP_* integers that
// are zero or negative are ignored rather than used: a negative
// OTEL_BSP_MAX_EXPORT_BATCH_SIZE made New panic, and an
// OTEL_BSP_SCHEDULE_DELAY of zero or less makes the SDK's batch processor
// export in a busy loop (here: at once) instead of every 5s.
func TestNonPositiveBatchVariablesIgnored(t *testing.T) {
	for _, tc := range []struct {
		key, value string
	}{
		{envBSPMaxExportBatch, "-1"},
		{envBSPMaxExportBatch, "0"},
		{envBSPMaxQueue, "-5"},
		{envBSPMaxQueue, "0"},
		{envBSPScheduleDelay, "0"},
		{envBSPScheduleDelay, "-1"},
	} {
		t.Run(tc.key+"="+tc.value, func(t *testing.T) {
			clearEnv(t, map[string]string{tc.key: tc.value})
			e := &countingExporter{}
			var p *Providers
			func() {
				defer func() {
					if r := recover(); r != nil {
						t.Fatalf("New panicked: %v", r)
					}
				}()
				var err error
				if p, err = New(context.Background(), WithSpanExporter(e)); err != nil {
					t.Fatal(err)
				}
			}()
			_, s := p.TracerProvider.Tracer("t").Start(context.Background(), "x")
			s.End()
			// With the default delay (5s) and batch size (512), one span
			// waits for shutdown; well before 5s it is still queued.
			time.Sleep(300 * time.Millisecond)
			e.mu.Lock()
			early := e.spans
			e.mu.Unlock()
			if early != 0 {
				t.Errorf("the span was exported within 300ms: %s=%s was used, not the defaults", tc.key, tc.value)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := p.Shutdown(ctx); err != nil {
				t.Fatal(err)
			}
			if e.spans != 1 {
				t.Errorf("%d spans exported at shutdown, want 1", e.spans)
			}
		})
	}
}

// TestResourceReadsEnvironmentEachCall checks that every New reads
// OTEL_RESOURCE_ATTRIBUTES as it is then, in a fresh process whose first
// call to resource.Default sees deployment.environment=prod: resource.Default
// keeps the environment of its first call for the life of the process, so
// that a resource built on it keeps attributes the variable no longer has.
func TestResourceReadsEnvironmentEachCall(t *testing.T) {
	if os.Getenv(envChildTest) == "" {
		runInChild(t, "TestResourceReadsEnvironmentEachCall", "OTEL_RESOURCE_ATTRIBUTES=deployment.environment=prod")
		return
	}
	deploymentEnv := func() (string, bool) {
		spans := record(t, func(tp *sdktrace.TracerProvider) {
			_, s := tp.Tracer("t").Start(context.Background(), "x")
			s.End()
		})
		v, ok := spans[0].Resource.Set().Value("deployment.environment")
		return v.AsString(), ok
	}
	_ = resource.Default() // as any use of the SDK may have done first
	if got, _ := deploymentEnv(); got != "prod" {
		t.Fatalf("deployment.environment = %q, want prod", got)
	}
	t.Setenv("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment=staging")
	if got, _ := deploymentEnv(); got != "staging" {
		t.Errorf("deployment.environment = %q after the variable changed to staging", got)
	}
	t.Setenv("OTEL_RESOURCE_ATTRIBUTES", "")
	if got, ok := deploymentEnv(); ok {
		t.Errorf("deployment.environment = %q after the variable was emptied", got)
	}
}

// envChildTest marks a test run in a child process by runInChild.
const envChildTest = "TRACEKIT_EXPORT_TEST_CHILD"

// runInChild runs the test named test in a new process of the test binary,
// where resource.Default has not been called yet, with the OTEL_* variables
// of env only, and fails t if it fails.
func runInChild(t *testing.T, test string, env ...string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+test+"$", "-test.count=1")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "OTEL_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(append(cmd.Env, envChildTest+"=1"), env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("%s in a child process: %v\n%s", test, err, out)
	}
}

// TestDefaultResourceMatchesSDK checks that the resource New builds afresh
// has exactly the attributes (and schema URL) of resource.Default, which it
// replaces, in a fresh process (resource.Default is computed once per
// process), with OTEL_RESOURCE_ATTRIBUTES, and with OTEL_SERVICE_NAME and the
// SDK's experimental OTEL_GO_X_RESOURCE (whose service.instance.id is
// random, so only its presence is compared).
func TestDefaultResourceMatchesSDK(t *testing.T) {
	if os.Getenv(envChildTest) != "" {
		want := resource.Default()
		got, err := defaultResource(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if got.SchemaURL() != want.SchemaURL() {
			t.Errorf("schema URL = %q, want %q", got.SchemaURL(), want.SchemaURL())
		}
		for _, kv := range want.Attributes() {
			v, ok := got.Set().Value(kv.Key)
			switch {
			case !ok:
				t.Errorf("attribute %s missing", kv.Key)
			case v != kv.Value && kv.Key != "service.instance.id":
				t.Errorf("attribute %s = %q, want %q", kv.Key, v.String(), kv.Value.String())
			}
		}
		if got.Len() != want.Len() {
			t.Errorf("attributes %v, want %v", got.Attributes(), want.Attributes())
		}
		return
	}
	for _, env := range [][]string{
		{"OTEL_RESOURCE_ATTRIBUTES=deployment.environment=test"}, // the default service.name
		{envXResource + "=true", "OTEL_SERVICE_NAME=env-svc"},
	} {
		t.Run(strings.Join(env, ","), func(t *testing.T) {
			runInChild(t, "TestDefaultResourceMatchesSDK", env...)
		})
	}
}

// TestUnusedEnvReported: given only the console (or a file), an OTLP
// endpoint or OTEL_TRACES_EXPORTER set in the environment exports nothing
// (rule 1), and Setup says so through otel.Handle; with an OTLP option, or
// without such a variable, it says nothing.
func TestUnusedEnvReported(t *testing.T) {
	var got []error
	prev := otel.GetErrorHandler()
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) { got = append(got, err) }))
	t.Cleanup(func() { otel.SetErrorHandler(prev) })
	ctx := context.Background()
	for _, tc := range []struct {
		env  map[string]string
		opts []Option
		want bool
	}{
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:1"}, []Option{WithConsole(io.Discard)}, true},
		{map[string]string{"OTEL_TRACES_EXPORTER": "otlp"}, []Option{WithFile(filepath.Join(t.TempDir(), "spans.jsonl"))}, true},
		{nil, []Option{WithConsole(io.Discard)}, false},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:1"}, []Option{WithConsole(io.Discard), WithOTLPHTTP("http://127.0.0.1:1")}, false},
	} {
		clearEnv(t, tc.env)
		got = nil
		p, err := New(ctx, tc.opts...)
		if err != nil {
			t.Fatal(err)
		}
		sctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		_ = p.Shutdown(sctx)
		cancel()
		reported := false
		for _, e := range got {
			if strings.Contains(e.Error(), "is set but not used") {
				reported = true
			}
		}
		if reported != tc.want {
			t.Errorf("env %v: reported %v (%v), want %v", tc.env, reported, got, tc.want)
		}
	}
}
