package coralogix

import (
	"context"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/resource"

	"github.com/tracekit-go/tracekit/export"
	"github.com/tracekit-go/tracekit/export/exporttest"
)

// TestResourceCarriesApplicationAndSubsystem checks that what Options sends
// carries the application and subsystem names as the resource attributes
// cx.application.name and cx.subsystem.name too, not only as headers.
func TestResourceCarriesApplicationAndSubsystem(t *testing.T) {
	rcv := exporttest.NewGRPCReceiver(t)
	clearCX(t, map[string]string{EnvSubsystemName: "assistant"})
	opts, err := Options(Config{Token: "k", Endpoint: "http://" + rcv.Endpoint, ApplicationName: "shop"})
	if err != nil {
		t.Fatal(err)
	}
	checkResource(t, rcv, opts, map[string]string{"cx.application.name": "shop", "cx.subsystem.name": "assistant"})
}

// checkResource sends one span with opts to rcv and checks its resource
// has the attributes want.
func checkResource(t *testing.T, rcv *exporttest.Receiver, opts []export.Option, want map[string]string) {
	t.Helper()
	p, err := export.New(context.Background(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	_, s := p.TracerProvider.Tracer("t").Start(context.Background(), "x")
	s.End()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := p.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	rs := rcv.ResourceSpans()
	if len(rs) == 0 {
		t.Fatal("no spans received")
	}
	for k, w := range want {
		if got := attr(rs[0].Resource.Attributes, k); got != w {
			t.Errorf("resource attribute %s = %q, want %q", k, got, w)
		}
	}
}

// TestResourceNamesDoNotOverrideUser checks that the cx.* resource
// attributes leave a value the user set alone: one from
// OTEL_RESOURCE_ATTRIBUTES, or from an export.WithResource given after the
// Coralogix options.
func TestResourceNamesDoNotOverrideUser(t *testing.T) {
	rcv := exporttest.NewGRPCReceiver(t)
	clearCX(t, map[string]string{"OTEL_RESOURCE_ATTRIBUTES": "cx.subsystem.name=env-sub,team=ai"})
	opts, err := Options(Config{Token: "k", Endpoint: "http://" + rcv.Endpoint, ApplicationName: "cfg-app", SubsystemName: "cfg-sub"})
	if err != nil {
		t.Fatal(err)
	}
	opts = append(opts, export.WithResource(resource.NewSchemaless(attribute.String("cx.application.name", "my-app"))))
	checkResource(t, rcv, opts, map[string]string{"cx.application.name": "my-app", "cx.subsystem.name": "env-sub", "team": "ai"})
}
