package export

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/tracekit-go/tracekit/semconv"
)

// TestConsoleApplicationSpans checks the kind, input/output previews and
// cost shown for application spans (package observe) and priced LLM spans.
func TestConsoleApplicationSpans(t *testing.T) {
	var buf bytes.Buffer
	e := NewConsoleExporter(&buf)
	llm := append(chatAttrs("gpt-4o", 10, 2, "stop"), semconv.KeyUsageCost.Float64(0.00003765), semconv.KeyUsageCostCurrency.String("USD"))
	_ = e.ExportSpans(context.Background(), snapshots(
		stub(1, 3, 2, "chat gpt-4o", 1, 2, llm...),
		stub(1, 4, 2, "kb", 2, 3, semconv.KeyOISpanKind.String("RETRIEVER"), semconv.KeyOIOutputValue.String(`[{"id":"d"}]`)),
		stub(1, 2, 1, "agent", 0, 4, semconv.KeyTracekitSpanKind.String("agent"), semconv.KeyTracekitInput.String("hello")),
		stub(1, 1, 0, "wf", 0, 5, semconv.KeyTracekitSpanKind.String("workflow")),
	))
	out := buf.String()
	for _, want := range []string{"wf  5ms  kind=workflow", "agent  4ms  kind=agent", "input:      hello",
		"kb  1ms  kind=retriever", `output:     [{"id":"d"}]`, "cost=0.00003765 USD"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
}
