package export

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// dropReportEvery is the least time between two drop reports of one exporter.
const dropReportEvery = 5 * time.Second

// queueGuard bounds the spans one exporter has in flight (queued or being
// exported) and reports the spans it drops through otel.Handle.
//
// The SDK's batch span processor drops spans silently (a debug log) when its
// queue is full. The guard admits a span only while fewer than limit spans
// are in flight, and the batch processor behind it has a queue of the same
// size, so the guard drops first and can report it.
type queueGuard struct {
	name       string
	limit      int64
	inflight   atomic.Int64
	dropped    atomic.Int64
	lastReport atomic.Int64 // unix nanoseconds; 0 = never

	// From Shutdown on, failed exports are recorded for Shutdown to return:
	// the batch processor only hands them to otel.Handle.
	closing  atomic.Bool
	mu       sync.Mutex
	lost     int   // spans whose export failed since closing
	firstErr error // the first such failure
}

func (g *queueGuard) admit() bool {
	if g.inflight.Add(1) <= g.limit {
		return true
	}
	g.inflight.Add(-1)
	g.dropped.Add(1)
	g.report(false)
	return false
}

func (g *queueGuard) done(n int) { g.inflight.Add(-int64(n)) }

// failed records n spans whose export failed with err, if shutting down.
func (g *queueGuard) failed(n int, err error) {
	if !g.closing.Load() {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.lost += n
	if g.firstErr == nil {
		g.firstErr = err
	}
}

// lostErr returns the export failures recorded since shutdown began.
func (g *queueGuard) lostErr() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.lost == 0 {
		return nil
	}
	return fmt.Errorf("%s: %d span(s) not exported at shutdown: %w", g.name, g.lost, g.firstErr)
}

// report reports the drops counted since the last report, at most once every
// dropReportEvery unless force is true.
func (g *queueGuard) report(force bool) {
	if g.dropped.Load() == 0 {
		return
	}
	now := time.Now().UnixNano()
	last := g.lastReport.Load()
	if !force && last != 0 && now-last < int64(dropReportEvery) {
		return
	}
	if !g.lastReport.CompareAndSwap(last, now) {
		return
	}
	if n := g.dropped.Swap(0); n > 0 {
		otel.Handle(fmt.Errorf("tracekit/export: %s: dropped %d span(s): export queue full (%d spans waiting)", g.name, n, g.limit))
	}
}

// guardedProcessor admits spans into a batch span processor through a guard.
type guardedProcessor struct {
	sdktrace.SpanProcessor
	g *queueGuard
}

func (p *guardedProcessor) OnEnd(s sdktrace.ReadOnlySpan) {
	// The batch processor ignores unsampled spans; so does the guard.
	if !s.SpanContext().IsSampled() || !p.g.admit() {
		return
	}
	p.SpanProcessor.OnEnd(s)
}

// Shutdown exports the spans still queued and shuts the exporter down, and
// returns the failures of those last exports with the processor's error.
func (p *guardedProcessor) Shutdown(ctx context.Context) error {
	p.g.closing.Store(true)
	err := p.SpanProcessor.Shutdown(ctx)
	if n := p.g.inflight.Load(); err != nil && n > 0 {
		// Given up (the deadline): say how many spans it left behind.
		err = fmt.Errorf("%s: %d span(s) still queued or being exported when shutdown gave up: %w", p.g.name, n, err)
	}
	return errors.Join(err, p.g.lostErr())
}

// guardedExporter tells the guard when spans have left the pipeline.
type guardedExporter struct {
	sdktrace.SpanExporter
	g *queueGuard
}

func (e *guardedExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	err := e.SpanExporter.ExportSpans(ctx, spans)
	if err != nil {
		e.g.failed(len(spans), err)
	}
	e.g.done(len(spans))
	e.g.report(false)
	return err
}

func (e *guardedExporter) Shutdown(ctx context.Context) error {
	err := e.SpanExporter.Shutdown(ctx)
	e.g.report(true)
	return err
}

// newBatchProcessor returns a bounded batch span processor around e whose
// drops are reported through otel.Handle, and whose export failures at
// shutdown are returned by Shutdown.
//
// queue is positive. The batch size is OTEL_BSP_MAX_EXPORT_BATCH_SIZE when
// positive (the SDK would panic on a negative one), at most queue; the
// timeout is timeout when positive, else OTEL_BSP_SCHEDULE_DELAY when
// positive (the SDK would export in a busy loop on zero or less), else the
// SDK's default.
func newBatchProcessor(name string, e sdktrace.SpanExporter, queue int, timeout time.Duration) *guardedProcessor {
	g := &queueGuard{name: name, limit: int64(queue)}
	batch := sdktrace.DefaultMaxExportBatchSize
	if n := envInt(envBSPMaxExportBatch, 0); n > 0 {
		batch = n
	}
	if timeout <= 0 && envSet(envBSPScheduleDelay) && envInt(envBSPScheduleDelay, 0) <= 0 {
		timeout = sdktrace.DefaultScheduleDelay * time.Millisecond
	}
	opts := []sdktrace.BatchSpanProcessorOption{
		sdktrace.WithMaxQueueSize(queue),
		sdktrace.WithMaxExportBatchSize(min(batch, queue)),
	}
	if timeout > 0 {
		opts = append(opts, sdktrace.WithBatchTimeout(timeout))
	}
	bsp := sdktrace.NewBatchSpanProcessor(&guardedExporter{SpanExporter: e, g: g}, opts...)
	return &guardedProcessor{SpanProcessor: bsp, g: g}
}

// fanout is the exporters' processors as one: OnStart and OnEnd go to each
// in turn (none of them blocks unless WithSimpleProcessor), and Shutdown and
// ForceFlush run them side by side. The TracerProvider would shut them down
// one after the other and give up at the deadline, so that an exporter that
// does not finish (a dead collector) would keep the spans queued for the
// others from ever being exported.
type fanout []sdktrace.SpanProcessor

func (f fanout) OnStart(ctx context.Context, s sdktrace.ReadWriteSpan) {
	for _, p := range f {
		p.OnStart(ctx, s)
	}
}

func (f fanout) OnEnd(s sdktrace.ReadOnlySpan) {
	for _, p := range f {
		p.OnEnd(s)
	}
}

func (f fanout) Shutdown(ctx context.Context) error {
	return f.each(func(p sdktrace.SpanProcessor) error { return p.Shutdown(ctx) })
}

func (f fanout) ForceFlush(ctx context.Context) error {
	return f.each(func(p sdktrace.SpanProcessor) error { return p.ForceFlush(ctx) })
}

func (f fanout) each(fn func(sdktrace.SpanProcessor) error) error {
	if len(f) == 1 {
		return fn(f[0])
	}
	errs := make([]error, len(f))
	var wg sync.WaitGroup
	for i, p := range f {
		wg.Go(func() { errs[i] = fn(p) })
	}
	wg.Wait()
	return errors.Join(errs...)
}
