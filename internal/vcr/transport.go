package vcr

import (
	"bytes"
	"io"
	"net/http"
)

// BufferedClient returns an HTTP client for tests, examples and fakes whose
// transport sends an in-memory copy of every request body.
//
// Why: the AWS SDK (smithy-go) closes a request's body as soon as the
// response headers arrive, while net/http may still be checking that body
// for bytes past its length (io.Copy, which prefers the body's WriteTo). A
// local server that answers at once can win that race: the closed body's
// WriteTo returns io.EOF, net/http takes it for a write error and closes
// the connection, which cuts the response being read. A Bedrock event
// stream then fails with "use of closed network connection" (about once in
// 300 runs on a loaded machine, with or without instrumentation). Sending a
// buffered copy, with GetBody set, removes the race. The transport sits
// below every SDK middleware, so instrumentation sees identical calls.
func BufferedClient() *http.Client {
	base := http.DefaultTransport.(*http.Transport).Clone()
	return &http.Client{Transport: bufferedTransport{base: base}}
}

type bufferedTransport struct{ base http.RoundTripper }

func (t bufferedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return t.base.RoundTrip(r)
	}
	b, err := io.ReadAll(r.Body)
	_ = r.Body.Close()
	if err != nil {
		return nil, err
	}
	c := r.Clone(r.Context())
	c.Body = io.NopCloser(bytes.NewReader(b))
	c.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	c.ContentLength = int64(len(b))
	return t.base.RoundTrip(c)
}
