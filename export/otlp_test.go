package export

import (
	"context"
	"slices"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/trace"

	"github.com/tracekit-go/tracekit/export/exporttest"
	"github.com/tracekit-go/tracekit/semconv"
)

// checkExport asserts that rcv received the chat span, its resource and
// both gen_ai metrics, each request carrying header x-test: yes.
func checkExport(t *testing.T, rcv *exporttest.Receiver, service string) {
	t.Helper()
	reqs := rcv.Requests()
	var sawTraces, sawMetrics bool
	for _, r := range reqs {
		if got := r.Header("x-test"); got != "yes" {
			t.Errorf("%s request: header x-test = %q, want yes", r.Signal, got)
		}
		sawTraces = sawTraces || r.Signal == exporttest.SignalTraces
		sawMetrics = sawMetrics || r.Signal == exporttest.SignalMetrics
	}
	if !sawTraces || !sawMetrics {
		t.Fatalf("got traces=%v metrics=%v requests, want both", sawTraces, sawMetrics)
	}

	rss := rcv.ResourceSpans()
	if len(rss) == 0 {
		t.Fatal("no resource spans")
	}
	if got, _ := attrString(rss[0].Resource.Attributes, string(semconv.KeyServiceName)); got != service {
		t.Errorf("service.name = %q, want %q", got, service)
	}
	spans := rcv.Spans()
	if len(spans) != 1 {
		t.Fatalf("got %d spans, want 1", len(spans))
	}
	s := spans[0]
	if s.Name != "chat gpt-4o-mini" {
		t.Errorf("span name = %q", s.Name)
	}
	want := map[string]string{
		string(semconv.KeyOperationName):             "chat",
		string(semconv.KeyRequestModel):              "gpt-4o-mini",
		string(semconv.KeyInputTokens):               "12",
		string(semconv.KeyOutputTokens):              "3",
		string(semconv.KeyFinishReasons):             "stop",
		string(semconv.PromptContentKey(1)):          "What is the capital of France?",
		string(semconv.CompletionContentKey(0)):      "Paris.",
		string(semconv.CompletionRoleKey(0)):         "assistant",
		string(semconv.PromptRoleKey(0)):             "system",
		string(semconv.KeySystem):                    "openai",
		string(semconv.KeyResponseModel):             "gpt-4o-mini-2024-07-18",
		string(semconv.CompletionFinishReasonKey(0)): "stop",
	}
	for k, v := range want {
		if got, ok := attrString(s.Attributes, k); !ok || got != v {
			t.Errorf("span attribute %s = %q (present %v), want %q", k, got, ok, v)
		}
	}

	var names []string
	for _, m := range rcv.Metrics() {
		names = append(names, m.Name)
	}
	for _, n := range []string{semconv.MetricOperationDuration, semconv.MetricTokenUsage} {
		if !slices.Contains(names, n) {
			t.Errorf("metric %s not received; got %v", n, names)
		}
	}
}

// exportOneChat sets up a pipeline named service with the exporter option,
// records one chat call through it, shuts it down and checks what rcv
// received.
func exportOneChat(t *testing.T, rcv *exporttest.Receiver, service string, exporter Option) {
	t.Helper()
	ctx := context.Background()
	p, err := New(ctx, WithServiceName(service), exporter)
	if err != nil {
		t.Fatal(err)
	}
	tracedChat(t, ctx, p.TracerProvider, p.MeterProvider)
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := p.Shutdown(sctx); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	checkExport(t, rcv, service)
}

func TestSetupOTLPGRPC(t *testing.T) {
	rcv := exporttest.NewGRPCReceiver(t)
	exportOneChat(t, rcv, "grpc-svc", WithOTLPGRPC(rcv.Endpoint, WithInsecure(), WithHeaders(map[string]string{"x-test": "yes"})))
}

func TestSetupOTLPGRPCURLAndGzip(t *testing.T) {
	rcv := exporttest.NewGRPCReceiver(t)
	exportOneChat(t, rcv, "grpc-url-svc", WithOTLPGRPC("http://"+rcv.Endpoint, WithGzip(), WithHeaders(map[string]string{"x-test": "yes"})))
}

func TestSetupOTLPHTTP(t *testing.T) {
	rcv := exporttest.NewHTTPReceiver(t)
	exportOneChat(t, rcv, "http-svc", WithOTLPHTTP(rcv.Endpoint, WithGzip(), WithHeaders(map[string]string{"x-test": "yes"})))
}

