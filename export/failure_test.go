package export

import (
	"context"
	"errors"
	"io"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.uber.org/goleak"

	"github.com/tracekit-go/tracekit/export/exporttest"
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
			if err == nil || !strings.Contains(err.Error(), "1 span(s) still queued or being exported") {
				t.Errorf("shutdown error = %v, want the number of spans left behind", err)
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

// TestFailedNewLeavesNothingRunning checks that New, when it fails after it
// has created some exporters, shuts them down: no batch span processor
// goroutine, periodic metric reader or gRPC connection is left running.
func TestFailedNewLeavesNothingRunning(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		opts func(t *testing.T) []Option
	}{
		{name: "console, then a file that cannot be created", opts: func(t *testing.T) []Option {
			return []Option{WithConsole(io.Discard), WithFile(filepath.Join(t.TempDir(), "no", "such", "dir", "x.jsonl"))}
		}},
		{name: "otlp grpc, then a file that cannot be created", opts: func(t *testing.T) []Option {
			return []Option{WithOTLPGRPC(closedPort(t), WithInsecure()), WithFile(filepath.Join(t.TempDir(), "no", "such", "dir", "x.jsonl"))}
		}},
		{name: "env: console traces, unknown metrics exporter", env: map[string]string{envTracesExporter: "console", envMetricsExporter: "bogus"}},
		{name: "env: otlp traces, malformed metrics headers", env: map[string]string{
			envOTLPEndpoint: "http://127.0.0.1:1", "OTEL_EXPORTER_OTLP_METRICS_HEADERS": "no-equals-sign"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clearEnv(t, tc.env)
			var opts []Option
			if tc.opts != nil {
				opts = tc.opts(t)
			}
			ignore := goleak.IgnoreCurrent()
			if _, err := New(context.Background(), opts...); err == nil {
				t.Fatal("New succeeded, want an error")
			}
			if err := findLeaks(ignore); err != nil {
				t.Errorf("the failed New left goroutines running:\n%v", err)
			}
		})
	}
}

// failingExporter fails every export, as a collector answering 503 would.
type failingExporter struct{}

func (failingExporter) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error {
	return errors.New("collector said 503")
}
func (failingExporter) Shutdown(context.Context) error { return nil }

// TestShutdownReportsLostSpans checks that the shutdown function returns an
// error, naming the exporter and the number of spans, when the export of the
// spans still queued fails: the batch span processor only hands such
// failures to otel.Handle, and shutdown reported lost metrics but not lost
// spans.
func TestShutdownReportsLostSpans(t *testing.T) {
	t.Run("span exporter", func(t *testing.T) {
		clearEnv(t, nil)
		captureErrors(t)
		p, err := New(context.Background(), WithSpanExporter(failingExporter{}))
		if err != nil {
			t.Fatal(err)
		}
		_, s := p.TracerProvider.Tracer("t").Start(context.Background(), "lost")
		s.End()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		err = p.Shutdown(ctx)
		if err == nil || !strings.Contains(err.Error(), "export.failingExporter: 1 span(s) not exported") || !strings.Contains(err.Error(), "collector said 503") {
			t.Errorf("shutdown error = %v, want one naming the exporter, the lost span and the export error", err)
		}
	})
	t.Run("otlp grpc collector rejecting", func(t *testing.T) {
		clearEnv(t, nil)
		captureErrors(t)
		rcv := exporttest.NewGRPCReceiver(t)
		rcv.SetFailing(true)
		p, err := New(context.Background(), WithOTLPGRPC(rcv.Endpoint, WithInsecure()))
		if err != nil {
			t.Fatal(err)
		}
		tracedChat(t, context.Background(), p.TracerProvider, p.MeterProvider)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		err = p.Shutdown(ctx)
		if err == nil || !strings.Contains(err.Error(), "otlp-grpc "+rcv.Endpoint+": 1 span(s) not exported") {
			t.Errorf("shutdown error = %v, want one reporting the rejected span", err)
		}
	})
}

// shutdownSignal is a span exporter whose Shutdown reports that it has
// started, then waits for release whatever its context says.
type shutdownSignal struct {
	started, release chan struct{}
}

func (shutdownSignal) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }

func (e shutdownSignal) Shutdown(context.Context) error {
	close(e.started)
	<-e.release
	return nil
}

// TestConcurrentShutdownHonoursOwnDeadline checks that a shutdown call made
// while another one is in progress returns when its own context is done
// (not when the first call's is: here it has none), and that once the
// shutdown has finished, later calls return its result, even with a context
// already done.
func TestConcurrentShutdownHonoursOwnDeadline(t *testing.T) {
	clearEnv(t, nil)
	e := shutdownSignal{started: make(chan struct{}), release: make(chan struct{})}
	released := false
	release := func() {
		if !released {
			released = true
			close(e.release)
		}
	}
	defer release()
	p, err := New(context.Background(), WithSpanExporter(e))
	if err != nil {
		t.Fatal(err)
	}
	first := make(chan error, 1)
	go func() { first <- p.Shutdown(context.Background()) }()
	select {
	case <-e.started:
	case <-time.After(10 * time.Second):
		t.Fatal("the first shutdown did not reach the exporter")
	}

	second := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		second <- p.Shutdown(ctx)
	}()
	select {
	case err := <-second:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("second shutdown = %v, want its own deadline exceeded", err)
		}
	case <-time.After(10 * time.Second):
		release()
		t.Fatal("a shutdown with a 100ms deadline had not returned after 10s: it waits for the first call")
	}
	select {
	case err := <-first:
		t.Fatalf("the first shutdown returned (%v) before the exporter finished", err)
	default:
	}

	release()
	select {
	case err := <-first:
		if err != nil {
			t.Fatalf("first shutdown: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the first shutdown did not return once the exporter finished")
	}
	done, cancel := context.WithCancel(context.Background())
	cancel()
	if err := p.Shutdown(done); err != nil {
		t.Errorf("shutdown after completion, with a context already done: %v, want the result, nil", err)
	}
}
