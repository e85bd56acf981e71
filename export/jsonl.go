package export

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// JSONLExporter is a span exporter that writes one JSON object per span per
// line (JSON Lines), so that a run can be kept and inspected later, for
// example with jq. Each object holds the span's trace_id, span_id,
// parent_span_id, name, kind, start_time, end_time, duration_ms, status,
// attributes, events, links, resource and scope; attribute values keep
// their JSON types.
type JSONLExporter struct {
	mu     sync.Mutex
	w      *bufio.Writer
	dst    *lastByteWriter
	file   *os.File // owned, closed by Shutdown; nil for NewJSONLExporter
	closed bool
	// failed: the last write failed, maybe within a line; the next batch
	// starts on a fresh line.
	failed bool
}

// NewJSONLExporter returns a JSONLExporter that writes to w. Output is
// buffered and flushed after every batch and by Shutdown, which does not
// close w.
func NewJSONLExporter(w io.Writer) *JSONLExporter {
	dst := &lastByteWriter{w: w}
	return &JSONLExporter{w: bufio.NewWriter(dst), dst: dst}
}

// NewFileExporter returns a JSONLExporter that appends to the file at path,
// creating it with mode 0600 (spans may hold prompts). Shutdown flushes,
// syncs and closes the file.
func NewFileExporter(path string) (*JSONLExporter, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("export: file exporter: %w", err)
	}
	dst := &lastByteWriter{w: f}
	return &JSONLExporter{w: bufio.NewWriter(dst), dst: dst, file: f}, nil
}

// ExportSpans writes spans, one line each, and flushes. A batch whose write
// failed (a full disk) is lost, and the next one is written again.
func (e *JSONLExporter) ExportSpans(_ context.Context, spans []sdktrace.ReadOnlySpan) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return errors.New("export: JSONL exporter is shut down")
	}
	if e.failed {
		// The buffered writer keeps its error: start it again, on a new
		// line if the failed write stopped within one.
		e.w.Reset(e.dst)
		if e.dst.last != 0 && e.dst.last != '\n' {
			e.w.WriteByte('\n')
		}
		e.failed = false
	}
	for _, s := range spans {
		line, err := json.Marshal(jsonSpanOf(s))
		if err != nil {
			return fmt.Errorf("export: JSONL exporter: %w", err)
		}
		e.w.Write(line)
		e.w.WriteByte('\n')
	}
	if err := e.w.Flush(); err != nil {
		e.failed = true
		return fmt.Errorf("export: JSONL exporter: %w", err)
	}
	return nil
}

// Shutdown flushes the output and, for a file exporter, closes the file.
// Later calls do nothing.
func (e *JSONLExporter) Shutdown(context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil
	}
	e.closed = true
	err := e.w.Flush()
	if e.file != nil {
		err = errors.Join(err, e.file.Sync(), e.file.Close())
	}
	if err != nil {
		return fmt.Errorf("export: JSONL exporter: %w", err)
	}
	return nil
}

type jsonSpan struct {
	TraceID      string         `json:"trace_id"`
	SpanID       string         `json:"span_id"`
	ParentSpanID string         `json:"parent_span_id,omitempty"`
	Name         string         `json:"name"`
	Kind         string         `json:"kind"`
	StartTime    time.Time      `json:"start_time"`
	EndTime      time.Time      `json:"end_time"`
	DurationMS   float64        `json:"duration_ms"`
	Status       jsonStatus     `json:"status"`
	Attributes   map[string]any `json:"attributes,omitempty"`
	Dropped      int            `json:"dropped_attributes_count,omitempty"`
	Events       []jsonEvent    `json:"events,omitempty"`
	Links        []jsonLink     `json:"links,omitempty"`
	Resource     map[string]any `json:"resource,omitempty"`
	Scope        jsonScope      `json:"scope"`
}

type jsonStatus struct {
	Code        string `json:"code"`
	Description string `json:"description,omitempty"`
}

type jsonEvent struct {
	Name       string         `json:"name"`
	Time       time.Time      `json:"time"`
	Attributes map[string]any `json:"attributes,omitempty"`
}

type jsonLink struct {
	TraceID    string         `json:"trace_id"`
	SpanID     string         `json:"span_id"`
	Attributes map[string]any `json:"attributes,omitempty"`
}

type jsonScope struct {
	Name    string `json:"name"`
	Version string `json:"version,omitempty"`
}

func jsonSpanOf(s sdktrace.ReadOnlySpan) jsonSpan {
	sc := s.SpanContext()
	j := jsonSpan{
		TraceID:    sc.TraceID().String(),
		SpanID:     sc.SpanID().String(),
		Name:       s.Name(),
		Kind:       strings.ToLower(s.SpanKind().String()),
		StartTime:  s.StartTime().UTC(),
		EndTime:    s.EndTime().UTC(),
		DurationMS: float64(s.EndTime().Sub(s.StartTime())) / float64(time.Millisecond),
		Status:     jsonStatus{Code: s.Status().Code.String(), Description: s.Status().Description},
		Attributes: attrMap(s.Attributes()),
		Dropped:    s.DroppedAttributes(),
		Scope:      jsonScope{Name: s.InstrumentationScope().Name, Version: s.InstrumentationScope().Version},
	}
	if p := s.Parent(); p.SpanID().IsValid() {
		j.ParentSpanID = p.SpanID().String()
	}
	for _, ev := range s.Events() {
		j.Events = append(j.Events, jsonEvent{Name: ev.Name, Time: ev.Time.UTC(), Attributes: attrMap(ev.Attributes)})
	}
	for _, l := range s.Links() {
		j.Links = append(j.Links, jsonLink{
			TraceID:    l.SpanContext.TraceID().String(),
			SpanID:     l.SpanContext.SpanID().String(),
			Attributes: attrMap(l.Attributes),
		})
	}
	if r := s.Resource(); r != nil {
		j.Resource = attrMap(r.Attributes())
	}
	return j
}

func attrMap(kvs []attribute.KeyValue) map[string]any {
	if len(kvs) == 0 {
		return nil
	}
	m := make(map[string]any, len(kvs))
	for _, kv := range kvs {
		m[string(kv.Key)] = jsonValue(kv.Value)
	}
	return m
}

// jsonValue returns v as a value encoding/json encodes with its type.
// Non-finite floats, which JSON cannot hold, become strings.
func jsonValue(v attribute.Value) any {
	switch v.Type() {
	case attribute.BOOL:
		return v.AsBool()
	case attribute.INT64:
		return v.AsInt64()
	case attribute.FLOAT64:
		return jsonFloat(v.AsFloat64())
	case attribute.STRING:
		return v.AsString()
	case attribute.BOOLSLICE:
		return v.AsBoolSlice()
	case attribute.INT64SLICE:
		return v.AsInt64Slice()
	case attribute.FLOAT64SLICE:
		fs := v.AsFloat64Slice()
		out := make([]any, len(fs))
		for i, f := range fs {
			out[i] = jsonFloat(f)
		}
		return out
	case attribute.STRINGSLICE:
		return v.AsStringSlice()
	default:
		return v.String()
	}
}

func jsonFloat(f float64) any {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return fmt.Sprint(f)
	}
	return f
}

var _ sdktrace.SpanExporter = (*JSONLExporter)(nil)

// lastByteWriter remembers the last byte its writer took.
type lastByteWriter struct {
	w    io.Writer
	last byte
}

func (l *lastByteWriter) Write(p []byte) (int, error) {
	n, err := l.w.Write(p)
	if n > 0 {
		l.last = p[n-1]
	}
	return n, err
}
