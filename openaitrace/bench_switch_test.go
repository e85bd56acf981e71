package openaitrace

import (
	"net/http"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3/option"
)

// BenchmarkKillSwitch measures the middleware alone, without the SDK around
// it: a direct call of next, a no-op middleware, and this package's
// middleware switched off by Uninstrument. The last two must match: the
// switch costs one atomic load. (In a client, openai-go itself adds 2
// allocations per call for any middleware: BenchmarkChat/noop_middleware.)
func BenchmarkKillSwitch(b *testing.B) {
	req, _ := http.NewRequest(http.MethodPost, "http://llm.test/v1/chat/completions", strings.NewReader(`{}`))
	res := &http.Response{StatusCode: 200}
	next := func(*http.Request) (*http.Response, error) { return res, nil }
	noop := option.Middleware(func(r *http.Request, n option.MiddlewareNext) (*http.Response, error) { return n(r) })
	ours := Middleware(WithCaptureContent(true))
	run := func(b *testing.B, mw option.Middleware) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if r, err := mw(req, next); r != res || err != nil {
				b.Fatal(r, err)
			}
		}
	}
	b.Run("direct", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if r, err := next(req); r != res || err != nil {
				b.Fatal(r, err)
			}
		}
	})
	b.Run("noop_middleware", func(b *testing.B) { run(b, noop) })
	b.Run("uninstrumented", func(b *testing.B) {
		Uninstrument()
		defer Instrument()
		run(b, ours)
	})
}
