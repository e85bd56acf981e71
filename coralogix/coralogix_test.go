package coralogix

import (
	"context"
	"errors"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"

	"github.com/tracekit-go/tracekit/export"
	"github.com/tracekit-go/tracekit/export/exporttest"
	"github.com/tracekit-go/tracekit/internal/genai"
	"github.com/tracekit-go/tracekit/internal/instr"
	"github.com/tracekit-go/tracekit/semconv"
)

func clearCX(t *testing.T, set map[string]string) {
	t.Helper()
	for _, k := range []string{EnvToken, EnvEndpoint, EnvDomain, EnvApplicationName, EnvSubsystemName, instr.EnvCaptureContent,
		"OTEL_SERVICE_NAME", "OTEL_SDK_DISABLED", "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_RESOURCE_ATTRIBUTES",
		"OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_TRACES_HEADERS", "OTEL_EXPORTER_OTLP_METRICS_HEADERS"} {
		t.Setenv(k, "")
	}
	for k, v := range set {
		t.Setenv(k, v)
	}
}

func TestExporterConfig(t *testing.T) {
	cases := []struct {
		name     string
		env      map[string]string
		cfg      Config
		endpoint string
		headers  map[string]string
		err      error
		errSub   string
	}{
		{
			name:     "env only, URL endpoint",
			env:      map[string]string{EnvToken: "tok", EnvEndpoint: "https://ingress.eu2.coralogix.com:443"},
			endpoint: "https://ingress.eu2.coralogix.com:443",
			headers:  map[string]string{"authorization": "Bearer tok", "cx-application-name": "Unknown", "cx-subsystem-name": "Unknown"},
		},
		{
			name:     "bare host:port",
			env:      map[string]string{EnvToken: "tok", EnvEndpoint: "ingress.eu2.coralogix.com:443", EnvApplicationName: "app", EnvSubsystemName: "sub"},
			endpoint: "https://ingress.eu2.coralogix.com:443",
			headers:  map[string]string{"authorization": "Bearer tok", "cx-application-name": "app", "cx-subsystem-name": "sub"},
		},
		{
			name:     "port-less host, trailing slash",
			cfg:      Config{Token: "t", Endpoint: "https://ingress.coralogix.us/"},
			endpoint: "https://ingress.coralogix.us:443",
			headers:  map[string]string{"authorization": "Bearer t", "cx-application-name": "Unknown", "cx-subsystem-name": "Unknown"},
		},
		{
			name: "config wins over env",
			env: map[string]string{EnvToken: "envtok", EnvEndpoint: "ingress.env:443",
				EnvApplicationName: "envapp", EnvSubsystemName: "envsub"},
			cfg:      Config{Token: "cfgtok", Endpoint: "ingress.cfg:443", ApplicationName: "cfgapp", SubsystemName: "cfgsub"},
			endpoint: "https://ingress.cfg:443",
			headers:  map[string]string{"authorization": "Bearer cfgtok", "cx-application-name": "cfgapp", "cx-subsystem-name": "cfgsub"},
		},
		{
			name:     "http for a local collector",
			cfg:      Config{Token: "t", Endpoint: "http://127.0.0.1:4317"},
			endpoint: "http://127.0.0.1:4317",
			headers:  map[string]string{"authorization": "Bearer t", "cx-application-name": "Unknown", "cx-subsystem-name": "Unknown"},
		},
		{name: "no token", env: map[string]string{EnvEndpoint: "ingress.x:443"}, err: ErrNoToken},
		{name: "blank token", cfg: Config{Token: "  ", Endpoint: "ingress.x:443"}, err: ErrNoToken},
		{name: "no endpoint", cfg: Config{Token: "t"}, err: ErrNoEndpoint},
		{name: "path", cfg: Config{Token: "t", Endpoint: "https://ingress.x:443/v1/traces"}, errSub: "no path"},
		{name: "scheme", cfg: Config{Token: "t", Endpoint: "grpc://ingress.x:443"}, errSub: "scheme"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clearCX(t, tc.env)
			endpoint, headers, err := ExporterConfig(tc.cfg)
			switch {
			case tc.err != nil || tc.errSub != "":
				if err == nil || (tc.err != nil && !errors.Is(err, tc.err)) || !strings.Contains(err.Error(), tc.errSub) {
					t.Fatalf("err = %v, want %v %q", err, tc.err, tc.errSub)
				}
				return
			case err != nil:
				t.Fatal(err)
			}
			if endpoint != tc.endpoint {
				t.Errorf("endpoint = %q, want %q", endpoint, tc.endpoint)
			}
			if !maps.Equal(headers, tc.headers) {
				t.Errorf("headers = %v, want %v", headers, tc.headers)
			}
		})
	}
}

