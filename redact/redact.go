// Package redact removes personal data and secrets from captured content
// (prompts, completions, tool arguments, retrieved documents) before it
// becomes a span attribute.
//
// New returns a Scanner with built-in detectors for e-mail addresses,
// payment card numbers (Luhn-checked), US social security numbers, phone
// numbers, IBANs (mod-97 checked), JWTs and API keys (OpenAI "sk-", AWS
// "AKIA"/"ASIA" access key ids, bearer tokens), plus any user patterns. The
// built-ins are hand-written scanners: one linear pass over the input, no
// backtracking, and no allocation when nothing matches.
//
// Install a redactor with the WithRedactor option of openaitrace,
// bedrocktrace and observe, or once for the whole process with SetDefault.
// Redaction runs only when content capture is on.
package redact

import (
	"errors"
	"regexp"
	"strings"
	"sync/atomic"
)

// Redactor rewrites a content string, replacing what must not be recorded.
// Implementations must be safe for concurrent use.
type Redactor interface {
	Redact(s string) string
}

// Func adapts a function to a Redactor.
type Func func(string) string

// Redact returns f(s).
func (f Func) Redact(s string) string { return f(s) }

// Chain returns a Redactor that applies rs in order (nil entries are
// skipped).
func Chain(rs ...Redactor) Redactor {
	cp := make([]Redactor, 0, len(rs))
	for _, r := range rs {
		if r != nil {
			cp = append(cp, r)
		}
	}
	return Func(func(s string) string {
		for _, r := range cp {
			s = r.Redact(s)
		}
		return s
	})
}

// Kind names a built-in detector.
type Kind uint16

// The built-in detectors.
const (
	// Email matches e-mail addresses (local@domain.tld).
	Email Kind = 1 << iota
	// Card matches payment card numbers: 13 to 19 digits, optionally grouped
	// by single spaces or dashes, that pass the Luhn check.
	Card
	// SSN matches US social security numbers written ddd-dd-dddd, excluding
	// numbers the SSA never issues (area 000, 666 or 9xx, group 00, serial
	// 0000).
	SSN
	// Phone matches international numbers written with a leading "+" (8 to
	// 15 digits, spaces, dots, dashes and parentheses allowed) and North
	// American numbers written with separators: (555) 123-4567,
	// 555-123-4567, 555.123.4567, 1-555-123-4567.
	Phone
	// IBAN matches international bank account numbers (two capital letters,
	// two check digits, 11 to 30 letters or digits, optionally in groups of
	// four separated by spaces) that pass the mod-97 check.
	IBAN
	// JWT matches JSON Web Tokens: three base64url segments, the first one
	// starting with "eyJ".
	JWT
	// OpenAIKey matches OpenAI API keys: "sk-" followed by at least 20
	// letters, digits, dashes or underscores, digits and letters both
	// present (sk-proj-..., sk-svcacct-...).
	OpenAIKey
	// AWSKey matches AWS access key ids: "AKIA" or "ASIA" followed by 16
	// capital letters or digits.
	AWSKey
	// Bearer matches the token of a "Bearer <token>" credential (any case):
	// 8+ token characters with a digit, or 20+. The word "Bearer" is kept.
	Bearer

	// All is every built-in detector.
	All = Email | Card | SSN | Phone | IBAN | JWT | OpenAIKey | AWSKey | Bearer
)

// DefaultReplacement is the text that replaces a match unless
// WithReplacement says otherwise.
const DefaultReplacement = "[REDACTED]"

// Option configures a Scanner.
type Option func(*Scanner)

// Only restricts the built-in detectors to kinds (the default is All; Only()
// with no kind turns every built-in off, leaving user patterns).
func Only(kinds ...Kind) Option {
	return func(s *Scanner) {
		s.kinds = 0
		for _, k := range kinds {
			s.kinds |= k
		}
	}
}

// Without turns the given built-in detectors off.
func Without(kinds ...Kind) Option {
	return func(s *Scanner) {
		for _, k := range kinds {
			s.kinds &^= k
		}
	}
}

// WithReplacement sets the text that replaces every match (default
// DefaultReplacement). It may be empty.
func WithReplacement(text string) Option {
	return func(s *Scanner) { s.repl = text }
}

// WithPattern adds a user pattern: every non-empty match of re is replaced.
// Go regular expressions (RE2) run in linear time. User patterns run after
// the built-ins, in the order given.
func WithPattern(re *regexp.Regexp) Option {
	return func(s *Scanner) {
		if re != nil {
			s.patterns = append(s.patterns, re)
		}
	}
}

// Scanner is the built-in Redactor. It is safe for concurrent use.
type Scanner struct {
	kinds    Kind
	repl     string
	patterns []*regexp.Regexp
}

// New returns a Scanner with every built-in detector on, unless opts say
// otherwise.
func New(opts ...Option) *Scanner {
	s := &Scanner{kinds: All, repl: DefaultReplacement}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Redact returns s with every match replaced. When nothing matches it
// returns s itself without allocating.
func (sc *Scanner) Redact(s string) string {
	if sc.kinds != 0 {
		s = sc.builtins(s)
	}
	for _, re := range sc.patterns {
		if re.MatchString(s) {
			s = replacePattern(re, s, sc.repl)
		}
	}
	return s
}

func replacePattern(re *regexp.Regexp, s, repl string) string {
	var b strings.Builder
	last := 0
	for _, m := range re.FindAllStringIndex(s, -1) {
		if m[1] == m[0] {
			continue // an empty match redacts nothing
		}
		b.WriteString(s[last:m[0]])
		b.WriteString(repl)
		last = m[1]
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// ErrDefaultSet is returned by SetDefault when a default is already set.
var ErrDefaultSet = errors.New("redact: the process-wide default redactor is already set")

// def holds the process-wide default once set.
var def atomic.Pointer[holder]

type holder struct{ r Redactor }

// SetDefault sets the process-wide default redactor, used by every
// instrumentation that was not given WithRedactor. It can be set once; later
// calls return ErrDefaultSet and change nothing. Until it is set, there is no
// default: content is recorded as captured.
func SetDefault(r Redactor) error {
	if !def.CompareAndSwap(nil, &holder{r: r}) {
		return ErrDefaultSet
	}
	return nil
}

// Default returns the process-wide default redactor, or nil when none is set.
func Default() Redactor {
	if h := def.Load(); h != nil {
		return h.r
	}
	return nil
}
