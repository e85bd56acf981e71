package openaitrace

import (
	"strings"

	"github.com/tracekit-go/tracekit/internal/genai"
)

// Who serves OpenAI's API when it is not OpenAI, told by the endpoint's host
// (and, for Azure, the path): see hostingOf.

// azureSuffixes are the host suffixes of Azure OpenAI: Azure OpenAI and
// Cognitive Services resources (public, US Government and China clouds) and
// Azure AI Foundry resources (whose /models routes are the Azure AI Model
// Inference API).
var azureSuffixes = [...]string{
	".openai.azure.com", ".cognitiveservices.azure.com", ".services.ai.azure.com",
	".openai.azure.us", ".cognitiveservices.azure.us",
	".openai.azure.cn", ".cognitiveservices.azure.cn",
}

// azureInferenceSuffixes are the host suffixes of Azure AI Model Inference's
// serverless and managed endpoints.
var azureInferenceSuffixes = [...]string{".models.ai.azure.com", ".inference.ai.azure.com"}

// bedrockServices and bedrockSuffixes make the hosts of Amazon Bedrock's
// OpenAI-compatible endpoints: <service>.<region>.<suffix>, the services and
// the partitions' DNS suffixes (standard and dual-stack) as openai-go's
// bedrock package knows them.
var (
	bedrockServices = [...]string{"bedrock-runtime.", "bedrock-mantle.", "bedrock-runtime-fips."}
	bedrockSuffixes = [...]string{
		".amazonaws.com", ".api.aws", ".amazonaws.com.cn", ".api.amazonwebservices.com.cn",
		".amazonaws.eu", ".api.amazonwebservices.eu", ".c2s.ic.gov", ".api.aws.ic.gov",
		".sc2s.sgov.gov", ".api.aws.scloud", ".cloud.adc-e.uk", ".api.cloud-aws.adc-e.uk",
		".csp.hci.ic.gov", ".api.aws.hci.ic.gov",
	}
)

// providerHosts are the API hosts of model providers that serve OpenAI's
// API (their "OpenAI compatibility" endpoints).
var providerHosts = map[string]string{
	"api.anthropic.com":                 genai.HostingAnthropic,
	"api.cohere.ai":                     genai.HostingCohere,
	"api.cohere.com":                    genai.HostingCohere,
	"api.deepseek.com":                  genai.HostingDeepSeek,
	"generativelanguage.googleapis.com": genai.HostingGemini,
	"aiplatform.googleapis.com":         genai.HostingVertexAI,
	"api.groq.com":                      genai.HostingGroq,
	"api.mistral.ai":                    genai.HostingMistral,
	"api.perplexity.ai":                 genai.HostingPerplexity,
	"api.x.ai":                          genai.HostingXAI,
}

// hostingOf returns who serves OpenAI's API at host (a request's URL
// host name, path its path) when it is not OpenAI: genai.HostingAzure for
// Azure OpenAI (openai-go's azure package, or a base URL of an Azure
// resource), genai.HostingAzureInference for Azure AI Model Inference,
// genai.HostingBedrock for Amazon Bedrock's OpenAI-compatible endpoints
// (openai-go's bedrock package), the provider of one of providerHosts (and
// Vertex AI's regional hosts <region>-aiplatform.googleapis.com); else "".
// Bedrock's interface VPC endpoints (vpce-<id>.bedrock-runtime.<region>.vpce.amazonaws.com)
// are Bedrock's, and any other host (a custom domain or a gateway in front of
// Azure OpenAI) is Azure's when the path is one of Azure OpenAI's deployment
// routes (/openai/deployments/...) or the raw query has Azure OpenAI's
// api-version. Host names match in any ASCII case, with or without a
// trailing dot.
func hostingOf(host, path, query string) string {
	if host == "api.openai.com" {
		return ""
	}
	host = strings.TrimSuffix(host, ".")
	if h, ok := providerHosts[host]; ok {
		return h
	}
	if hasSuffixFold(host, "-aiplatform.googleapis.com") {
		return genai.HostingVertexAI
	}
	for _, s := range azureInferenceSuffixes {
		if hasSuffixFold(host, s) {
			return genai.HostingAzureInference
		}
	}
	for _, s := range azureSuffixes {
		if hasSuffixFold(host, s) {
			if s == ".services.ai.azure.com" && (path == "/models" || strings.HasPrefix(path, "/models/")) {
				return genai.HostingAzureInference
			}
			return genai.HostingAzure
		}
	}
	for _, svc := range bedrockServices {
		if len(host) <= len(svc) || !asciiEqualFold(host[:len(svc)], svc) {
			continue
		}
		_, rest, ok := strings.Cut(host[len(svc):], ".") // after the region
		if !ok {
			return ""
		}
		rest = "." + rest
		for _, s := range bedrockSuffixes {
			if asciiEqualFold(rest, s) {
				return genai.HostingBedrock
			}
		}
		return ""
	}
	if lower := asciiLower(host); lower != host {
		return hostingOf(lower, path, query)
	}
	if bedrockVPCEndpoint(host) {
		return genai.HostingBedrock
	}
	// Azure OpenAI behind a host of its own (a custom domain, an API
	// gateway): its deployment routes, or its api-version query (which
	// openai-go's azure package adds before any middleware runs, where it
	// rewrites the route only in its own middleware), say who serves the
	// call.
	if strings.Contains(path, "/openai/deployments/") || hasQueryKey(query, "api-version") {
		return genai.HostingAzure
	}
	return ""
}

// hasQueryKey reports whether the raw query has the key (unescaped, as
// written).
func hasQueryKey(query, key string) bool {
	for query != "" {
		var kv string
		kv, query, _ = strings.Cut(query, "&")
		if k, _, _ := strings.Cut(kv, "="); k == key {
			return true
		}
	}
	return false
}

// bedrockVPCEndpoint reports whether host (in lower case) is an interface VPC
// endpoint of Amazon Bedrock's runtime: vpce-<id>.<service><region>.vpce.amazonaws.com
// (.com.cn in China).
func bedrockVPCEndpoint(host string) bool {
	rest, ok := strings.CutSuffix(host, ".vpce.amazonaws.com")
	if !ok {
		rest, ok = strings.CutSuffix(host, ".vpce.amazonaws.com.cn") // the China partition
	}
	if !ok || !strings.HasPrefix(rest, "vpce-") {
		return false
	}
	_, rest, ok = strings.Cut(rest, ".") // after the endpoint's id
	if !ok {
		return false
	}
	for _, svc := range bedrockServices {
		if region, ok := strings.CutPrefix(rest, svc); ok && region != "" && !strings.Contains(region, ".") {
			return true
		}
	}
	return false
}

// hasSuffixFold reports whether s ends with suffix (in any ASCII case) after
// at least one more byte.
func hasSuffixFold(s, suffix string) bool {
	return len(s) > len(suffix) && asciiEqualFold(s[len(s)-len(suffix):], suffix)
}

// asciiEqualFold is strings.EqualFold for ASCII letters only (a host name
// with a Unicode look-alike matches nothing).
func asciiEqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// asciiLower returns s with ASCII letters in lower case (s itself when it
// has none in upper case).
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}
