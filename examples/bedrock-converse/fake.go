package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
)

// newFakeBedrock answers Converse (a tool call first, then an answer once a
// toolResult comes back), ConverseStream (real event-stream frames, flushed
// one by one) and InvokeModel (a Claude messages response).
func newFakeBedrock() *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Amzn-Requestid", fmt.Sprintf("offline-%d", len(body)))
		switch {
		case strings.HasSuffix(r.URL.Path, "/converse-stream"):
			w.Header().Set("Content-Type", "application/vnd.amazon.eventstream")
			events := [][2]string{{"messageStart", `{"role":"assistant"}`}}
			for _, word := range []string{"Hello", " there,", " nice", " to", " meet", " you!"} {
				events = append(events, [2]string{"contentBlockDelta", fmt.Sprintf(`{"contentBlockIndex":0,"delta":{"text":%q}}`, word)})
			}
			events = append(events,
				[2]string{"contentBlockStop", `{"contentBlockIndex":0}`},
				[2]string{"messageStop", `{"stopReason":"end_turn"}`},
				[2]string{"metadata", `{"usage":{"inputTokens":14,"outputTokens":7,"totalTokens":21},"metrics":{"latencyMs":120}}`})
			enc := eventstream.NewEncoder()
			for _, ev := range events {
				var m eventstream.Message
				m.Headers.Set(":message-type", eventstream.StringValue("event"))
				m.Headers.Set(":event-type", eventstream.StringValue(ev[0]))
				m.Headers.Set(":content-type", eventstream.StringValue("application/json"))
				m.Payload = []byte(ev[1])
				_ = enc.Encode(w, m)
				w.(http.Flusher).Flush()
			}
		case strings.HasSuffix(r.URL.Path, "/converse"):
			w.Header().Set("Content-Type", "application/json")
			if bytes.Contains(body, []byte(`"toolResult"`)) {
				fmt.Fprint(w, `{"output":{"message":{"role":"assistant","content":[{"text":"It is 21 °C and sunny in Lisbon."}]}},`+
					`"stopReason":"end_turn","usage":{"inputTokens":412,"outputTokens":14,"totalTokens":426},"metrics":{"latencyMs":640}}`)
				return
			}
			fmt.Fprint(w, `{"output":{"message":{"role":"assistant","content":[{"text":"Let me check."},`+
				`{"toolUse":{"toolUseId":"tooluse_offline_1","name":"get_weather","input":{"city":"Lisbon"}}}]}},`+
				`"stopReason":"tool_use","usage":{"inputTokens":380,"outputTokens":52,"totalTokens":432},"metrics":{"latencyMs":910}}`)
		case strings.HasSuffix(r.URL.Path, "/invoke"):
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("X-Amzn-Bedrock-Input-Token-Count", "19")
			w.Header().Set("X-Amzn-Bedrock-Output-Token-Count", "9")
			fmt.Fprint(w, `{"id":"msg_bdrk_offline","type":"message","role":"assistant","model":"claude-3-5-haiku-20241022",`+
				`"content":[{"type":"text","text":"The National Tile Museum."}],"stop_reason":"end_turn","stop_sequence":null,`+
				`"usage":{"input_tokens":19,"output_tokens":9}}`)
		default:
			w.Header().Set("X-Amzn-Errortype", "UnknownOperationException")
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"message":"not faked"}`)
		}
	}))
}
