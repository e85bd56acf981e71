package redact_test

import (
	"fmt"
	"regexp"

	"github.com/tracekit-go/tracekit/redact"
)

func Example() {
	r := redact.New()
	fmt.Println(r.Redact("Reach me at jane@example.com or +44 20 7946 0958; key sk-proj-4bcD3fgh1jklmn0pqrstuvwx."))
	// Output: Reach me at [REDACTED] or [REDACTED]; key [REDACTED].
}

func ExampleWithPattern() {
	r := redact.New(
		redact.Only(redact.Email),
		redact.WithPattern(regexp.MustCompile(`EMP-\d{6}`)),
		redact.WithReplacement("***"),
	)
	fmt.Println(r.Redact("employee EMP-123456 <a@b.io>, card 4111111111111111"))
	// Output: employee *** <***>, card 4111111111111111
}
