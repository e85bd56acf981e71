package openaitrace

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/azure"
	"github.com/openai/openai-go/v3/option"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/tracekit-go/tracekit/semconv"
)

// tlsServerAt is a TLS server of handler and a client that dials it
// whatever host a request names, so that a test can use a cloud endpoint's
// real host name.
func tlsServerAt(t *testing.T, handler http.Handler) (*httptest.Server, *http.Client) {
	srv := httptest.NewTLSServer(handler)
	t.Cleanup(srv.Close)
	tr := srv.Client().Transport.(*http.Transport).Clone()
	tr.TLSClientConfig.InsecureSkipVerify = true // the test certificate names no cloud host
	tr.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, srv.Listener.Addr().String())
	}
	t.Cleanup(tr.CloseIdleConnections)
	return srv, &http.Client{Transport: tr}
}

// azureServer answers a chat completion on a TLS server, recording what it
// got.
func azureServer(t *testing.T, got *[4]string) (*httptest.Server, *http.Client) {
	return tlsServerAt(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		*got = [4]string{r.URL.Path, r.URL.RawQuery, r.Header.Get("Api-Key"), string(b)}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, chatResponseJSON)
	}))
}

// TestAzureOpenAI: a client of Azure OpenAI built with openai-go's azure
// package (deployment routing, the api-version query, the Api-Key header) is
// traced like one of OpenAI, with tracing installed before or after the
// Azure options: the request reaches the deployment's path unchanged, the
// span is the chat span of the request's model, the key is nowhere in it,
// and each convention names the provider as it names Azure OpenAI
// (Tracekit: gen_ai.system openai, as llm-tracekit; OpenTelemetry:
// gen_ai.provider.name azure.ai.openai; OpenInference: llm.provider azure).
func TestAzureOpenAI(t *testing.T) {
	const key = "azure-api-key-secret-0123"
	for _, tracingFirst := range []bool{true, false} {
		t.Run(map[bool]string{true: "tracing_first", false: "tracing_last"}[tracingFirst], func(t *testing.T) {
			var got [4]string
			_, hc := azureServer(t, &got)
			rec := tracetest.NewSpanRecorder()
			tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
			reader := sdkmetric.NewManualReader()
			mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
			tracing := WithTracing(WithTracerProvider(tp), WithMeterProvider(mp), WithCaptureContent(true),
				WithConventions(semconv.Tracekit, semconv.OTelGenAI, semconv.OpenInference))
			opts := []option.RequestOption{option.WithHTTPClient(hc), azure.WithEndpoint("https://contoso-eu.openai.azure.com", "2024-10-21"),
				azure.WithAPIKey(key), option.WithMaxRetries(0)}
			if tracingFirst {
				opts = append([]option.RequestOption{tracing}, opts...)
			} else {
				opts = append(opts, tracing)
			}
			client := openai.NewClient(opts...)
			resp, err := client.Chat.Completions.New(context.Background(), chatParams())
			if err != nil {
				t.Fatal(err)
			}
			if resp.ID != "chatcmpl-fixture1" {
				t.Errorf("response id %q", resp.ID)
			}
			if got[0] != "/openai/deployments/gpt-4o-mini/chat/completions" || got[1] != "api-version=2024-10-21" || got[2] != key ||
				!strings.Contains(got[3], `"model":"gpt-4o-mini"`) {
				t.Errorf("the server got %s?%s with key %q and body %s", got[0], got[1], got[2], got[3])
			}
			spans := rec.Ended()
			if len(spans) != 1 {
				t.Fatalf("%d spans, want 1", len(spans))
			}
			s := spans[0]
			a := attrs(s)
			want := map[string]string{
				"gen_ai.operation.name": "chat", "gen_ai.system": "openai", "gen_ai.provider.name": "azure.ai.openai",
				"llm.provider": "azure", "llm.system": "openai", "server.address": "contoso-eu.openai.azure.com",
				"gen_ai.response.id": "chatcmpl-fixture1", "gen_ai.request.model": "gpt-4o-mini",
			}
			for k, v := range want {
				if a[k].String() != v {
					t.Errorf("%s = %q, want %q", k, a[k].String(), v)
				}
			}
			if s.Name() != "chat gpt-4o-mini" {
				t.Errorf("span %q", s.Name())
			}
			if _, ok := a["gen_ai.prompt.0.content"]; !ok {
				t.Error("no prompt recorded")
			}
			for k, v := range a {
				if strings.Contains(v.String(), key) {
					t.Errorf("%s holds the API key", k)
				}
			}
			// The metrics name the provider as the span does.
			checkDuration(t, reader, map[string]string{"gen_ai.provider.name": "azure.ai.openai", "gen_ai.system": "openai"})
		})
	}
}

