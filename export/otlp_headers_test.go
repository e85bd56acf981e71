package export

import (
	"context"
	"log"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/go-logr/logr/funcr"
	"github.com/go-logr/stdr"
	"go.opentelemetry.io/otel"
)

// captureLog routes the OpenTelemetry logger (stderr by default) to a
// buffer until the test ends, and returns a function reading it.
func captureLog(t *testing.T) func() string {
	var mu sync.Mutex
	var logged strings.Builder
	otel.SetLogger(funcr.New(func(prefix, args string) {
		mu.Lock()
		logged.WriteString(prefix + " " + args + "\n")
		mu.Unlock()
	}, funcr.Options{Verbosity: 8}))
	t.Cleanup(func() { otel.SetLogger(stdr.New(log.New(os.Stderr, "", log.LstdFlags|log.Lshortfile))) })
	return func() string {
		mu.Lock()
		defer mu.Unlock()
		return logged.String()
	}
}

// TestMalformedOTLPHeadersRejected checks that a malformed
// OTEL_EXPORTER_OTLP_[TRACES_|METRICS_]HEADERS makes New fail before an OTLP
// exporter reads it, whether the exporter comes from an option (whose
// WithHeaders replace those headers, but the exporter parses them all the
// same) or from the environment. Otherwise the exporter leaves the header
// out (an API key, often) and logs the malformed entry, key included. The
// error names the variable, and the header when its name is valid, never the
// value; nothing reaches the OpenTelemetry logger.
func TestMalformedOTLPHeadersRejected(t *testing.T) {
	values := []struct {
		name, value, want string
	}{
		{"colon instead of '='", "Authorization: Bearer sk-SECRET123", "entry 1 is not name=value"},
		{"bad %-escape", "x-a=1, authorization=Bearer%20sk-SECRET123%zz", `header "authorization": invalid %-escape`},
		{"invalid name", "Bearer sk-SECRET123=x", "entry 1: invalid header name"},
	}
	vias := []struct {
		name string
		env  map[string]string
		opts []Option
	}{
		{"environment", map[string]string{envOTLPEndpoint: "http://127.0.0.1:1"}, nil},
		{"WithOTLPHTTP", nil, []Option{WithOTLPHTTP("http://127.0.0.1:1")}},
		{"WithOTLPGRPC and WithHeaders", nil, []Option{WithOTLPGRPC("127.0.0.1:1", WithInsecure(), WithHeaders(map[string]string{"authorization": "Bearer k"}))}},
	}
	for _, key := range []string{"OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_TRACES_HEADERS", "OTEL_EXPORTER_OTLP_METRICS_HEADERS"} {
		for _, v := range values {
			for _, via := range vias {
				t.Run(key+"/"+v.name+"/"+via.name, func(t *testing.T) {
					logged := captureLog(t)
					clearEnv(t, via.env)
					t.Setenv(key, v.value)
					p, err := New(context.Background(), via.opts...)
					if err == nil {
						shutdownNow(p)
						t.Fatalf("New accepted %s=%q", key, v.value)
					}
					if !strings.Contains(err.Error(), key+": "+v.want) {
						t.Errorf("err = %v, want %q", err, key+": "+v.want)
					}
					if strings.Contains(err.Error(), "SECRET") {
						t.Errorf("the error shows the value: %v", err)
					}
					if out := logged(); strings.Contains(out, "SECRET") {
						t.Errorf("the value reached the OpenTelemetry logger:\n%s", out)
					}
				})
			}
		}
	}
}

// TestWellFormedOTLPHeadersAccepted checks that the validation of the
// OTEL_EXPORTER_OTLP_*HEADERS variables accepts what the OTLP exporters
// parse without complaint: spaces around names and values, %-escapes, and
// '=' within a value.
func TestWellFormedOTLPHeadersAccepted(t *testing.T) {
	logged := captureLog(t)
	clearEnv(t, map[string]string{
		envOTLPEndpoint:                      "http://127.0.0.1:1",
		"OTEL_EXPORTER_OTLP_HEADERS":         " authorization = Bearer%20sk-SECRET123 , x-b=a=b ",
		"OTEL_EXPORTER_OTLP_TRACES_HEADERS":  "x-trace=%7E",
		"OTEL_EXPORTER_OTLP_METRICS_HEADERS": "x-metric=1",
	})
	p, err := New(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	shutdownNow(p)
	// The messages of the exporters' header parser.
	if out := logged(); strings.Contains(out, "parse headers") || strings.Contains(out, "escape header value") {
		t.Errorf("the exporters complained about the headers:\n%s", out)
	}
}

// TestTrailingCommaInOTLPHeadersAccepted checks that an empty entry (a
// trailing comma) in OTEL_EXPORTER_OTLP_HEADERS does not fail New: the
// exporters send the other headers (they log the empty entry, which holds
// no value).
func TestTrailingCommaInOTLPHeadersAccepted(t *testing.T) {
	logged := captureLog(t)
	clearEnv(t, map[string]string{
		envOTLPEndpoint:              "http://127.0.0.1:1",
		"OTEL_EXPORTER_OTLP_HEADERS": "authorization=Bearer%20sk-SECRET123,",
	})
	p, err := New(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	shutdownNow(p)
	if out := logged(); strings.Contains(out, "SECRET") {
		t.Errorf("the value reached the OpenTelemetry logger:\n%s", out)
	}
}