func TestNoTokenErrorIsClear(t *testing.T) {
	clearCX(t, map[string]string{EnvEndpoint: "ingress.x:443"})
	_, err := Setup(context.Background(), Config{ServiceName: "svc"})
	if !errors.Is(err, ErrNoToken) || !strings.Contains(err.Error(), "CX_TOKEN") {
		t.Fatalf("err = %v, want ErrNoToken naming CX_TOKEN", err)
	}
	if instr.CaptureFromEnv() {
		t.Error("a failed Setup turned content capture on")
	}
}

func attr(attrs []*commonpb.KeyValue, key string) string {
	for _, kv := range attrs {
		if kv.Key == key {
			if s, ok := kv.Value.Value.(*commonpb.AnyValue_StringValue); ok {
				return s.StringValue
			}
			return kv.Value.String()
		}
	}
	return ""
}

// TestSetupSendsToCoralogix runs Setup against an in-process OTLP gRPC
// receiver standing in for the Coralogix ingress, and checks the headers,
// the spans (with content, since Setup turns capture on) and the metrics.
func TestSetupSendsToCoralogix(t *testing.T) {
	for _, tc := range []struct {
		name    string
		disable bool
	}{{"capture on by default", false}, {"capture disabled", true}} {
		t.Run(tc.name, func(t *testing.T) {
			rcv := exporttest.NewGRPCReceiver(t)
			clearCX(t, map[string]string{EnvToken: "secret-key", EnvEndpoint: "http://" + rcv.Endpoint, EnvSubsystemName: "llm"})
			prevTP, prevMP, prevProp := otel.GetTracerProvider(), otel.GetMeterProvider(), otel.GetTextMapPropagator()
			t.Cleanup(func() {
				otel.SetTracerProvider(prevTP)
				otel.SetMeterProvider(prevMP)
				otel.SetTextMapPropagator(prevProp)
			})

			ctx := context.Background()
			shutdown, err := Setup(ctx, Config{ServiceName: "cx-svc", ApplicationName: "my-app", DisableContentCapture: tc.disable},
				export.WithBatchTimeout(10*time.Millisecond))
			if err != nil {
				t.Fatal(err)
			}
			if got := instr.CaptureFromEnv(); got == tc.disable {
				t.Errorf("content capture from env = %v, want %v", got, !tc.disable)
			}
			// An instrumentation that relies on the globals and the
			// environment, as the provider packages do by default.
			in := instr.NewPackage("coralogix-test", "0").New()
			call := &genai.Call{
				Operation: genai.OpChat, Provider: genai.ProviderOpenAI,
				Request: genai.Request{Model: "gpt-4o-mini", Messages: []genai.Message{{Role: "user", Content: "hi", HasContent: true}}},
				Response: genai.Response{Model: "gpt-4o-mini", FinishReasons: []string{"stop"},
					Choices: []genai.Choice{{Role: "assistant", FinishReason: "stop", Content: "hello", HasContent: true}},
					Usage:   genai.Usage{InputTokens: genai.SetInt(1), OutputTokens: genai.SetInt(2)}},
				TimeToFirstChunk: -1,
			}
			_, span := in.Resolved().Start(ctx, call)
			span.End(call)

			sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			if err := shutdown(sctx); err != nil {
				t.Fatal(err)
			}
			if err := shutdown(sctx); err != nil {
				t.Fatalf("second shutdown: %v", err)
			}

			signals := map[string]bool{}
			for _, r := range rcv.Requests() {
				signals[r.Signal] = true
				want := map[string]string{"authorization": "Bearer secret-key", "cx-application-name": "my-app", "cx-subsystem-name": "llm"}
				for k, v := range want {
					if got := r.Header(k); got != v {
						t.Errorf("%s request: header %s = %q, want %q", r.Signal, k, got, v)
					}
				}
			}
			if !signals[exporttest.SignalTraces] || !signals[exporttest.SignalMetrics] {
				t.Fatalf("signals received = %v, want traces and metrics", signals)
			}
			spans := rcv.Spans()
			if len(spans) != 1 {
				t.Fatalf("%d spans, want 1", len(spans))
			}
			if got := attr(rcv.ResourceSpans()[0].Resource.Attributes, string(semconv.KeyServiceName)); got != "cx-svc" {
				t.Errorf("service.name = %q", got)
			}
			if got := attr(spans[0].Attributes, string(semconv.KeyRequestModel)); got != "gpt-4o-mini" {
				t.Errorf("request model = %q", got)
			}
			content := attr(spans[0].Attributes, string(semconv.CompletionContentKey(0)))
			if tc.disable && content != "" {
				t.Errorf("content captured although disabled: %q", content)
			}
			if !tc.disable && content != "hello" {
				t.Errorf("completion content = %q, want hello (capture on by default)", content)
			}
			var names []string
			for _, m := range rcv.Metrics() {
				names = append(names, m.Name)
			}
			for _, n := range []string{semconv.MetricOperationDuration, semconv.MetricTokenUsage} {
				if !slices.Contains(names, n) {
					t.Errorf("metric %s missing; got %v", n, names)
				}
			}
		})
	}
}