// TestAzureOpenAICustomDomain: Azure OpenAI behind a host of its own (a
// custom domain or a gateway, under a base path) is named by its deployment
// routes, with tracing installed before or after the Azure options.
func TestAzureOpenAICustomDomain(t *testing.T) {
	for _, tracingFirst := range []bool{true, false} {
		t.Run(map[bool]string{true: "tracing_first", false: "tracing_last"}[tracingFirst], func(t *testing.T) {
			var got [4]string
			_, hc := azureServer(t, &got)
			rec := tracetest.NewSpanRecorder()
			tracing := WithTracing(WithTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))),
				WithConventions(semconv.OTelGenAI, semconv.OpenInference))
			opts := []option.RequestOption{option.WithHTTPClient(hc), azure.WithEndpoint("https://llm.contoso.example/gw", "2024-10-21"),
				azure.WithAPIKey("k"), option.WithMaxRetries(0)}
			if tracingFirst {
				opts = append([]option.RequestOption{tracing}, opts...)
			} else {
				opts = append(opts, tracing)
			}
			client := openai.NewClient(opts...)
			if _, err := client.Chat.Completions.New(context.Background(), chatParams()); err != nil {
				t.Fatal(err)
			}
			if got[0] != "/gw/openai/deployments/gpt-4o-mini/chat/completions" {
				t.Errorf("the server got %s", got[0])
			}
			spans := rec.Ended()
			if len(spans) != 1 {
				t.Fatalf("%d spans, want 1", len(spans))
			}
			a := attrs(spans[0])
			for k, v := range map[string]string{"gen_ai.provider.name": "azure.ai.openai", "llm.provider": "azure",
				"server.address": "llm.contoso.example"} {
				if a[k].String() != v {
					t.Errorf("%s = %q, want %q", k, a[k].String(), v)
				}
			}
		})
	}
}

