package export

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tracekit-go/tracekit/export/exporttest"
)

// sendOne sets up export with opt, ends one span and shuts down.
func sendOne(t *testing.T, opt Option) {
	t.Helper()
	ctx := context.Background()
	p, err := New(ctx, opt, WithSimpleProcessor())
	if err != nil {
		t.Fatal(err)
	}
	_, s := p.TracerProvider.Tracer("t").Start(ctx, "x")
	s.End()
	sctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	_ = p.Shutdown(sctx)
}

// TestOptionEndpointIgnoresEnvEndpoint checks that an endpoint given by
// option replaces the environment's OTLP endpoint whole: a bare "host:port"
// uses TLS (unless WithInsecure) even when OTEL_EXPORTER_OTLP_ENDPOINT is an
// http:// URL, and the environment's URL path is not grafted onto the
// option's host.
func TestOptionEndpointIgnoresEnvEndpoint(t *testing.T) {
	t.Run("http host:port stays TLS", func(t *testing.T) {
		captureErrors(t)
		rcv := exporttest.NewHTTPReceiver(t) // plaintext
		clearEnv(t, map[string]string{envOTLPEndpoint: "http://127.0.0.1:1"})
		sendOne(t, WithOTLPHTTP(strings.TrimPrefix(rcv.Endpoint, "http://"), WithTimeout(time.Second)))
		if n := len(rcv.Requests()); n != 0 {
			t.Fatalf("a bare host:port without WithInsecure sent %d plaintext request(s): the env endpoint's http scheme leaked in", n)
		}
	})
	t.Run("grpc host:port stays TLS", func(t *testing.T) {
		captureErrors(t)
		rcv := exporttest.NewGRPCReceiver(t) // plaintext
		clearEnv(t, map[string]string{envOTLPEndpoint: "http://127.0.0.1:1"})
		sendOne(t, WithOTLPGRPC(rcv.Endpoint, WithTimeout(time.Second)))
		if n := len(rcv.Requests()); n != 0 {
			t.Fatalf("a bare host:port without WithInsecure sent %d plaintext request(s): the env endpoint's http scheme leaked in", n)
		}
	})
	t.Run("http host:port takes no env path", func(t *testing.T) {
		captureErrors(t)
		rcv := exporttest.NewHTTPReceiver(t)
		clearEnv(t, map[string]string{envOTLPEndpoint: "http://127.0.0.1:1/prefix"})
		sendOne(t, WithOTLPHTTP(strings.TrimPrefix(rcv.Endpoint, "http://"), WithInsecure(), WithTimeout(time.Second)))
		if n := len(rcv.Spans()); n != 1 {
			t.Fatalf("receiver got %d spans at /v1/traces, want 1 (env path grafted onto the option's host?)", n)
		}
	})
	t.Run("http host:port ignores signal env endpoint", func(t *testing.T) {
		captureErrors(t)
		rcv := exporttest.NewHTTPReceiver(t)
		clearEnv(t, map[string]string{envOTLPTracesEndpoint: "http://127.0.0.1:1/custom"})
		sendOne(t, WithOTLPHTTP(strings.TrimPrefix(rcv.Endpoint, "http://"), WithInsecure(), WithTimeout(time.Second)))
		if n := len(rcv.Spans()); n != 1 {
			t.Fatalf("receiver got %d spans at /v1/traces, want 1", n)
		}
	})
}

// TestOptionEndpointKeepsEnvInsecure: OTEL_EXPORTER_OTLP_[TRACES_]INSECURE
// is a setting the OTLP options leave unset: a bare "host:port" given in
// code connects without TLS when it says so (only the environment's
// endpoint is replaced by the option's).
func TestOptionEndpointKeepsEnvInsecure(t *testing.T) {
	t.Run("grpc OTEL_EXPORTER_OTLP_INSECURE", func(t *testing.T) {
		captureErrors(t)
		rcv := exporttest.NewGRPCReceiver(t) // plaintext
		clearEnv(t, map[string]string{"OTEL_EXPORTER_OTLP_INSECURE": "true"})
		sendOne(t, WithOTLPGRPC(rcv.Endpoint, WithTimeout(time.Second)))
		if n := len(rcv.Spans()); n != 1 {
			t.Fatalf("receiver got %d spans, want 1: OTEL_EXPORTER_OTLP_INSECURE=true was ignored", n)
		}
	})
	t.Run("http OTEL_EXPORTER_OTLP_TRACES_INSECURE", func(t *testing.T) {
		captureErrors(t)
		rcv := exporttest.NewHTTPReceiver(t)
		clearEnv(t, map[string]string{"OTEL_EXPORTER_OTLP_TRACES_INSECURE": "true"})
		sendOne(t, WithOTLPHTTP(strings.TrimPrefix(rcv.Endpoint, "http://"), WithTimeout(time.Second)))
		if n := len(rcv.Spans()); n != 1 {
			t.Fatalf("receiver got %d spans, want 1: OTEL_EXPORTER_OTLP_TRACES_INSECURE=true was ignored", n)
		}
	})
}