// TestSetupRegistersGlobals checks that Setup installs the providers as the
// globals, that instrumentations without explicit providers use them, and
// that shutdown flushes.
func TestSetupRegistersGlobals(t *testing.T) {
	rcv := exporttest.NewGRPCReceiver(t)
	prevTP, prevMP, prevProp := otel.GetTracerProvider(), otel.GetMeterProvider(), otel.GetTextMapPropagator()
	t.Cleanup(func() {
		otel.SetTracerProvider(prevTP)
		otel.SetMeterProvider(prevMP)
		otel.SetTextMapPropagator(prevProp)
	})
	ctx := context.Background()
	shutdown, err := Setup(ctx,
		WithServiceName("global-svc"),
		WithOTLPGRPC(rcv.Endpoint, WithInsecure(), WithHeaders(map[string]string{"x-test": "yes"})),
	)
	if err != nil {
		t.Fatal(err)
	}
	tracedChat(t, ctx, otel.GetTracerProvider(), otel.GetMeterProvider())
	if fields := otel.GetTextMapPropagator().Fields(); !slices.Contains(fields, "traceparent") || !slices.Contains(fields, "baggage") {
		t.Errorf("propagator fields = %v, want traceparent and baggage", fields)
	}
	if err := shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	checkExport(t, rcv, "global-svc")
}

// TestFailingEndpointReportsErrors checks that export errors reach
// otel.Handle rather than the application.
func TestFailingEndpointReportsErrors(t *testing.T) {
	for _, proto := range []string{"grpc", "http"} {
		t.Run(proto, func(t *testing.T) {
			var rcv *exporttest.Receiver
			var opt Option
			if proto == "grpc" {
				rcv = exporttest.NewGRPCReceiver(t)
				opt = WithOTLPGRPC(rcv.Endpoint, WithInsecure(), WithTimeout(300*time.Millisecond))
			} else {
				rcv = exporttest.NewHTTPReceiver(t)
				opt = WithOTLPHTTP(rcv.Endpoint, WithTimeout(300*time.Millisecond))
			}
			rcv.SetFailing(true)
			errs := captureErrors(t)
			ctx := context.Background()
			p, err := New(ctx, opt, WithBatchTimeout(10*time.Millisecond))
			if err != nil {
				t.Fatal(err)
			}
			_, span := p.TracerProvider.Tracer("t").Start(ctx, "op", trace.WithSpanKind(trace.SpanKindClient))
			span.End()
			sctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			defer cancel()
			_ = p.Shutdown(sctx)
			if errs.count() == 0 {
				t.Fatal("no error reported through otel.Handle for a failing endpoint")
			}
			if n := len(rcv.Spans()); n != 0 {
				t.Fatalf("failing receiver recorded %d spans", n)
			}
		})
	}
}

// TestSetupOTLPTLS checks the TLS paths: a bare host:port and an https URL
// over gRPC, an https URL over HTTP.
func TestSetupOTLPTLS(t *testing.T) {
	headers := WithHeaders(map[string]string{"x-test": "yes"})
	cases := []struct {
		name string
		rcv  func(t *testing.T) *exporttest.Receiver
		opt  func(r *exporttest.Receiver) Option
	}{
		{"grpc host:port", func(t *testing.T) *exporttest.Receiver { return exporttest.NewTLSGRPCReceiver(t) },
			func(r *exporttest.Receiver) Option {
				return WithOTLPGRPC(r.Endpoint, WithTLSConfig(r.ClientTLS), headers)
			}},
		{"grpc https URL", func(t *testing.T) *exporttest.Receiver { return exporttest.NewTLSGRPCReceiver(t) },
			func(r *exporttest.Receiver) Option {
				return WithOTLPGRPC("https://"+r.Endpoint, WithTLSConfig(r.ClientTLS), headers)
			}},
		{"http https URL", func(t *testing.T) *exporttest.Receiver { return exporttest.NewTLSHTTPReceiver(t) },
			func(r *exporttest.Receiver) Option {
				return WithOTLPHTTP(r.Endpoint, WithTLSConfig(r.ClientTLS), headers)
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rcv := tc.rcv(t)
			exportOneChat(t, rcv, "tls-svc", tc.opt(rcv))
		})
	}
}

// TestSetupOTLPTLSUntrusted checks that TLS is really in use: without the
// receiver's certificate the export fails.
func TestSetupOTLPTLSUntrusted(t *testing.T) {
	errs := captureErrors(t)
	rcv := exporttest.NewTLSGRPCReceiver(t)
	ctx := context.Background()
	p, err := New(ctx, WithOTLPGRPC(rcv.Endpoint, WithTimeout(time.Second)))
	if err != nil {
		t.Fatal(err)
	}
	_, s := p.TracerProvider.Tracer("t").Start(ctx, "x")
	s.End()
	sctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	_ = p.Shutdown(sctx)
	if n := len(rcv.Requests()); n != 0 {
		t.Fatalf("receiver got %d requests over an untrusted connection", n)
	}
	if errs.count() == 0 && sctx.Err() == nil {
		t.Error("no error reported")
	}
}
