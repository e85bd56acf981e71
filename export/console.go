package export

import (
	"bytes"
	"container/list"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/tracekit-go/tracekit/semconv"
)

// Defaults of the console exporter's bounds.
const (
	defaultMaxPendingTraces = 1024
	defaultMaxSpansPerTrace = 1000
	defaultPreviewLength    = 80
	printedSpansMemory      = 4096
)

// ConsoleOption configures [NewConsoleExporter].
type ConsoleOption func(*consoleConfig)

type consoleConfig struct {
	maxTraces  int
	maxSpans   int
	previewLen int
}

// WithMaxPendingTraces bounds the traces the console exporter holds while
// waiting for their root span (default 1024). Beyond it the oldest trace is
// printed at once, marked incomplete.
func WithMaxPendingTraces(n int) ConsoleOption {
	return func(c *consoleConfig) {
		if n > 0 {
			c.maxTraces = n
		}
	}
}

// WithMaxSpansPerTrace bounds the spans held for one trace (default 1000);
// further spans of the trace are counted but not printed.
func WithMaxSpansPerTrace(n int) ConsoleOption {
	return func(c *consoleConfig) {
		if n > 0 {
			c.maxSpans = n
		}
	}
}

// WithPreviewLength sets the length, in characters, of the prompt and
// completion previews (default 80).
func WithPreviewLength(n int) ConsoleOption {
	return func(c *consoleConfig) {
		if n > 0 {
			c.previewLen = n
		}
	}
}

// ConsoleExporter is a span exporter that prints each finished trace as an
// indented tree a person can read at a glance:
//
//	trace 4bf92f3577b34da6a3ce929d0e0e4736
//	└─ handle /ask  1.6s
//	   ├─ chat gpt-4o-mini  1.2s  model=gpt-4o-mini (gpt-4o-mini-2024-07-18)  tokens in=12 out=34  finish=stop
//	   │  │  prompt:     [user] What is the capital of France? Answer in…
//	   │  │  completion: [assistant] Paris.
//	   │  └─ tool lookup  412µs
//	   └─ bedrock.converse  310ms  model=anthropic.claude-3-haiku  ERROR ThrottlingException: Rate exceeded
//
// Each line shows the span name, its duration and, when present, the model,
// the input and output token counts, the finish reasons, the time to the
// first chunk of a stream and the error. With
// content capture on, the last prompt message and the first completion are
// previewed on one line each.
//
// Spans are grouped by trace and printed when the trace's local root span
// (a span without a parent in this process) ends. Spans that end after their
// root are printed on their own, marked late. Memory is bounded: see
// [WithMaxPendingTraces] and [WithMaxSpansPerTrace]. Shutdown prints what is
// still pending, marked incomplete; after it, ExportSpans prints nothing and
// returns an error, as the JSONL exporter's does.
type ConsoleExporter struct {
	mu      sync.Mutex
	w       io.Writer
	cfg     consoleConfig
	pending map[trace.TraceID]*pendingTrace
	order   *list.List // of trace.TraceID, oldest first
	printed printedSet
	closed  bool
	buf     bytes.Buffer
}

type pendingTrace struct {
	spans   []sdktrace.ReadOnlySpan
	dropped int
	elem    *list.Element
}

// NewConsoleExporter returns a ConsoleExporter that writes to w.
func NewConsoleExporter(w io.Writer, opts ...ConsoleOption) *ConsoleExporter {
	cfg := consoleConfig{
		maxTraces:  defaultMaxPendingTraces,
		maxSpans:   defaultMaxSpansPerTrace,
		previewLen: defaultPreviewLength,
	}
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	return &ConsoleExporter{
		w:       w,
		cfg:     cfg,
		pending: make(map[trace.TraceID]*pendingTrace),
		order:   list.New(),
		printed: newPrintedSet(printedSpansMemory),
	}
}

// ExportSpans prints the traces whose local root is among spans and holds the
// other spans until their root ends. After Shutdown it returns an error.
func (e *ConsoleExporter) ExportSpans(_ context.Context, spans []sdktrace.ReadOnlySpan) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return errors.New("export: console exporter is shut down")
	}
	e.buf.Reset()
	for _, s := range spans {
		e.add(s)
	}
	return e.flush()
}