// TestOptionsDoesNotTouchEnv checks that Options (for export.New) leaves
// content capture alone.
func TestOptionsDoesNotTouchEnv(t *testing.T) {
	clearCX(t, map[string]string{EnvToken: "t", EnvEndpoint: "http://127.0.0.1:1"})
	opts, err := Options(Config{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := export.New(context.Background(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_ = p.Shutdown(ctx)
	if v := os.Getenv(instr.EnvCaptureContent); v != "" {
		t.Errorf("%s = %q after Options", instr.EnvCaptureContent, v)
	}
}

// TestEndpointErrorsHideCredentials: an endpoint a user wrote with
// credentials in it is not echoed with them in errors.
func TestEndpointErrorsHideCredentials(t *testing.T) {
	t.Setenv(EnvToken, "")
	t.Setenv(EnvEndpoint, "")
	for _, ep := range []string{
		"https://user:cxtp_SECRETKEY@ingress.eu2.coralogix.com:443/v1/traces", // a path: rejected
		"ftp://cxtp_SECRETKEY@ingress.eu2.coralogix.com:443",                  // a scheme: rejected
		"https://u:cxtp_SECRETKEY%zz@ingress.eu2.coralogix.com:443",           // does not parse
	} {
		_, _, err := ExporterConfig(Config{Token: "cxtp_SECRETKEY", Endpoint: ep})
		if err == nil {
			t.Fatalf("%s: want an error", ep)
		}
		if strings.Contains(err.Error(), "SECRETKEY") {
			t.Errorf("the error shows the key: %v", err)
		}
	}
}

// TestBearerPrefixNotDoubled checks that a token given with its "Bearer "
// prefix, in any case, is sent as "Bearer <token>", not
// "Bearer Bearer <token>".
func TestBearerPrefixNotDoubled(t *testing.T) {
	for _, tc := range []struct {
		cfg Config
		env map[string]string
	}{
		{cfg: Config{Token: "Bearer cxtp_abc"}},
		{cfg: Config{Token: "bearer  cxtp_abc "}},
		{env: map[string]string{EnvToken: "BEARER cxtp_abc"}},
		{cfg: Config{Token: "cxtp_abc"}},
	} {
		clearCX(t, tc.env)
		tc.cfg.Endpoint = "ingress.eu2.coralogix.com:443"
		_, h, err := ExporterConfig(tc.cfg)
		if err != nil {
			t.Fatal(err)
		}
		if got := h[HeaderAuthorization]; got != "Bearer cxtp_abc" {
			t.Errorf("token %q (env %v): authorization = %q, want %q", tc.cfg.Token, tc.env, got, "Bearer cxtp_abc")
		}
	}
	clearCX(t, nil)
	if _, _, err := ExporterConfig(Config{Token: "Bearer  ", Endpoint: "ingress.eu2.coralogix.com:443"}); !errors.Is(err, ErrNoToken) {
		t.Errorf("token \"Bearer \" alone: err = %v, want ErrNoToken", err)
	}
}

// TestTokenAndNamesMustBePrintableASCII checks that a token, application or
// subsystem name that gRPC metadata cannot carry (so that every export would
// fail) is an error naming the field or variable it came from, without its
// value.
func TestTokenAndNamesMustBePrintableASCII(t *testing.T) {
	for _, tc := range []struct {
		name  string
		cfg   Config
		env   map[string]string
		field string
	}{
		{"token in config", Config{Token: "cxtp_SECRET\nx"}, nil, "Config.Token"},
		{"token in env", Config{}, map[string]string{EnvToken: "cxtp_SECRET\x7f"}, EnvToken},
		{"token non-ASCII", Config{Token: "cxtp_SECRÉT"}, nil, "Config.Token"},
		{"application in config", Config{Token: "k", ApplicationName: "café"}, nil, "Config.ApplicationName"},
		{"application in env", Config{Token: "k"}, map[string]string{EnvApplicationName: "caf\u00e9"}, EnvApplicationName},
		{"subsystem in config", Config{Token: "k", SubsystemName: "a\tb"}, nil, "Config.SubsystemName"},
		{"subsystem in env", Config{Token: "k"}, map[string]string{EnvSubsystemName: "日本"}, EnvSubsystemName},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clearCX(t, tc.env)
			tc.cfg.Endpoint = "ingress.eu2.coralogix.com:443"
			_, err := Options(tc.cfg)
			if err == nil {
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), tc.field+" must be printable ASCII") {
				t.Errorf("err = %v, want one naming %s", err, tc.field)
			}
			for _, v := range []string{"SECRET", "caf", "日本", "a\tb"} {
				if strings.Contains(err.Error(), v) {
					t.Errorf("err shows the value: %v", err)
				}
			}
		})
	}
	clearCX(t, nil)
	if _, err := Options(Config{Token: "k", Endpoint: "ingress.eu2.coralogix.com:443", ApplicationName: "my app (prod)", SubsystemName: "~chat-1"}); err != nil {
		t.Errorf("printable ASCII names rejected: %v", err)
	}
}

// TestMalformedEnvHeadersRejected checks that Setup, whose OTLP gRPC
// exporter parses OTEL_EXPORTER_OTLP_[TRACES_|METRICS_]HEADERS before its
// own headers replace them, fails on a malformed one with an error naming
// the variable, not the value, instead of letting the exporter log the value
// (an API key) to standard error.
func TestMalformedEnvHeadersRejected(t *testing.T) {
	for _, key := range []string{"OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_TRACES_HEADERS", "OTEL_EXPORTER_OTLP_METRICS_HEADERS"} {
		t.Run(key, func(t *testing.T) {
			clearCX(t, map[string]string{EnvToken: "k", EnvEndpoint: "http://127.0.0.1:1", key: "Authorization: Bearer cxtp_SECRET"})
			prevTP := otel.GetTracerProvider()
			shutdown, err := Setup(context.Background(), Config{DisableContentCapture: true})
			if err == nil {
				otel.SetTracerProvider(prevTP)
				ctx, cancel := context.WithTimeout(context.Background(), time.Second)
				defer cancel()
				_ = shutdown(ctx)
				t.Fatal("Setup accepted a malformed " + key)
			}
			if !strings.Contains(err.Error(), key) || strings.Contains(err.Error(), "SECRET") {
				t.Errorf("err = %v, want one naming %s without its value", err, key)
			}
		})
	}
}
