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
// "cx-subsystem-name". The token, endpoint, application and subsystem come
// from [Config], else from CX_TOKEN, CX_ENDPOINT, CX_APPLICATION_NAME and
// CX_SUBSYSTEM_NAME; the last two default to "Unknown". Setup fails with a
// clear error when there is no token or no endpoint. With
// OTEL_SDK_DISABLED=true, Setup installs nothing, reads no token, leaves
// content capture alone and returns a shutdown function that does nothing.
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
	"strings"

	"github.com/tracekit-go/tracekit/export"
	"github.com/tracekit-go/tracekit/internal/instr"

	"github.com/tracekit-go/tracekit/internal/safeurl"
)

// Environment variables read when the corresponding Config field is empty.
const (
	// EnvToken holds the Send-Your-Data API key.
	EnvToken = "CX_TOKEN"
	// EnvEndpoint holds the OTLP ingress endpoint.
	EnvEndpoint = "CX_ENDPOINT"
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

// ErrNoEndpoint is returned when neither Config.Endpoint nor CX_ENDPOINT is
// set.
var ErrNoEndpoint = errors.New("coralogix: no endpoint: set Config.Endpoint or " + EnvEndpoint + ` (e.g. "ingress.eu2.coralogix.com:443")`)

// Config says where and as what telemetry is sent. Empty fields fall back to
// the environment.
type Config struct {
	// ServiceName is the service.name resource attribute; empty leaves it to
	// OTEL_SERVICE_NAME (and the SDK default).
	ServiceName string
	// Token is the Coralogix Send-Your-Data API key (CX_TOKEN).
	Token string
	// Endpoint is the Coralogix OTLP ingress, "ingress.<domain>:443" or
	// "https://ingress.<domain>:443" (CX_ENDPOINT). A port-less host gets
	// :443. An "http://" URL disables TLS, for local collectors and tests.
	Endpoint string
	// ApplicationName is sent as cx-application-name (CX_APPLICATION_NAME,
	// default "Unknown").
	ApplicationName string
	// SubsystemName is sent as cx-subsystem-name (CX_SUBSYSTEM_NAME, default
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
func ExporterConfig(cfg Config) (endpoint string, headers map[string]string, err error) {
	token := firstNonEmpty(cfg.Token, os.Getenv(EnvToken))
	if token == "" {
		return "", nil, ErrNoToken
	}
	raw := firstNonEmpty(cfg.Endpoint, os.Getenv(EnvEndpoint))
	if raw == "" {
		return "", nil, ErrNoEndpoint
	}
	endpoint, err = normalizeEndpoint(raw)
	if err != nil {
		return "", nil, err
	}
	headers = map[string]string{
		HeaderAuthorization:   "Bearer " + token,
		HeaderApplicationName: firstNonEmpty(cfg.ApplicationName, os.Getenv(EnvApplicationName), DefaultName),
		HeaderSubsystemName:   firstNonEmpty(cfg.SubsystemName, os.Getenv(EnvSubsystemName), DefaultName),
	}
	return endpoint, headers, nil
}

// normalizeEndpoint turns "host[:port]" or "http(s)://host[:port][/]" into
// "scheme://host:port", the port defaulting to 443.
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
	return u.Scheme + "://" + net.JoinHostPort(u.Hostname(), port), nil
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
func Options(cfg Config) ([]export.Option, error) {
	endpoint, headers, err := ExporterConfig(cfg)
	if err != nil {
		return nil, err
	}
	opts := []export.Option{export.WithOTLPGRPC(endpoint, export.WithHeaders(headers))}
	if cfg.ServiceName != "" {
		opts = append(opts, export.WithServiceName(cfg.ServiceName))
	}
	return opts, nil
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v = strings.TrimSpace(v); v != "" {
			return v
		}
	}
	return ""
}
