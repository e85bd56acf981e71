// Package exporttest runs in-process OTLP receivers on the loopback
// interface, so that tests can check what a program's telemetry setup really
// sends: the headers and the decoded spans and metrics.
//
//	rcv := exporttest.NewGRPCReceiver(t)
//	shutdown, _ := export.Setup(ctx, export.WithOTLPGRPC(rcv.Endpoint, export.WithInsecure()))
//	// ... traced calls ...
//	shutdown(ctx)
//	spans := rcv.Spans()
package exporttest

import (
	"compress/gzip"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	colmetricpb "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	metricpb "go.opentelemetry.io/proto/otlp/metrics/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// Signal names of [Request.Signal].
const (
	// SignalTraces marks a traces export request.
	SignalTraces = "traces"
	// SignalMetrics marks a metrics export request.
	SignalMetrics = "metrics"
)

// Request is one export request a receiver got.
type Request struct {
	// Signal is SignalTraces or SignalMetrics.
	Signal string
	// Headers are the request's HTTP headers or gRPC metadata, with
	// lower-case keys.
	Headers map[string][]string
	// Traces is the decoded request of a traces export.
	Traces *coltracepb.ExportTraceServiceRequest
	// Metrics is the decoded request of a metrics export.
	Metrics *colmetricpb.ExportMetricsServiceRequest
}

// Header returns the first value of the header key (any case), or "".
func (r Request) Header(key string) string {
	if v := r.Headers[strings.ToLower(key)]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// Receiver is an OTLP receiver listening on 127.0.0.1. It records every
// request until the test ends.
type Receiver struct {
	// Endpoint is where to send to: "127.0.0.1:<port>" for a gRPC receiver
	// (use it with an insecure connection), "http://127.0.0.1:<port>" for
	// an HTTP receiver (a base URL, without /v1/traces).
	Endpoint string
	// ClientTLS trusts the receiver's certificate, for the receivers that
	// serve TLS; it is nil for the others.
	ClientTLS *tls.Config

	fail     atomic.Bool
	mu       sync.Mutex
	requests []Request
	changed  chan struct{} // closed and replaced on every request
}

func newReceiver() *Receiver { return &Receiver{changed: make(chan struct{})} }

// SetFailing makes the receiver reject every export while on is true, with
// an error exporters do not retry (gRPC PermissionDenied, HTTP 400).
func (r *Receiver) SetFailing(on bool) { r.fail.Store(on) }

func (r *Receiver) record(req Request) {
	r.mu.Lock()
	r.requests = append(r.requests, req)
	close(r.changed)
	r.changed = make(chan struct{})
	r.mu.Unlock()
}

// Requests returns the requests received so far.
func (r *Receiver) Requests() []Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Request(nil), r.requests...)
}

// ResourceSpans returns the resource spans of every traces request.
func (r *Receiver) ResourceSpans() []*tracepb.ResourceSpans {
	var out []*tracepb.ResourceSpans
	for _, req := range r.Requests() {
		if req.Traces != nil {
			out = append(out, req.Traces.ResourceSpans...)
		}
	}
	return out
}

// Spans returns every span received so far.
func (r *Receiver) Spans() []*tracepb.Span {
	var out []*tracepb.Span
	for _, rs := range r.ResourceSpans() {
		for _, ss := range rs.ScopeSpans {
			out = append(out, ss.Spans...)
		}
	}
	return out
}

// Metrics returns every metric received so far.
func (r *Receiver) Metrics() []*metricpb.Metric {
	var out []*metricpb.Metric
	for _, req := range r.Requests() {
		if req.Metrics == nil {
			continue
		}
		for _, rm := range req.Metrics.ResourceMetrics {
			for _, sm := range rm.ScopeMetrics {
				out = append(out, sm.Metrics...)
			}
		}
	}
	return out
}

// WaitFor waits until cond, called with the requests received so far, is
// true, and fails the test after timeout.
func (r *Receiver) WaitFor(t testing.TB, timeout time.Duration, cond func([]Request) bool) {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		r.mu.Lock()
		reqs := append([]Request(nil), r.requests...)
		ch := r.changed
		r.mu.Unlock()
		if cond(reqs) {
			return
		}
		select {
		case <-ch:
		case <-deadline.C:
			t.Fatalf("exporttest: condition not met within %v (%d requests received)", timeout, len(reqs))
		}
	}
}

// NewGRPCReceiver starts an OTLP gRPC receiver (trace and metrics services)
// on 127.0.0.1, without TLS, and stops it when the test ends.
func NewGRPCReceiver(t testing.TB) *Receiver {
	t.Helper()
	return newGRPCReceiver(t, nil)
}

// NewTLSGRPCReceiver is NewGRPCReceiver serving TLS with a certificate
// for 127.0.0.1 that [Receiver.ClientTLS] trusts.
func NewTLSGRPCReceiver(t testing.TB) *Receiver {
	t.Helper()
	cert, client := testCertificate(t)
	r := newGRPCReceiver(t, &cert)
	r.ClientTLS = client
	return r
}

