package openaitrace

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/tracekit-go/tracekit/internal/genai"
	"github.com/tracekit-go/tracekit/internal/sse"
	"github.com/tracekit-go/tracekit/semconv"
)

// The fuzz tests feed arbitrary bytes to the parsers: they must not panic,
// must not let content through with capture off, must respect their bounds,
// and what they produce must render.

func render(c *genai.Call, capture bool) {
	semconv.SpanName(c)
	semconv.RequestAttrs(nil, c, capture)
	semconv.ResponseAttrs(nil, c, capture)
	semconv.MetricAttrs(nil, c)
	all := semconv.Renderer{Conventions: semconv.Tracekit | semconv.OTelGenAI | semconv.OpenInference, Capture: capture}
	all.Request(nil, c)
	all.Response(nil, c)
}

// checkNoContent fails when a record made with capture off holds content.
func checkNoContent(t *testing.T, c *genai.Call) {
	t.Helper()
	for _, m := range c.Request.Messages {
		if m.HasContent || m.Content != "" || m.Parts != nil {
			t.Fatalf("content with capture off: %+v", m)
		}
		for _, tc := range m.ToolCalls {
			if tc.Arguments != "" {
				t.Fatalf("arguments with capture off: %+v", tc)
			}
		}
	}
	for _, ch := range c.Response.Choices {
		if ch.HasContent || ch.Content != "" || ch.Media != nil {
			t.Fatalf("completion content with capture off: %+v", ch)
		}
		for _, tc := range ch.ToolCalls {
			if tc.Arguments != "" {
				t.Fatalf("arguments with capture off: %+v", tc)
			}
		}
	}
	if len(c.Response.Embeddings) != 0 {
		t.Fatalf("vectors with capture off")
	}
}

// sameShape checks that capture changes content only, not the messages.
func sameShape(t *testing.T, on, off *genai.Call) {
	t.Helper()
	a, b := on.Request.Messages, off.Request.Messages
	if len(a) != len(b) {
		t.Fatalf("%d messages with capture, %d without", len(a), len(b))
	}
	for i := range a {
		if a[i].Role != b[i].Role || a[i].ToolCallID != b[i].ToolCallID || len(a[i].ToolCalls) != len(b[i].ToolCalls) {
			t.Fatalf("message %d: %+v with capture, %+v without", i, a[i], b[i])
		}
	}
}

func FuzzResponsesRequest(f *testing.F) {
	f.Add(`{"input":"Say this is a test","model":"gpt-4o-mini"}`)
	f.Add(`{"instructions":"be brief","conversation":{"id":"conv_1"},"service_tier":"flex","input":[{"content":"hi","role":"user"},` +
		`{"arguments":"{\"a\":1}","call_id":"call_1","name":"f","type":"function_call"},{"output":"out","call_id":"call_1","type":"function_call_output"},` +
		`{"id":"rs_1","type":"reasoning"}],"model":"gpt-4o-mini","tools":[{"strict":true,"parameters":{"type":"object"},"name":"f","type":"function"},{"type":"web_search"}]}`)
	f.Add(`{"input":[{"type":"message","role":"developer","content":[{"type":"input_text","text":"a"},{"type":"input_image","image_url":"u"}]},` +
		`{"type":"custom_tool_call","call_id":"c","name":"sql","input":"SELECT 1"},{"type":"custom_tool_call_output","call_id":"c","output":[{"type":"input_text","text":"1"}]}],` +
		`"instructions":[{"role":"system","content":"x"}],"tools":[{"type":"function","function":{"name":"n","parameters":{}}}],"max_output_tokens":9,"temperature":0,"top_p":1,"safety_identifier":"s"}`)
	f.Add(`{"input":[1,"a",null,{"role":3},{"type":"function_call"}],"conversation":7,"tools":[1,{"type":1}]}`)
	f.Add(`{"input":[{"role":"user","content":[{"type":"input_text","text":"Compare "},{"type":"input_image","image_url":"https://example.com/a.png"},` +
		`{"type":"input_image","file_id":"file-img1"},{"type":"input_file","file_data":"data:application/pdf;base64,JVBERi0=","filename":"a.pdf"},` +
		`{"type":"input_file","file_url":"https://example.com/b.pdf"},{"type":"input_audio","input_audio":{"data":"UklGRg==","format":"wav"}},{"type":"input_image"}]}]}`)
	f.Fuzz(func(t *testing.T, body string) {
		var on, off genai.Call
		parseResponsesRequest(body, &on, true)
		parseResponsesRequest(body, &off, false)
		checkNoContent(t, &off)
		sameShape(t, &on, &off)
		render(&on, true)
		render(&off, false)
	})
}

