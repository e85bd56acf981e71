package instr

import (
	"testing"

	"go.opentelemetry.io/otel/attribute"
)

// putAttrs must clear every entry that was written, including those past the
// slice's length (scratch use by the metrics), so that the pool keeps no
// prompt or response strings alive, and nothing else.
func TestPutAttrsClearsWrittenEntries(t *testing.T) {
	s := make([]attribute.KeyValue, 0, 64)
	s = append(s, attribute.String("a", "1"), attribute.String("b", "2"), attribute.String("c", "3"), attribute.String("d", "4"))
	s = s[:2] // entries 2 and 3 were written by a scratch use
	full := s[:cap(s)]
	full[10] = attribute.String("untouched", "x") // beyond what was written: not our business
	putAttrs(&s, 4)
	for i := 0; i < 4; i++ {
		if full[i].Valid() {
			t.Errorf("entry %d not cleared: %v", i, full[i])
		}
	}
	if !full[10].Valid() {
		t.Error("putAttrs cleared entries that were never written (it should clear only what was used)")
	}
	if len(s) != 0 {
		t.Errorf("len %d after putAttrs", len(s))
	}
}
