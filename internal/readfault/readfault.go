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
// with Err coming along with the last bytes (not in a Read of its own,
// unless NextRead).
type Transport struct {
	RT  http.RoundTripper
	Err error
	// Cut, when positive, is how many bytes of the body come before Err
	// (a connection that drops mid-body).
	Cut int
	// NextRead makes Err come in the Read after the last bytes.
	NextRead bool
}

// RoundTrip implements http.RoundTripper.
func (t Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	res, err := t.RT.RoundTrip(req)
	if err != nil {
		return res, err
	}
	b, _ := io.ReadAll(res.Body)
	_ = res.Body.Close()
	if t.Cut > 0 && t.Cut < len(b) {
		b = b[:t.Cut]
	}
	res.Body = &body{b: b, err: t.Err, done: len(b) == 0, next: t.NextRead}
	res.ContentLength = -1
	return res, nil
}

// body returns b, then err with its last bytes (or after them: next).
type body struct {
	b    []byte
	err  error
	done bool // the last bytes have been returned
	next bool // err comes in a Read of its own
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
	if o.next {
		return n, nil
	}
	return n, o.err
}

func (o *body) Close() error { return nil }
