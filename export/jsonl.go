package export

import (
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
//
// Each line is written with a single Write, so that exporters (or
// processes) appending to the same file with [NewFileExporter] do not mix
// their lines: a local file system appends each write whole.
type JSONLExporter struct {
	mu     sync.Mutex
	w      io.Writer
	file   *os.File // owned, closed by Shutdown; nil for NewJSONLExporter
	closed bool
	// partial: the last write failed within a line; the next line starts
	// on a fresh one.
	partial bool
	line    []byte // reused
}

// NewJSONLExporter returns a JSONLExporter that writes to w, one Write per
// line. Shutdown does not close w.
func NewJSONLExporter(w io.Writer) *JSONLExporter {
	return &JSONLExporter{w: w}
}

// NewFileExporter returns a JSONLExporter that appends to the file at path,
// creating it with mode 0600 (spans may hold prompts). Shutdown syncs and
// closes the file.
func NewFileExporter(path string) (*JSONLExporter, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("export: file exporter: %w", err)
	}
	return &JSONLExporter{w: f, file: f}, nil
}

// ExportSpans writes spans, one line each. When a write fails (a full disk),
// the rest of the batch is lost and the error returned; the next batch
// starts on a new line.
func (e *JSONLExporter) ExportSpans(_ context.Context, spans []sdktrace.ReadOnlySpan) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return errors.New("export: JSONL exporter is shut down")
	}
	for _, s := range spans {
		line, err := json.Marshal(jsonSpanOf(s))
		if err != nil {
			return fmt.Errorf("export: JSONL exporter: %w", err)
		}
		e.line = e.line[:0]
		if e.partial {
			e.line = append(e.line, '\n') // end the cut line first
		}
		lead := len(e.line)
		e.line = append(append(e.line, line...), '\n')
		n, err := e.w.Write(e.line)
		if err != nil {
			if n > 0 {
				// Within a line unless only the lead, or everything,
				// was written.
				e.partial = n > lead && n < len(e.line)
			}
			return fmt.Errorf("export: JSONL exporter: %w", err)
		}
		e.partial = false
	}
	if cap(e.line) > 1<<20 {
		e.line = nil // do not keep one huge span's buffer
	}
	return nil
}

// Shutdown closes the file of a file exporter, after syncing it. Later calls
// do nothing.
func (e *JSONLExporter) Shutdown(context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil
	}
	e.closed = true
	if e.file == nil {
		return nil
	}
	if err := errors.Join(e.file.Sync(), e.file.Close()); err != nil {
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
