// Package coralogix sends tracekit's spans and gen_ai.client.* metrics to
// Coralogix in one call, like llm-tracekit's setup_export_to_coralogix.
//
//	shutdown, err := coralogix.Setup(ctx, coralogix.Config{ServiceName: "my-app"})
//	if err != nil {
//		log.Fatal(err)
//	}
//	defer func() {
//		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
//		defer cancel()
//		_ = shutdown(ctx)
//	}()
//
// Telemetry goes over OTLP gRPC to the Coralogix ingress endpoint with the
// headers "authorization: Bearer <token>", "cx-application-name" and
// "cx-subsystem-name", and the application and subsystem names are also set
// as the resource attributes cx.application.name and cx.subsystem.name. The
// token, endpoint (or domain), application and subsystem come from [Config],
// else from CX_TOKEN, CX_ENDPOINT (or CX_DOMAIN), CX_APPLICATION_NAME and
// CX_SUBSYSTEM_NAME; the last two default to "Unknown". Setup fails with a
// clear error when there is no token or no endpoint, or when the token or a
// name is not printable ASCII (all gRPC metadata can carry); errors name the
// field, never show the token. With OTEL_SDK_DISABLED=true, Setup installs
// nothing, reads no token, leaves content capture alone and returns a
// shutdown function that does nothing.
//
// # Content capture is turned ON
//
// As in the reference implementation, Setup turns on the capture of message
// content (prompts, completions, tool-call arguments) for every tracekit
// instrumentation in the process, because Coralogix AI Center needs it. It
// does so by setting the environment variable
// OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true, which the
// instrumentations read when they resolve their configuration, so call Setup
// before the first traced call. Instrumentations given WithCaptureContent(false)
// still capture nothing. Set [Config.DisableContentCapture] to leave the
// environment untouched.
//
// Everything else (batching, the 512 attribute limit, extra span processors,
// sampling, the failure behaviour) is [export.Setup]'s: pass export options
// after the config to change it. From llm-tracekit's
// setup_export_to_coralogix:
//
//	service_name                  Config.ServiceName
//	coralogix_token               Config.Token
//	coralogix_endpoint            Config.Endpoint
//	application_name              Config.ApplicationName
//	subsystem_name                Config.SubsystemName
//	capture_content=False         Config.DisableContentCapture = true
//	processors=[...]              export.WithSpanProcessors(...)
//	use_batch_processor=False     export.WithSimpleProcessor()
//	span_attribute_count_limit=N  export.WithAttributeCountLimit(N)
//	generate_exporter_config(...) ExporterConfig(cfg)
//
// Differences: a missing token or endpoint is an error (the reference sends
// "Bearer None", or falls back to localhost); the gen_ai.client.* metrics are
// exported too; an explicit attribute limit option wins over
// OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT (in the reference the variable wins; here
// it still wins over the default 512); and Setup returns a shutdown function
// that flushes both providers.
package coralogix

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"slices"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/resource"

	"github.com/tracekit-go/tracekit/export"
	"github.com/tracekit-go/tracekit/internal/instr"
	"github.com/tracekit-go/tracekit/internal/safeurl"
	"github.com/tracekit-go/tracekit/semconv"
)

// Environment variables read when the corresponding Config field is empty.
const (
	// EnvToken holds the Send-Your-Data API key.
	EnvToken = "CX_TOKEN"
	// EnvEndpoint holds the OTLP ingress endpoint.
	EnvEndpoint = "CX_ENDPOINT"
	// EnvDomain holds the Coralogix domain, e.g. "eu2.coralogix.com", used
	// when no endpoint is given.
	EnvDomain = "CX_DOMAIN"
	// EnvApplicationName holds the application name.
	EnvApplicationName = "CX_APPLICATION_NAME"
	// EnvSubsystemName holds the subsystem name.
	EnvSubsystemName = "CX_SUBSYSTEM_NAME"
)

// envSDKDisabled set to "true" makes Setup install nothing.
const envSDKDisabled = "OTEL_SDK_DISABLED"

// DefaultName is the application and subsystem name used when neither the
// config nor the environment gives one.
const DefaultName = "Unknown"

