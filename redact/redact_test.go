package redact

import (
	"regexp"
	"strings"
	"testing"
)

func TestBuiltins(t *testing.T) {
	cases := []struct {
		kind Kind
		in   string
		want string // "" means: unchanged
	}{
		// E-mail.
		{Email, "write to jane.doe+ai@example.co.uk today", "write to [REDACTED] today"},
		{Email, "<bob@mail.example.com>.", "<[REDACTED]>."},
		{Email, "a@b.io", "[REDACTED]"},
		{Email, "user@localhost is no address", ""},
		{Email, "@handle and a@b and x@y.1", ""},
		{Email, "trailing dot .@example.com", ""},

		// Cards (Luhn).
		{Card, "card 4111 1111 1111 1111 exp", "card [REDACTED] exp"},
		{Card, "4111-1111-1111-1111", "[REDACTED]"},
		{Card, "amex 378282246310005.", "amex [REDACTED]."},
		{Card, "pan=5555555555554444", "pan=[REDACTED]"},
		{Card, "4111 1111 1111 1111 2024", "[REDACTED] 2024"},
		{Card, "4111 1111 1111 1112", ""},           // Luhn fails
		{Card, "order 123456789012", ""},            // 12 digits
		{Card, "id 41111111111111111111111", ""},    // 25 digits
		{Card, "x4111111111111111", ""},             // inside a word
		{Card, "4111111111111111abc", ""},           // inside a word
		{Card, "12345678901234567890123456789", ""}, // long number

		// SSN.
		{SSN, "ssn 123-45-6789.", "ssn [REDACTED]."},
		{SSN, "078-05-1120", "[REDACTED]"},
		{SSN, "000-12-3456 666-12-3456 912-12-3456", ""},
		{SSN, "123-00-4567 123-45-0000", ""},
		{SSN, "123-45-67890 1123-45-6789 123-45-6789-1", ""},

		// Phones.
		{Phone, "call +1 (415) 555-0132 now", "call [REDACTED] now"},
		{Phone, "+44 20 7946 0958", "[REDACTED]"},
		{Phone, "+33.1.23.45.67.89", "[REDACTED]"},
		{Phone, "(415) 555-0132", "[REDACTED]"},
		{Phone, "415-555-0132 or 415.555.0132", "[REDACTED] or [REDACTED]"},
		{Phone, "1-800-555-0199", "[REDACTED]"},
		{Phone, "version 1.2.3, 2024-01-15, +5 points, +1234", ""},
		{Phone, "415-555-013 and 415-555.0132", ""},
		{Phone, "4155550132", ""}, // bare digits are not taken as a phone
		{Phone, "+1234567890123456789", ""},

		// IBAN.
		{IBAN, "IBAN DE89 3704 0044 0532 0130 00 please", "IBAN [REDACTED] please"},
		{IBAN, "GB82WEST12345698765432", "[REDACTED]"},
		{IBAN, "FR1420041010050500013M02606.", "[REDACTED]."},
		{IBAN, "GB82WEST12345698765433", ""}, // checksum fails
		{IBAN, "DE89 3704 0044 0532 0130 01", ""},
		{IBAN, "HTTP2 AB12CDEF and GB82WEST12345698765432X", ""},

		// JWT.
		{JWT, "token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NSJ9.dBjftJeZ4CVPmB92K27uhbUJU1p1r_wW1gFWFOEjXk end",
			"token [REDACTED] end"},
		{JWT, "eyJhbGciOiJIUzI1NiJ9 alone, eyJhbGciOi.short.x", ""},

		// OpenAI keys.
		{OpenAIKey, "key=sk-proj-abcdefghijklmnopqrstuvwx_1234", "key=[REDACTED]"},
		{OpenAIKey, "sk-ABCDEFGHIJKLMNOPQRSTUVWXYZ012345", "[REDACTED]"},
		{OpenAIKey, "risk-abcdefghijklmnopqrstuvwxyz1 sk-short task-abcdefghijklmnopqrstuvwxyz1", ""},
		{OpenAIKey, "see sk-this-is-a-long-hyphenated-phrase-without-digits", ""},

		// AWS keys.
		{AWSKey, "aws AKIAIOSFODNN7EXAMPLE,", "aws [REDACTED],"},
		{AWSKey, "ASIAY34FZKBOKMUTVV7A", "[REDACTED]"},
		{AWSKey, "AKIAIOSFODNN7EXAMPL AKIAIOSFODNN7EXAMPLEX akiaiosfodnn7example", ""},

		// Bearer tokens.
		{Bearer, "Authorization: Bearer abc.DEF-123_xyz~+/== next", "Authorization: Bearer [REDACTED] next"},
		{Bearer, "bearer  mF_9.B5f-4.1JqM.", "bearer  [REDACTED]."},
		{Bearer, "the bearer of bad news; Bearer short; Bearer authentication is standard", ""},
		{Bearer, "Bearer abcdefghijklmnopqrstuvwxyzABCD", "Bearer [REDACTED]"},
	}
	for _, tc := range cases {
		for _, only := range []bool{true, false} {
			var r *Scanner
			if only {
				r = New(Only(tc.kind))
			} else {
				r = New()
			}
			want := tc.want
			if want == "" {
				want = tc.in
			}
			got := r.Redact(tc.in)
			if only && got != want {
				t.Errorf("Only(%v).Redact(%q) = %q, want %q", tc.kind, tc.in, got, want)
			}
			if !only && tc.want != "" && got != want {
				// With every detector on, a positive must still be redacted
				// the same way.
				t.Errorf("New().Redact(%q) = %q, want %q", tc.in, got, want)
			}
		}
		// With the kind turned off, a positive stays.
		if tc.want != "" {
			if got := New(Without(tc.kind)).Redact(tc.in); got != tc.in && got == tc.want {
				t.Errorf("Without(%v) still redacts %q", tc.kind, tc.in)
			}
		}
	}
}

