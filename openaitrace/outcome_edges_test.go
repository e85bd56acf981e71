package openaitrace

// Outcome checks: answers the SDK takes in ways a content type does not tell,
// and a context that ends between a body and its end.

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3/option"
	"go.opentelemetry.io/otel/codes"
)

// TestStreamAnsweredAsJSONContentType: openai-go decodes the answer to a
// streaming request as server-sent events whatever its Content-Type
// (ssestream.NewDecoder falls back to SSE for any type it has no decoder
// for, application/json included). A proxy that labels the stream
// application/json, or answers with an empty/non-object JSON body, gives the
// caller a stream that ends without error; the span must not fail it with
// decode_error.
func TestStreamAnsweredAsJSONContentType(t *testing.T) {
	frames := strings.Join(dataEvents(streamChunks(3, true)...), "")
	for _, tc := range []struct{ name, body string }{
		{"sse_frames_labelled_json", frames},
		{"empty_json_body", ""},
		{"json_array_body", "[]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, rawHandler(200, "application/json", tc.body), true)
			st := h.client.Chat.Completions.NewStreaming(context.Background(), chatParams())
			var text strings.Builder
			for st.Next() {
				if c := st.Current(); len(c.Choices) > 0 {
					text.WriteString(c.Choices[0].Delta.Content)
				}
			}
			err := st.Err()
			_ = st.Close()
			if tc.name == "sse_frames_labelled_json" && text.String() != streamText(3) {
				t.Fatalf("premise: caller got %q", text.String())
			}
			checkOutcome(t, h, "", err)
		})
	}
}

// cancelOnNextRead cancels the context at the first Read after the whole
// body has been delivered, then waits so that the tracer's AfterFunc runs
// before the transport reports the cancellation.
type cancelOnNextRead struct {
	rt     http.RoundTripper
	n      int
	cancel context.CancelFunc
}

type cancelBody struct {
	io.ReadCloser
	left   int
	cancel context.CancelFunc
}

func (b *cancelBody) Read(p []byte) (int, error) {
	if b.left <= 0 && b.cancel != nil {
		b.cancel()
		b.cancel = nil
		time.Sleep(100 * time.Millisecond)
	}
	n, err := b.ReadCloser.Read(p)
	b.left -= n
	return n, err
}

func (c *cancelOnNextRead) RoundTrip(r *http.Request) (*http.Response, error) {
	res, err := c.rt.RoundTrip(r)
	if err == nil {
		res.Body = &cancelBody{ReadCloser: res.Body, left: c.n, cancel: c.cancel}
	}
	return res, err
}

// TestCancelAfterWholeBodyBeforeEOF: a chunked body whose bytes are all
// received (one complete JSON value) but whose end has not arrived when the
// caller's context ends. openai-go's io.ReadAll then fails ("error reading
// response body: context canceled") and the caller gets that error; bodyWhole
// makes the span a completed call.
func TestCancelAfterWholeBodyBeforeEOF(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	h0 := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(200)
		_, _ = w.Write([]byte(chatResponseJSON))
		w.(http.Flusher).Flush() // chunked: the body, without its end
		select {
		case <-r.Context().Done():
		case <-release:
		case <-time.After(5 * time.Second):
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	tr := &cancelOnNextRead{rt: http.DefaultTransport, n: len(chatResponseJSON), cancel: cancel}
	h := newHarness(t, h0, false, option.WithHTTPClient(&http.Client{Transport: tr}))
	_, err := h.client.Chat.Completions.New(ctx, chatParams())
	if err == nil {
		t.Fatal("premise: the caller got no error")
	}
	s := h.onlySpan()
	if s.Status().Code != codes.Error {
		t.Errorf("caller err=%v; span status=%v (a completed call)", err, s.Status())
	}
}

// TestSuccessVariants: answers openai-go decodes; the span agrees.
func TestSuccessVariants(t *testing.T) {
	for _, tc := range []struct{ name, ct, body string }{
		{"ct_no_space", "application/json;charset=utf-8", chatResponseJSON},
		{"ct_upper", "Application/JSON", chatResponseJSON},
		{"trailing_newline", "application/json", chatResponseJSON + "\n\r\n "},
		{"leading_ws", "application/json", "\n " + chatResponseJSON},
		{"vendor_json", "application/vnd.api+json", chatResponseJSON},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, rawHandler(200, tc.ct, tc.body), true)
			id, err := auditEndpoints[0].call(h)
			checkOutcome(t, h, id, err)
		})
	}
}

// TestRawCallerPartialReadClose: a raw caller reads part of the body and
// closes it.
func TestRawCallerPartialReadClose(t *testing.T) {
	h := newHarness(t, rawHandler(200, "application/json", chatResponseJSON), false)
	var resp *http.Response
	_, err := h.client.Chat.Completions.New(context.Background(), chatParams(), option.WithResponseBodyInto(&resp))
	if err != nil {
		t.Fatal(err)
	}
	_, _ = resp.Body.Read(make([]byte, 10))
	_ = resp.Body.Close()
	checkOutcome(t, h, "", err)
}
