package bedrocktrace

//: a span says what the caller saw. Each test drives the real SDK
// client against an httptest server and compares the operation's error
// with the span's status.

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"go.opentelemetry.io/otel/codes"
)

// rawServer answers with status, a Content-Type (none when ct is "") and
// body; hdr are more header pairs.
func rawServer(t *testing.T, status int, ct, body string, hdr ...string) *httptest.Server {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ct != "" {
			w.Header().Set("Content-Type", ct)
		} else {
			w.Header()["Content-Type"] = nil
		}
		for i := 0; i+1 < len(hdr); i += 2 {
			w.Header().Set(hdr[i], hdr[i+1])
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(s.Close)
	return s
}

// checkOutcome: the span fails exactly when the caller got an error,
// with an error.type that names the failure (not a Go-internal type such as
// *errors.errorString).
func checkOutcome(t *testing.T, e *env, err error) {
	t.Helper()
	s := e.oneSpan()
	et := attrsOf(s)["error.type"].AsString()
	if (err != nil) != (s.Status().Code == codes.Error) {
		t.Errorf("caller err=%v; span %v error.type=%q", err, s.Status(), et)
	}
	if err != nil && (et == "" || strings.HasPrefix(et, "*errors.") || strings.HasPrefix(et, "*fmt.")) {
		t.Errorf("error.type %q for %v", et, err)
	}
}

func TestConverseInvokeOutcome(t *testing.T) {
	cases := []struct {
		name     string
		status   int
		ct, body string
		hdr      []string
	}{
		{"ok", 200, "application/json", converseReply, nil},
		{"invalid_json", 200, "application/json", `{"output": x}`, nil},
		{"truncated", 200, "application/json", converseReply[:40], nil},
		{"empty", 200, "application/json", ``, nil},
		{"null", 200, "application/json", `null`, nil},
		{"array", 200, "application/json", `[1]`, nil},
		{"html_proxy_page", 200, "text/html", `<html>x</html>`, nil},
		{"json_as_text_html", 200, "text/html", converseReply, nil},
		{"garbage_after_value", 200, "application/json", converseReply + "garbage", nil},
		{"output_wrong_type", 200, "application/json", `{"output":"x","stopReason":"end_turn"}`, nil},
		{"usage_wrong_type", 200, "application/json", `{"usage":{"inputTokens":"x"},"stopReason":"end_turn"}`, nil},
		{"stop_reason_number", 200, "application/json", `{"stopReason":5}`, nil},
		{"error_type_header_on_200", 200, "application/json", converseReply, []string{"X-Amzn-ErrorType", "ThrottlingException"}},
		{"202", 202, "application/json", converseReply, nil},
		{"204", 204, "application/json", ``, nil},
		{"300", 300, "application/json", converseReply, nil},
		{"304", 304, "", ``, nil},
		{"400_not_json", 400, "text/html", `<html>bad</html>`, nil},
		{"400_error_type_header", 400, "application/json", `{"message":"m"}`, []string{"X-Amzn-ErrorType", "ValidationException:http://internal.amazon.com/"}},
		{"400_empty_no_headers", 400, "", ``, nil},
		{"429_type_in_body", 429, "application/json", `{"__type":"com.amazon#ThrottlingException","message":"slow"}`, nil},
		{"500_html", 500, "text/html", `<html>x</html>`, nil},
	}
	for _, tc := range cases {
		t.Run("Converse/"+tc.name, func(t *testing.T) {
			e := newEnv(t)
			s := rawServer(t, tc.status, tc.ct, tc.body, tc.hdr...)
			_, err := e.runtime(s.URL, true).Converse(context.Background(), converseInput())
			checkOutcome(t, e, err)
		})
		t.Run("InvokeModel/"+tc.name, func(t *testing.T) {
			e := newEnv(t)
			s := rawServer(t, tc.status, tc.ct, tc.body, tc.hdr...)
			_, err := e.runtime(s.URL, true).InvokeModel(context.Background(), &bedrockruntime.InvokeModelInput{
				ModelId: aws.String("anthropic.claude-3-haiku-20240307-v1:0"),
				Body:    []byte(`{"messages":[{"role":"user","content":"hi"}],"max_tokens":10,"anthropic_version":"bedrock-2023-05-31"}`),
			})
			checkOutcome(t, e, err)
		})
	}
}

// TestStreamWithoutEventStreamContentType: the SDK decodes a 2xx answer
// to ConverseStream as an event stream whatever its Content-Type says; the
// tracer tees only application/vnd.amazon.eventstream, so the span ends
// when ConverseStream returns: without the stream's attributes, and without
// the error the caller's stream then reports.
func TestStreamWithoutEventStreamContentType(t *testing.T) {
	var frames []byte
	for _, f := range converseStreamFrames(t, 3) {
		frames = append(frames, f...)
	}
	for _, tc := range []struct{ name, ct, body string }{
		{"frames_as_json", "application/json", string(frames)},
		{"frames_without_content_type", "", string(frames)},
		{"html_proxy_page", "text/html", "<html>an error page long enough to be read as a prelude</html>"},
		{"html_as_eventstream", "application/vnd.amazon.eventstream", "<html>an error page long enough to be read as a prelude</html>"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			s := rawServer(t, 200, tc.ct, tc.body)
			out, err := e.runtime(s.URL, true).ConverseStream(context.Background(), streamInput())
			if err == nil {
				for range out.GetStream().Events() {
				}
				err = out.GetStream().Err()
				_ = out.GetStream().Close()
			}
			checkOutcome(t, e, err)
			if err == nil {
				if got := attrsOf(e.oneSpan())["gen_ai.response.finish_reasons"].AsStringSlice(); len(got) != 1 || got[0] != "tool_use" {
					t.Errorf("finish reasons %v: the stream the caller read is not recorded", got)
				}
			}
		})
	}
}
