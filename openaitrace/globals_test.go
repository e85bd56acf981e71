package openaitrace

import (
	"context"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"go.opentelemetry.io/otel"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// TestGlobalProvidersSetAgainPickedUp: a middleware without providers uses
// the OTel globals in force at each call. The global delegate follows only
// the first provider set, so a provider set after the first traced call
// (and after an earlier one) must still get the next call's span and
// metrics.
func TestGlobalProvidersSetAgainPickedUp(t *testing.T) {
	prevTP, prevMP := otel.GetTracerProvider(), otel.GetMeterProvider()
	t.Cleanup(func() { otel.SetTracerProvider(prevTP); otel.SetMeterProvider(prevMP) })
	srv := newServer(t, jsonHandler(200, chatResponseJSON))
	client := openai.NewClient(option.WithBaseURL(srv+"/v1"), option.WithAPIKey("k"), option.WithMaxRetries(0), WithTracing())
	call := func() {
		t.Helper()
		if _, err := client.Chat.Completions.New(context.Background(), chatParams()); err != nil {
			t.Fatal(err)
		}
	}
	rec1, rec2 := tracetest.NewSpanRecorder(), tracetest.NewSpanRecorder()
	rd1, rd2 := sdkmetric.NewManualReader(), sdkmetric.NewManualReader()
	otel.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec1)))
	otel.SetMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(rd1)))
	call()
	otel.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec2)))
	otel.SetMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(rd2)))
	call()
	if n1, n2 := len(rec1.Ended()), len(rec2.Ended()); n1 != 1 || n2 != 1 {
		t.Errorf("spans: first global provider %d, second %d; want 1 and 1", n1, n2)
	}
	points := func(rd *sdkmetric.ManualReader) int {
		var rm metricdata.ResourceMetrics
		if err := rd.Collect(context.Background(), &rm); err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, sm := range rm.ScopeMetrics {
			for _, m := range sm.Metrics {
				if h, ok := m.Data.(metricdata.Histogram[float64]); ok && m.Name == "gen_ai.client.operation.duration" {
					for _, dp := range h.DataPoints {
						n += int(dp.Count)
					}
				}
			}
		}
		return n
	}
	if n1, n2 := points(rd1), points(rd2); n1 != 1 || n2 != 1 {
		t.Errorf("duration points: first global provider %d, second %d; want 1 and 1", n1, n2)
	}
}
