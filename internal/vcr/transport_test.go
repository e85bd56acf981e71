package vcr

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
)

// closingBody behaves as smithy-go's request body does: once closed, its
// WriteTo (which io.Copy prefers) fails with io.EOF.
type closingBody struct {
	mu     sync.Mutex
	r      *bytes.Reader
	closed bool
}

func (b *closingBody) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return 0, io.EOF
	}
	return b.r.Read(p)
}

func (b *closingBody) WriteTo(w io.Writer) (int64, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return 0, io.EOF
	}
	return b.r.WriteTo(w)
}

func (b *closingBody) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	return nil
}

// recordingTransport answers at once and keeps the request it was given.
type recordingTransport struct{ got *http.Request }

func (t *recordingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	t.got = r
	return &http.Response{StatusCode: 200, Body: http.NoBody, Request: r}, nil
}

// The transport below the copy must be able to finish with the body after
// the caller has closed its own, as net/http's writer may: it checks for
// bytes past the body's length with io.Copy, after the response may have
// come back.
func TestBufferedClientSendsABodyTheCallerCannotClose(t *testing.T) {
	const payload = `{"messages":[{"role":"user","content":[{"text":"hi"}]}]}`
	base := &recordingTransport{}
	body := &closingBody{r: bytes.NewReader([]byte(payload))}
	req, err := http.NewRequest(http.MethodPost, "http://127.0.0.1:1/model/m/converse-stream", body)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = int64(len(payload))
	resp, err := (bufferedTransport{base: base}).RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	_ = body.Close() // what the AWS SDK does once the response headers are in

	var sent strings.Builder
	if _, err := io.Copy(&sent, base.got.Body); err != nil {
		t.Fatalf("the transport's body failed after the caller closed its own: %v", err)
	}
	if sent.String() != payload {
		t.Fatalf("sent %q, want %q", sent.String(), payload)
	}
	if base.got.ContentLength != int64(len(payload)) || base.got.GetBody == nil {
		t.Fatalf("ContentLength %d, GetBody set %v", base.got.ContentLength, base.got.GetBody != nil)
	}
	again, err := base.got.GetBody()
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := io.ReadAll(again); string(b) != payload {
		t.Fatalf("GetBody gave %q", b)
	}
}

// A request without a body goes through as it is.
func TestBufferedClientWithoutBody(t *testing.T) {
	base := &recordingTransport{}
	req, err := http.NewRequest(http.MethodGet, "http://127.0.0.1:1/", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := (bufferedTransport{base: base}).RoundTrip(req); err != nil {
		t.Fatal(err)
	}
	if base.got != req {
		t.Fatal("a request without a body was copied")
	}
}

// A body that fails to read fails the call, as it would have without the
// copy.
func TestBufferedClientBodyReadError(t *testing.T) {
	boom := errors.New("boom")
	req, err := http.NewRequest(http.MethodPost, "http://127.0.0.1:1/", io.NopCloser(failingReader{boom}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := (bufferedTransport{base: &recordingTransport{}}).RoundTrip(req); !errors.Is(err, boom) {
		t.Fatalf("err = %v, want %v", err, boom)
	}
}

type failingReader struct{ err error }

func (r failingReader) Read([]byte) (int, error) { return 0, r.err }
