package instr

import (
	"slices"
	"strings"
	"testing"

	"github.com/tidwall/gjson"
)

func TestScrubError(t *testing.T) {
	sigv4 := "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.\n\nThe Canonical String for this request should have been\n'POST\n/model/m/converse\n\nhost:bedrock-runtime.us-east-1.amazonaws.com\nx-amz-date:20250101T000000Z\nx-amz-security-token:SESSIONTOKEN\n\nhost;x-amz-date;x-amz-security-token\nabc'\n\nThe String-to-Sign should have been\n'AWS4-HMAC-SHA256\n20250101T000000Z\n20250101/us-east-1/bedrock/aws4_request\nfeed'\n"
	for _, tc := range []struct{ in, want string }{
		{"model not found", "model not found"},
		{sigv4, "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."},
		{"bad header x-amz-security-token:SESSIONTOKEN, retry", "bad header x-amz-security-token:[REDACTED], retry"},
		{"Authorization: AWS4-HMAC-SHA256 Credential=AKIDTEST/20250101/us-east-1/bedrock/aws4_request, SignedHeaders=host, Signature=deadbeef",
			"Authorization: [REDACTED], SignedHeaders=host, Signature=[REDACTED]"},
		{"Authorization: Bearer sk-live-123 rejected", "Authorization: [REDACTED]"},
		{"invalid token: Bearer sk-live-123", "invalid token: Bearer [REDACTED]"},
		{"api-key: k1 and Api-Key=k2", "api-key: [REDACTED] and Api-Key=[REDACTED]"},
		{"trailing marker signature=", "trailing marker signature="},
		{"Error while downloading https://b.s3.amazonaws.com/k?X-Amz-Credential=AKIDTEST%2Fx&X-Amz-Signature=deadbeef now",
			"Error while downloading https://b.s3.amazonaws.com/k?X-Amz-Credential=[REDACTED] now"},
		{"Invalid image URL https://a.blob.core.windows.net/c/a.png?sv=1&sig=k1secret", "Invalid image URL https://a.blob.core.windows.net/c/a.png?sv=1&sig=[REDACTED]"},
		{"Error while downloading https://f.example/a.png?alt=media&token=k1tok.", "Error while downloading https://f.example/a.png?alt=media&token=[REDACTED]"},
		{"bad https://maps.example/s?key=k1key&size=2 and max_tokens=5", "bad https://maps.example/s?key=[REDACTED] and max_tokens=5"},
		{"oss https://b.oss.example/a?OSSAccessKeyId=STS.k1&security-token=k1sts", "oss https://b.oss.example/a?OSSAccessKeyId=[REDACTED]"},
	} {
		got := ScrubError(tc.in)
		if got != tc.want {
			t.Errorf("ScrubError(%q)\n got %q\nwant %q", tc.in, got, tc.want)
		}
		for _, secret := range []string{"SESSIONTOKEN", "AKIDTEST", "deadbeef", "sk-live", "k1", "k2", "k1secret", "k1tok", "k1key", "k1sts"} {
			if strings.Contains(got, secret) {
				t.Errorf("%q kept %s", got, secret)
			}
		}
	}
}

func FuzzScrubError(f *testing.F) {
	f.Add("x-amz-security-token:abc")
	f.Add("Bearer  ")
	f.Fuzz(func(t *testing.T, s string) {
		got := ScrubError(s)
		if len(got) > len(s)+10*len(s) {
			t.Fatalf("grew: %q", got)
		}
		if ScrubError(got) != got {
			t.Fatalf("not idempotent: %q -> %q", got, ScrubError(got))
		}
	})
}

// jsonTextsOracle is AppendJSONTexts written with gjson (a pass per level).
func jsonTextsOracle(body string) []string {
	var dst []string
	var walk func(v gjson.Result, depth int)
	walk = func(v gjson.Result, depth int) {
		if depth > 64 {
			return
		}
		v.ForEach(func(k, e gjson.Result) bool {
			if (k.Str == "text" || k.Str == "refusal") && e.Type == gjson.String {
				dst = AppendContent(dst, e.Str)
			} else if e.IsObject() || e.IsArray() {
				walk(e, depth+1)
			}
			return true
		})
	}
	walk(gjson.Parse(body), 0)
	return dst
}

// FuzzAppendJSONTexts: on well-formed JSON, AppendJSONTexts (one pass)
// finds the text and refusal members gjson finds; on any input it ends.
func FuzzAppendJSONTexts(f *testing.F) {
	f.Add(`{"model":"gpt-4o-mini","messages":[{"role":"user","content":[{"type":"text","text":"Hello. "},{"type":"text","text":"Mail ana@example.com\nnow"}]},` +
		`{"role":"assistant","content":[{"type":"refusal","refusal":"I can't."}]}]}`)
	f.Add(`{"input":[{"role":"user","content":[{"type":"input_text","text":"a \"quoted\" \u00e9 text"}]}],"tools":[{"type":"function","parameters":{"properties":{"text":{"type":"string"}}}}]}`)
	f.Add(`{"text":7,"a":[[[{"text":"deep"}]]],"refusal":null}`)
	f.Add(`{"text":"unterminated`)
	f.Fuzz(func(t *testing.T, body string) {
		got := AppendJSONTexts(nil, body)
		if !gjson.Valid(body) {
			return
		}
		if want := jsonTextsOracle(body); !slices.Equal(got, want) {
			t.Fatalf("got %q, want %q", got, want)
		}
	})
}
