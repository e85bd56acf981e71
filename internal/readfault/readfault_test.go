package readfault

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestLastBytesCarryTheError: the whole body arrives, and the Read that
// returns its last bytes also returns Err.
func TestLastBytesCarryTheError(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("hello world")) }))
	defer srv.Close()
	boom := errors.New("boom")
	res, err := (&http.Client{Transport: Transport{RT: http.DefaultTransport, Err: boom}}).Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	var got strings.Builder
	p := make([]byte, 4)
	for {
		n, err := res.Body.Read(p)
		got.Write(p[:n])
		if err != nil {
			if err != boom || n == 0 {
				t.Fatalf("last Read: %d bytes, %v; want bytes with boom", n, err)
			}
			break
		}
	}
	if got.String() != "hello world" {
		t.Fatalf("body %q", got.String())
	}
	if n, err := res.Body.Read(p); n != 0 || err != boom {
		t.Fatalf("after the end: %d, %v", n, err)
	}
}

// TestCutAndNextRead: Cut keeps the first bytes only; NextRead gives the
// error a Read of its own after them.
func TestCutAndNextRead(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("hello world")) }))
	defer srv.Close()
	boom := errors.New("boom")
	res, err := (&http.Client{Transport: Transport{RT: http.DefaultTransport, Err: boom, Cut: 5, NextRead: true}}).Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	p := make([]byte, 64)
	if n, err := res.Body.Read(p); string(p[:n]) != "hello" || err != nil {
		t.Fatalf("first Read: %q, %v", p[:n], err)
	}
	if n, err := res.Body.Read(p); n != 0 || err != boom {
		t.Fatalf("next Read: %d, %v", n, err)
	}
}
