package semconv

import (
	"testing"

	"go.opentelemetry.io/otel/attribute"
)

// TestFinishReasonsValue: the prebuilt values equal the ones built per call,
// and a common reason costs no allocation.
func TestFinishReasonsValue(t *testing.T) {
	for _, rs := range [][]string{{"stop"}, {"tool_use"}, {"content_filtered"}, {"unusual"}, {"stop", "length"}, {}, {""}} {
		if got, want := finishReasonsValue(rs), attribute.StringSliceValue(rs); got != want {
			t.Errorf("%q: %v, want %v", rs, got, want)
		}
	}
	rs := []string{"end_turn"}
	if n := testing.AllocsPerRun(100, func() { _ = finishReasonsValue(rs) }); n != 0 {
		t.Errorf("%v allocations for a common reason", n)
	}
}
