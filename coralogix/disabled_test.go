package coralogix

import (
	"context"
	"os"
	"testing"

	"go.opentelemetry.io/otel"

	"github.com/tracekit-go/tracekit/internal/instr"
)

// TestSetupSDKDisabled: with OTEL_SDK_DISABLED=true, Setup installs nothing,
// as export.Setup does: a missing token or endpoint is no error (a program
// that log.Fatal's on Setup's error still starts), no provider is
// registered and content capture is left alone.
func TestSetupSDKDisabled(t *testing.T) {
	for _, env := range []map[string]string{
		{"OTEL_SDK_DISABLED": "true"}, // no token, no endpoint
		{"OTEL_SDK_DISABLED": " TRUE ", EnvEndpoint: "ingress.eu2.coralogix.com"}, // no token
		{"OTEL_SDK_DISABLED": "true", EnvToken: "tok", EnvEndpoint: "http://127.0.0.1:1"},
	} {
		clearCX(t, env)
		prevTP := otel.GetTracerProvider()
		shutdown, err := Setup(context.Background(), Config{ServiceName: "svc"})
		if err != nil {
			t.Fatalf("%v: Setup: %v", env, err)
		}
		if err := shutdown(context.Background()); err != nil {
			t.Errorf("%v: shutdown: %v", env, err)
		}
		if otel.GetTracerProvider() != prevTP {
			otel.SetTracerProvider(prevTP)
			t.Errorf("%v: Setup registered a TracerProvider", env)
		}
		if v := os.Getenv(instr.EnvCaptureContent); v != "" {
			t.Errorf("%v: %s = %q", env, instr.EnvCaptureContent, v)
		}
	}
}
