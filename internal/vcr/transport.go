package vcr

import (
	"bytes"
	"io"
	"net/http"
)

// BufferedClient returns an HTTP client for tests whose transport sends an
// in-memory copy of every request body.
//
// Why: the AWS SDK closes a request body as soon as response headers arrive.
// Against a local server that answers before it has read the whole request
// (which a fake does), net/http then sees io.EOF from the body's WriteTo and
// closes the connection, cutting a streamed response (about 1 run in 6 for
// Bedrock event streams, with or without instrumentation). Sending a buffered
// copy, with GetBody set, removes the race. The transport sits below every SDK
// middleware, so instrumentation sees identical calls.
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
