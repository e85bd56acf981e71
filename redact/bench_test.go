package redact

import (
	"regexp"
	"strings"
	"testing"
)

// prompt10K returns a 10 KiB prompt of ordinary prose; withPII sprinkles one
// e-mail, card, phone, SSN and API key per ~2 KiB.
func prompt10K(withPII bool) string {
	para := "You are a helpful support assistant for ACME Corp. The customer writes about order 1234567 " +
		"placed on 2024-05-06; version 2.3.1 of the app crashed twice (error E42) while paying $19.99. " +
		"Summarise the issue, suggest next steps, and answer politely in under 120 words, please. "
	pii := "Contact me at jane.doe@example.com or +1 (415) 555-0132, card 4111 1111 1111 1111, ssn 078-05-1120, key sk-proj-4bcD3fgh1jklmn0pqrstuvwx. "
	var b strings.Builder
	for b.Len() < 10*1024 {
		b.WriteString(para)
		if withPII && b.Len()%2048 < len(para) {
			b.WriteString(pii)
		}
	}
	return b.String()[:10*1024]
}

func BenchmarkRedact10KiB(b *testing.B) {
	for _, bc := range []struct {
		name string
		r    Redactor
		in   string
	}{
		{"builtins/clean", New(), prompt10K(false)},
		{"builtins/pii", New(), prompt10K(true)},
		{"builtins+pattern/clean", New(WithPattern(regexp.MustCompile(`EMP-\d{6}`))), prompt10K(false)},
		{"regexp-equivalent/clean", regexpRedactor(), prompt10K(false)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(bc.in)))
			b.ReportAllocs()
			for b.Loop() {
				_ = bc.r.Redact(bc.in)
			}
		})
	}
}

// regexpRedactor is the naive alternative (one regexp per built-in, no
// checksums), for comparison only.
func regexpRedactor() Redactor {
	res := []*regexp.Regexp{
		regexp.MustCompile(`[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}`),
		regexp.MustCompile(`\b(?:\d[ -]?){13,19}\b`),
		regexp.MustCompile(`\b\d{3}-\d{2}-\d{4}\b`),
		regexp.MustCompile(`\+\d[\d .()-]{7,20}\d`),
		regexp.MustCompile(`\b[A-Z]{2}\d{2}[A-Z0-9]{11,30}\b`),
		regexp.MustCompile(`eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+`),
		regexp.MustCompile(`sk-[A-Za-z0-9_-]{20,}|AKIA[A-Z0-9]{16}|(?i:bearer)\s+[A-Za-z0-9._~+/-]+=*`),
	}
	opts := []Option{Only()}
	for _, re := range res {
		opts = append(opts, WithPattern(re))
	}
	return New(opts...)
}
