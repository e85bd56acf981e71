package openaitrace

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/responses"
	"github.com/openai/openai-go/v3/shared"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/tracekit-go/tracekit/internal/schemacheck"
	"github.com/tracekit-go/tracekit/redact"
	"github.com/tracekit-go/tracekit/semconv"
)

// A repeated "audio" member whose last value is not an object.

const review3DupAudio = `{"id":"c","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"finish_reason":"stop",` +
	`"message":{"role":"assistant","content":null,"audio":{"id":"a","data":"UklG","expires_at":1,"transcript":"secret transcript"},"audio":null}}]}`

// TestChatAudioParsersAgreeOnNonObjectAudio: the jscan parser and its gjson
// oracle agree on a repeated audio member whose last value is null.
func TestChatAudioParsersAgreeOnNonObjectAudio(t *testing.T) {
	if d := chatParseBoth(review3DupAudio); d != "" {
		t.Fatal(d)
	}
}

// TestChatAudioRepeatedMember: the same body through the real client: the
// caller keeps the first audio (openai-go ignores the null); so does the
// span.
func TestChatAudioRepeatedMember(t *testing.T) {
	h := newHarnessWith(t, jsonHandler(200, review3DupAudio), true,
		&harnessConfig{tracing: []Option{WithConventions(semconv.Tracekit, semconv.OTelGenAI)}})
	resp, err := h.client.Chat.Completions.New(context.Background(), audioParams())
	if err != nil {
		t.Fatal(err)
	}
	a := attrs(h.onlySpan())
	if got, want := a["gen_ai.completion.0.content"].AsString(), resp.Choices[0].Message.Audio.Transcript; got != want {
		t.Errorf("gen_ai.completion.0.content=%q, caller's transcript %q", got, want)
	}
}

// TestServerToolCallTypeCollision: a built-in tool's arguments that have a
// "type" member (a redactor's placeholder) do not overwrite the tool's
// type: they are "arguments".
func TestServerToolCallTypeCollision(t *testing.T) {
	out := `{"type":"web_search_call","id":"ws_1","status":"completed","action":{"type":"search","query":"x@example.com"}},` + outputMessageJSON
	p := responses.ResponseNewParams{
		Model: shared.ResponsesModel("gpt-4o-mini"),
		Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("q")},
	}
	// A redactor that withholds a JSON tool argument object wholesale, with
	// a JSON placeholder (the conventions expect arguments to be objects).
	red := redact.Func(func(s string) string {
		if strings.HasPrefix(s, "{") && strings.Contains(s, "@") {
			return `{"type":"redacted"}`
		}
		return s
	})
	schemas := schemacheck.New(t)
	h := newHarnessWith(t, jsonHandler(200, responseJSON("resp_1", "completed", out, "")), true,
		&harnessConfig{tracing: []Option{WithConventions(semconv.OTelGenAI), WithRedactor(red)}, processors: []sdktrace.SpanProcessor{schemas}})
	if _, err := h.client.Responses.New(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	om := attrs(h.onlySpan())["gen_ai.output.messages"].AsString()
	for _, e := range schemas.Errors() {
		t.Error(e)
	}
	var msgs []struct {
		Parts []struct {
			Type string          `json:"type"`
			STC  json.RawMessage `json:"server_tool_call"`
		} `json:"parts"`
	}
	if err := json.Unmarshal([]byte(om), &msgs); err != nil {
		t.Fatal(err)
	}
	for _, p := range msgs[0].Parts {
		if p.Type != "server_tool_call" {
			continue
		}
		var d struct{ Type string }
		_ = json.Unmarshal(p.STC, &d)
		var top map[string]json.RawMessage
		_ = json.Unmarshal(p.STC, &top)
		if n := strings.Count(string(p.STC), `"`); d.Type != "web_search" || (len(top) == 1 && n > 4) {
			t.Errorf("server_tool_call %s: duplicate \"type\"; a JSON reader sees type %q, not web_search", p.STC, d.Type)
		}
	}
}

// TestResponsesStreamCaptureOffKeepsNoImage: with capture off a Responses
// stream keeps of the final response only what it records, not a generated
// image.
func TestResponsesStreamCaptureOffKeepsNoImage(t *testing.T) {
	img := strings.Repeat("QUJD", 2<<20) // 8 MiB base64 image
	final := responseJSON("resp_img", "completed",
		`{"type":"image_generation_call","id":"ig_1","status":"completed","output_format":"png","result":"`+img+`"}`, "")
	s := newResponsesStream(false).(*responsesStream)
	s.consume(nil, []byte(`{"type":"response.completed","sequence_number":1,"response":`+final+`}`))
	if strings.Contains(s.final, img[:1024]) {
		t.Errorf("capture off: the stream accumulator keeps a %d-byte copy of the final response, the generated image included", len(s.final))
	}
}

