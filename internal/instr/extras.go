package instr

// This file holds the request context, redaction and cost that every
// instrumentation applies (package observe's issue): the hooks in span.go
// call applyContext/redactRequest at start and redactResponse/costOf at end.

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"

	"github.com/tracekit-go/tracekit/internal/genai"
	"github.com/tracekit-go/tracekit/internal/reqctx"
	"github.com/tracekit-go/tracekit/redact"
	"github.com/tracekit-go/tracekit/semconv"
)

// WithRedactor sets the redactor applied to every captured content string
// before it becomes an attribute. nil turns redaction off, even when a
// process-wide default is set (redact.SetDefault). Redaction runs only when
// content capture is on.
func WithRedactor(r redact.Redactor) Option {
	return optionFunc(func(cfg *Config) { cfg.Redactor, cfg.RedactorSet = r, true })
}

// Price is what one model's tokens cost, per million tokens.
type Price struct {
	// Input is the price of a million uncached input tokens.
	Input float64
	// CachedInput is the price of a million input tokens read from the
	// provider's prompt cache; zero means "priced as Input".
	CachedInput float64
	// Output is the price of a million output tokens (reasoning included).
	Output float64
	// Currency is the currency of the prices, e.g. "USD". It is recorded as
	// gen_ai.usage.cost.currency.
	Currency string
}

// Pricing maps model ids to prices. A key ending in "*" is a prefix: "gpt-4o*"
// prices "gpt-4o-2024-08-06"; an exact key wins over prefixes, and the
// longest prefix wins over shorter ones. The response model is looked up
// first, then the request model.
type Pricing map[string]Price

// WithPricing records the cost of every LLM call whose model is in p, on
// the span and in the gen_ai.client.cost counter. There is no built-in price
// list.
func WithPricing(p Pricing) Option {
	cp := compilePricing(p)
	return optionFunc(func(cfg *Config) { cfg.Pricing = cp })
}

type priceTable struct {
	exact    map[string]Price
	prefixes []string // longest first
	byPrefix map[string]Price
}

func compilePricing(p Pricing) *priceTable {
	if len(p) == 0 {
		return nil
	}
	t := &priceTable{exact: map[string]Price{}, byPrefix: map[string]Price{}}
	for k, v := range p {
		if pre, ok := strings.CutSuffix(k, "*"); ok {
			t.prefixes = append(t.prefixes, pre)
			t.byPrefix[pre] = v
		} else {
			t.exact[k] = v
		}
	}
	sort.Slice(t.prefixes, func(i, j int) bool {
		if len(t.prefixes[i]) != len(t.prefixes[j]) {
			return len(t.prefixes[i]) > len(t.prefixes[j])
		}
		return t.prefixes[i] < t.prefixes[j]
	})
	return t
}

func (t *priceTable) lookup(models ...string) (Price, bool) {
	for _, m := range models {
		if p, ok := t.exact[m]; ok && m != "" {
			return p, true
		}
	}
	for _, m := range models {
		if m == "" {
			continue
		}
		for _, pre := range t.prefixes {
			if strings.HasPrefix(m, pre) {
				return t.byPrefix[pre], true
			}
		}
	}
	return Price{}, false
}

// costOf prices a successful call; ok is false when the model is not in the
// table or the call reported no usage.
func (t *priceTable) costOf(c *genai.Call) (genai.Cost, bool) {
	if t == nil || c.Err != nil {
		return genai.Cost{}, false
	}
	u := &c.Response.Usage
	if !u.InputTokens.Set && !u.OutputTokens.Set {
		return genai.Cost{}, false
	}
	p, ok := t.lookup(c.Response.Model, c.Request.Model)
	if !ok && c.Provider == genai.ProviderBedrock {
		// A cross-region inference profile or an ARN: priced as its model.
		p, ok = t.lookup(bedrockBaseModel(c.Response.Model), bedrockBaseModel(c.Request.Model))
	}
	if !ok {
		return genai.Cost{}, false
	}
	in, cached := u.InputTokens.V, u.CacheReadInputTokens.V
	if !u.CacheReadInputTokens.Set {
		cached = 0
	}
	// OpenAI counts cached tokens inside the input tokens; Bedrock reports
	// them separately.
	if c.Provider != genai.ProviderBedrock {
		in -= cached
		if in < 0 {
			in = 0
		}
	}
	if u.CacheWriteInputTokens.Set && c.Provider == genai.ProviderBedrock {
		in += u.CacheWriteInputTokens.V
	}
	cp := p.CachedInput
	if cp == 0 {
		cp = p.Input
	}
	var cost genai.Cost
	cost.Prompt = (float64(in)*p.Input + float64(cached)*cp) / 1e6
	if u.OutputTokens.Set {
		cost.Completion = float64(u.OutputTokens.V) * p.Output / 1e6
	}
	cost.Total = cost.Prompt + cost.Completion
	cost.Currency = p.Currency
	return cost, true
}