// Shutdown prints the traces still waiting for their root, marked
// incomplete. It does not close the writer. Later calls do nothing.
func (e *ConsoleExporter) Shutdown(context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil
	}
	e.closed = true
	e.buf.Reset()
	for e.order.Len() > 0 {
		e.evict(e.order.Front())
	}
	return e.flush()
}

func (e *ConsoleExporter) flush() error {
	if e.buf.Len() == 0 {
		return nil
	}
	_, err := e.w.Write(e.buf.Bytes())
	e.buf.Reset()
	return err
}

// isLocalRoot reports whether s has no parent in this process.
func isLocalRoot(s sdktrace.ReadOnlySpan) bool {
	p := s.Parent()
	return !p.IsValid() || p.IsRemote()
}

func (e *ConsoleExporter) add(s sdktrace.ReadOnlySpan) {
	tid := s.SpanContext().TraceID()
	pt := e.pending[tid]
	switch {
	case isLocalRoot(s):
		e.printTree(tid, pt, s, "")
	case e.printed.has(spanKey{tid, s.Parent().SpanID()}):
		e.printTree(tid, pt, s, " (late)")
	default:
		if pt == nil {
			pt = &pendingTrace{}
			pt.elem = e.order.PushBack(tid)
			e.pending[tid] = pt
			if e.order.Len() > e.cfg.maxTraces {
				e.evict(e.order.Front())
			}
		}
		if len(pt.spans) >= e.cfg.maxSpans {
			pt.dropped++
			return
		}
		pt.spans = append(pt.spans, s)
	}
}

// printTree prints root and its pending descendants and forgets them.
func (e *ConsoleExporter) printTree(tid trace.TraceID, pt *pendingTrace, root sdktrace.ReadOnlySpan, mark string) {
	var kids map[trace.SpanID][]sdktrace.ReadOnlySpan
	dropped := 0
	if pt != nil {
		kids = childrenOf(pt.spans)
		dropped = pt.dropped
	}
	fmt.Fprintf(&e.buf, "trace %s%s\n", tid, mark)
	used := make(map[trace.SpanID]bool)
	e.printNode(root, kids, "", true, used)
	if pt == nil {
		return
	}
	rest := pt.spans[:0]
	for _, s := range pt.spans {
		if !used[s.SpanContext().SpanID()] {
			rest = append(rest, s)
		}
	}
	clear(pt.spans[len(rest):])
	pt.spans = rest
	if dropped > 0 {
		fmt.Fprintf(&e.buf, "   … %d more span(s) not shown\n", dropped)
		pt.dropped = 0
	}
	if len(pt.spans) == 0 {
		e.order.Remove(pt.elem)
		delete(e.pending, tid)
	}
}

// evict prints a pending trace whose root has not ended, marked incomplete.
func (e *ConsoleExporter) evict(el *list.Element) {
	tid := el.Value.(trace.TraceID)
	e.order.Remove(el)
	pt := e.pending[tid]
	delete(e.pending, tid)
	if pt == nil || len(pt.spans) == 0 {
		return
	}
	ids := make(map[trace.SpanID]bool, len(pt.spans))
	for _, s := range pt.spans {
		ids[s.SpanContext().SpanID()] = true
	}
	var roots []sdktrace.ReadOnlySpan
	for _, s := range pt.spans {
		if !ids[s.Parent().SpanID()] {
			roots = append(roots, s)
		}
	}
	sortSpans(roots)
	kids := childrenOf(pt.spans)
	fmt.Fprintf(&e.buf, "trace %s (incomplete: root span not ended)\n", tid)
	used := make(map[trace.SpanID]bool)
	for i, r := range roots {
		e.printNode(r, kids, "", i == len(roots)-1, used)
	}
	if pt.dropped > 0 {
		fmt.Fprintf(&e.buf, "   … %d more span(s) not shown\n", pt.dropped)
	}
}

func childrenOf(spans []sdktrace.ReadOnlySpan) map[trace.SpanID][]sdktrace.ReadOnlySpan {
	kids := make(map[trace.SpanID][]sdktrace.ReadOnlySpan, len(spans))
	for _, s := range spans {
		p := s.Parent().SpanID()
		kids[p] = append(kids[p], s)
	}
	for _, k := range kids {
		sortSpans(k)
	}
	return kids
}

