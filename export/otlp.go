package export

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"

	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetricgrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetrichttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"google.golang.org/grpc/credentials"

	"github.com/tracekit-go/tracekit/internal/safeurl"
)

// Signal paths of OTLP over HTTP, appended to a base endpoint URL.
const (
	pathTraces  = "/v1/traces"
	pathMetrics = "/v1/metrics"
)

// endpointURL parses endpoint when it is a URL ("scheme://..."). ok is false
// for a bare "host:port".
func endpointURL(endpoint string) (u *url.URL, ok bool, err error) {
	if !strings.Contains(endpoint, "://") {
		return nil, false, nil
	}
	u, err = url.Parse(endpoint)
	if err != nil {
		return nil, true, fmt.Errorf("export: invalid OTLP endpoint %q: %w", safeurl.Redact(endpoint), safeurl.Err(err))
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, true, fmt.Errorf("export: invalid OTLP endpoint %q: scheme must be http or https", safeurl.Redact(endpoint))
	}
	if u.Host == "" {
		return nil, true, fmt.Errorf("export: invalid OTLP endpoint %q: no host", safeurl.Redact(endpoint))
	}
	return u, true, nil
}

// resolveEndpoint returns the URL of an option's endpoint, nil when it is
// empty (left to the environment). A bare "host:port" becomes an https URL,
// or http with insecure (WithInsecure, or OTEL_EXPORTER_OTLP_[signal_]INSECURE
// as the exporter would read it), so that the endpoint replaces the
// environment's whole: its scheme (TLS or not) and path must not carry over
// to another host.
func resolveEndpoint(endpoint string, insecure bool, signal string) (*url.URL, error) {
	if endpoint == "" {
		return nil, nil
	}
	if !strings.Contains(endpoint, "://") {
		scheme := "https"
		if insecure || envInsecure(signal) {
			scheme = "http"
		}
		endpoint = scheme + "://" + endpoint
	}
	u, _, err := endpointURL(endpoint)
	return u, err
}

// envInsecure reads OTEL_EXPORTER_OTLP_INSECURE and, overriding it,
// OTEL_EXPORTER_OTLP_<signal>_INSECURE, as the OTLP exporters do.
func envInsecure(signal string) bool {
	insecure := false
	for _, k := range [2]string{"OTEL_EXPORTER_OTLP_INSECURE", "OTEL_EXPORTER_OTLP_" + signal + "_INSECURE"} {
		if v := strings.TrimSpace(os.Getenv(k)); v != "" {
			insecure = strings.EqualFold(v, "true")
		}
	}
	return insecure
}

// checkEnvHeaders checks OTEL_EXPORTER_OTLP_HEADERS and
// OTEL_EXPORTER_OTLP_<signal>_HEADERS as the OTLP exporters will parse them:
// comma-separated name=value pairs, each name a token and each value
// %-encoded. The exporters skip a malformed pair, so that its header is not
// sent, and log it with its value, which may be an API key: call this before
// creating one. Errors name the variable and, when valid, the header, never
// a value.
func checkEnvHeaders(signal string) error {
	for _, key := range [2]string{"OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_" + signal + "_HEADERS"} {
		v := strings.TrimSpace(os.Getenv(key))
		if v == "" {
			continue
		}
		for i, pair := range strings.Split(v, ",") {
			if strings.TrimSpace(pair) == "" {
				continue // an empty entry (a trailing comma): nothing to send, nothing to leak
			}
			name, value, ok := strings.Cut(pair, "=")
			if !ok {
				return fmt.Errorf("%s: entry %d is not name=value (entries are separated by commas)", key, i+1)
			}
			name = strings.TrimSpace(name)
			if !validHeaderName(name) {
				return fmt.Errorf("%s: entry %d: invalid header name: want letters, digits and !#$%%&'*+-.^_`|~ before the '='", key, i+1)
			}
			if _, err := url.PathUnescape(value); err != nil {
				return fmt.Errorf("%s: header %q: invalid %%-escape in the value (write %%25 for %%)", key, name)
			}
		}
	}
	return nil
}

// validHeaderName reports whether name is an HTTP token, as the OTLP
// exporters require of a header name.
func validHeaderName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// withPath returns u's string form with the signal path appended to its path.
func withPath(u *url.URL, signal string) string {
	c := *u
	c.Path = strings.TrimSuffix(c.Path, "/") + signal
	c.RawPath = ""
	return c.String()
}