// applyContext fills the record from the request context of ctx (the end
// user, when the request names none) and appends the context's attributes.
func (r *Resolved) applyContext(ctx context.Context, call *genai.Call, dst []attribute.KeyValue) []attribute.KeyValue {
	v := reqctx.From(ctx)
	if v.Empty() {
		return dst
	}
	if call.Request.User == "" {
		call.Request.User = v.User
	}
	return semconv.ContextAttrs(dst, v, r.Renderer.Conventions)
}

// ContextAttrs appends the request context attributes of ctx to dst (for
// spans that are not LLM calls, such as package observe's).
func (r *Resolved) ContextAttrs(ctx context.Context, dst []attribute.KeyValue) []attribute.KeyValue {
	return semconv.ContextAttrs(dst, reqctx.From(ctx), r.Renderer.Conventions)
}

// Redact applies the redactor in force to one content string (identity when
// there is none or capture is off).
func (r *Resolved) Redact(s string) string {
	if !r.Capture || s == "" {
		return s
	}
	if red := r.Redactor(); red != nil {
		return safeRedact(red, s)
	}
	return s
}

// safeRedact runs a redactor on s. A redactor that panics withholds all of s:
// it is recorded as redact.DefaultReplacement (the rest of the span is
// recorded as usual) and the panic goes to otel.Handle.
func safeRedact(red redact.Redactor, s string) (out string) {
	defer func() {
		if p := recover(); p != nil {
			// The panic's type only: its value may quote the content.
			otel.Handle(fmt.Errorf("tracekit: recovered from a panic (%T) in the redactor; the content is recorded as %s", p, redact.DefaultReplacement))
			out = redact.DefaultReplacement
		}
	}()
	return red.Redact(s)
}

// Redactor returns the redactor in force: the one given by WithRedactor,
// else the process-wide default (nil: none).
func (r *Resolved) Redactor() redact.Redactor {
	if r.redactorSet {
		return r.redactor
	}
	return redact.Default()
}

// redactRequest redacts the content strings of the request part of a record.
func (r *Resolved) redactRequest(c *genai.Call) {
	if !r.Capture || r.Redactor() == nil {
		return
	}
	for i := range c.Request.Messages {
		m := &c.Request.Messages[i]
		m.Content = r.Redact(m.Content)
		redactToolCalls(r, m.ToolCalls)
		for j := range m.Parts {
			p := &m.Parts[j]
			p.Text = r.Redact(p.Text)
			p.URI = r.Redact(p.URI)
		}
	}
	for i := range c.Request.Documents {
		d := &c.Request.Documents[i]
		d.Content = r.Redact(d.Content)
	}
}

// redactResponse redacts the content strings of the response part of a
// record.
func (r *Resolved) redactResponse(c *genai.Call) {
	if !r.Capture || r.Redactor() == nil {
		return
	}
	for i := range c.Response.Choices {
		ch := &c.Response.Choices[i]
		ch.Content = r.Redact(ch.Content)
		if ch.Reasoning != "" {
			ch.Reasoning = r.Redact(ch.Reasoning)
		}
		redactToolCalls(r, ch.ToolCalls)
		redactToolCalls(r, ch.ServerToolCalls)
	}
	for i := range c.Response.Documents {
		if d := &c.Response.Documents[i]; !d.Redacted {
			d.Content = r.Redact(d.Content)
		}
	}
	if v := c.Response.Guardrail; v != nil && v.ActionReason != "" {
		v.ActionReason = r.Redact(v.ActionReason)
	}
}

func redactToolCalls(r *Resolved, tcs []genai.ToolCall) {
	for j := range tcs {
		tcs[j].Arguments = r.Redact(tcs[j].Arguments)
	}
}

// bedrockGeoPrefixes are the geography prefixes of Bedrock's cross-region
// inference profiles.
var bedrockGeoPrefixes = [...]string{"us.", "us-gov.", "eu.", "apac.", "jp.", "au.", "ca.", "global."}

// bedrockBaseModel returns the model id inside a Bedrock model id: the
// resource of an ARN ("arn:aws:bedrock:...:inference-profile/us.anthropic..."),
// without a cross-region inference profile's geography prefix ("us.",
// "eu.", "apac.", "global.", ...); "" when there is none to strip.
func bedrockBaseModel(m string) string {
	orig := m
	if strings.HasPrefix(m, "arn:") {
		if i := strings.LastIndexByte(m, '/'); i >= 0 {
			m = m[i+1:]
		}
	}
	for _, g := range bedrockGeoPrefixes {
		if rest, ok := strings.CutPrefix(m, g); ok {
			m = rest
			break
		}
	}
	if m == orig {
		return ""
	}
	return m
}
