package bedrocktrace

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/tidwall/gjson"

	"github.com/tracekit-go/tracekit/internal/genai"
	"github.com/tracekit-go/tracekit/internal/vcr"
)

// gjsonContentBlockDelta is the gjson contentBlockDelta parser that jscan
// replaced, kept as the oracle of the tests below (reasoning deltas added
// to both since).
func gjsonContentBlockDelta(a *streamAcc, js string, capture bool) {
	var d gjson.Result
	idx := 0
	gjson.Parse(js).ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "delta":
			d = v
		case "contentBlockIndex":
			idx = int(v.Int())
		}
		return true
	})
	ch := a.choice(0)
	d.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "text":
			a.appendText(ch, v.Str, capture)
		case "toolUse":
			if in := v.Get("input"); in.Exists() {
				a.appendArgs(a.tool(ch, idx), in.Str, capture)
			}
		case "reasoningContent":
			if t := v.Get("text"); t.Exists() {
				a.appendReasoning(ch, t.Str, capture)
			}
		}
		return false // a delta has one member
	})
}

// deltaBoth feeds the contentBlockDelta payloads to both parsers and
// returns the first difference in the records they build.
func deltaBoth(payloads []string) string {
	for _, capture := range []bool{true, false} {
		var a, b streamAcc
		for _, p := range payloads {
			converseStreamEvent(&a, "contentBlockDelta", p, capture)
			gjsonContentBlockDelta(&b, p, capture)
		}
		var ca, cb genai.Call
		a.into(&ca, capture)
		b.into(&cb, capture)
		if x, y := fmt.Sprintf("%#v", ca), fmt.Sprintf("%#v", cb); x != y {
			return fmt.Sprintf("capture %v:\njscan %s\ngjson %s", capture, x, y)
		}
	}
	return ""
}

func deltaSeeds() []string {
	return []string{
		`{"contentBlockIndex":0,"delta":{"text":"Hel"}}`,
		`{"delta":{"text":"lo \"x\"\n"},"contentBlockIndex":0,"p":"abcdef"}`,
		`{"contentBlockIndex":1,"delta":{"toolUse":{"input":"{\"city\": "}}}`,
		`{"contentBlockIndex":"1","delta":{"toolUse":{"input":"\"Paris\"}","input":"x"}}}`,
		`{"contentBlockIndex":2,"delta":{"toolUse":{"input":null}}}`,
		`{"contentBlockIndex":0,"delta":{"reasoningContent":{"text":"r"},"text":"ignored"}}`,
		`{"contentBlockIndex":0,"delta":{"text":7}}`, `{"delta":"s"}`, `{"delta":[{"text":"a"}]}`, `[]`, `{}`,
	}
}

// TestContentBlockDeltaAgreesWithGjson: on edge cases and on every
// contentBlockDelta of the conformance recordings, the jscan parser builds
// the same record as the gjson one.
func TestContentBlockDeltaAgreesWithGjson(t *testing.T) {
	for _, s := range deltaSeeds() {
		if d := deltaBoth([]string{s}); d != "" {
			t.Errorf("%s\npayload %s", d, s)
		}
	}
	files, _ := filepath.Glob(filepath.Join(vcr.Dir(t), "bedrock", "*.yaml"))
	n := 0
	for _, file := range files {
		c, err := vcr.Load(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, in := range c.Interactions {
			var payloads []string
			for b := in.Body; len(b) >= minFrame; {
				total := int(binary.BigEndian.Uint32(b))
				if total < minFrame || total > len(b) {
					break
				}
				var f frame
				if parseFrame(b[:total], &f) && f.eventType == "contentBlockDelta" {
					payloads = append(payloads, string(f.payload))
				}
				b = b[total:]
			}
			n += len(payloads)
			if d := deltaBoth(payloads); d != "" {
				t.Errorf("%s: %s", filepath.Base(file), d)
			}
		}
	}
	if n < 20 {
		t.Fatalf("only %d contentBlockDelta events in the recordings", n)
	}
}

// FuzzContentBlockDeltaAgrees: the two parsers agree on any valid JSON.
func FuzzContentBlockDeltaAgrees(f *testing.F) {
	for _, s := range deltaSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, js string) {
		var a streamAcc
		converseStreamEvent(&a, "contentBlockDelta", js, true)
		if !json.Valid([]byte(js)) {
			return
		}
		if d := deltaBoth([]string{js}); d != "" {
			t.Fatal(d)
		}
	})
}
