// Package readfault is a test aid: an http.RoundTripper whose response bodies
// end with a read error in the same Read that returns their last bytes, the
// way a connection that drops right after the final bytes can.
package readfault

import (
	"io"
	"net/http"
)

// Transport passes requests to RT and hands back each response with its
// body read in full beforehand, returned as fast as the caller reads it,
// with Err coming along with the last bytes (not in a Read of its own).
type Transport struct {
	RT  http.RoundTripper
	Err error
}

// RoundTrip implements http.RoundTripper.
func (t Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	res, err := t.RT.RoundTrip(req)
	if err != nil {
		return res, err
	}
	b, _ := io.ReadAll(res.Body)
	_ = res.Body.Close()
	res.Body = &body{b: b, err: t.Err}
	res.ContentLength = -1
	return res, nil
}

// body returns b, then err with its last bytes.
type body struct {
	b    []byte
	err  error
	done bool
}

func (o *body) Read(p []byte) (int, error) {
	if o.done {
		return 0, o.err
	}
	n := copy(p, o.b)
	o.b = o.b[n:]
	if len(o.b) > 0 {
		return n, nil
	}
	o.done = true
	return n, o.err
}

func (o *body) Close() error { return nil }
