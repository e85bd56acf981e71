package openaitrace

import (
	"context"
	"testing"

	"github.com/tracekit-go/tracekit/internal/reqctx"
	"github.com/tracekit-go/tracekit/redact"
)

// BenchmarkChatObserve measures what request context, redaction and
// pricing add to a traced chat call with content capture on.
func BenchmarkChatObserve(b *testing.B) {
	d := &fakeDoer{body: []byte(chatResponseJSON), contentType: "application/json"}
	p := chatParams()
	ctx := reqctx.WithTags(reqctx.WithSession(reqctx.WithUser(context.Background(), "user-42"), "sess-7"), "beta")
	run := func(b *testing.B, ctx context.Context, opts ...Option) {
		c := benchClient(d, true, true, opts...)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.Chat.Completions.New(ctx, p); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("baseline", func(b *testing.B) { run(b, context.Background()) })
	b.Run("request_context", func(b *testing.B) { run(b, ctx) })
	b.Run("redactor", func(b *testing.B) { run(b, context.Background(), WithRedactor(redact.New())) })
	b.Run("pricing", func(b *testing.B) {
		run(b, context.Background(), WithPricing(Pricing{"gpt-4o*": {Input: 2.5, Output: 10, Currency: "USD"}}))
	})
	b.Run("all", func(b *testing.B) {
		run(b, ctx, WithRedactor(redact.New()), WithPricing(Pricing{"gpt-4o*": {Input: 2.5, Output: 10, Currency: "USD"}}))
	})
}