func FuzzResponsesResponse(f *testing.F) {
	f.Add(responseJSON("resp_1", "completed", outputReasoningJSON+","+outputMessageJSON, ""))
	f.Add(responseJSON("resp_2", "completed", outputCallJSON+","+outputRefusalJSON, ""))
	f.Add(responseJSON("resp_3", "incomplete", outputMessageJSON, `"incomplete_details":{"reason":"max_output_tokens"},`))
	f.Add(responseJSON("resp_4", "failed", "", `"error":{"code":"server_error","message":"m"},`))
	f.Add(`{"output":[{"type":"message","content":[1,{"type":"output_text"}]},{"type":"function_call","arguments":{}}],"usage":{"input_tokens":"x"}}`)
	f.Add(responseJSON("resp_5", "completed", `{"type":"web_search_call","id":"ws_1","action":{"type":"search","query":"q \"x\""}},`+
		`{"type":"file_search_call","id":"fs_1","queries":["a","b"],"results":null},`+
		`{"type":"code_interpreter_call","id":"ci_1","code":"print(1)","container_id":"c"},`+
		`{"type":"mcp_call","id":"m_1","server_label":"s","name":"n","arguments":"{\"a\":1}"},`+outputMessageJSON, ""))
	f.Add(`{"output":[{"type":"web_search_call","action":{"query":},"code":[}]}`)
	f.Fuzz(func(t *testing.T, body string) {
		var on, off genai.Call
		parseResponsesResponse(body, &on, true)
		parseResponsesResponse(body, &off, false)
		checkNoContent(t, &off)
		if len(on.Response.Choices) != 1 || len(on.Response.FinishReasons) != 1 || on.Response.FinishReasons[0] == "" {
			t.Fatalf("choices %+v finish %v", on.Response.Choices, on.Response.FinishReasons)
		}
		if len(on.Response.Choices[0].ToolCalls) != len(off.Response.Choices[0].ToolCalls) {
			t.Fatal("capture changed the tool calls")
		}
		render(&on, true)
		render(&off, false)
		for _, kv := range (semconv.Renderer{Conventions: semconv.OTelGenAI, Capture: true}).Response(nil, &on) {
			if kv.Key == semconv.KeyOutputMessages && !json.Valid([]byte(kv.Value.AsString())) {
				t.Fatalf("output messages are not JSON: %s", kv.Value.AsString())
			}
		}
	})
}

// FuzzResponsesStream feeds an SSE byte stream, cut at split, through the
// splitter into the Responses accumulator.
func FuzzResponsesStream(f *testing.F) {
	join := func(ev []string) []byte { return []byte(strings.Join(ev, "")) }
	f.Add(join(responsesTextStream(3, "response.completed", "completed", "")), 100)
	f.Add(join(responsesTextStream(2, "response.failed", "failed", "")), 7)
	f.Add(join(responsesCallStream()), 250)
	f.Add(join(responsesCallStream()[:4]), 1)
	f.Add([]byte("event: error\ndata: {\"type\":\"error\",\"code\":\"x\",\"message\":\"y\"}\n\n"), 3)
	f.Add([]byte("data: {\"type\":\"response.function_call_arguments.done\",\"output_index\":0,\"arguments\":\"{}\"}\n\ndata: {\"error\":{}}\n\n"), 0)
	f.Fuzz(func(t *testing.T, data []byte, split int) {
		if split < 0 || split > len(data) {
			split = len(data) / 2
		}
		for _, capture := range []bool{true, false} {
			s := newResponsesStream(capture).(*responsesStream)
			var sp sse.Splitter
			done := false
			feed := func(p []byte) {
				// The splitter's slices alias p: scribble over p afterwards
				// to catch anything the accumulator kept without copying.
				sp.Feed(p, func(event, d []byte) {
					if !done && s.consume(event, d) {
						done = true
					}
				})
				for i := range p {
					p[i] = 'X'
				}
			}
			buf := bytes.Clone(data)
			feed(buf[:split])
			feed(buf[split:])
			if s.buffered > maxStreamText || len(s.calls) > maxStreamChoices {
				t.Fatalf("bounds: %d bytes, %d calls", s.buffered, len(s.calls))
			}
			var c genai.Call
			s.finish(&c, done)
			if !capture {
				checkNoContent(t, &c)
			}
			for _, str := range []string{c.Response.ID, c.Response.Model, c.Response.ServiceTier} {
				if strings.Contains(str, "X") && !bytes.Contains(data, []byte(str)) {
					t.Fatalf("%q aliases the read buffer", str)
				}
			}
			render(&c, capture)
		}
	})
}

