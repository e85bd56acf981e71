package openaitrace

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/tracekit-go/tracekit/internal/genai"
	"github.com/tracekit-go/tracekit/internal/sse"
	"github.com/tracekit-go/tracekit/semconv"
)

func chatRequestSeeds() []string {
	b, _ := json.Marshal(toolRoundTripParams())
	return []string{
		string(b),
		`{"messages":[{"role":"user","content":[{"type":"text","text":"a"},{"type":"image_url","image_url":{"url":"x"}}]}],"model":"gpt-4o","max_completion_tokens":5,"response_format":{"type":"json_schema"},"safety_identifier":"s"}`,
		`{"messages":[{"role":"tool","tool_call_id":"call_1","content":"ok"}],"model":"m","tools":[{"type":"custom","custom":{"name":"grep"}}]}`,
		`{"model":1,"messages":{"role":"user"},"temperature":"hot","tools":null}`,
		`{"messages":[{"role":"user","content":[{"type":"text","text":"see \u00e9"},{"type":"image_url","image_url":{"url":"https://u:p@x/a.png?sig=s3cr3t&v=1#f"}},` +
			`{"type":"image_url","image_url":"data:image/png;base64,iVBO"},{"type":"input_audio","input_audio":{"data":"UklG","format":"mp3"}},` +
			`{"type":"file","file":{"file_id":"file-1"}},{"type":"file","file":{"file_data":"JVBE"}}]}],"model":"gpt-4o"}`,
		`[]`, `{`, ``,
	}
}

// FuzzParseChatRequest checks that the request parser never panics, agrees
// with encoding/json on the model and the number of messages and tools, and
// that every record it makes renders.
func FuzzParseChatRequest(f *testing.F) {
	for _, s := range chatRequestSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		var c genai.Call
		parseChatRequest(body, &c, true)
		_ = semconv.RequestAttrs(nil, &c, true)
		all := semconv.Renderer{Conventions: semconv.Tracekit | semconv.OTelGenAI | semconv.OpenInference, Capture: true}
		for _, kv := range all.Request(nil, &c) {
			switch kv.Key {
			case semconv.KeyInputMessages, semconv.KeySystemInstructions, semconv.KeyToolDefinitions,
				semconv.KeyOIInputValue, semconv.KeyOIInvocationParameters:
				if !json.Valid([]byte(kv.Value.AsString())) {
					t.Errorf("%s is not JSON: %s", kv.Key, kv.Value.AsString())
				}
			}
		}
		top, ok := exactMembers(body)
		if !ok {
			return
		}
		var model any
		if json.Unmarshal(top["model"], &model) == nil {
			if m, ok := model.(string); ok && m != c.Request.Model {
				t.Errorf("model %q, encoding/json says %q", c.Request.Model, m)
			}
		}
		if n, ok := arrayLen(top["messages"]); ok && len(c.Request.Messages) != n {
			t.Errorf("%d messages, encoding/json says %d", len(c.Request.Messages), n)
		}
		if n, ok := arrayLen(top["tools"]); ok && len(c.Request.Tools) != n {
			t.Errorf("%d tools, encoding/json says %d", len(c.Request.Tools), n)
		}
	})
}

// exactMembers decodes a JSON object's members by their exact names (a
// struct would match names case-insensitively; the wire does not); ok is
// false for anything else, or for an object with a repeated name (the
// parsers and encoding/json legitimately differ on which one counts).
func exactMembers(body string) (map[string]json.RawMessage, bool) {
	if !json.Valid([]byte(body)) {
		return nil, false
	}
	dec := json.NewDecoder(strings.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, false
	}
	m := map[string]json.RawMessage{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, false
		}
		k, _ := tok.(string)
		if _, dup := m[k]; dup {
			return nil, false
		}
		var v json.RawMessage
		if dec.Decode(&v) != nil {
			return nil, false
		}
		m[k] = v
	}
	return m, true
}

// arrayLen is the length of a JSON array member; ok is false when the member
// is absent or not an array.
func arrayLen(raw json.RawMessage) (int, bool) {
	var a []json.RawMessage
	if raw == nil || json.Unmarshal(raw, &a) != nil || a == nil {
		return 0, false
	}
	return len(a), true
}

// FuzzParseChatResponse checks that the response parser never panics and
// agrees with encoding/json on the id, the choices and the usage.
func FuzzParseChatResponse(f *testing.F) {
	for _, s := range []string{chatResponseJSON, toolCallResponseJSON, `{"error":{"message":"x","code":"c"}}`, `{"choices":[{}]}`, `null`, `{"usage":{"prompt_tokens":1e400}}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		var c genai.Call
		parseChatResponse(body, &c, true)
		_, _, _ = parseError(body)
		_ = semconv.ResponseAttrs(nil, &c, true)
		if len(c.Response.FinishReasons) != len(c.Response.Choices) {
			t.Fatalf("%d finish reasons for %d choices", len(c.Response.FinishReasons), len(c.Response.Choices))
		}
		top, ok := exactMembers(body)
		if !ok {
			return
		}
		var id any
		if json.Unmarshal(top["id"], &id) == nil {
			if s, ok := id.(string); ok && s != c.Response.ID {
				t.Errorf("id %q, encoding/json says %q", c.Response.ID, s)
			}
		}
		if n, ok := arrayLen(top["choices"]); ok && len(c.Response.Choices) != n {
			t.Errorf("%d choices, encoding/json says %d", len(c.Response.Choices), n)
		}
	})
}

// FuzzChatStream feeds an SSE body through the splitter and the stream
// accumulator, whole and in pieces: it must never panic, and how the bytes
// are split must not change the record.
func FuzzChatStream(f *testing.F) {
	f.Add(strings.Join(dataEvents(streamChunks(3, true)...), ""), 7)
	f.Add("data: {\"choices\":[{\"index\":1,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{\"}}]}}]}\n\ndata: {\"choices\":[{\"index\":1,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"}\"}}]}}]}\n\n", 3)
	f.Add("data: {\"error\":{\"message\":\"m\"}}\n\n", 1)
	f.Add("data: {\"choices\":[{\"index\":-9223372036854775808}]}\n\ndata: [DONE]\n\n", 2)
	f.Fuzz(func(t *testing.T, body string, n int) {
		run := func(size int) string {
			var sp sse.Splitter
			acc := newChatStream(true)
			done := false
			b := []byte(body)
			for len(b) > 0 && !done {
				k := min(size, len(b))
				chunk := append([]byte(nil), b[:k]...)
				sp.Feed(chunk, func(e, d []byte) {
					if !done && acc.consume(e, d) {
						done = true
					}
				})
				b = b[k:]
			}
			var c genai.Call
			acc.finish(&c, done)
			_ = semconv.ResponseAttrs(nil, &c, true)
			return fmt.Sprintf("%+v %v", c.Response, c.Err)
		}
		if n <= 0 {
			n = 1
		}
		if whole, parts := run(len(body)+1), run(n%97+1); whole != parts {
			t.Fatalf("splitting changed the record:\nwhole %s\nparts %s", whole, parts)
		}
	})
}

// callRecord wraps a record for benchmarks.
type callRecord struct{ genai.Call }
