// Package safeurl shows endpoint URLs in messages without the credentials a
// user may have put in them.
package safeurl

import (
	"net/url"
	"strings"
)

// Redact returns raw with its userinfo (user name and password: either may
// be a key) replaced by "xxxxx", also when raw does not parse as a URL or
// has no scheme.
func Redact(raw string) string {
	if !strings.Contains(raw, "@") {
		return raw
	}
	if u, err := url.Parse(raw); err == nil && u.User != nil && u.Host != "" {
		u.User = url.User("xxxxx") // the user name may be the secret too
		return u.String()
	}
	s, rest, ok := strings.Cut(raw, "://")
	if !ok {
		if i := strings.LastIndexByte(raw, '@'); i >= 0 {
			return "xxxxx@" + raw[i+1:]
		}
		return raw
	}
	end := len(rest)
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		end = i
	}
	if i := strings.LastIndexByte(rest[:end], '@'); i >= 0 {
		return s + "://xxxxx@" + rest[i+1:]
	}
	return raw
}

// Err returns the error url.Parse gave, without the URL it quotes.
func Err(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}

// signedQueryKeys are the query parameters whose values are credentials in
// signed or keyed URLs (AWS presigned URLs, Azure shared access signatures,
// Google Cloud Storage, CloudFront, Alibaba OSS and Tencent COS signed URLs,
// Firebase, Backblaze and Akamai tokens, API keys), compared without case. The first four
// are the OpenTelemetry HTTP conventions' url.full list.
var signedQueryKeys = [...]string{
	"awsaccesskeyid", "signature", "sig", "x-goog-signature",
	"x-goog-credential", "x-amz-signature", "x-amz-credential", "x-amz-security-token",
	"x-oss-signature", "x-oss-credential", "x-oss-security-token", "ossaccesskeyid", "security-token",
	"q-signature", "x-cos-security-token",
	"token", "access_token", "key", "api_key", "apikey", "api-key",
	"authorization", "__token__", // Backblaze B2 download authorization, Akamai token auth
}

// Redacted replaces credentials in a URL recorded by Media.
const Redacted = "REDACTED"

// Media returns a URL that a prompt refers to (an image, a file) as it may
// be recorded: its userinfo replaced as by Redact, and the values of the
// signature and credential parameters of its query (X-Amz-Signature, sig,
// ...) replaced by "REDACTED". A URL with neither is returned as is, without
// allocating.
func Media(raw string) string {
	raw = Redact(raw)
	q := strings.IndexByte(raw, '?')
	if q < 0 {
		return raw
	}
	query := raw[q+1:]
	frag := ""
	if i := strings.IndexByte(query, '#'); i >= 0 {
		query, frag = query[:i], query[i:]
	}
	if !hasSignedKey(query) {
		return raw
	}
	var b strings.Builder
	b.Grow(len(raw))
	b.WriteString(raw[:q+1])
	for i, p := range strings.Split(query, "&") {
		if i > 0 {
			b.WriteByte('&')
		}
		k, _, hasValue := strings.Cut(p, "=")
		if hasValue && isSignedKey(k) {
			b.WriteString(k)
			b.WriteString("=" + Redacted)
			continue
		}
		b.WriteString(p)
	}
	b.WriteString(frag)
	return b.String()
}

func hasSignedKey(query string) bool {
	for query != "" {
		var p string
		p, query, _ = strings.Cut(query, "&")
		k, _, hasValue := strings.Cut(p, "=")
		if hasValue && isSignedKey(k) {
			return true
		}
	}
	return false
}

func isSignedKey(k string) bool {
	for _, s := range signedQueryKeys {
		if strings.EqualFold(k, s) {
			return true
		}
	}
	return false
}