func sortSpans(s []sdktrace.ReadOnlySpan) {
	slices.SortStableFunc(s, func(a, b sdktrace.ReadOnlySpan) int {
		return a.StartTime().Compare(b.StartTime())
	})
}

func (e *ConsoleExporter) printNode(s sdktrace.ReadOnlySpan, kids map[trace.SpanID][]sdktrace.ReadOnlySpan, prefix string, last bool, used map[trace.SpanID]bool) {
	id := s.SpanContext().SpanID()
	used[id] = true
	e.printed.add(spanKey{s.SpanContext().TraceID(), id})
	branch, cont := "├─ ", "│  "
	if last {
		branch, cont = "└─ ", "   "
	}
	children := kids[id]
	e.buf.WriteString(prefix)
	e.buf.WriteString(branch)
	info := summarize(s, e.cfg.previewLen)
	e.buf.WriteString(info.line)
	e.buf.WriteByte('\n')
	bar := "   "
	if len(children) > 0 {
		bar = "│  "
	}
	for _, d := range info.details {
		e.buf.WriteString(prefix)
		e.buf.WriteString(cont)
		e.buf.WriteString(bar)
		e.buf.WriteString(d)
		e.buf.WriteByte('\n')
	}
	for i, c := range children {
		if used[c.SpanContext().SpanID()] {
			continue
		}
		e.printNode(c, kids, prefix+cont, i == len(children)-1, used)
	}
}

type spanSummary struct {
	line    string
	details []string
}

// summarize renders the line of one span and its preview lines.
func summarize(s sdktrace.ReadOnlySpan, previewLen int) spanSummary {
	attrs := s.Attributes()
	m := make(map[attribute.Key]attribute.Value, len(attrs))
	for _, kv := range attrs {
		m[kv.Key] = kv.Value
	}
	var b strings.Builder
	b.WriteString(s.Name())
	b.WriteString("  ")
	b.WriteString(formatDuration(s.EndTime().Sub(s.StartTime())))
	if v, ok := m[semconv.KeyTracekitSpanKind]; ok {
		b.WriteString("  kind=" + v.String())
	} else if v, ok := m[semconv.KeyOISpanKind]; ok {
		b.WriteString("  kind=" + strings.ToLower(v.String()))
	}

	if v, ok := m[semconv.KeyRequestModel]; ok {
		b.WriteString("  model=")
		b.WriteString(v.String())
		if r, ok := m[semconv.KeyResponseModel]; ok && r.String() != v.String() {
			b.WriteString(" (" + r.String() + ")")
		}
	} else if r, ok := m[semconv.KeyResponseModel]; ok {
		b.WriteString("  model=")
		b.WriteString(r.String())
	}
	in, hasIn := m[semconv.KeyInputTokens]
	out, hasOut := m[semconv.KeyOutputTokens]
	if hasIn || hasOut {
		b.WriteString("  tokens")
		if hasIn {
			b.WriteString(" in=" + in.String())
		}
		if hasOut {
			b.WriteString(" out=" + out.String())
		}
	}
	if v, ok := m[semconv.KeyFinishReasons]; ok {
		var fr string
		if v.Type() == attribute.STRINGSLICE {
			fr = strings.Join(v.AsStringSlice(), ",")
		} else {
			fr = v.String()
		}
		if fr != "" {
			b.WriteString("  finish=" + fr)
		}
	}
	if v, ok := m[semconv.KeyTimeToFirstChunk]; ok && v.Type() == attribute.FLOAT64 {
		b.WriteString("  first chunk " + formatDuration(time.Duration(v.AsFloat64()*float64(time.Second))))
	}
	if v, ok := m[semconv.KeyUsageCost]; ok {
		b.WriteString("  cost=" + formatCost(v.AsFloat64()))
	} else if v, ok := m[semconv.KeyOICostTotal]; ok {
		b.WriteString("  cost=" + formatCost(v.AsFloat64()))
	}
	if v, ok := m[semconv.KeyUsageCostCurrency]; ok {
		b.WriteString(" " + v.String())
	}
	st := s.Status()
	et, hasET := m[semconv.KeyErrorType]
	if st.Code == codes.Error || hasET {
		b.WriteString("  ERROR")
		if hasET {
			b.WriteString(" " + et.String())
		}
		if st.Description != "" {
			if hasET {
				b.WriteString(":")
			}
			b.WriteString(" " + oneLine(st.Description, 2*previewLen))
		}
	}

	var details []string
	if i, ok := lastIndex(m, semconv.PromptContentKey, len(attrs)); ok {
		details = append(details, "prompt:     "+rolePrefix(m, semconv.PromptRoleKey(i))+oneLine(m[semconv.PromptContentKey(i)].String(), previewLen))
	}
	if v, ok := m[semconv.CompletionContentKey(0)]; ok {
		details = append(details, "completion: "+rolePrefix(m, semconv.CompletionRoleKey(0))+oneLine(v.String(), previewLen))
	}
	for _, io := range [...]struct {
		label string
		keys  [2]attribute.Key
	}{
		{"input:      ", [2]attribute.Key{semconv.KeyTracekitInput, semconv.KeyOIInputValue}},
		{"output:     ", [2]attribute.Key{semconv.KeyTracekitOutput, semconv.KeyOIOutputValue}},
	} {
		for _, k := range io.keys {
			if v, ok := m[k]; ok {
				details = append(details, io.label+oneLine(v.String(), previewLen))
				break
			}
		}
	}
	return spanSummary{line: b.String(), details: details}
}

