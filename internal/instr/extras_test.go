package instr

import (
	"math"
	"testing"

	"github.com/tracekit-go/tracekit/internal/genai"
)

func TestPricingLookup(t *testing.T) {
	tab := compilePricing(Pricing{
		"gpt-4o":       {Input: 1},
		"gpt-4o*":      {Input: 2},
		"gpt-4o-mini*": {Input: 3},
		"gpt*":         {Input: 4},
	})
	for model, want := range map[string]float64{
		"gpt-4o": 1, "gpt-4o-2024-08-06": 2, "gpt-4o-mini-2024-07-18": 3, "gpt-3.5-turbo": 4, "claude": 0,
	} {
		p, ok := tab.lookup(model)
		if p.Input != want || ok != (want != 0) {
			t.Errorf("lookup(%q) = %v, %v; want %v", model, p.Input, ok, want)
		}
	}
	// The response model is looked up first; exact keys beat prefixes
	// across both models.
	if p, _ := tab.lookup("gpt-4o-2024-08-06", "gpt-4o"); p.Input != 1 {
		t.Errorf("exact request model should win over a prefix of the response model, got %v", p.Input)
	}
	if p, _ := tab.lookup("", "gpt-4o-mini"); p.Input != 3 {
		t.Errorf("empty response model: got %v", p.Input)
	}
	if compilePricing(nil) != nil {
		t.Error("empty table compiles to a table")
	}
}

func TestCostOf(t *testing.T) {
	tab := compilePricing(Pricing{"m*": {Input: 2, CachedInput: 1, Output: 10, Currency: "EUR"}, "free": {Input: 3, Output: 1}})
	call := func(provider, model string, in, cached, write, out int64) *genai.Call {
		c := &genai.Call{Provider: provider}
		c.Request.Model = model
		c.Response.Usage.InputTokens = genai.SetInt(in)
		c.Response.Usage.OutputTokens = genai.SetInt(out)
		if cached >= 0 {
			c.Response.Usage.CacheReadInputTokens = genai.SetInt(cached)
		}
		if write >= 0 {
			c.Response.Usage.CacheWriteInputTokens = genai.SetInt(write)
		}
		return c
	}
	for _, tc := range []struct {
		name               string
		c                  *genai.Call
		prompt, completion float64
		ok                 bool
	}{
		// OpenAI: cached tokens are part of the input tokens.
		{"openai", call(genai.ProviderOpenAI, "m1", 1_000_000, 400_000, -1, 1_000_000), 0.6*2 + 0.4*1, 10, true},
		// Bedrock: cache reads and writes come on top of the input tokens.
		{"bedrock", call(genai.ProviderBedrock, "m1", 1_000_000, 400_000, 100_000, 0), 1.1*2 + 0.4*1, 0, true},
		// CachedInput zero: cached tokens at the input price.
		{"nocacheprice", call(genai.ProviderOpenAI, "free", 1_000_000, 500_000, -1, 2_000_000), 3, 2, true},
		{"unknown model", call(genai.ProviderOpenAI, "x", 1, -1, -1, 1), 0, 0, false},
	} {
		cost, ok := tab.costOf(tc.c)
		if ok != tc.ok || math.Abs(cost.Prompt-tc.prompt) > 1e-9 || math.Abs(cost.Completion-tc.completion) > 1e-9 ||
			math.Abs(cost.Total-tc.prompt-tc.completion) > 1e-9 {
			t.Errorf("%s: %+v %v; want prompt %v completion %v ok %v", tc.name, cost, ok, tc.prompt, tc.completion, tc.ok)
		}
	}
	failed := call(genai.ProviderOpenAI, "m1", 1, -1, -1, 1)
	failed.Err = &genai.Error{Type: "x"}
	if _, ok := tab.costOf(failed); ok {
		t.Error("a failed call is priced")
	}
	if _, ok := tab.costOf(&genai.Call{Request: genai.Request{Model: "m1"}}); ok {
		t.Error("a call without usage is priced")
	}
	var nilTab *priceTable
	if _, ok := nilTab.costOf(call(genai.ProviderOpenAI, "m1", 1, -1, -1, 1)); ok {
		t.Error("no table, yet a cost")
	}
	if c, _ := tab.costOf(call(genai.ProviderOpenAI, "m1", 1, -1, -1, 1)); c.Currency != "EUR" {
		t.Errorf("currency %q", c.Currency)
	}
}

// TestCostOfBedrockProfiles: a Bedrock call through a cross-region
// inference profile ("us.", "eu.", "apac.", "global." ...) or an ARN is
// priced as its model, unless the table names the profile itself; an
// OpenAI model is never stripped.
func TestCostOfBedrockProfiles(t *testing.T) {
	tab := compilePricing(Pricing{
		"anthropic.claude-3-5-haiku*":    {Input: 1},
		"eu.anthropic.claude-3-5-haiku*": {Input: 5},
		"us.m":                           {Input: 7},
	})
	for _, tc := range []struct {
		provider, model string
		want            float64 // 0: not priced
	}{
		{genai.ProviderBedrock, "anthropic.claude-3-5-haiku-20241022-v1:0", 1},
		{genai.ProviderBedrock, "us.anthropic.claude-3-5-haiku-20241022-v1:0", 1},
		{genai.ProviderBedrock, "global.anthropic.claude-3-5-haiku-20241022-v1:0", 1},
		{genai.ProviderBedrock, "apac.anthropic.claude-3-5-haiku-20241022-v1:0", 1},
		{genai.ProviderBedrock, "us-gov.anthropic.claude-3-5-haiku-20241022-v1:0", 1},
		{genai.ProviderBedrock, "eu.anthropic.claude-3-5-haiku-20241022-v1:0", 5}, // the profile's own price wins
		{genai.ProviderBedrock, "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-5-haiku-20241022-v1:0", 1},
		{genai.ProviderBedrock, "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-5-haiku-20241022-v1:0", 1},
		{genai.ProviderBedrock, "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3", 0},
		{genai.ProviderBedrock, "us.meta.llama3-70b", 0},
		{genai.ProviderBedrock, "us.m", 7},
		{genai.ProviderOpenAI, "us.anthropic.claude-3-5-haiku-20241022-v1:0", 0},
	} {
		c := &genai.Call{Provider: tc.provider}
		c.Request.Model = tc.model
		c.Response.Usage.InputTokens = genai.SetInt(1_000_000)
		cost, ok := tab.costOf(c)
		if ok != (tc.want != 0) || math.Abs(cost.Prompt-tc.want) > 1e-9 {
			t.Errorf("%s %s: prompt %v, %v; want %v", tc.provider, tc.model, cost.Prompt, ok, tc.want)
		}
	}
}
