package openaitrace

import (
	"context"
	"github.com/tracekit-go/tracekit/internal/spantest"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/tracekit-go/tracekit/semconv"
)

// TestOTelToolDefinitionsCaptureOff: with content capture off, the OTel
// GenAI gen_ai.tool.definitions carries each tool's type and name only. The
// description and parameters are "NOT RECOMMENDED to be populated by
// default" (gen-ai-tool-definitions.json) and the official example "GenAI
// client spans when content capturing is disabled" records
// [{"type":"function","name":"get_weather"}]. With capture on they are kept.
func TestOTelToolDefinitionsCaptureOff(t *testing.T) {
	for _, capture := range []bool{false, true} {
		h := newHarnessWith(t, jsonHandler(200, chatResponseJSON), capture,
			&harnessConfig{tracing: []Option{WithConventions(semconv.OTelGenAI)}})
		if _, err := h.client.Chat.Completions.New(context.Background(), chatParams()); err != nil {
			t.Fatal(err)
		}
		got := attrs(h.onlySpan())["gen_ai.tool.definitions"].AsString()
		want := `[{"type":"function","name":"get_weather"}]`
		if capture {
			want = `[{"type":"function","name":"get_weather","description":"Get the current weather in a given location",` +
				`"parameters":{"properties":{"location":{"description":"City and country","type":"string"},"unit":{"enum":["celsius","fahrenheit"],"type":"string"}},"required":["location"],"type":"object"}}]`
		}
		if !jsonEq(got, want) {
			t.Errorf("capture %v: gen_ai.tool.definitions = %s\nwant %s", capture, got, want)
		}
	}
}

// TestOTelServerPortDefault: in the OTel GenAI convention server.port is
// "Conditionally Required: if server.address is set" (inference span and
// both gen_ai.client.* metrics; semconv.md §1.4 and §1.9), so a call to a
// base URL without an explicit port (https://api.openai.com/v1) records
// the scheme's default port. Tracekit leaves the default port out, as
// llm-tracekit does ("set only if >0 and ≠443").
func TestOTelServerPortDefault(t *testing.T) {
	srv := httptest.NewServer(jsonHandler(200, chatResponseJSON))
	t.Cleanup(srv.Close)
	// Every connection goes to the test server, whatever the URL's host.
	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, srv.Listener.Addr().String())
	}}}
	for _, tc := range []struct {
		conv     semconv.Convention
		wantPort bool
	}{{semconv.OTelGenAI, true}, {semconv.Tracekit | semconv.OTelGenAI, true}, {semconv.Tracekit, false}} {
		rec := tracetest.NewSpanRecorder()
		reader := sdkmetric.NewManualReader()
		client := openai.NewClient(option.WithBaseURL("http://api.openai.test/v1"), option.WithAPIKey("k"), option.WithMaxRetries(0),
			option.WithHTTPClient(hc),
			WithTracing(WithTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))),
				WithMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))), WithConventions(tc.conv)))
		if _, err := client.Chat.Completions.New(context.Background(), chatParams()); err != nil {
			t.Fatal(err)
		}
		a := attrs(rec.Ended()[0])
		if a["server.address"].AsString() != "api.openai.test" {
			t.Fatalf("%v: server.address = %v", tc.conv, a["server.address"])
		}
		port, ok := a["server.port"]
		if ok != tc.wantPort || (ok && port.AsInt64() != 80) {
			t.Errorf("%v: span server.port = %v (present %v), want present %v with 80", tc.conv, port, ok, tc.wantPort)
		}
		var rm metricdata.ResourceMetrics
		if err := reader.Collect(context.Background(), &rm); err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"gen_ai.client.operation.duration", "gen_ai.client.token.usage"} {
			for _, s := range spantest.PointSets(rm, name) {
				v, ok := s.Value("server.port")
				if ok != tc.wantPort || (ok && v.AsInt64() != 80) {
					t.Errorf("%v: %s server.port = %v (present %v), want present %v with 80 (%v)", tc.conv, name, v, ok, tc.wantPort, s.Encoded(attribute.DefaultEncoder()))
				}
			}
		}
	}
}

// TestTokenMetricAttrsComplete: both gen_ai.client.token.usage points (input
// and output) carry the same attributes as the duration point plus
// gen_ai.token.type (llm-tracekit.md §5: server.address / server.port on
// every data point). attribute.NewSet sorts the slice it is given in place,
// so the output point's set lost the attribute that sorts last
// (server.port here) when built from the same buffer as the input one.
func TestTokenMetricAttrsComplete(t *testing.T) {
	for _, conv := range []semconv.Convention{semconv.Tracekit, semconv.OTelGenAI, semconv.OpenInference} {
		h := newHarnessWith(t, jsonHandler(200, chatResponseJSON), false, &harnessConfig{tracing: []Option{WithConventions(conv)}})
		if _, err := h.client.Chat.Completions.New(context.Background(), chatParams()); err != nil {
			t.Fatal(err)
		}
		rm := h.metrics()
		dur := spantest.PointSets(rm, "gen_ai.client.operation.duration")
		tok := spantest.PointSets(rm, "gen_ai.client.token.usage")
		if len(dur) != 1 || len(tok) != 2 {
			t.Fatalf("%v: %d duration points, %d token points", conv, len(dur), len(tok))
		}
		for _, s := range tok {
			typ, _ := s.Value("gen_ai.token.type")
			if s.Len() != dur[0].Len()+1 {
				t.Errorf("%v: %s token point has %d attributes, want %d:\n%s\nduration: %s", conv, typ.AsString(), s.Len(), dur[0].Len()+1,
					s.Encoded(attribute.DefaultEncoder()), dur[0].Encoded(attribute.DefaultEncoder()))
			}
			for _, kv := range dur[0].ToSlice() {
				if v, ok := s.Value(kv.Key); !ok || v != kv.Value {
					t.Errorf("%v: %s token point: %s = %v (present %v), want %v", conv, typ.AsString(), kv.Key, v, ok, kv.Value)
				}
			}
		}
	}
}