func newGRPCSpanExporter(ctx context.Context, endpoint string, o otlpConfig) (sdktrace.SpanExporter, error) {
	var opts []otlptracegrpc.Option
	if err := checkEnvHeaders("TRACES"); err != nil {
		return nil, err
	}
	u, err := resolveEndpoint(endpoint, o.insecure, "TRACES")
	switch {
	case err != nil:
		return nil, err
	case u != nil:
		opts = append(opts, otlptracegrpc.WithEndpointURL(u.String()))
	case o.insecure:
		opts = append(opts, otlptracegrpc.WithInsecure())
	}
	if o.tls != nil {
		opts = append(opts, otlptracegrpc.WithTLSCredentials(credentials.NewTLS(o.tls)))
	}
	if o.headers != nil {
		opts = append(opts, otlptracegrpc.WithHeaders(o.headers))
	}
	if o.timeout > 0 {
		opts = append(opts, otlptracegrpc.WithTimeout(o.timeout))
	}
	if o.gzip {
		opts = append(opts, otlptracegrpc.WithCompressor("gzip"))
	}
	return otlptracegrpc.New(ctx, opts...)
}

func newGRPCMetricExporter(ctx context.Context, endpoint string, o otlpConfig) (metric.Exporter, error) {
	var opts []otlpmetricgrpc.Option
	if err := checkEnvHeaders("METRICS"); err != nil {
		return nil, err
	}
	u, err := resolveEndpoint(endpoint, o.insecure, "METRICS")
	switch {
	case err != nil:
		return nil, err
	case u != nil:
		opts = append(opts, otlpmetricgrpc.WithEndpointURL(u.String()))
	case o.insecure:
		opts = append(opts, otlpmetricgrpc.WithInsecure())
	}
	if o.tls != nil {
		opts = append(opts, otlpmetricgrpc.WithTLSCredentials(credentials.NewTLS(o.tls)))
	}
	if o.headers != nil {
		opts = append(opts, otlpmetricgrpc.WithHeaders(o.headers))
	}
	if o.timeout > 0 {
		opts = append(opts, otlpmetricgrpc.WithTimeout(o.timeout))
	}
	if o.gzip {
		opts = append(opts, otlpmetricgrpc.WithCompressor("gzip"))
	}
	return otlpmetricgrpc.New(ctx, opts...)
}

func newHTTPSpanExporter(ctx context.Context, endpoint string, o otlpConfig) (sdktrace.SpanExporter, error) {
	var opts []otlptracehttp.Option
	if err := checkEnvHeaders("TRACES"); err != nil {
		return nil, err
	}
	u, err := resolveEndpoint(endpoint, o.insecure, "TRACES")
	switch {
	case err != nil:
		return nil, err
	case u != nil:
		opts = append(opts, otlptracehttp.WithEndpointURL(withPath(u, pathTraces)))
	case o.insecure:
		opts = append(opts, otlptracehttp.WithInsecure())
	}
	if o.tls != nil {
		opts = append(opts, otlptracehttp.WithTLSClientConfig(o.tls))
	}
	if o.headers != nil {
		opts = append(opts, otlptracehttp.WithHeaders(o.headers))
	}
	if o.timeout > 0 {
		opts = append(opts, otlptracehttp.WithTimeout(o.timeout))
	}
	if o.gzip {
		opts = append(opts, otlptracehttp.WithCompression(otlptracehttp.GzipCompression))
	}
	return otlptracehttp.New(ctx, opts...)
}

func newHTTPMetricExporter(ctx context.Context, endpoint string, o otlpConfig) (metric.Exporter, error) {
	var opts []otlpmetrichttp.Option
	if err := checkEnvHeaders("METRICS"); err != nil {
		return nil, err
	}
	u, err := resolveEndpoint(endpoint, o.insecure, "METRICS")
	switch {
	case err != nil:
		return nil, err
	case u != nil:
		opts = append(opts, otlpmetrichttp.WithEndpointURL(withPath(u, pathMetrics)))
	case o.insecure:
		opts = append(opts, otlpmetrichttp.WithInsecure())
	}
	if o.tls != nil {
		opts = append(opts, otlpmetrichttp.WithTLSClientConfig(o.tls))
	}
	if o.headers != nil {
		opts = append(opts, otlpmetrichttp.WithHeaders(o.headers))
	}
	if o.timeout > 0 {
		opts = append(opts, otlpmetrichttp.WithTimeout(o.timeout))
	}
	if o.gzip {
		opts = append(opts, otlpmetrichttp.WithCompression(otlpmetrichttp.GzipCompression))
	}
	return otlpmetrichttp.New(ctx, opts...)
}
