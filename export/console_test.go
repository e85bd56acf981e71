package export

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/tracekit-go/tracekit/semconv"
)

var update = flag.Bool("update", false, "rewrite the golden files")

var t0 = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

func tid(b byte) trace.TraceID { return trace.TraceID{15: b, 0: 0xab} }
func sid(b byte) trace.SpanID  { return trace.SpanID{7: b, 0: 0xcd} }

// stub builds a finished span: trace t, span s, parent p (0: none), from
// start to end milliseconds after t0.
func stub(t, s, p byte, name string, start, end float64, attrs ...attribute.KeyValue) tracetest.SpanStub {
	st := tracetest.SpanStub{
		Name: name,
		SpanContext: trace.NewSpanContext(trace.SpanContextConfig{
			TraceID: tid(t), SpanID: sid(s), TraceFlags: trace.FlagsSampled,
		}),
		StartTime:  t0.Add(time.Duration(start * float64(time.Millisecond))),
		EndTime:    t0.Add(time.Duration(end * float64(time.Millisecond))),
		Attributes: attrs,
	}
	if p != 0 {
		st.Parent = trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid(t), SpanID: sid(p), TraceFlags: trace.FlagsSampled})
	}
	return st
}

func chatAttrs(model string, in, out int, finish string) []attribute.KeyValue {
	return []attribute.KeyValue{
		semconv.KeyOperationName.String("chat"),
		semconv.KeySystem.String("openai"),
		semconv.KeyRequestModel.String(model),
		semconv.KeyInputTokens.Int(in),
		semconv.KeyOutputTokens.Int(out),
		semconv.KeyFinishReasons.StringSlice([]string{finish}),
	}
}

