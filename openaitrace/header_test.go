package openaitrace

import (
	"net/http"
	"testing"
)

func TestIsEventStream(t *testing.T) {
	for ct, want := range map[string]bool{
		"text/event-stream": true, "Text/Event-Stream; charset=utf-8": true, " \ttext/event-stream": true,
		"application/json": false, "text/event": false, "": false, "text/html": false,
	} {
		if got := isEventStream(ct); got != want {
			t.Errorf("isEventStream(%q) = %v", ct, got)
		}
	}
}

func TestHeader(t *testing.T) {
	h := http.Header{}
	h.Set("x-stainless-retry-count", "2")
	if got := header(h, "X-Stainless-Retry-Count"); got != h.Get("X-Stainless-Retry-Count") || got != "2" {
		t.Errorf("header = %q", got)
	}
	if got := header(h, "Content-Type"); got != "" {
		t.Errorf("absent header = %q", got)
	}
}