// testCertificate returns httptest's certificate for 127.0.0.1 and a client
// configuration that trusts it.
func testCertificate(t testing.TB) (tls.Certificate, *tls.Config) {
	t.Helper()
	s := httptest.NewUnstartedServer(http.NotFoundHandler())
	s.StartTLS()
	defer s.Close()
	pool := x509.NewCertPool()
	pool.AddCert(s.Certificate())
	return s.TLS.Certificates[0], &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
}

func newGRPCReceiver(t testing.TB, cert *tls.Certificate) *Receiver {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("exporttest: listen: %v", err)
	}
	r := newReceiver()
	r.Endpoint = lis.Addr().String()
	var opts []grpc.ServerOption
	if cert != nil {
		opts = append(opts, grpc.Creds(credentials.NewServerTLSFromCert(cert)))
	}
	srv := grpc.NewServer(opts...)
	coltracepb.RegisterTraceServiceServer(srv, &traceService{r: r})
	colmetricpb.RegisterMetricsServiceServer(srv, &metricsService{r: r})
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	return r
}

func headersOf(ctx context.Context) map[string][]string {
	md, _ := metadata.FromIncomingContext(ctx)
	h := make(map[string][]string, len(md))
	for k, v := range md {
		h[strings.ToLower(k)] = v
	}
	return h
}

type traceService struct {
	coltracepb.UnimplementedTraceServiceServer
	r *Receiver
}

func (s *traceService) Export(ctx context.Context, req *coltracepb.ExportTraceServiceRequest) (*coltracepb.ExportTraceServiceResponse, error) {
	if s.r.fail.Load() {
		return nil, status.Error(codes.PermissionDenied, "exporttest: failing on purpose")
	}
	s.r.record(Request{Signal: SignalTraces, Headers: headersOf(ctx), Traces: req})
	return &coltracepb.ExportTraceServiceResponse{}, nil
}

type metricsService struct {
	colmetricpb.UnimplementedMetricsServiceServer
	r *Receiver
}

func (s *metricsService) Export(ctx context.Context, req *colmetricpb.ExportMetricsServiceRequest) (*colmetricpb.ExportMetricsServiceResponse, error) {
	if s.r.fail.Load() {
		return nil, status.Error(codes.PermissionDenied, "exporttest: failing on purpose")
	}
	s.r.record(Request{Signal: SignalMetrics, Headers: headersOf(ctx), Metrics: req})
	return &colmetricpb.ExportMetricsServiceResponse{}, nil
}

// NewHTTPReceiver starts an OTLP/HTTP receiver (protobuf; POST /v1/traces
// and /v1/metrics) on 127.0.0.1, without TLS, and stops it when the test
// ends.
func NewHTTPReceiver(t testing.TB) *Receiver {
	t.Helper()
	return newHTTPReceiver(t, false)
}

// NewTLSHTTPReceiver is NewHTTPReceiver serving HTTPS with a certificate
// for 127.0.0.1 that [Receiver.ClientTLS] trusts.
func NewTLSHTTPReceiver(t testing.TB) *Receiver {
	t.Helper()
	return newHTTPReceiver(t, true)
}

func newHTTPReceiver(t testing.TB, useTLS bool) *Receiver {
	t.Helper()
	r := newReceiver()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("exporttest: listen: %v", err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(r.serveHTTP))
	srv.Listener.Close()
	srv.Listener = lis
	if useTLS {
		srv.StartTLS()
		pool := x509.NewCertPool()
		pool.AddCert(srv.Certificate())
		r.ClientTLS = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	r.Endpoint = srv.URL
	return r
}

func (r *Receiver) serveHTTP(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodPost {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	var body io.Reader = req.Body
	if req.Header.Get("Content-Encoding") == "gzip" {
		gz, err := gzip.NewReader(req.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		body = gz
	}
	data, err := io.ReadAll(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if r.fail.Load() {
		http.Error(w, "exporttest: failing on purpose", http.StatusBadRequest)
		return
	}
	h := make(map[string][]string, len(req.Header))
	for k, v := range req.Header {
		h[strings.ToLower(k)] = v
	}
	var resp proto.Message
	switch req.URL.Path {
	case "/v1/traces":
		m := &coltracepb.ExportTraceServiceRequest{}
		if err := proto.Unmarshal(data, m); err != nil {
			http.Error(w, fmt.Sprintf("decode: %v", err), http.StatusBadRequest)
			return
		}
		r.record(Request{Signal: SignalTraces, Headers: h, Traces: m})
		resp = &coltracepb.ExportTraceServiceResponse{}
	case "/v1/metrics":
		m := &colmetricpb.ExportMetricsServiceRequest{}
		if err := proto.Unmarshal(data, m); err != nil {
			http.Error(w, fmt.Sprintf("decode: %v", err), http.StatusBadRequest)
			return
		}
		r.record(Request{Signal: SignalMetrics, Headers: h, Metrics: m})
		resp = &colmetricpb.ExportMetricsServiceResponse{}
	default:
		http.NotFound(w, req)
		return
	}
	out, _ := proto.Marshal(resp)
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(out)
}
