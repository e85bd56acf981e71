package openaitrace

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
)

// TestRequestBytesUnchanged: the server receives the very bytes the caller's
// request carries, whatever the body's kind: the SDK's own marshalled params,
// or a body given with option.WithRequestBody as bytes, as a *bytes.Reader
// (whose GetBody rewinds and returns the reader the transport sends, so that
// reading through GetBody would empty the request), or as a plain reader
// (not replayable). A retry resends the same bytes.
func TestRequestBytesUnchanged(t *testing.T) {
	const raw = `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"raw body \"quoted\""}],"user":"u-raw"}`
	type onlyReader struct{ io.Reader }
	for _, tc := range []struct {
		name    string
		opt     func() option.RequestOption
		retries int
		want    string
	}{
		{"params", func() option.RequestOption { return option.WithMaxRetries(0) }, 0, ""},
		{"bytes", func() option.RequestOption { return option.WithRequestBody("application/json", []byte(raw)) }, 0, raw},
		{"bytes_reader", func() option.RequestOption {
			return option.WithRequestBody("application/json", bytes.NewReader([]byte(raw)))
		}, 0, raw},
		// (A retried *bytes.Reader body is left out: openai-go rewinds the
		// reader while the failed attempt's transport may still read it, a
		// race of its own, untraced too.)
		{"params_retried", func() option.RequestOption { return option.WithMaxRetries(1) }, 1, ""},
		{"plain_reader", func() option.RequestOption {
			return option.WithRequestBody("application/json", onlyReader{strings.NewReader(raw)})
		}, 0, raw},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			var got []string
			calls := 0
			h := newHarness(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				mu.Lock()
				got = append(got, string(b))
				calls++
				n := calls
				mu.Unlock()
				if n <= tc.retries {
					w.Header().Set("Content-Type", "application/json")
					w.WriteHeader(500)
					_, _ = io.WriteString(w, `{"error":{"message":"try again","type":"server_error"}}`)
					return
				}
				w.Header().Set("Content-Type", "application/json")
				_, _ = io.WriteString(w, chatResponseJSON)
			}), true)
			res, err := h.client.Chat.Completions.New(context.Background(), chatParams(), tc.opt(),
				option.WithMaxRetries(tc.retries), option.WithRequestTimeout(0))
			if err != nil {
				t.Fatal(err)
			}
			if res.ID != "chatcmpl-fixture1" {
				t.Errorf("caller got %+v", res)
			}
			if len(got) != tc.retries+1 {
				t.Fatalf("%d requests, want %d", len(got), tc.retries+1)
			}
			want := tc.want
			if want == "" {
				untraced := openai.ChatCompletionNewParams(chatParams())
				b, _ := untraced.MarshalJSON()
				want = string(b)
			}
			for i, g := range got {
				if g != want {
					t.Errorf("request %d carried %q\nwant %q", i, g, want)
				}
			}
			spans := h.spans()
			if len(spans) != tc.retries+1 {
				t.Fatalf("%d spans", len(spans))
			}
			last := attrs(spans[len(spans)-1])
			if tc.want != "" {
				if u := last["gen_ai.request.user"].AsString(); u != "u-raw" {
					t.Errorf("span's user %q: the tracer did not read the body sent", u)
				}
			}
		})
	}
}