// Header names sent with every export.
const (
	// HeaderAuthorization carries "Bearer <token>".
	HeaderAuthorization = "authorization"
	// HeaderApplicationName carries the application name.
	HeaderApplicationName = "cx-application-name"
	// HeaderSubsystemName carries the subsystem name.
	HeaderSubsystemName = "cx-subsystem-name"
)

// ErrNoToken is returned when neither Config.Token nor CX_TOKEN is set.
var ErrNoToken = errors.New("coralogix: no send-your-data API key: set Config.Token or " + EnvToken)

// ErrNoEndpoint is returned when none of Config.Endpoint, Config.Domain,
// CX_ENDPOINT and CX_DOMAIN is set.
var ErrNoEndpoint = errors.New("coralogix: no endpoint: set Config.Endpoint or Config.Domain, or " + EnvEndpoint + " or " + EnvDomain + ` (e.g. ` + EnvDomain + `=eu2.coralogix.com)`)

// coralogixDomains are the Coralogix domains whose OTLP ingress is
// "ingress.<domain>".
var coralogixDomains = []string{
	"coralogix.com",
	"eu2.coralogix.com",
	"coralogix.us",
	"cx498.coralogix.com",
	"coralogix.in",
	"coralogixsg.com",
	"ap3.coralogix.com",
}

// Config says where and as what telemetry is sent. Empty fields fall back to
// the environment.
type Config struct {
	// ServiceName is the service.name resource attribute; empty leaves it to
	// OTEL_SERVICE_NAME (and the SDK default).
	ServiceName string
	// Token is the Coralogix Send-Your-Data API key (CX_TOKEN). A leading
	// "Bearer " is dropped: the authorization header adds it.
	Token string
	// Endpoint is the Coralogix OTLP ingress, "ingress.<domain>:443" or
	// "https://ingress.<domain>:443" (CX_ENDPOINT). A port-less host gets
	// :443, and a bare Coralogix domain as host ("eu2.coralogix.com",
	// "coralogix.com", "coralogix.us", "cx498.coralogix.com", "coralogix.in",
	// "coralogixsg.com", "ap3.coralogix.com") gets its "ingress." prefix. An
	// "http://" URL disables TLS, for local collectors and tests.
	//
	// The endpoint is Endpoint, else ingress.<Domain>:443, else
	// CX_ENDPOINT, else ingress.<CX_DOMAIN>:443: a field of the config wins
	// over the environment, and an endpoint over a domain.
	Endpoint string
	// Domain is the Coralogix domain of the account, e.g.
	// "eu2.coralogix.com" (CX_DOMAIN): telemetry goes to
	// ingress.<Domain>:443. See Endpoint for which wins.
	Domain string
	// ApplicationName is sent as cx-application-name and set as the
	// cx.application.name resource attribute (CX_APPLICATION_NAME, default
	// "Unknown").
	ApplicationName string
	// SubsystemName is sent as cx-subsystem-name and set as the
	// cx.subsystem.name resource attribute (CX_SUBSYSTEM_NAME, default
	// "Unknown").
	SubsystemName string
	// DisableContentCapture keeps Setup from turning message content capture
	// on (see the package documentation). Capture then follows
	// OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT and the
	// instrumentations' options, and is off by default.
	DisableContentCapture bool
}

