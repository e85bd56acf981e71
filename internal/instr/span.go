package instr

import (
	"context"
	"fmt"
	"sync"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/tracekit-go/tracekit/internal/genai"
	"github.com/tracekit-go/tracekit/semconv"
)

// attrPool recycles attribute slices: the SDK copies attributes it is given,
// so a slice can be reused as soon as Start or SetAttributes returns.
var attrPool = sync.Pool{New: func() any { s := make([]attribute.KeyValue, 0, 64); return &s }}

func getAttrs() *[]attribute.KeyValue { return attrPool.Get().(*[]attribute.KeyValue) }

// putAttrs returns p to the pool. used is how many of its entries were
// written (the most any user of the slice appended): they are cleared so
// that the pool keeps no strings alive. Clearing only those, rather than the
// whole capacity, matters: the slice holds pointers, so a clear runs write
// barriers while the collector is marking.
func putAttrs(p *[]attribute.KeyValue, used int) {
	if cap(*p) > 4096 {
		return
	}
	clear((*p)[:min(max(used, len(*p)), cap(*p))])
	*p = (*p)[:0]
	attrPool.Put(p)
}

// clientKind is built once: an option made per call is an allocation.
var clientKind = trace.WithSpanKind(trace.SpanKindClient)

// Span is the span of one call, from Start to End.
type Span struct {
	res   *Resolved
	span  trace.Span
	ctx   context.Context
	start time.Time
	once  sync.Once
}

// Start starts the CLIENT span of call with its request attributes (so that
// samplers see them) and returns the context that carries it.
func (r *Resolved) Start(ctx context.Context, call *genai.Call) (context.Context, *Span) {
	s := new(Span)
	return r.StartInto(ctx, call, s), s
}

// StartInto is Start with a Span the caller provides (for example one
// embedded in its own per-call state, to save an allocation). s must not be
// in use.
func (r *Resolved) StartInto(ctx context.Context, call *genai.Call, s *Span) context.Context {
	*s = Span{res: r, start: time.Now()}
	p := getAttrs()
	*p = r.applyContext(ctx, call, (*p)[:0])
	r.redactRequest(call)
	*p = r.Renderer.Request(*p, call)
	ctx, s.span = r.Tracer.Start(ctx, r.SpanName(call),
		clientKind,
		trace.WithAttributes(*p...))
	putAttrs(p, len(*p))
	s.ctx = ctx
	return ctx
}

// StartTime is when the span started.
func (s *Span) StartTime() time.Time { return s.start }

// Recording reports whether the span records attributes.
func (s *Span) Recording() bool { return s.span.IsRecording() }

// SetAttributes adds extra attributes to the span (for example prompts that
// are learnt only while a stream is read).
func (s *Span) SetAttributes(kv ...attribute.KeyValue) { s.span.SetAttributes(kv...) }

// UpdateRequest renders the request part of call again onto the span, for
// calls whose prompt or model is learnt only while the response streams
// (Bedrock agents). Attributes with the same keys are replaced. Captured
// content is redacted first, as at Start.
func (s *Span) UpdateRequest(call *genai.Call) {
	if !s.span.IsRecording() {
		return
	}
	s.res.redactRequest(call)
	p := getAttrs()
	*p = s.res.Renderer.Request((*p)[:0], call)
	s.span.SetAttributes(*p...)
	putAttrs(p, len(*p))
}

// End ends the span exactly once with what call holds: the response
// attributes on success, status Error with error.type on failure. It also
// records the gen_ai.client.* metrics. Later calls do nothing.
func (s *Span) End(call *genai.Call) {
	s.once.Do(func() {
		defer Guard()
		s.end(call, time.Time{})
	})
}

// EndAt is End for a call that ended at a time already past: the span's end
// and the duration recorded are at's, not the present's (for example the
// last read of a stream its caller abandoned, found out later).
func (s *Span) EndAt(call *genai.Call, at time.Time) {
	s.once.Do(func() {
		defer Guard()
		s.end(call, at)
	})
}

// end ends the span now, or at at when it is set.
func (s *Span) end(call *genai.Call, at time.Time) {
	var elapsed time.Duration
	if at.IsZero() {
		elapsed = time.Since(s.start) // monotonic: one clock read
	} else {
		elapsed = max(at.Sub(s.start), 0)
	}
	p := getAttrs()
	used := 0 // the most entries of *p written, for putAttrs
	ended := false
	defer func() {
		if !ended {
			// Something before End panicked (a user's redactor or
			// pricing, rendering): the span still ends, with what it has.
			s.span.End(endOptions(at)...)
			used = cap(*p) // written up to where? clear it all
		}
		putAttrs(p, used)
	}()
	cost, priced := s.res.pricing.costOf(call)
	if s.span.IsRecording() {
		if call.Err != nil {
			msg := ScrubError(call.Err.Message)
			s.span.SetStatus(codes.Error, msg)
			s.exceptionEvent(call, msg, at)
			*p = append((*p)[:0], semconv.ErrorType(call.Err.Type))
			if call.Response.ID != "" {
				// The server answered and then failed (a Responses
				// "response.failed", an error event mid-stream): keep
				// what it said, redacted as on success.
				s.res.redactResponse(call)
				*p = s.res.Renderer.Response(*p, call)
			}
		} else {
			s.res.redactResponse(call)
			*p = s.res.Renderer.Response((*p)[:0], call)
		}
		if priced {
			*p = semconv.CostAttrs(*p, cost, s.res.Renderer.Conventions)
		}
		s.span.SetAttributes(*p...)
		used = len(*p)
	}
	ended = true
	s.span.End(endOptions(at)...)
	used = max(used, s.res.metrics.record(s.ctx, call, elapsed.Seconds(), (*p)[:0]))
	if priced {
		used = max(used, s.res.metrics.recordCost(s.ctx, call, cost, (*p)[:0]))
	}
}

// exceptionEvent adds the exception event of a failed call when the
// conventions record one (not llm-tracekit's: Tracekit alone adds none),
// with msg, the status description, as its message; dated at when it is
// set (the call ended then), else now.
func (s *Span) exceptionEvent(call *genai.Call, msg string, at time.Time) {
	if !s.res.Renderer.RecordsException() {
		return // before buf, which escapes: Tracekit's failed calls allocate nothing more
	}
	var buf [2]attribute.KeyValue
	kv, ok := s.res.Renderer.Exception(buf[:0], call, msg)
	if !ok {
		return
	}
	if at.IsZero() {
		s.span.AddEvent(semconv.EventException, trace.WithAttributes(kv...))
	} else {
		s.span.AddEvent(semconv.EventException, trace.WithAttributes(kv...), trace.WithTimestamp(at))
	}
}

// endOptions dates a span's end at at, when it is set (none: now).
func endOptions(at time.Time) []trace.SpanEndOption {
	if at.IsZero() {
		return nil
	}
	return []trace.SpanEndOption{trace.WithTimestamp(at)}
}

// Guard recovers a panic inside tracing and reports it through otel.Handle.
// Use it as `defer instr.Guard()` in every function that tracing runs on the
// caller's goroutine.
func Guard() {
	if r := recover(); r != nil {
		otel.Handle(fmt.Errorf("tracekit: recovered from a panic in tracing: %v", r))
	}
}