func snapshots(stubs ...tracetest.SpanStub) []sdktrace.ReadOnlySpan {
	return tracetest.SpanStubs(stubs).Snapshots()
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (run with -update after checking):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func TestConsoleGolden(t *testing.T) {
	var buf bytes.Buffer
	e := NewConsoleExporter(&buf, WithPreviewLength(40))
	ctx := context.Background()

	// Trace 1: a request span with two LLM calls, one with content and
	// response model, one failing; children end (and are exported) first.
	withContent := append(chatAttrs("gpt-4o-mini", 12, 34, "stop"),
		semconv.KeyResponseModel.String("gpt-4o-mini-2024-07-18"),
		semconv.PromptRoleKey(0).String("system"),
		semconv.PromptContentKey(0).String("You are terse."),
		semconv.PromptRoleKey(1).String("user"),
		semconv.PromptContentKey(1).String("What is the capital of France?\nAnswer in one word, please, and nothing else at all."),
		semconv.CompletionRoleKey(0).String("assistant"),
		semconv.CompletionContentKey(0).String("Paris."),
	)
	failed := stub(1, 3, 1, "bedrock.converse", 1250, 1560,
		semconv.KeyOperationName.String("chat"),
		semconv.KeyRequestModel.String("anthropic.claude-3-haiku"),
		semconv.KeyErrorType.String("ThrottlingException"))
	failed.Status = sdktrace.Status{Code: codes.Error, Description: "Rate exceeded"}
	grand := stub(1, 4, 2, "tool lookup", 300, 300.412)
	if err := e.ExportSpans(ctx, snapshots(
		grand,
		stub(1, 2, 1, "chat gpt-4o-mini", 20, 1220, withContent...),
		failed,
	)); err != nil {
		t.Fatal(err)
	}
	if buf.Len() != 0 {
		t.Fatalf("printed before the root ended:\n%s", buf.String())
	}
	// Trace 2 interleaves: a lone streamed call, its own root.
	if err := e.ExportSpans(ctx, snapshots(
		stub(2, 1, 0, "chat gpt-4o", 0, 812.345, append(chatAttrs("gpt-4o", 5, 120, "length"),
			semconv.KeyTimeToFirstChunk.Float64(0.04521))...),
		stub(1, 1, 0, "handle /ask", 0, 1600),
	)); err != nil {
		t.Fatal(err)
	}
	// A span of trace 1 that ends after its root was printed.
	if err := e.ExportSpans(ctx, snapshots(stub(1, 5, 1, "async audit", 1590, 1700))); err != nil {
		t.Fatal(err)
	}
	// Trace 3 never sees its root: printed by Shutdown, marked incomplete.
	if err := e.ExportSpans(ctx, snapshots(stub(3, 2, 1, "embeddings text-embedding-3-small", 0, 0.5))); err != nil {
		t.Fatal(err)
	}
	if err := e.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	golden(t, "console.golden", buf.Bytes())
}

func TestConsoleBoundedMemory(t *testing.T) {
	var buf bytes.Buffer
	e := NewConsoleExporter(&buf, WithMaxPendingTraces(2), WithMaxSpansPerTrace(3))
	ctx := context.Background()
	// Ten traces whose root never ends: at most two are held.
	for i := byte(1); i <= 10; i++ {
		_ = e.ExportSpans(ctx, snapshots(stub(i, 2, 1, "child", 0, 1)))
	}
	if n := len(e.pending); n > 2 {
		t.Fatalf("%d traces pending, want <= 2", n)
	}
	if got := strings.Count(buf.String(), "(incomplete"); got != 8 {
		t.Errorf("%d traces printed as incomplete, want 8:\n%s", got, buf.String())
	}
	// Ten spans of one trace: three held, the rest counted.
	buf.Reset()
	for i := byte(2); i < 12; i++ {
		_ = e.ExportSpans(ctx, snapshots(stub(20, i, 1, "many", 0, 1)))
	}
	if n := len(e.pending[tid(20)].spans); n != 3 {
		t.Fatalf("%d spans held, want 3", n)
	}
	_ = e.ExportSpans(ctx, snapshots(stub(20, 1, 0, "root", 0, 2)))
	out := buf.String()
	if !strings.Contains(out, "7 more span(s) not shown") || strings.Count(out, "many") != 3 {
		t.Errorf("unexpected output:\n%s", out)
	}
	if _, ok := e.pending[tid(20)]; ok {
		t.Error("trace still pending after its root was printed")
	}
}

func TestConsoleThroughSetup(t *testing.T) {
	clearEnv(t, nil)
	var buf syncBuffer
	ctx := context.Background()
	p, err := New(ctx, WithConsole(&buf))
	if err != nil {
		t.Fatal(err)
	}
	tracedChat(t, ctx, p.TracerProvider, p.MeterProvider)
	if err := p.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		"└─ chat gpt-4o-mini  ",
		"model=gpt-4o-mini (gpt-4o-mini-2024-07-18)  tokens in=12 out=3  finish=stop",
		"prompt:     [user] What is the capital of France?",
		"completion: [assistant] Paris.",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestOneLine(t *testing.T) {
	cases := []struct {
		in   string
		n    int
		want string
	}{
		{"hello", 10, "hello"},
		{"  a \n\t b  ", 10, "a b"},
		{"abcdefghij", 5, "abcde…"},
		{"abc def", 4, "abc…"},
		{"héllo wörld", 7, "héllo w…"},
		{"bell\x07", 10, "bell?"},
	}
	for _, tc := range cases {
		if got := oneLine(tc.in, tc.n); got != tc.want {
			t.Errorf("oneLine(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
	}
}

// TestConsoleOptionsPerDestination checks that the options of one
// WithConsole apply to its own console exporter only: a second console
// without options keeps the default preview length.
func TestConsoleOptionsPerDestination(t *testing.T) {
	clearEnv(t, nil)
	var short, full syncBuffer
	ctx := context.Background()
	p, err := New(ctx, WithSimpleProcessor(), WithConsole(&short, WithPreviewLength(5)), WithConsole(&full))
	if err != nil {
		t.Fatal(err)
	}
	tracedChat(t, ctx, p.TracerProvider, p.MeterProvider)
	if err := p.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if want := "prompt:     [user] What…"; !strings.Contains(short.String(), want) {
		t.Errorf("the console with WithPreviewLength(5) lacks %q:\n%s", want, short.String())
	}
	if want := "prompt:     [user] What is the capital of France?"; !strings.Contains(full.String(), want) {
		t.Errorf("the console without options lacks %q (it got the other's options):\n%s", want, full.String())
	}
}

// TestConsoleExportAfterShutdownFails checks that ExportSpans after Shutdown
// prints nothing and returns an error, as the JSONL exporter's does.
func TestConsoleExportAfterShutdownFails(t *testing.T) {
	var buf bytes.Buffer
	e := NewConsoleExporter(&buf)
	ctx := context.Background()
	if err := e.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if err := e.ExportSpans(ctx, snapshots(stub(1, 1, 0, "late", 0, 1))); err == nil {
		t.Error("ExportSpans after Shutdown returned nil")
	}
	if buf.Len() != 0 {
		t.Errorf("ExportSpans after Shutdown printed:\n%s", buf.String())
	}
	if err := e.Shutdown(ctx); err != nil {
		t.Errorf("second Shutdown: %v", err)
	}
}