// TestHostingOf: who serves OpenAI's API, by host (in any ASCII case, with
// or without a trailing dot): Azure, other providers' OpenAI-compatible
// endpoints, and no look-alike. (Bedrock's hosts: TestHostingOfBedrock.)
func TestHostingOf(t *testing.T) {
	for host, want := range map[string]string{
		"contoso.openai.azure.com":              "azure",
		"CONTOSO.OpenAI.Azure.com":              "azure",
		"contoso.cognitiveservices.azure.com":   "azure",
		"contoso.services.ai.azure.com":         "azure",
		"contoso.openai.azure.us":               "azure",
		"contoso.openai.azure.cn":               "azure",
		"api.openai.com":                        "",
		"openai.azure.com":                      "",
		"contoso.openai.azure.com.evil.example": "",
		"azure.com":                             "",
		"127.0.0.1":                             "",
		"":                                      "",
		// Other providers' OpenAI-compatible endpoints.
		"api.groq.com":                           "groq",
		"API.Groq.com":                           "groq",
		"api.deepseek.com":                       "deepseek",
		"api.x.ai":                               "x_ai",
		"api.mistral.ai":                         "mistral_ai",
		"api.perplexity.ai":                      "perplexity",
		"api.anthropic.com":                      "anthropic",
		"api.cohere.ai":                          "cohere",
		"generativelanguage.googleapis.com":      "gcp.gemini",
		"us-central1-aiplatform.googleapis.com":  "gcp.vertex_ai",
		"aiplatform.googleapis.com":              "gcp.vertex_ai",
		"groq.com":                               "",
		"api.groq.com.evil.example":              "",
		"api.x.ai.example":                       "",
		"-aiplatform.googleapis.com":             "",
		"evil-aiplatform.googleapis.com.example": "",
		"localhost":                              "",
		// A trailing dot (a fully qualified name) changes nothing.
		"api.groq.com.":             "groq",
		"contoso.openai.azure.com.": "azure",
		// Azure AI Model Inference's endpoints.
		"contoso.models.ai.azure.com":    "azure.ai.inference",
		"contoso.inference.ai.azure.com": "azure.ai.inference",
		// A Unicode look-alike (the Kelvin sign) is not ASCII "k".
		"api.deepsee\u212a.com": "",
	} {
		if got := hostingOf(host, "/v1/chat/completions", ""); got != want {
			t.Errorf("hostingOf(%q) = %q, want %q", host, got, want)
		}
	}
	// An Azure AI Foundry resource serves Azure OpenAI, and the Azure AI
	// Model Inference API under /models.
	for path, want := range map[string]string{
		"/openai/deployments/gpt-4o/chat/completions": "azure",
		"/openai/v1/chat/completions":                 "azure",
		"/models/chat/completions":                    "azure.ai.inference",
		"/modelsx/chat/completions":                   "azure",
	} {
		if got := hostingOf("contoso.services.ai.azure.com", path, ""); got != want {
			t.Errorf("hostingOf(contoso.services.ai.azure.com, %q) = %q, want %q", path, got, want)
		}
	}
	// Azure OpenAI behind a host of its own (a custom domain, a gateway):
	// its deployment routes name it, under any base path; OpenAI's own
	// host and other routes do not.
	for _, c := range []struct{ host, path, query, want string }{
		{"llm.contoso.example", "/openai/deployments/gpt-4o/chat/completions", "", "azure"},
		{"10.0.0.7", "/gateway/eu/openai/deployments/gpt-4o/embeddings", "", "azure"},
		{"LLM.Contoso.Example.", "/openai/deployments/gpt-4o/chat/completions", "", "azure"},
		{"llm.contoso.example", "/openai/v1/chat/completions", "", ""},
		// or its api-version query (the azure package's route is written in
		// its own middleware, after a tracer installed before it ran).
		{"llm.contoso.example", "/gw/chat/completions", "api-version=2024-10-21", "azure"},
		{"llm.contoso.example", "/gw/chat/completions", "a=1&api-version", "azure"},
		{"llm.contoso.example", "/gw/chat/completions", "x-api-version=1", ""},
		{"llm.contoso.example", "/gw/chat/completions", "q=api-version", ""},
		{"api.openai.com", "/v1/chat/completions", "api-version=2024-10-21", ""},
		{"llm.contoso.example", "/v1/chat/completions", "", ""},
		{"llm.contoso.example", "/OPENAI/DEPLOYMENTS/x/chat/completions", "", ""},
		{"api.openai.com", "/openai/deployments/gpt-4o/chat/completions", "", ""},
		// Bedrock's interface VPC endpoints.
		{"vpce-0a1b2c3d-4e5f6a7b.bedrock-runtime.us-east-1.vpce.amazonaws.com", "/openai/v1/chat/completions", "", "aws.bedrock"},
		{"VPCE-0a1b.Bedrock-Mantle.eu-west-1.VPCE.amazonaws.com.", "/v1/chat/completions", "", "aws.bedrock"},
		{"vpce-0a1b.bedrock-runtime-fips.us-east-1.vpce.amazonaws.com", "/v1/chat/completions", "", "aws.bedrock"},
		{"vpce-0a1b.bedrock-runtime.cn-north-1.vpce.amazonaws.com.cn", "/v1/chat/completions", "", "aws.bedrock"},
		{"vpce-0a1b.bedrock-runtime.cn-north-1.vpce.amazonaws.com.cn.evil", "/v1/chat/completions", "", ""},
		{"vpce-0a1b.bedrock-agent.us-east-1.vpce.amazonaws.com", "/v1/chat/completions", "", ""},
		{"vpce-0a1b.bedrock-runtime.vpce.amazonaws.com", "/v1/chat/completions", "", ""},
		{"vpce-0a1b.bedrock-runtime.us-east-1.x.vpce.amazonaws.com", "/v1/chat/completions", "", ""},
		{"bedrock-runtime.us-east-1.vpce.amazonaws.com", "/v1/chat/completions", "", ""},
		{"vpce-0a1b.s3.us-east-1.vpce.amazonaws.com", "/v1/chat/completions", "", ""},
	} {
		if got := hostingOf(c.host, c.path, c.query); got != c.want {
			t.Errorf("hostingOf(%q, %q) = %q, want %q", c.host, c.path, got, c.want)
		}
	}
}

