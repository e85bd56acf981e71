package export

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// errorLog records what reaches otel.Handle during a test.
type errorLog struct {
	mu   sync.Mutex
	errs []error
}

func (l *errorLog) Handle(err error) {
	l.mu.Lock()
	l.errs = append(l.errs, err)
	l.mu.Unlock()
}

func (l *errorLog) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.errs)
}

func (l *errorLog) contains(sub string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, e := range l.errs {
		if strings.Contains(e.Error(), sub) {
			return true
		}
	}
	return false
}

// captureErrors routes otel.Handle to a log until the test ends.
func captureErrors(t *testing.T) *errorLog {
	l := &errorLog{}
	prev := otel.GetErrorHandler()
	otel.SetErrorHandler(l)
	t.Cleanup(func() { otel.SetErrorHandler(prev) })
	return l
}

// blackhole accepts connections on 127.0.0.1 and never answers: the worst
// kind of endpoint, where every export waits for its timeout.
func blackhole(t *testing.T) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := lis.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		lis.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	return lis.Addr().String()
}

// closedPort returns a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := lis.Addr().String()
	lis.Close()
	return addr
}

// TestDeadEndpointDoesNotSlowSpans ends 1000 spans against endpoints that
// never answer or refuse connections, with a queue smaller than that, and
// checks that starting and ending them stays fast (a generous bound, not a
// benchmark), that the drops are reported through otel.Handle, and that
// shutdown returns within its deadline.
func TestDeadEndpointDoesNotSlowSpans(t *testing.T) {
	cases := []struct {
		name string
		opt  func(t *testing.T) Option
	}{
		{"grpc blackhole", func(t *testing.T) Option { return WithOTLPGRPC(blackhole(t), WithInsecure()) }},
		{"http blackhole", func(t *testing.T) Option { return WithOTLPHTTP("http://" + blackhole(t)) }},
		{"grpc refused", func(t *testing.T) Option { return WithOTLPGRPC(closedPort(t), WithInsecure()) }},
		{"http refused", func(t *testing.T) Option { return WithOTLPHTTP("http://" + closedPort(t)) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			errs := captureErrors(t)
			ctx := context.Background()
			p, err := New(ctx, tc.opt(t), WithMaxQueueSize(100), WithBatchTimeout(time.Millisecond))
			if err != nil {
				t.Fatal(err)
			}
			tr := p.TracerProvider.Tracer("t")
			const n = 1000
			start := time.Now()
			for range n {
				_, s := tr.Start(ctx, "call")
				s.End()
			}
			tracedChat(t, ctx, p.TracerProvider, p.MeterProvider)
			if el := time.Since(start); el > time.Second {
				t.Errorf("%d spans took %v against a dead endpoint, want < 1s", n, el)
			}
			if !errs.contains("dropped") {
				t.Errorf("no drop reported through otel.Handle; got %d errors", errs.count())
			}
			sctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
			defer cancel()
			start = time.Now()
			_ = p.Shutdown(sctx)
			if el := time.Since(start); el > 2*time.Second {
				t.Errorf("shutdown took %v with a 300ms deadline", el)
			}
		})
	}
}

// blockingExporter blocks every export until released.
type blockingExporter struct{ release chan struct{} }

func (e *blockingExporter) ExportSpans(ctx context.Context, _ []sdktrace.ReadOnlySpan) error {
	select {
	case <-e.release:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (e *blockingExporter) Shutdown(context.Context) error { return nil }

// hangingExporter never returns from an export, whatever its context says.
type hangingExporter struct{ release chan struct{} }

func (e *hangingExporter) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error {
	<-e.release
	return nil
}

func (e *hangingExporter) Shutdown(context.Context) error {
	<-e.release
	return nil
}

func TestShutdownDeadline(t *testing.T) {
	for _, tc := range []struct {
		name string
		exp  func(chan struct{}) sdktrace.SpanExporter
	}{
		{"honours ctx", func(c chan struct{}) sdktrace.SpanExporter { return &blockingExporter{release: c} }},
		{"ignores ctx", func(c chan struct{}) sdktrace.SpanExporter { return &hangingExporter{release: c} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			release := make(chan struct{})
			defer close(release)
			ctx := context.Background()
			p, err := New(ctx, WithSpanExporter(tc.exp(release)))
			if err != nil {
				t.Fatal(err)
			}
			_, s := p.TracerProvider.Tracer("t").Start(ctx, "x")
			s.End()
			sctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
			defer cancel()
			start := time.Now()
			err = p.Shutdown(sctx)
			if el := time.Since(start); el > 1500*time.Millisecond {
				t.Errorf("shutdown took %v with a 200ms deadline", el)
			}
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("shutdown error = %v, want deadline exceeded", err)
			}
		})
	}
}

// countingExporter counts exported spans and shutdowns.
type countingExporter struct {
	mu        sync.Mutex
	spans     int
	shutdowns int
}

func (e *countingExporter) ExportSpans(_ context.Context, s []sdktrace.ReadOnlySpan) error {
	e.mu.Lock()
	e.spans += len(s)
	e.mu.Unlock()
	return nil
}

func (e *countingExporter) Shutdown(context.Context) error {
	e.mu.Lock()
	e.shutdowns++
	e.mu.Unlock()
	return nil
}

func TestShutdownTwice(t *testing.T) {
	ctx := context.Background()
	e := &countingExporter{}
	p, err := New(ctx, WithSpanExporter(e))
	if err != nil {
		t.Fatal(err)
	}
	_, s := p.TracerProvider.Tracer("t").Start(ctx, "x")
	s.End()
	if err := p.Shutdown(ctx); err != nil {
		t.Fatalf("first shutdown: %v", err)
	}
	if err := p.Shutdown(ctx); err != nil {
		t.Fatalf("second shutdown: %v", err)
	}
	if e.spans != 1 {
		t.Errorf("exported %d spans, want 1 (flushed by shutdown)", e.spans)
	}
	if e.shutdowns != 1 {
		t.Errorf("exporter shut down %d times, want 1", e.shutdowns)
	}
}

func TestQueueGuardBoundsInflight(t *testing.T) {
	errs := captureErrors(t)
	release := make(chan struct{})
	ctx := context.Background()
	p, err := New(ctx, WithSpanExporter(&blockingExporter{release: release}), WithMaxQueueSize(10), WithBatchTimeout(time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	for range 1000 {
		_, s := p.TracerProvider.Tracer("t").Start(ctx, "x")
		s.End()
	}
	if !errs.contains("dropped") {
		t.Error("drops not reported")
	}
	close(release)
	if err := p.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
}
