package openaitrace_test

import (
	"github.com/tracekit-go/tracekit/openaitrace"
	"github.com/tracekit-go/tracekit/redact"
)

// Prices are the user's: tracekit ships none. Keys ending in "*" are
// prefixes; an exact key wins over a prefix, a longer prefix over a shorter.
func ExampleWithPricing() {
	client := openaitrace.NewClient()
	_ = client
	openaitrace.Instrument(
		openaitrace.WithCaptureContent(true),
		openaitrace.WithRedactor(redact.New()),
		openaitrace.WithPricing(openaitrace.Pricing{
			"gpt-4o-mini*": {Input: 0.15, CachedInput: 0.075, Output: 0.60, Currency: "USD"},
			"gpt-4o*":      {Input: 2.50, CachedInput: 1.25, Output: 10.00, Currency: "USD"},
		}),
	)
}