// ExporterConfig resolves cfg against the environment and returns the OTLP
// gRPC endpoint, as a URL ("https://ingress.<domain>:443"), and the headers
// to send, for wiring an exporter of your own:
//
//	endpoint, headers, err := coralogix.ExporterConfig(cfg)
//	exp, err := otlptracegrpc.New(ctx, otlptracegrpc.WithEndpointURL(endpoint), otlptracegrpc.WithHeaders(headers))
//
// The token and the names must be printable ASCII; the error names the
// field (Config.Token or CX_TOKEN, ...) and never shows the token.
func ExporterConfig(cfg Config) (endpoint string, headers map[string]string, err error) {
	token, from := setting(cfg.Token, "Config.Token", EnvToken)
	if b := len("Bearer"); len(token) >= b && strings.EqualFold(token[:b], "Bearer") &&
		(len(token) == b || token[b] == ' ' || token[b] == '\t') {
		token = strings.TrimSpace(token[b:]) // the header adds it
	}
	if token == "" {
		return "", nil, ErrNoToken
	}
	if err := checkPrintable(token, from); err != nil {
		return "", nil, err
	}
	endpoint, err = resolveEndpoint(cfg)
	if err != nil {
		return "", nil, err
	}
	headers = map[string]string{HeaderAuthorization: "Bearer " + token}
	for _, n := range [...]struct{ value, field, env, header string }{
		{cfg.ApplicationName, "Config.ApplicationName", EnvApplicationName, HeaderApplicationName},
		{cfg.SubsystemName, "Config.SubsystemName", EnvSubsystemName, HeaderSubsystemName},
	} {
		name, from := setting(n.value, n.field, n.env)
		if name == "" {
			name = DefaultName
		}
		if err := checkPrintable(name, from); err != nil {
			return "", nil, err
		}
		headers[n.header] = name
	}
	return endpoint, headers, nil
}

// setting returns the value of a field, else of its environment variable,
// trimmed, and the name of the one it comes from ("" when both are empty).
func setting(value, field, env string) (v, from string) {
	if v = strings.TrimSpace(value); v != "" {
		return v, field
	}
	if v = strings.TrimSpace(os.Getenv(env)); v != "" {
		return v, env
	}
	return "", ""
}

// checkPrintable fails unless v is printable ASCII, all that gRPC metadata
// carries (a header with anything else fails every export). The error names
// from, the field or variable of v, and does not show v: it may be the token.
func checkPrintable(v, from string) error {
	for i := 0; i < len(v); i++ {
		if v[i] < 0x20 || v[i] > 0x7e {
			return fmt.Errorf("coralogix: %s must be printable ASCII (gRPC metadata carries nothing else)", from)
		}
	}
	return nil
}

// resolveEndpoint returns the endpoint URL of cfg: Config.Endpoint, else
// Config.Domain, else CX_ENDPOINT, else CX_DOMAIN.
func resolveEndpoint(cfg Config) (string, error) {
	if v := strings.TrimSpace(cfg.Endpoint); v != "" {
		return normalizeEndpoint(v)
	}
	if v := strings.TrimSpace(cfg.Domain); v != "" {
		return domainEndpoint(v, "Config.Domain")
	}
	if v := strings.TrimSpace(os.Getenv(EnvEndpoint)); v != "" {
		return normalizeEndpoint(v)
	}
	if v := strings.TrimSpace(os.Getenv(EnvDomain)); v != "" {
		return domainEndpoint(v, EnvDomain)
	}
	return "", ErrNoEndpoint
}

// domainEndpoint returns "https://ingress.<domain>:443" (domain itself when
// it already starts with "ingress."). from names the field or variable of
// domain for errors.
func domainEndpoint(domain, from string) (string, error) {
	d := strings.TrimSuffix(strings.ToLower(domain), ".")
	if !isDomainName(d) {
		return "", fmt.Errorf("coralogix: %s is not a domain name such as %q (give a URL or host:port as the endpoint instead)", from, "eu2.coralogix.com")
	}
	if !strings.HasPrefix(d, "ingress.") {
		d = "ingress." + d
	}
	return "https://" + net.JoinHostPort(d, "443"), nil
}

// isDomainName reports whether d is dot-separated labels of lower-case
// letters, digits and hyphens, with at least one dot.
func isDomainName(d string) bool {
	labels := strings.Split(d, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			if c := l[i]; (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
				return false
			}
		}
	}
	return true
}