// TestOpenAICompatibleProviders: a client pointed at another provider's
// OpenAI-compatible endpoint names that provider in the conventions that
// name who serves a call (OTel GenAI's gen_ai.provider.name, spans and
// metrics; OpenInference's llm.provider); Tracekit's gen_ai.system stays
// openai, and OTel GenAI's openai.* attributes are OpenAI's spans' only.
func TestOpenAICompatibleProviders(t *testing.T) {
	for host, want := range map[string][2]string{
		"api.groq.com":                      {"groq", "groq"},
		"api.x.ai":                          {"x_ai", "xai"},
		"generativelanguage.googleapis.com": {"gcp.gemini", "google"},
		"api.mistral.ai":                    {"mistral_ai", "mistralai"},
		"api.openai.com":                    {"openai", "openai"},
	} {
		t.Run(host, func(t *testing.T) {
			var got [4]string
			_, hc := azureServer(t, &got)
			rec := tracetest.NewSpanRecorder()
			reader := sdkmetric.NewManualReader()
			client := openai.NewClient(option.WithHTTPClient(hc), option.WithBaseURL("https://"+host+"/openai/v1/"),
				option.WithAPIKey("k"), option.WithMaxRetries(0),
				WithTracing(WithTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))),
					WithMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))),
					WithConventions(semconv.Tracekit, semconv.OTelGenAI, semconv.OpenInference)))
			if _, err := client.Chat.Completions.New(context.Background(), chatParams()); err != nil {
				t.Fatal(err)
			}
			if got[0] != "/openai/v1/chat/completions" {
				t.Errorf("the server got %s", got[0])
			}
			spans := rec.Ended()
			if len(spans) != 1 {
				t.Fatalf("%d spans", len(spans))
			}
			a := attrs(spans[0])
			if a["gen_ai.provider.name"].String() != want[0] || a["llm.provider"].String() != want[1] ||
				a["gen_ai.system"].String() != "openai" || a["server.address"].String() != host {
				t.Errorf("provider %q, llm.provider %q, gen_ai.system %q, server %q", a["gen_ai.provider.name"].String(),
					a["llm.provider"].String(), a["gen_ai.system"].String(), a["server.address"].String())
			}
			// openai.* are the OpenAI span's: only there.
			if _, ok := a["openai.api.type"]; ok != (want[0] == "openai") {
				t.Errorf("openai.api.type present: %v, for provider %s", ok, want[0])
			}
			checkDuration(t, reader, map[string]string{"gen_ai.provider.name": want[0]})
		})
	}
}

// TestAzureKeyWithheld: an Azure error that quotes the Api-Key (bare, in its
// message and as its code) leaves it out of the span.
func TestAzureKeyWithheld(t *testing.T) {
	const key = "0123456789abcdef0123456789abcdef"
	var quoted string
	_, hc := tlsServerAt(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		quoted = r.Header.Get("Api-Key")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(401)
		_, _ = io.WriteString(w, `{"error":{"code":"`+r.Header.Get("Api-Key")+`","message":"Access denied due to invalid subscription key `+
			r.Header.Get("Api-Key")+`. Make sure to provide a valid key for an active subscription."}}`)
	}))
	rec := tracetest.NewSpanRecorder()
	client := openai.NewClient(option.WithHTTPClient(hc), azure.WithEndpoint("https://contoso.openai.azure.com", "2024-10-21"),
		azure.WithAPIKey(key), option.WithMaxRetries(0),
		WithTracing(WithTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec)))))
	_, err := client.Chat.Completions.New(context.Background(), chatParams())
	if err == nil || quoted != key {
		t.Fatalf("error %v, the server quoted %q: the test proves nothing", err, quoted)
	}
	spans := rec.Ended()
	if len(spans) != 1 {
		t.Fatalf("%d spans", len(spans))
	}
	s := spans[0]
	for _, txt := range spanTexts(s) {
		if strings.Contains(txt, key) {
			t.Errorf("the span holds the key: %s", txt)
		}
	}
	if !strings.Contains(s.Status().Description, "Access denied") {
		t.Errorf("status %q", s.Status().Description)
	}
}

