package openaitrace

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3/bedrock"
	"github.com/openai/openai-go/v3/option"
	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/tracekit-go/tracekit/semconv"
)

// TestOpenAIOnBedrock: a client of Amazon Bedrock's OpenAI-compatible API
// built with openai-go's bedrock package (SigV4-signed with temporary
// credentials, the Runtime endpoint) is traced like one of OpenAI, with
// tracing installed among its options: the signed request reaches the
// server, the span is the chat span of the request's model, OTel GenAI's
// gen_ai.provider.name is aws.bedrock and OpenInference's llm.provider aws
// (Tracekit's gen_ai.system stays openai), and no credential reaches the span,
// not even from an error that quotes them bare (the session token and the
// signature in the message, the access key id as its code) or in the signed
// request a signature mismatch quotes.
func TestOpenAIOnBedrock(t *testing.T) {
	const (
		akid    = "ASIAOPENAIONBEDROCK7Q"
		secret  = "sEcReT/openai+on+bedrock0123456789abcdef"
		session = "SESSIONTOKENOPENAIONBEDROCKxyz"
		host    = "bedrock-runtime.us-east-1.amazonaws.com"
		model   = "openai.gpt-oss-120b-1:0"
	)
	t.Setenv("AWS_BEARER_TOKEN_BEDROCK", "")
	for _, fail := range []bool{false, true} {
		t.Run(map[bool]string{false: "ok", true: "signature_mismatch"}[fail], func(t *testing.T) {
			var authz, token, path string
			_, hc := tlsServerAt(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.ReadAll(r.Body)
				authz, token, path = r.Header.Get("Authorization"), r.Header.Get("X-Amz-Security-Token"), r.URL.Path
				w.Header().Set("Content-Type", "application/json")
				if fail {
					// The message quotes the session token and the
					// signature bare (no marker before them), then the
					// canonical request; the code is the access key id.
					sig := authz[strings.LastIndex(authz, "Signature=")+len("Signature="):]
					w.WriteHeader(403)
					_, _ = io.WriteString(w, `{"error":{"message":"Token `+session+` with signature `+sig+` rejected. `+
						`The request signature we calculated does not match the signature you provided. `+
						`Check your AWS Secret Access Key and signing method.\n\nThe Canonical String for this request should have been\n'POST\n/openai/v1/chat/completions\n\n`+
						`host:`+host+`\nx-amz-security-token:`+session+`\n\nhost;x-amz-security-token\n'\n\nThe String-to-Sign should have been\n'AWS4-HMAC-SHA256\n`+
						`20261203T000000Z\n20261203/us-east-1/bedrock/aws4_request\nabc'","type":"invalid_request_error","code":"`+akid+`"}}`)
					return
				}
				_, _ = io.WriteString(w, chatResponseJSON)
			}))
			rec := tracetest.NewSpanRecorder()
			tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
			reader := sdkmetric.NewManualReader()
			mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
			client, err := bedrock.NewClient(context.Background(), bedrock.Config{
				Endpoint: bedrock.EndpointRuntime, AWSRegion: "us-east-1",
				AWSAccessKeyID: akid, AWSSecretAccessKey: secret, AWSSessionToken: session,
			}, option.WithHTTPClient(hc), option.WithMaxRetries(0),
				WithTracing(WithTracerProvider(tp), WithMeterProvider(mp), WithCaptureContent(true),
					WithConventions(semconv.Tracekit, semconv.OTelGenAI, semconv.OpenInference)))
			if err != nil {
				t.Fatal(err)
			}
			params := chatParams()
			params.Model = model
			resp, err := client.Chat.Completions.New(context.Background(), params)
			if fail != (err != nil) {
				t.Fatalf("error %v", err)
			}
			if !fail && resp.ID != "chatcmpl-fixture1" {
				t.Errorf("response id %q", resp.ID)
			}
			if path != "/openai/v1/chat/completions" || !strings.HasPrefix(authz, "AWS4-HMAC-SHA256 Credential="+akid+"/") || token != session {
				t.Errorf("the server got %s, Authorization %q, token %q", path, authz, token)
			}
			spans := rec.Ended()
			if len(spans) != 1 {
				t.Fatalf("%d spans, want 1", len(spans))
			}
			s := spans[0]
			a := attrs(s)
			want := map[string]string{
				"gen_ai.system": "openai", "gen_ai.provider.name": "aws.bedrock", "llm.provider": "aws", "llm.system": "openai",
				"server.address": host, "gen_ai.request.model": model,
			}
			for k, v := range want {
				if a[k].String() != v {
					t.Errorf("%s = %q, want %q", k, a[k].String(), v)
				}
			}
			if s.Name() != "chat "+model {
				t.Errorf("span %q", s.Name())
			}
			if fail != (s.Status().Code == codes.Error) {
				t.Errorf("status %v %q", s.Status().Code, s.Status().Description)
			}
			texts := spanTexts(s)
			sig := authz[strings.LastIndex(authz, "Signature=")+len("Signature="):]
			for _, txt := range texts {
				for _, needle := range []string{akid, secret, session, sig} {
					if strings.Contains(txt, needle) {
						t.Errorf("the span holds a credential: %.300s", txt)
					}
				}
			}
			checkDuration(t, reader, map[string]string{"gen_ai.provider.name": "aws.bedrock"})
		})
	}
}

// Bedrock's OpenAI-compatible hosts, in every partition the SDK knows, and
// look-alikes that are not.
func TestHostingOfBedrock(t *testing.T) {
	for host, want := range map[string]string{
		"bedrock-runtime.us-east-1.amazonaws.com":          "aws.bedrock",
		"bedrock-mantle.eu-west-1.api.aws":                 "aws.bedrock",
		"bedrock-runtime-fips.us-gov-west-1.amazonaws.com": "aws.bedrock",
		"bedrock-runtime.cn-north-1.amazonaws.com.cn":      "aws.bedrock",
		"Bedrock-Runtime.US-EAST-1.AmazonAWS.com":          "aws.bedrock",
		"bedrock-runtime.us-east-1.api.aws":                "aws.bedrock",
		"bedrock.us-east-1.amazonaws.com":                  "",
		"bedrock-runtime.amazonaws.com":                    "",
		"bedrock-runtime.us-east-1.amazonaws.com.evil.io":  "",
		"bedrock-runtime.us-east-1.example.com":            "",
		"bedrock-runtime.":                                 "",
		"bedrock-runtime":                                  "",
	} {
		if got := hostingOf(host, "/openai/v1/chat/completions", ""); got != want {
			t.Errorf("hostingOf(%q) = %q, want %q", host, got, want)
		}
	}
}
