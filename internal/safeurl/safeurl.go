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
