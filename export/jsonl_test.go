package export

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/tracekit-go/tracekit/semconv"
)

func readJSONL(t *testing.T, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("line %d is not a JSON object: %v\n%s", len(out)+1, err, sc.Bytes())
		}
		out = append(out, m)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestFileExporterThroughSetup(t *testing.T) {
	clearEnv(t, nil)
	path := filepath.Join(t.TempDir(), "spans.jsonl")
	ctx := context.Background()
	for run := 1; run <= 2; run++ { // the second run appends
		p, err := New(ctx, WithFile(path), WithServiceName("file-svc"))
		if err != nil {
			t.Fatal(err)
		}
		tracedChat(t, ctx, p.TracerProvider, p.MeterProvider)
		if err := p.Shutdown(ctx); err != nil {
			t.Fatal(err)
		}
		if lines := readJSONL(t, path); len(lines) != run {
			t.Fatalf("run %d: %d lines, want %d", run, len(lines), run)
		}
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("file mode = %v (%v), want 0600", fi.Mode().Perm(), err)
	}
	line := readJSONL(t, path)[0]
	if line["name"] != "chat gpt-4o-mini" || line["kind"] != "client" {
		t.Errorf("name/kind = %v/%v", line["name"], line["kind"])
	}
	attrs, _ := line["attributes"].(map[string]any)
	if attrs[string(semconv.KeyRequestModel)] != "gpt-4o-mini" {
		t.Errorf("request model = %v", attrs[string(semconv.KeyRequestModel)])
	}
	if attrs[string(semconv.KeyInputTokens)] != float64(12) {
		t.Errorf("input tokens = %#v, want the number 12", attrs[string(semconv.KeyInputTokens)])
	}
	if fr, _ := attrs[string(semconv.KeyFinishReasons)].([]any); len(fr) != 1 || fr[0] != "stop" {
		t.Errorf("finish reasons = %#v, want [stop]", attrs[string(semconv.KeyFinishReasons)])
	}
	res, _ := line["resource"].(map[string]any)
	if res[string(semconv.KeyServiceName)] != "file-svc" {
		t.Errorf("resource = %v", res)
	}
	for _, k := range []string{"trace_id", "span_id", "start_time", "end_time", "duration_ms", "status", "scope"} {
		if _, ok := line[k]; !ok {
			t.Errorf("field %s missing", k)
		}
	}
}

func TestJSONLExporterValues(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.jsonl")
	e, err := NewFileExporter(path)
	if err != nil {
		t.Fatal(err)
	}
	child := stub(1, 2, 1, "child", 0, 1.5,
		attribute.Bool("b", true),
		attribute.Float64("nan", math.NaN()),
		attribute.Float64Slice("fs", []float64{1.5, math.Inf(1)}),
		attribute.Int64Slice("is", []int64{1, 2}),
	)
	child.Status = sdktrace.Status{Code: codes.Error, Description: "boom"}
	ctx := context.Background()
	if err := e.ExportSpans(ctx, snapshots(child)); err != nil {
		t.Fatal(err)
	}
	// Flushed after every batch, before shutdown.
	if got := len(readJSONL(t, path)); got != 1 {
		t.Fatalf("%d lines before shutdown, want 1", got)
	}
	if err := e.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if err := e.Shutdown(ctx); err != nil {
		t.Fatalf("second shutdown: %v", err)
	}
	if err := e.ExportSpans(ctx, snapshots(child)); err == nil {
		t.Error("export after shutdown succeeded")
	}
	l := readJSONL(t, path)[0]
	a := l["attributes"].(map[string]any)
	if a["b"] != true || a["nan"] != "NaN" {
		t.Errorf("attributes = %v", a)
	}
	if fs := a["fs"].([]any); fs[0] != 1.5 || fs[1] != "+Inf" {
		t.Errorf("fs = %v", fs)
	}
	if l["parent_span_id"] != sid(1).String() || l["trace_id"] != tid(1).String() {
		t.Errorf("ids = %v %v", l["parent_span_id"], l["trace_id"])
	}
	if l["duration_ms"] != 1.5 {
		t.Errorf("duration_ms = %v", l["duration_ms"])
	}
	st := l["status"].(map[string]any)
	if st["code"] != "Error" || st["description"] != "boom" {
		t.Errorf("status = %v", st)
	}
}

func TestFileExporterBadPath(t *testing.T) {
	clearEnv(t, nil)
	_, err := New(context.Background(), WithFile(filepath.Join(t.TempDir(), "no", "such", "dir", "x.jsonl")))
	if err == nil {
		t.Fatal("no error for an unwritable path")
	}
}

// flakyWriter fails its writes while fail is set, after writing half of
// what it was given (none with whole).
type flakyWriter struct {
	buf   []byte
	fail  bool
	whole bool
}