// normalizeEndpoint turns "host[:port]" or "http(s)://host[:port][/]" into
// "scheme://host:port", the port defaulting to 443, and a bare Coralogix
// domain as host into its ingress host.
func normalizeEndpoint(raw string) (string, error) {
	s := strings.TrimSpace(raw)
	if !strings.Contains(s, "://") {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", fmt.Errorf("coralogix: invalid endpoint %q: %w", safeurl.Redact(raw), safeurl.Err(err))
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return "", fmt.Errorf("coralogix: invalid endpoint %q: scheme must be https (or http for a local collector)", safeurl.Redact(raw))
	}
	if u.Hostname() == "" {
		return "", fmt.Errorf("coralogix: invalid endpoint %q: no host", safeurl.Redact(raw))
	}
	if u.Path != "" && u.Path != "/" {
		return "", fmt.Errorf("coralogix: invalid endpoint %q: OTLP gRPC takes no path; use ingress.<domain>:443", safeurl.Redact(raw))
	}
	port := u.Port()
	if port == "" {
		port = "443"
	}
	host := u.Hostname()
	if d := strings.TrimSuffix(strings.ToLower(host), "."); slices.Contains(coralogixDomains, d) {
		host = "ingress." + d
	}
	return u.Scheme + "://" + net.JoinHostPort(host, port), nil
}

// Setup sends spans and metrics to Coralogix over OTLP gRPC, registers the
// providers as the OpenTelemetry globals, turns message content capture on
// unless cfg.DisableContentCapture is set, and returns the function that
// flushes and shuts everything down (with OTEL_SDK_DISABLED=true it does
// nothing and returns a no-op shutdown). opts are [export.Setup] options applied
// after Coralogix's, e.g. export.WithSpanProcessors or export.WithConsole
// (which adds the console to the Coralogix exporter).
func Setup(ctx context.Context, cfg Config, opts ...export.Option) (shutdown func(context.Context) error, err error) {
	if strings.EqualFold(strings.TrimSpace(os.Getenv(envSDKDisabled)), "true") {
		// As export.Setup: install nothing, so a missing token or
		// endpoint is no error, and leave content capture alone.
		return func(context.Context) error { return nil }, nil
	}
	all, err := Options(cfg)
	if err != nil {
		return nil, err
	}
	shutdown, err = export.Setup(ctx, append(all, opts...)...)
	if err != nil {
		return nil, err
	}
	if !cfg.DisableContentCapture {
		if err := os.Setenv(instr.EnvCaptureContent, "true"); err != nil {
			return shutdown, fmt.Errorf("coralogix: enable content capture: %w", err)
		}
	}
	return shutdown, nil
}

// Options returns the export options that send to Coralogix, for use with
// export.New when the providers should not be registered globally. Unlike
// Setup it does not turn content capture on.
//
// The options set the resource attributes cx.application.name and
// cx.subsystem.name to the names of the headers, except one that
// OTEL_RESOURCE_ATTRIBUTES sets; an export.WithResource option given after
// them wins too.
func Options(cfg Config) ([]export.Option, error) {
	endpoint, headers, err := ExporterConfig(cfg)
	if err != nil {
		return nil, err
	}
	opts := []export.Option{export.WithOTLPGRPC(endpoint, export.WithHeaders(headers))}
	if res := namesResource(headers[HeaderApplicationName], headers[HeaderSubsystemName]); res != nil {
		opts = append(opts, export.WithResource(res))
	}
	if cfg.ServiceName != "" {
		opts = append(opts, export.WithServiceName(cfg.ServiceName))
	}
	return opts, nil
}

// namesResource returns the resource with the cx.application.name and
// cx.subsystem.name attributes OTEL_RESOURCE_ATTRIBUTES does not set (nil
// when it sets both). export.WithResource merges over the environment's
// resource, so that the user's own value must be left out here.
func namesResource(app, subsystem string) *resource.Resource {
	// An invalid OTEL_RESOURCE_ATTRIBUTES is export.New's to report.
	env, _ := resource.New(context.Background(), resource.WithFromEnv())
	var kvs []attribute.KeyValue
	for _, kv := range [...]attribute.KeyValue{semconv.KeyCXApplicationName.String(app), semconv.KeyCXSubsystemName.String(subsystem)} {
		if env == nil || !env.Set().HasValue(kv.Key) {
			kvs = append(kvs, kv)
		}
	}
	if len(kvs) == 0 {
		return nil
	}
	return resource.NewSchemaless(kvs...)
}