// checkDuration checks that reader holds one gen_ai.client.operation.duration
// point, with the attributes want.
func checkDuration(t *testing.T, reader *sdkmetric.ManualReader, want map[string]string) {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if h, ok := m.Data.(metricdata.Histogram[float64]); ok && m.Name == "gen_ai.client.operation.duration" {
				for _, dp := range h.DataPoints {
					n++
					for k, w := range want {
						if v, _ := dp.Attributes.Value(attribute.Key(k)); v.String() != w {
							t.Errorf("duration's %s = %q, want %q", k, v.String(), w)
						}
					}
				}
			}
		}
	}
	if n != 1 {
		t.Errorf("%d duration points, want 1", n)
	}
}

// spanTexts returns everything a span says: its status, its attributes and
// its events' (to look for what must not be there).
func spanTexts(s sdktrace.ReadOnlySpan) []string {
	texts := []string{s.Status().Description}
	for _, kv := range s.Attributes() {
		texts = append(texts, string(kv.Key)+"="+kv.Value.String())
	}
	for _, ev := range s.Events() {
		texts = append(texts, ev.Name)
		for _, kv := range ev.Attributes {
			texts = append(texts, string(kv.Key)+"="+kv.Value.String())
		}
	}
	return texts
}

// FuzzHostingOf: any host, path and query; hostingOf never panics, ignores
// ASCII case and one trailing dot, and names only hosts that end with a known
// suffix or are a known provider's, or Azure for Azure OpenAI's routes or
// api-version query.
func FuzzHostingOf(f *testing.F) {
	for _, s := range []string{"api.openai.com", "contoso.openai.azure.com", "contoso.services.ai.azure.com",
		"bedrock-runtime.us-east-1.amazonaws.com", "bedrock-mantle.eu-west-1.api.aws", "api.groq.com",
		"us-central1-aiplatform.googleapis.com", "127.0.0.1", "", ".", "bedrock-runtime.", "API.X.AI."} {
		f.Add(s, "/v1/chat/completions", "")
	}
	f.Add("contoso.services.ai.azure.com", "/models/chat/completions", "")
	f.Add("llm.contoso.example", "/openai/deployments/gpt-4o/chat/completions", "")
	f.Add("llm.contoso.example", "/gw/chat/completions", "api-version=2024-10-21")
	f.Add("vpce-0a1b.bedrock-runtime.us-east-1.vpce.amazonaws.com", "/openai/v1/chat/completions", "")
	f.Fuzz(func(t *testing.T, host, path, query string) {
		got := hostingOf(host, path, query)
		if other := hostingOf(asciiLower(host), path, query); other != got {
			t.Errorf("%q: %q, but %q in lower case", host, got, other)
		}
		if !strings.HasSuffix(host, ".") {
			if other := hostingOf(host+".", path, query); other != got {
				t.Errorf("%q: %q, but %q with a trailing dot", host, got, other)
			}
		}
		if got == "" {
			return
		}
		if got == "azure" && (strings.Contains(path, "/openai/deployments/") || strings.HasPrefix(query, "api-version") ||
			strings.Contains(query, "&api-version")) {
			return // Azure OpenAI's routes or api-version, on any host
		}
		h := strings.TrimSuffix(asciiLower(host), ".")
		if _, known := providerHosts[h]; !known && !strings.Contains(h, ".") {
			t.Errorf("%q (no dot) is %q", host, got)
		}
		if !strings.HasSuffix(h, ".com") && !strings.HasSuffix(h, ".ai") && !strings.HasSuffix(h, ".aws") &&
			!strings.HasSuffix(h, ".us") && !strings.HasSuffix(h, ".cn") && !strings.HasSuffix(h, ".eu") &&
			!strings.HasSuffix(h, ".gov") && !strings.HasSuffix(h, ".uk") && !strings.HasSuffix(h, ".scloud") {
			t.Errorf("%q is %q", host, got)
		}
	})
}