func TestNegativeProse(t *testing.T) {
	prose := "The quick brown fox (v2.1.0) jumped 3 times on 2024-05-06 at 10:30; see RFC 7519, " +
		"issue #4521, call count 1234567, price $19.99, ratio 3/4, A1B2, ISO 8601, +5%, Bearer of news, " +
		"e-mail: none. sk- is a prefix. AKIA is a prefix. eyJ is a prefix."
	if got := New().Redact(prose); got != prose {
		t.Fatalf("prose was changed:\n%s\n%s", prose, got)
	}
}

func TestReplacementAndPatterns(t *testing.T) {
	r := New(WithReplacement("<pii>"), WithPattern(regexp.MustCompile(`EMP-\d{6}`)), WithPattern(regexp.MustCompile(`x*`)))
	got := r.Redact("mail a@b.io, employee EMP-123456, xx")
	want := "mail <pii>, employee <pii>, <pii>"
	if got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	if got := New(Only(), WithPattern(regexp.MustCompile(`secret`))).Redact("a@b.io secret"); got != "a@b.io [REDACTED]" {
		t.Fatalf("Only() with a pattern: %q", got)
	}
	if got := New(WithReplacement("")).Redact("x a@b.io y"); got != "x  y" {
		t.Fatalf("empty replacement: %q", got)
	}
}

func TestChainAndFunc(t *testing.T) {
	r := Chain(New(Only(Email)), nil, Func(strings.ToUpper))
	if got := r.Redact("hi a@b.io"); got != "HI [REDACTED]" {
		t.Fatalf("got %q", got)
	}
}

func TestZeroMatchNoAlloc(t *testing.T) {
	s := strings.Repeat("Nothing to hide here, just 42 words and a user@host mention. ", 50)
	r := New(WithPattern(regexp.MustCompile(`EMP-\d{6}`)))
	var out string
	n := testing.AllocsPerRun(100, func() { out = r.Redact(s) })
	if n != 0 && !raceEnabled { // (regexp's machine pool drops items at random under -race)
		t.Fatalf("%v allocations on an input without matches", n)
	}
	if out != s {
		t.Fatal("input changed")
	}
}

func TestSetDefault(t *testing.T) {
	// The default can be set once per process; this is the only test that
	// sets it, and it unsets it again for the next run (go test -count N).
	t.Cleanup(func() { def.Store(nil) })
	if Default() != nil {
		t.Fatal("default set before SetDefault")
	}
	r := New()
	if err := SetDefault(r); err != nil {
		t.Fatal(err)
	}
	if err := SetDefault(New(Only(Email))); err != ErrDefaultSet {
		t.Fatalf("second SetDefault: %v", err)
	}
	if Default() != Redactor(r) {
		t.Fatal("Default is not the first redactor")
	}
}
