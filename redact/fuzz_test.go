package redact

import (
	"regexp"
	"testing"
)

// minMatch is the length of the shortest possible built-in match ("a@b.io"
// is 6 bytes; every other detector needs more).
const minMatch = 6

func FuzzRedact(f *testing.F) {
	for _, s := range []string{
		"", "a@b.io", "4111 1111 1111 1111", "123-45-6789", "+44 20 7946 0958", "(415) 555-0132",
		"DE89 3704 0044 0532 0130 00", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NSJ9.dBjftJeZ4CVPmB92K27",
		"sk-proj-4bcD3fgh1jklmn0pqrstuvwx", "AKIAIOSFODNN7EXAMPLE", "Bearer abcdefghij",
		"1-800-555-0199 a@b.co@c.de ++1 2345 6789", "\xff\xfe@\x00.com",
	} {
		f.Add(s)
	}
	repl := "[REDACTED-LONG-REPLACEMENT]"
	r := New(WithReplacement(repl))
	withPattern := New(WithReplacement(repl), WithPattern(regexp.MustCompile(`a*`)))
	erase := New(WithReplacement(""))
	f.Fuzz(func(t *testing.T, s string) {
		// With an empty replacement the output is never longer.
		if out := erase.Redact(s); len(out) > len(s) {
			t.Fatalf("empty replacement grew %d to %d bytes", len(s), len(out))
		}
		// A user pattern's non-empty matches are at least one byte long.
		if out := withPattern.Redact(s); len(out) > len(s)*(1+len(repl))+len(repl) {
			t.Fatalf("with a pattern, output grew from %d to %d bytes", len(s), len(out))
		}
		out := r.Redact(s)
		// Every replaced match is at least minMatch bytes long, so the output
		// grows by at most len(repl) per minMatch input bytes.
		if max := len(s) + (len(s)/minMatch+1)*len(repl); len(out) > max {
			t.Fatalf("output grew from %d to %d bytes (max %d)", len(s), len(out), max)
		}
		// Redaction is stable: a second pass finds nothing new of the
		// built-ins' own making.
		if again := r.Redact(out); len(again) > len(out)+(len(out)/minMatch+1)*len(repl) {
			t.Fatalf("second pass grew without bound")
		}
	})
}
