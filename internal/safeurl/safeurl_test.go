package safeurl

import (
	"errors"
	"net/url"
	"strings"
	"testing"
)

func TestRedact(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"https://ingress.eu2.coralogix.com:443", "https://ingress.eu2.coralogix.com:443"},
		{"https://user:cxtp_SECRET@ingress.eu2.coralogix.com:443/v1/traces", "https://xxxxx@ingress.eu2.coralogix.com:443/v1/traces"},
		{"https://cxtp_SECRET@ingress:443", "https://xxxxx@ingress:443"},
		{"https://u:p%zz@host:443", "https://xxxxx@host:443"},
		{"u:cxtp_SECRET@host:443", "xxxxx@host:443"},
		{"host:4317", "host:4317"},
	} {
		if got := Redact(tc.in); got != tc.want || strings.Contains(got, "SECRET") {
			t.Errorf("Redact(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	//lint:ignore SA1007 the test needs a URL that does not parse
	_, err := url.Parse("https://u:p%zz@host")
	if e := Err(err); e == nil || strings.Contains(e.Error(), "p%zz") || !errors.Is(err, e) {
		t.Errorf("Err = %v", e)
	}
}
