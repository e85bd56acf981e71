package instr

import (
	"reflect"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	metricnoop "go.opentelemetry.io/otel/metric/noop"

	"github.com/tracekit-go/tracekit/internal/genai"
	"github.com/tracekit-go/tracekit/semconv"
)

// TestOptionCacheHits: a call's metric options are built once for its
// attribute combination; the next call with the same combination finds them
// (every field of the key is kept when it is stored: a call whose every key
// field is set, the hosting among them, hits), and another combination gets
// its own.
func TestOptionCacheHits(t *testing.T) {
	m := newMetrics(metricnoop.Meter{}, semconv.Renderer{Conventions: semconv.Tracekit | semconv.OTelGenAI})
	c := &genai.Call{Operation: genai.OpChat, Provider: genai.ProviderOpenAI, Hosting: genai.HostingAzure,
		ServerAddress: "contoso.openai.azure.com", ServerPort: 8443, ImplicitPort: 443,
		Request:  genai.Request{Model: "gpt-4o"},
		Response: genai.Response{Model: "gpt-4o-2024", ServiceTier: "default", SystemFingerprint: "fp_1"}}
	// Every field of the key is set by this call, so that a field the
	// store leaves out makes the second lookup miss.
	k := reflect.ValueOf(keyOf(c))
	for i := range k.NumField() {
		if k.Field(i).IsZero() && k.Type().Field(i).Name != "errType" {
			t.Fatalf("the test call leaves the key's %s unset", k.Type().Field(i).Name)
		}
	}
	buf := make([]attribute.KeyValue, 0, 32)
	first, used := m.cache.get(c, m.render, buf)
	if used == 0 {
		t.Fatal("the first call of a combination found options")
	}
	second, used := m.cache.get(c, m.render, buf)
	if used != 0 || second != first {
		t.Errorf("the second call of the same combination built its options again (wrote %d attributes)", used)
	}
	failed := *c
	failed.Err = &genai.Error{Type: "rate_limit_exceeded"}
	if o, used := m.cache.get(&failed, m.render, buf); used == 0 || o == first {
		t.Error("another combination took the first one's options")
	}
	if o, used := m.cache.get(&failed, m.render, buf); used != 0 {
		t.Errorf("a failed call's combination was not kept (%p)", o)
	}
}