func (w *flakyWriter) Write(p []byte) (int, error) {
	if w.fail {
		if w.whole {
			return 0, errors.New("disk full")
		}
		w.buf = append(w.buf, p[:len(p)/2]...)
		return len(p) / 2, errors.New("disk full")
	}
	w.buf = append(w.buf, p...)
	return len(p), nil
}

// TestJSONLExporterRecovers: a failed write (a full disk) loses its batch,
// not every later one, and the later lines stay whole JSON objects.
func TestJSONLExporterRecovers(t *testing.T) {
	w := &flakyWriter{}
	e := NewJSONLExporter(w)
	ctx := context.Background()
	w.fail = true
	if err := e.ExportSpans(ctx, snapshots(stub(1, 1, 0, "lost", 0, 1))); err == nil {
		t.Fatal("no error from a failed write")
	}
	w.fail = false
	if err := e.ExportSpans(ctx, snapshots(stub(1, 2, 0, "kept", 0, 1))); err != nil {
		t.Fatalf("the next batch failed too: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(w.buf)), "\n")
	last := lines[len(lines)-1]
	var m map[string]any
	if err := json.Unmarshal([]byte(last), &m); err != nil || m["name"] != "kept" {
		t.Fatalf("last line %q: %v", last, err)
	}

	// A write that fails on a line boundary leaves no blank line.
	w = &flakyWriter{}
	e = NewJSONLExporter(w)
	if err := e.ExportSpans(ctx, snapshots(stub(1, 1, 0, "first", 0, 1))); err != nil {
		t.Fatal(err)
	}
	w.fail, w.whole = true, true
	if err := e.ExportSpans(ctx, snapshots(stub(1, 2, 0, "lost", 0, 1))); err == nil {
		t.Fatal("no error from a failed write")
	}
	w.fail = false
	if err := e.ExportSpans(ctx, snapshots(stub(1, 3, 0, "kept", 0, 1))); err != nil {
		t.Fatal(err)
	}
	for i, l := range strings.Split(strings.TrimSuffix(string(w.buf), "\n"), "\n") {
		if json.Unmarshal([]byte(l), &m) != nil {
			t.Errorf("line %d %q is not a JSON object", i+1, l)
		}
	}
}

// writeRecorder records each Write it is given.
type writeRecorder struct {
	mu     sync.Mutex
	writes [][]byte
}

func (w *writeRecorder) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.writes = append(w.writes, bytes.Clone(p))
	return len(p), nil
}

// bigSpans returns n spans of trace t, each with an attribute of size bytes.
func bigSpans(t byte, n, size int) []sdktrace.ReadOnlySpan {
	var stubs []tracetest.SpanStub
	for i := range n {
		stubs = append(stubs, stub(t, byte(i+1), 0, "big", 0, 1, semconv.PromptContentKey(0).String(strings.Repeat("x", size))))
	}
	return snapshots(stubs...)
}

// TestJSONLWritesEachLineWhole checks that the JSONL exporter hands each
// line, however long, to its writer in a single Write, so that writers
// appending to one O_APPEND file cannot interleave within a line (a buffered
// writer would split long lines into chunks).
func TestJSONLWritesEachLineWhole(t *testing.T) {
	w := &writeRecorder{}
	e := NewJSONLExporter(w)
	ctx := context.Background()
	if err := e.ExportSpans(ctx, bigSpans(1, 3, 20000)); err != nil {
		t.Fatal(err)
	}
	if err := e.ExportSpans(ctx, bigSpans(2, 1, 10)); err != nil {
		t.Fatal(err)
	}
	if len(w.writes) != 4 {
		t.Fatalf("%d writes for 4 spans, want 4", len(w.writes))
	}
	for i, p := range w.writes {
		if !bytes.HasSuffix(p, []byte("\n")) || bytes.Count(p, []byte("\n")) != 1 || !json.Valid(p) {
			t.Errorf("write %d (%d bytes) is not one whole JSON line", i+1, len(p))
		}
	}
}

// TestFileExportersSharingAFileKeepLinesWhole has two file exporters (as two
// processes, or two Setup calls with WithFile on one path) append long lines
// to the same file at the same time, and checks that every line of the file
// is a whole JSON object.
func TestFileExportersSharingAFileKeepLinesWhole(t *testing.T) {
	path := filepath.Join(t.TempDir(), "spans.jsonl")
	var wg sync.WaitGroup
	for w := range 2 {
		e, err := NewFileExporter(path)
		if err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			for i := range 20 {
				if err := e.ExportSpans(context.Background(), bigSpans(byte(w*100+i), 4, 20000)); err != nil {
					t.Error(err)
				}
			}
			if err := e.Shutdown(context.Background()); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<22)
	n := 0
	for sc.Scan() {
		n++
		if !json.Valid(sc.Bytes()) {
			t.Errorf("line %d is not a whole JSON object", n)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if n != 2*20*4 {
		t.Errorf("%d lines, want %d", n, 2*20*4)
	}
}