func FuzzEmbeddingsRequest(f *testing.F) {
	f.Add(`{"input":"The food was delicious.","model":"text-embedding-3-small","encoding_format":"base64","dimensions":8,"user":"u"}`)
	f.Add(`{"input":["a","b"],"model":"text-embedding-3-small"}`)
	f.Add(`{"input":[1,2,3],"model":"m"}`)
	f.Add(`{"input":[[1,2],[3]],"model":"m","encoding_format":"float"}`)
	f.Add(`{"input":[[1,"x"],null,{}],"encoding_format":7}`)
	f.Fuzz(func(t *testing.T, body string) {
		var on, off genai.Call
		parseEmbeddingsRequest(body, &on, true)
		parseEmbeddingsRequest(body, &off, false)
		checkNoContent(t, &off)
		sameShape(t, &on, &off)
		if len(on.Request.EncodingFormats) != 1 {
			t.Fatalf("encoding formats %v", on.Request.EncodingFormats)
		}
		render(&on, true)
	})
}

func FuzzEmbeddingsResponse(f *testing.F) {
	f.Add(embeddingsJSON(3, false, 1, 2))
	f.Add(embeddingsJSON(5, true, 1, 2, 3))
	f.Add(`{"data":[{"index":-1,"embedding":[1]},{"index":2,"embedding":"AACAPw=="},{"index":1e30,"embedding":[]}],"usage":{"total_tokens":3}}`)
	f.Fuzz(func(t *testing.T, body string) {
		var on, off genai.Call
		parseEmbeddingsResponse(body, &on, true)
		parseEmbeddingsResponse(body, &off, false)
		checkNoContent(t, &off)
		if len(on.Response.Embeddings) > maxEmbeddingVectors {
			t.Fatalf("%d vectors", len(on.Response.Embeddings))
		}
		for _, e := range on.Response.Embeddings {
			if e.Index < 0 || len(e.Vector) > maxEmbeddingDims {
				t.Fatalf("vector %d of %d values", e.Index, len(e.Vector))
			}
		}
		render(&on, true)
	})
}

// FuzzEmbeddingsBase64 checks the block decoder against the standard one.
func FuzzEmbeddingsBase64(f *testing.F) {
	f.Add(base64Vector(floatVector(1, 5)))
	f.Add("AACAPw==")
	f.Add("AAAA=AAA")
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := decodeBase64Floats(s)
		raw, err := base64.StdEncoding.DecodeString(s)
		wantOK := err == nil && len(raw)%4 == 0 && len(raw)/4 <= maxEmbeddingDims && !strings.ContainsAny(s, "\r\n")
		if ok != wantOK {
			t.Fatalf("%q: ok %v, want %v (err %v, %d bytes)", s, ok, wantOK, err, len(raw))
		}
		if !ok {
			return
		}
		if len(got) != len(raw)/4 {
			t.Fatalf("%d values from %d bytes", len(got), len(raw))
		}
		for i := range got {
			w := float64(math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:])))
			if math.Float64bits(got[i]) != math.Float64bits(w) {
				t.Fatalf("value %d = %v, want %v", i, got[i], w)
			}
		}
	})
}

// FuzzCompletions feeds one body to the legacy completions request and
// response parsers and, as SSE, to its stream accumulator.
func FuzzCompletions(f *testing.F) {
	f.Add(completionsJSON)
	f.Add(`{"model":"gpt-3.5-turbo-instruct","prompt":["a",[1,2]],"max_tokens":7,"temperature":0}`)
	f.Add("data: {\"id\":\"c\",\"choices\":[{\"text\":\"a\",\"index\":1,\"finish_reason\":null}]}\n\ndata: {\"choices\":[],\"usage\":{\"prompt_tokens\":1}}\n\ndata: [DONE]\n\n")
	f.Fuzz(func(t *testing.T, body string) {
		for _, capture := range []bool{true, false} {
			var c genai.Call
			parseCompletionsRequest(body, &c, capture)
			parseCompletionsResponse(body, &c, capture)
			if len(c.Response.FinishReasons) != len(c.Response.Choices) {
				t.Fatalf("%d finish reasons for %d choices", len(c.Response.FinishReasons), len(c.Response.Choices))
			}
			s := newCompletionsStream(capture)
			var sp sse.Splitter
			sp.Feed([]byte(body), func(event, d []byte) { s.consume(event, d) })
			var sc genai.Call
			s.finish(&sc, false)
			if !capture {
				checkNoContent(t, &c)
				checkNoContent(t, &sc)
			}
			render(&c, capture)
			render(&sc, capture)
		}
	})
}
