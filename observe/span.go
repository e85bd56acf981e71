package observe

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/tracekit-go/tracekit/internal/genai"
	"github.com/tracekit-go/tracekit/internal/instr"
	"github.com/tracekit-go/tracekit/semconv"
)

// Kind is the kind of an application span.
type Kind string

// The kinds of application spans.
const (
	// Workflow is a whole pipeline or request handler (OpenInference CHAIN,
	// GenAI invoke_workflow).
	Workflow Kind = genai.KindWorkflow
	// Chain is Workflow under OpenInference's name.
	Chain = Workflow
	// Task is a step of a workflow (OpenInference CHAIN).
	Task Kind = genai.KindTask
	// Agent is an agent run (invoke_agent, AGENT).
	Agent Kind = genai.KindAgent
	// Tool is a tool execution (execute_tool, TOOL).
	Tool Kind = genai.KindTool
	// Retriever is a document retrieval (retrieval, RETRIEVER).
	Retriever Kind = genai.KindRetriever
	// Reranker reorders documents (RERANKER).
	Reranker Kind = genai.KindReranker
	// Embedding computes embeddings (EMBEDDING).
	Embedding Kind = genai.KindEmbedding
	// Guardrail checks input or output (GUARDRAIL).
	Guardrail Kind = genai.KindGuardrail
	// Evaluator scores an output (EVALUATOR).
	Evaluator Kind = genai.KindEvaluator
)

// Document is a retrieved or reranked document.
type Document struct {
	// ID identifies the document in its store.
	ID string `json:"id"`
	// Content is the document's text, redacted like every content (the
	// documents are recorded only when content capture is on).
	Content string `json:"content,omitempty"`
	// Score is the relevance score, recorded as given.
	Score float64 `json:"score"`
	// Metadata is recorded as a JSON object.
	Metadata map[string]any `json:"metadata,omitempty"`
}

// ToolDefinition describes a tool available to an agent.
type ToolDefinition struct {
	// Name is the tool's name, as the agent calls it.
	Name string `json:"name"`
	// Description is what the tool does, as the agent is told.
	Description string `json:"description,omitempty"`
}

// SpanOption configures a span at Start.
type SpanOption func(*startConfig)

type startConfig struct {
	attrs []attribute.KeyValue
	post  []func(*Span)
}

// internalKind is built once: an option made per span is an allocation.
var internalKind = trace.WithSpanKind(trace.SpanKindInternal)

// WithAttributes adds attributes to the span at start (samplers see them).
func WithAttributes(kv ...attribute.KeyValue) SpanOption {
	return func(c *startConfig) { c.attrs = append(c.attrs, kv...) }
}

// WithInput records the span's input (see Span.SetInput).
func WithInput(v any) SpanOption {
	return func(c *startConfig) { c.post = append(c.post, func(s *Span) { s.SetInput(v) }) }
}

// WithTools records the tools available to an agent (see Span.SetTools).
func WithTools(tools ...ToolDefinition) SpanOption {
	return func(c *startConfig) { c.post = append(c.post, func(s *Span) { s.SetTools(tools...) }) }
}

// WithHandoffs records the agents an agent may hand off to.
func WithHandoffs(agents ...string) SpanOption {
	return func(c *startConfig) { c.post = append(c.post, func(s *Span) { s.SetHandoffs(agents...) }) }
}

// WithToolDescription records a tool's description.
func WithToolDescription(d string) SpanOption {
	return func(c *startConfig) { c.post = append(c.post, func(s *Span) { s.SetToolDescription(d) }) }
}

// WithToolCallID records the id of the model's tool call a tool span answers.
func WithToolCallID(id string) SpanOption {
	return func(c *startConfig) { c.post = append(c.post, func(s *Span) { s.SetToolCallID(id) }) }
}

// Span is an application span. Its methods are safe for concurrent use and
// do nothing on a nil *Span or after End.
type Span struct {
	obs  *Observer
	res  *instr.Resolved
	span trace.Span

	mu    sync.Mutex
	rec   genai.Observation
	err   error
	ended bool
	// withheld holds text inputs and tool arguments given while content is
	// not captured: an error message that quotes them loses them.
	withheld []string
}

type spanKey struct{}

// SpanFromContext returns the innermost application span of ctx, or nil.
func SpanFromContext(ctx context.Context) *Span {
	if ctx == nil {
		return nil
	}
	s, _ := ctx.Value(spanKey{}).(*Span)
	return s
}

// Start starts an application span of the given kind and name as a child of
// the span in ctx, with the Observer of the innermost application span in
// ctx (or the package's default one). It returns a context carrying the span.
// End the span with End.
func Start(ctx context.Context, kind Kind, name string, opts ...SpanOption) (context.Context, *Span) {
	o := std
	if p := SpanFromContext(ctx); p != nil {
		o = p.obs
	}
	return o.Start(ctx, kind, name, opts...)
}

