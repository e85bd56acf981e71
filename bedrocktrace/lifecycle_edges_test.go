package bedrocktrace

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/smithy-go/middleware"

	"go.opentelemetry.io/otel/codes"

	"github.com/tracekit-go/tracekit/internal/readfault"
)

// TestConverseStreamTerminalAndErrorInOneRead: the last Read carries the
// terminal frame and a read error. The caller gets every event and no error,
// exactly as when the error comes in the next Read (which ends the span as
// its frames said): the span must not record a failure either.
func TestConverseStreamTerminalAndErrorInOneRead(t *testing.T) {
	for _, sameRead := range []bool{false, true} {
		e := newEnv(t)
		f := newFake(t, reply{frames: converseStreamFrames(t, 2)})
		inner := e.http.Transport
		if inner == nil {
			inner = http.DefaultTransport
		}
		if sameRead {
			e.http = &http.Client{Transport: readfault.Transport{RT: inner, Err: io.ErrUnexpectedEOF}}
		} else {
			e.http = &http.Client{Transport: splitErr{inner}}
		}
		out, err := e.runtime(f.URL, true).ConverseStream(context.Background(), streamInput())
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for range out.GetStream().Events() {
			n++
		}
		if err := out.GetStream().Err(); err != nil || n != 10 {
			t.Fatalf("sameRead=%v: caller got %d events, %v", sameRead, n, err)
		}
		_ = out.GetStream().Close()
		if s := e.oneSpan(); s.Status().Code == codes.Error {
			t.Errorf("sameRead=%v: span %v after the terminal event", sameRead, s.Status())
		}
		f.Close()
	}
}

// splitErr returns the whole body, then the error in the next Read.
type splitErr struct{ rt http.RoundTripper }

type thenErr struct {
	b []byte
}

func (o *thenErr) Read(p []byte) (int, error) {
	if len(o.b) == 0 {
		return 0, io.ErrUnexpectedEOF
	}
	n := copy(p, o.b)
	o.b = o.b[n:]
	return n, nil
}
func (o *thenErr) Close() error { return nil }

func (r splitErr) RoundTrip(req *http.Request) (*http.Response, error) {
	res, err := r.rt.RoundTrip(req)
	if err != nil {
		return res, err
	}
	b, _ := io.ReadAll(res.Body)
	_ = res.Body.Close()
	res.Body = &thenErr{b: b}
	res.ContentLength = -1
	return res, nil
}

// TestConverseStreamTerminalThenHang: the server sends the terminal frames and
// hangs; the span ends (completed) while the SDK waits for more, and the
// cancellation that follows changes nothing.
func TestConverseStreamTerminalThenHang(t *testing.T) {
	e := newEnv(t)
	f := newFake(t, reply{frames: converseStreamFrames(t, 2), hang: true})
	ctx, cancel := context.WithCancel(context.Background())
	out, err := e.runtime(f.URL, true).ConverseStream(ctx, streamInput())
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 10; i++ {
		<-out.GetStream().Events()
	}
	deadline := time.Now().Add(3 * time.Second)
	for len(e.spans()) == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if len(e.spans()) != 1 {
		t.Fatal("span not ended after the terminal event")
	}
	cancel()
	var wg sync.WaitGroup
	for k := 0; k < 2; k++ {
		wg.Add(1)
		go func() { defer wg.Done(); _ = out.GetStream().Close() }()
	}
	wg.Wait()
	if s := e.oneSpan(); s.Status().Code == codes.Error {
		t.Fatalf("status %v", s.Status())
	}
	e.leakCheck(t, f)
}

// TestConcurrentConverseKeepTheirOwnState: Converse calls at once on one
// client; each span has its own request and response.
func TestConcurrentConverseKeepTheirOwnState(t *testing.T) {
	e := newEnv(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The model id is in the path: /model/{id}/converse.
		id := strings.Split(r.URL.Path, "/")[2]
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Amzn-Requestid", "req-"+id)
		_, _ = io.WriteString(w, strings.Replace(converseReply, `"Let me check."`, `"answer `+id+`"`, 1))
	}))
	defer srv.Close()
	c := e.runtime(srv.URL, true)
	var wg sync.WaitGroup
	for g := 0; g < 6; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 25; i++ {
				in := converseInput()
				in.ModelId = aws.String(fmt.Sprintf("m-%d-%d", g, i))
				if _, err := c.Converse(context.Background(), in); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	spans := e.spans()
	if len(spans) != 150 {
		t.Fatalf("%d spans", len(spans))
	}
	for _, s := range spans {
		a := attrsOf(s)
		m := a["gen_ai.request.model"].AsString()
		if id := a["gen_ai.response.id"].AsString(); id != "req-"+m {
			t.Errorf("span of %s: response id %s", m, id)
		}
		if got := a["gen_ai.completion.0.content"].AsString(); !strings.Contains(got, "answer "+m) {
			t.Errorf("span of %s: content %q", m, got)
		}
	}
}

// TestPanicBelowEndsSpan: a middleware below the tracing one panics: the
// panic reaches the caller untouched, and the span that was started ends.
func TestPanicBelowEndsSpan(t *testing.T) {
	e := newEnv(t)
	f := newFake(t, reply{body: converseReply})
	c := bedrockruntime.NewFromConfig(e.cfg(f.URL), WithTracing(e.opts(true)...), func(o *bedrockruntime.Options) {
		o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error {
			return s.Finalize.Add(middleware.FinalizeMiddlewareFunc("boom", func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
				panic("inner bug")
			}), middleware.After)
		})
	})
	func() {
		defer func() {
			if r := recover(); r != "inner bug" {
				t.Fatalf("caller recovered %v", r)
			}
		}()
		_, _ = c.Converse(context.Background(), converseInput())
	}()
	if s, n := len(e.rec.Started()), len(e.rec.Ended()); s != 1 || n != 1 {
		t.Fatalf("started %d spans, ended %d", s, n)
	}
}