// lastIndex returns the largest i <= limit for which key(i) is in m.
func lastIndex(m map[attribute.Key]attribute.Value, key func(int) attribute.Key, limit int) (int, bool) {
	for i := limit; i >= 0; i-- {
		if _, ok := m[key(i)]; ok {
			return i, true
		}
	}
	return 0, false
}

func rolePrefix(m map[attribute.Key]attribute.Value, k attribute.Key) string {
	if v, ok := m[k]; ok && v.String() != "" {
		return "[" + v.String() + "] "
	}
	return ""
}

// oneLine collapses white space and truncates s to n characters.
func oneLine(s string, n int) string {
	var b strings.Builder
	space := false
	count := 0
	for _, r := range strings.TrimSpace(s) {
		if unicode.IsSpace(r) {
			space = true
			continue
		}
		if space {
			b.WriteByte(' ')
			count++
			space = false
		}
		if count >= n {
			return strings.TrimRight(b.String(), " ") + "…"
		}
		if r == utf8.RuneError || !unicode.IsPrint(r) {
			r = '?'
		}
		b.WriteRune(r)
		count++
	}
	return b.String()
}

// formatDuration rounds d for reading: 312µs, 41.3ms, 1.523s.
func formatDuration(d time.Duration) string {
	switch {
	case d < 0:
		return "?"
	case d < time.Millisecond:
		return d.Round(time.Microsecond).String()
	case d < time.Second:
		return d.Round(100 * time.Microsecond).String()
	case d < time.Minute:
		return d.Round(time.Millisecond).String()
	default:
		return d.Round(time.Second).String()
	}
}

// spanKey identifies a span across traces.
type spanKey struct {
	trace trace.TraceID
	span  trace.SpanID
}

// printedSet remembers the last n printed spans, to recognise spans that end
// after their parent was printed.
type printedSet struct {
	ids  map[spanKey]struct{}
	ring []spanKey
	next int
}

func newPrintedSet(n int) printedSet {
	return printedSet{ids: make(map[spanKey]struct{}, n), ring: make([]spanKey, n)}
}

func (p *printedSet) has(id spanKey) bool { _, ok := p.ids[id]; return ok }

func (p *printedSet) add(id spanKey) {
	if p.has(id) {
		return
	}
	if old := p.ring[p.next]; old.span.IsValid() {
		delete(p.ids, old)
	}
	p.ring[p.next] = id
	p.ids[id] = struct{}{}
	p.next = (p.next + 1) % len(p.ring)
}

var _ sdktrace.SpanExporter = (*ConsoleExporter)(nil)

// formatCost prints a cost with at most 8 decimals and no trailing zeros.
func formatCost(v float64) string {
	s := strconv.FormatFloat(v, 'f', 8, 64)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}
