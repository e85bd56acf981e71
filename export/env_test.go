package export

import (
	"context"
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
			if tc.extra != "" {
				k, v, _ := strings.Cut(tc.extra, "=")
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