// TestChatAudioEdges: content and audio, refusal and audio, two audio
// choices, audio above the inline bound and an empty audio object: valid
// output messages, the caller's body untouched, nothing with capture off.
func TestChatAudioEdges(t *testing.T) {
	big := strings.Repeat("A", semconv.MaxInlineData+4)
	bodies := map[string]string{
		"content+audio": `{"id":"c","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":"text","audio":{"id":"a","data":"UklG","expires_at":1,"transcript":"tr"}}}]}`,
		"refusal+audio": `{"id":"c","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":null,"refusal":"no","audio":{"id":"a","data":"UklG","expires_at":1,"transcript":"tr"}}}]}`,
		"n2":            `{"id":"c","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":null,"audio":{"id":"a","data":"UklG","expires_at":1,"transcript":"one"}}},{"index":1,"finish_reason":"length","message":{"role":"assistant","content":null,"audio":{"id":"b","data":"UklH","expires_at":1,"transcript":"two"}}}]}`,
		"huge":          `{"id":"c","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":null,"audio":{"id":"a","data":"` + big + `","expires_at":1,"transcript":"tr"}}}]}`,
		"empty-audio":   `{"id":"c","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":null,"audio":{}}}]}`,
	}
	for name, body := range bodies {
		for _, capture := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/%v", name, capture), func(t *testing.T) {
				schemas := schemacheck.New(t)
				h := newHarnessWith(t, jsonHandler(200, body), capture,
					&harnessConfig{tracing: []Option{WithConventions(semconv.Tracekit, semconv.OTelGenAI, semconv.OpenInference)}, processors: []sdktrace.SpanProcessor{schemas}})
				resp, err := h.client.Chat.Completions.New(context.Background(), audioParams())
				if err != nil {
					t.Fatal(err)
				}
				if resp.RawJSON() != body {
					t.Error("caller body changed")
				}
				for _, e := range schemas.Errors() {
					t.Error(e)
				}
				a := attrs(h.onlySpan())
				om := a["gen_ai.output.messages"].AsString()
				if !capture {
					for k, v := range a {
						if s := v.String(); strings.Contains(s, "UklG") || strings.Contains(s, `"tr"`) || strings.Contains(s, "AAAA") {
							t.Errorf("capture off: %s=%s", k, s)
						}
					}
					return
				}
				if name == "huge" && strings.Contains(om, "AAAA") {
					t.Error("huge audio inlined")
				}
			})
		}
	}
}

// TestChatAudioStreamEdges: two streamed audio choices cut short, read to
// the end or closed early: valid output messages, the audio data never
// kept, nothing with capture off.
func TestChatAudioStreamEdges(t *testing.T) {
	chunk := func(s string) string {
		return `{"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[` + s + `]}`
	}
	evs := dataEvents(
		chunk(`{"index":0,"delta":{"role":"assistant","audio":{"id":"a","transcript":"He"}}},{"index":1,"delta":{"role":"assistant","audio":{"id":"b","transcript":"Wo"}}}`),
		chunk(`{"index":0,"delta":{"audio":{"data":"UklG`+strings.Repeat("A", 1<<16)+`","transcript":"llo"}}}`),
	) // cut short: no finish, no [DONE]
	for _, capture := range []bool{true, false} {
		for _, early := range []bool{false, true} {
			schemas := schemacheck.New(t)
			h := newHarnessWith(t, sseHandler(evs...), capture,
				&harnessConfig{tracing: []Option{WithConventions(semconv.Tracekit, semconv.OTelGenAI)}, processors: []sdktrace.SpanProcessor{schemas}})
			st := h.client.Chat.Completions.NewStreaming(context.Background(), audioParams())
			n := 0
			for st.Next() {
				n++
				if early {
					break
				}
			}
			_ = st.Close()
			for _, e := range schemas.Errors() {
				t.Error(e)
			}
			a := attrs(h.onlySpan())
			om := a["gen_ai.output.messages"].AsString()
			if !capture && (strings.Contains(om, "He") || strings.Contains(om, "blob")) {
				t.Errorf("capture off: %s", om)
			}
			if strings.Contains(om, "AAAA") {
				t.Error("stream audio data kept")
			}
			if n == 0 {
				t.Error("the caller got no chunk")
			}
		}
	}
}