// Start starts an application span with o's options; see the package-level
// Start.
func (o *Observer) Start(ctx context.Context, kind Kind, name string, opts ...SpanOption) (context.Context, *Span) {
	if ctx == nil {
		ctx = context.Background()
	}
	if !pkg.Enabled() {
		return ctx, nil
	}
	res := o.in.Resolved()
	s := &Span{obs: o, res: res, rec: genai.Observation{Kind: string(kind), Name: name}}
	var cfg startConfig
	for _, opt := range opts {
		if opt != nil {
			opt(&cfg)
		}
	}
	attrs := semconv.ObservationStartAttrs(make([]attribute.KeyValue, 0, 8+len(cfg.attrs)), &s.rec, res.Renderer.Conventions)
	attrs = res.ContextAttrs(ctx, attrs)
	attrs = append(attrs, cfg.attrs...)
	ctx, s.span = res.Tracer.Start(ctx, semconv.ObservationSpanName(&s.rec, res.Renderer.Conventions),
		internalKind, trace.WithAttributes(attrs...))
	ctx = context.WithValue(ctx, spanKey{}, s)
	for _, f := range cfg.post {
		f(s)
	}
	return ctx, s
}

// Run runs fn as a span of the given kind and name: it records input before
// the call, then fn's output, or its error as the span status and
// error.type. The context given to fn carries the span. A panic in fn is
// recorded as an error of type "panic" and re-raised after the span ends.
func Run[In, Out any](ctx context.Context, kind Kind, name string, input In, fn func(ctx context.Context) (Out, error)) (Out, error) {
	ctx, s := Start(ctx, kind, name)
	return run(ctx, s, input, fn)
}

// RunWith is Run with the Observer o.
func RunWith[In, Out any](o *Observer, ctx context.Context, kind Kind, name string, input In, fn func(ctx context.Context) (Out, error)) (Out, error) {
	ctx, s := o.Start(ctx, kind, name)
	return run(ctx, s, input, fn)
}

func run[In, Out any](ctx context.Context, s *Span, input In, fn func(ctx context.Context) (Out, error)) (out Out, err error) {
	s.SetInput(input)
	defer func() {
		if r := recover(); r != nil {
			s.setErr(&panicError{r}, "panic")
			s.End()
			panic(r)
		}
		// fn returned, or left its goroutine with runtime.Goexit (t.FailNow):
		// the span ends either way (End is idempotent).
		s.End()
	}()
	out, err = fn(ctx)
	if err != nil {
		s.RecordError(err)
	} else {
		s.SetOutput(out)
	}
	s.End()
	return out, err
}

type panicError struct{ v any }

func (p *panicError) Error() string { return fmt.Sprintf("panic: %v", p.v) }

// capturing reports whether content is recorded.
func (s *Span) capturing() bool { return s != nil && s.res.Capture }

// value encodes a captured input or output: strings and []byte as text,
// json.RawMessage as is, errors as their message, everything else as JSON.
func (s *Span) value(v any) genai.Value {
	var out genai.Value
	switch x := v.(type) {
	case nil:
		return out
	case string:
		out = genai.Value{Text: x, Set: true}
	case []byte:
		out = genai.Value{Text: string(x), Set: true}
	case json.RawMessage:
		out = genai.Value{Text: string(x), JSON: true, Set: true}
	case error:
		out = genai.Value{Text: x.Error(), Set: true}
	default:
		b, err := json.Marshal(v)
		if err != nil {
			out = genai.Value{Text: fmt.Sprint(v), Set: true}
		} else {
			out = genai.Value{Text: string(b), JSON: true, Set: true}
		}
	}
	out.Text = s.res.Redact(out.Text)
	return out
}

// SetInput records the span's input (content: only with capture on).
// Strings are recorded as text/plain, other values as JSON.
func (s *Span) SetInput(v any) {
	if !s.capturing() {
		s.withhold(v)
		return
	}
	defer instr.Guard() // a panicking MarshalJSON: nothing recorded (a redactor's panic is handled in Redact)
	val := s.value(v)
	s.update(func(o *genai.Observation) { o.Input = val })
}

// withhold notes a text input that is not captured (see Span.withheld).
func (s *Span) withhold(v any) {
	var t string
	switch x := v.(type) {
	case string:
		t = x
	case []byte:
		t = string(x)
	case json.RawMessage:
		t = string(x)
	}
	if len(t) >= 4 {
		s.update(func(*genai.Observation) { s.withheld = append(s.withheld, t) })
	}
}

// scrub is instr.ScrubError without the withheld inputs.
func (s *Span) scrub(msg string) string {
	var vals []string
	for _, t := range s.withheld {
		vals = instr.AppendContent(vals, t)
	}
	return instr.Withhold(instr.ScrubError(msg), vals)
}

