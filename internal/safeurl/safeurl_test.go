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

func TestMedia(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"https://example.com/a.png", "https://example.com/a.png"},
		{"https://example.com/a.png?w=1&h=2#x", "https://example.com/a.png?w=1&h=2#x"},
		{"s3://bucket/key.pdf", "s3://bucket/key.pdf"},
		{"https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIA%2Fx&X-Amz-Security-Token=tok&X-Amz-Signature=abc",
			"https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=REDACTED&X-Amz-Security-Token=REDACTED&X-Amz-Signature=REDACTED"},
		{"https://acct.blob.core.windows.net/c/a.png?sv=2024&sig=abc%3D&se=2026#frag", "https://acct.blob.core.windows.net/c/a.png?sv=2024&sig=REDACTED&se=2026#frag"},
		{"https://storage.googleapis.com/b/o?X-Goog-Credential=c&x-goog-signature=s", "https://storage.googleapis.com/b/o?X-Goog-Credential=REDACTED&x-goog-signature=REDACTED"},
		{"https://d.cloudfront.net/a.png?Expires=1&Signature=s&Key-Pair-Id=k", "https://d.cloudfront.net/a.png?Expires=1&Signature=REDACTED&Key-Pair-Id=k"},
		{"https://s3.amazonaws.com/b/k?AWSAccessKeyId=AKIA&Signature=s", "https://s3.amazonaws.com/b/k?AWSAccessKeyId=REDACTED&Signature=REDACTED"},
		{"https://user:pw@example.com/a.png?sig=s", "https://xxxxx@example.com/a.png?sig=REDACTED"},
		{"https://user:pw@example.com/a.png", "https://xxxxx@example.com/a.png"},
		{"https://example.com/a.png?signature", "https://example.com/a.png?signature"}, // no value
		{"https://example.com/a.png?mysig=1", "https://example.com/a.png?mysig=1"},
		{"https://firebasestorage.googleapis.com/v0/b/x/o/a.png?alt=media&token=5f2a", "https://firebasestorage.googleapis.com/v0/b/x/o/a.png?alt=media&token=REDACTED"},
		{"https://maps.googleapis.com/maps/api/staticmap?center=Paris&key=AIzaSy", "https://maps.googleapis.com/maps/api/staticmap?center=Paris&key=REDACTED"},
		{"https://b.oss-cn-hangzhou.aliyuncs.com/a.png?OSSAccessKeyId=STS.x&Signature=s&security-token=t", "https://b.oss-cn-hangzhou.aliyuncs.com/a.png?OSSAccessKeyId=REDACTED&Signature=REDACTED&security-token=REDACTED"},
		{"https://f001.backblazeb2.com/file/b/a.png?Authorization=4_002abc", "https://f001.backblazeb2.com/file/b/a.png?Authorization=REDACTED"},
		{"https://cdn.example/a.png?__token__=exp=1~hmac=ab", "https://cdn.example/a.png?__token__=REDACTED"},
	} {
		if got := Media(tc.in); got != tc.want {
			t.Errorf("Media(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	clean := "https://example.com/a.png?w=1"
	if n := testing.AllocsPerRun(100, func() { _ = Media(clean) }); n != 0 {
		t.Errorf("Media of a URL without credentials allocates %v times", n)
	}
}

// FuzzMedia: Media never panics, keeps a URL without credentials as it is,
// and leaves no value of a signature parameter.
func FuzzMedia(f *testing.F) {
	f.Add("https://b.s3.amazonaws.com/k?X-Amz-Credential=AKIA&X-Amz-Signature=abc")
	f.Add("https://u:p@h/p?sig=1#f")
	f.Add("data:image/png;base64,iVBO")
	f.Add("?&=&sig=&SIG=x")
	f.Fuzz(func(t *testing.T, raw string) {
		got := Media(raw)
		q := strings.IndexByte(got, '?')
		if q < 0 {
			return
		}
		query, _, _ := strings.Cut(got[q+1:], "#")
		for _, p := range strings.Split(query, "&") {
			k, v, ok := strings.Cut(p, "=")
			if ok && isSignedKey(k) && v != Redacted {
				t.Fatalf("Media(%q) = %q keeps %s", raw, got, p)
			}
		}
	})
}
