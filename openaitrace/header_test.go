package openaitrace

import (
	"net/http"
	"testing"
)

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