// SetOutput records the span's output (content: only with capture on).
func (s *Span) SetOutput(v any) {
	if !s.capturing() {
		return
	}
	defer instr.Guard()
	val := s.value(v)
	s.update(func(o *genai.Observation) { o.Output = val })
}

// SetToolArguments records the arguments of a tool call (content: only with
// capture on); JSON text as a string or json.RawMessage, or any value to
// encode as JSON.
func (s *Span) SetToolArguments(v any) {
	if !s.capturing() {
		s.withhold(v)
		return
	}
	defer instr.Guard()
	val := s.value(v)
	if str, ok := v.(string); ok && json.Valid([]byte(str)) {
		val.JSON = true
	}
	s.update(func(o *genai.Observation) { o.ToolArguments = val })
}

// SetDocuments records retrieved (or, on a Reranker span, reranked)
// documents, replacing earlier ones (content: only with capture on).
func (s *Span) SetDocuments(docs ...Document) {
	if !s.capturing() {
		return
	}
	defer instr.Guard()
	out := make([]genai.Document, len(docs))
	for i, d := range docs {
		out[i] = genai.Document{ID: d.ID, Content: s.res.Redact(d.Content), Score: genai.SetFloat(d.Score)}
		if len(d.Metadata) > 0 {
			if b, err := json.Marshal(d.Metadata); err == nil {
				out[i].Metadata = s.res.Redact(string(b))
			}
		}
	}
	s.update(func(o *genai.Observation) { o.Documents = out })
}

// SetTools records the tools available to an agent.
func (s *Span) SetTools(tools ...ToolDefinition) {
	out := make([]genai.Tool, len(tools))
	for i, t := range tools {
		out[i] = genai.Tool{Type: "function", Name: t.Name, Description: t.Description}
	}
	s.update(func(o *genai.Observation) { o.Tools = out })
}

// SetHandoffs records the agents an agent may hand off to.
func (s *Span) SetHandoffs(agents ...string) {
	cp := append([]string(nil), agents...)
	s.update(func(o *genai.Observation) { o.Handoffs = cp })
}

// SetToolDescription records a tool's description.
func (s *Span) SetToolDescription(d string) {
	s.update(func(o *genai.Observation) { o.ToolDescription = d })
}

// SetToolCallID records the id of the model's tool call this tool span
// answers.
func (s *Span) SetToolCallID(id string) {
	s.update(func(o *genai.Observation) { o.ToolCallID = id })
}

// SetAttributes sets arbitrary attributes on the span, as they are (they
// are neither content-gated nor redacted).
func (s *Span) SetAttributes(kv ...attribute.KeyValue) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.ended {
		s.span.SetAttributes(kv...)
	}
}

// RecordError marks the span as failed: status Error with err's message,
// error.type (the error's type, or "timeout" / "canceled" for context
// errors) and an exception event. A nil err does nothing.
func (s *Span) RecordError(err error) {
	if err == nil {
		return
	}
	s.setErr(err, errorType(err))
}

func (s *Span) setErr(err error, typ string) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.ended {
		s.rec.Err = &genai.Error{Type: typ, Message: err.Error()}
		s.err = err
	}
}

func errorType(err error) string {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "canceled"
	}
	if t, ok := err.(interface{ ErrorType() string }); ok {
		return t.ErrorType()
	}
	return fmt.Sprintf("%T", err)
}

func (s *Span) update(f func(*genai.Observation)) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.ended {
		f(&s.rec)
	}
}

// SpanContext returns the span's trace.SpanContext (the zero value for a
// nil span).
func (s *Span) SpanContext() trace.SpanContext {
	if s == nil {
		return trace.SpanContext{}
	}
	return s.span.SpanContext()
}

// End renders what was recorded and ends the span. Later calls do nothing.
func (s *Span) End() {
	if s == nil {
		return
	}
	s.mu.Lock()
	if s.ended {
		s.mu.Unlock()
		return
	}
	s.ended = true
	s.mu.Unlock()
	defer instr.Guard()
	if s.span.IsRecording() {
		attrs := semconv.ObservationEndAttrs(make([]attribute.KeyValue, 0, 16), &s.rec, s.res.Renderer.Conventions, s.res.Capture)
		if e := s.rec.Err; e != nil {
			s.span.SetStatus(codes.Error, s.scrub(e.Message))
			attrs = append(attrs, semconv.ErrorType(e.Type))
			if s.err != nil {
				if msg := s.err.Error(); s.scrub(msg) != msg {
					// The message quotes credentials (an AWS
					// signature error, a header): the exception
					// event gets the scrubbed one.
					s.span.AddEvent(semconv.EventException, trace.WithAttributes(
						semconv.KeyExceptionType.String(fmt.Sprintf("%T", s.err)),
						semconv.KeyExceptionMessage.String(s.scrub(msg))))
				} else {
					s.span.RecordError(s.err)
				}
			}
		}
		s.span.SetAttributes(attrs...)
	}
	s.span.End()
}
