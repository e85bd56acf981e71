package bedrocktrace

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tracekit-go/tracekit/internal/genai"
	"github.com/tracekit-go/tracekit/internal/vcr"
)

// claudeBoth reads body as a Claude request and as a Claude response with
// the jscan parsers and with the gjson ones they replaced, and returns the
// first difference in the records they build.
func claudeBoth(body string) string {
	for _, capture := range []bool{true, false} {
		var a, b genai.Call
		claudeRequest(&a, body, capture)
		gjsonClaudeRequest(&b, body, capture)
		claudeResponse(&a, body, capture)
		gjsonClaudeResponse(&b, body, capture)
		if x, y := fmt.Sprintf("%#v", a), fmt.Sprintf("%#v", b); x != y {
			return fmt.Sprintf("capture %v:\njscan %s\ngjson %s", capture, x, y)
		}
	}
	return ""
}

func claudeOracleSeeds() []string {
	seeds := []string{
		`{"anthropic_version":"bedrock-2023-05-31","max_tokens":10,"system":"sys","messages":[{"role":"user","content":"hi"}]}`,
		// members in any order, duplicated, of the wrong kind
		`{"messages":[{"content":"late role","role":"user"}],"system":[{"type":"text","text":"a"},{"text":"b","type":"text"},{"type":"image"}],"max_tokens":5,"max_tokens":"6"}`,
		`{"system":null,"messages":null,"tools":null,"temperature":0.5,"temperature":null,"top_k":3}`,
		`{"system":{"type":"text","text":"obj"},"messages":{"a":{"role":"user","content":"from an object"}},"tools":{"t":{"name":"n"}}}`,
		`{"messages":[1,"s",[],{"role":7,"content":{"type":"text","text":"x"}}],"messages":[{"role":"user","content":[{"type":"text","text":"second wins"}]}]}`,
		`{"tools":[{"name":"a","description":"d","input_schema":{"type":"object"}},{"name":"b","input_schema":"not an object","name":"b2"},{"description":5}],"tools":[{"name":"last"}]}`,
		`{"messages":[{"role":"assistant","content":[{"type":"text","text":"t1"},{"type":"tool_use","id":"tu","name":"f","input":{"x":[1,{"y":"z"}]},"id":"dup"},{"type":"text","type":"image","text":"t2"}]}]}`,
		`{"messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"tu","content":[{"type":"text","text":"r"},{"type":"image","source":{"type":"base64","media_type":"image/png","data":"AQI="}},{"type":"document","source":{"type":"url","url":"https://x/d.pdf"}}]}]}]}`,
		`{"messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"tu","content":[{"type":"text","text":"r1"},{"type":"text","text":"r2"}]},{"type":"tool_result","tool_use_id":"tu2","content":"plain"},{"type":"tool_result"},{"type":"text","text":"after"}]}]}`,
		`{"messages":[{"role":"assistant","content":[]},{"role":"user","content":[]},{"role":"assistant"},{"content":"no role"}]}`,
		`{"messages":[{"role":"user","content":"esc \"q\" \u00e9\n","content":"last content"}]}`,
		`{"messages":[{"role":"user","content":[{"type":"text","text":7},{"type":"text"}]}]}`,
		// responses
		`{"id":"msg_1","type":"message","role":"assistant","model":"claude-3","content":[{"type":"text","text":"hello"}],"stop_reason":"end_turn","usage":{"input_tokens":3,"output_tokens":4,"cache_read_input_tokens":1,"cache_creation_input_tokens":2}}`,
		`{"id":"m","model":"","model":"second","content":[{"type":"tool_use","id":"t","name":"f","input":{}}],"stop_reason":"tool_use","usage":{"input_tokens":1,"input_tokens":9,"output_tokens":"2"},"usage":{"output_tokens":5}}`,
		`{"content":"a string","stop_reason":null,"usage":[1,2],"id":7}`,
		`{"content":{"x":{"type":"text","text":"in an object"}}}`,
		`{"content":[{"type":"thinking","thinking":"Let me think.","signature":"sig"},{"type":"redacted_thinking","data":"x"},{"type":"thinking","thinking":" More.","thinking":"dup"},{"type":"text","text":"Answer."}],"stop_reason":"end_turn"}`,
		`[]`, `{}`, `null`, `"s"`, `5`, ``,
	}
	for _, tc := range familyCases {
		if familyOf(tc.model) == famClaude {
			seeds = append(seeds, tc.request, tc.response)
		}
	}
	return seeds
}

// TestClaudeParsersAgreeWithGjson: on edge cases, on every Claude fixture and
// on every Claude request and response body of the conformance recordings,
// the jscan parsers build the same record as the gjson ones.
func TestClaudeParsersAgreeWithGjson(t *testing.T) {
	for _, s := range claudeOracleSeeds() {
		if d := claudeBoth(s); d != "" {
			t.Errorf("%s\nbody %s", d, s)
		}
	}
	files, _ := filepath.Glob(filepath.Join(vcr.Dir(t), "bedrock", "*claude*.yaml"))
	n := 0
	for _, file := range files {
		c, err := vcr.Load(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, in := range c.Interactions {
			bodies := []string{string(in.RequestBody)}
			if !strings.Contains(in.URI, "stream") {
				bodies = append(bodies, string(in.Body))
			}
			for _, b := range bodies {
				n++
				if d := claudeBoth(b); d != "" {
					t.Errorf("%s: %s", filepath.Base(file), d)
				}
			}
		}
	}
	if n < 15 {
		t.Fatalf("only %d Claude bodies in the recordings", n)
	}
}

// FuzzClaudeParsersAgree: the two kinds of parser agree on any valid JSON.
func FuzzClaudeParsersAgree(f *testing.F) {
	for _, s := range claudeOracleSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, js string) {
		if !json.Valid([]byte(js)) {
			var c genai.Call
			claudeRequest(&c, js, true) // must not panic
			claudeResponse(&c, js, true)
			return
		}
		if d := claudeBoth(js); d != "" {
			t.Fatal(d)
		}
	})
}
