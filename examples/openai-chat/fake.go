package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
)

// newFakeServer starts a canned stand-in for POST /v1/chat/completions on
// 127.0.0.1: it asks for the tool on the first turn, answers once the tool
// result is in, and streams when asked to.
func newFakeServer() *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Model    string `json:"model"`
			Stream   bool   `json:"stream"`
			Messages []struct {
				Role string `json:"role"`
			} `json:"messages"`
		}
		if !strings.HasSuffix(r.URL.Path, "/chat/completions") || json.NewDecoder(r.Body).Decode(&req) != nil {
			http.Error(w, `{"error":{"message":"not found","type":"invalid_request_error","code":"not_found"}}`, http.StatusNotFound)
			return
		}
		model := req.Model + "-2024-07-18"
		if req.Stream {
			w.Header().Set("Content-Type", "text/event-stream")
			for i, word := range []string{"Hello", " there,", " nice", " to", " meet", " you!"} {
				role := ""
				if i == 0 {
					role = `"role":"assistant",`
				}
				fmt.Fprintf(w, "data: {\"id\":\"chatcmpl-s1\",\"object\":\"chat.completion.chunk\",\"model\":%q,\"choices\":[{\"index\":0,\"delta\":{%s\"content\":%q},\"finish_reason\":null}]}\n\n", model, role, word)
				w.(http.Flusher).Flush()
			}
			fmt.Fprintf(w, "data: {\"id\":\"chatcmpl-s1\",\"object\":\"chat.completion.chunk\",\"model\":%q,\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n", model)
			fmt.Fprintf(w, "data: {\"id\":\"chatcmpl-s1\",\"object\":\"chat.completion.chunk\",\"model\":%q,\"choices\":[],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":6,\"total_tokens\":18}}\n\n", model)
			fmt.Fprint(w, "data: [DONE]\n\n")
			return
		}
		w.Header().Set("Content-Type", "application/json")
		if req.Messages[len(req.Messages)-1].Role != "tool" {
			fmt.Fprintf(w, `{"id":"chatcmpl-t1","object":"chat.completion","created":1763683200,"model":%q,"choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Lisbon\"}"}}]},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":61,"completion_tokens":15,"total_tokens":76}}`, model)
			return
		}
		fmt.Fprintf(w, `{"id":"chatcmpl-t2","object":"chat.completion","created":1763683201,"model":%q,"choices":[{"index":0,"message":{"role":"assistant","content":"It is 21 °C and sunny in Lisbon."},"finish_reason":"stop"}],"usage":{"prompt_tokens":90,"completion_tokens":11,"total_tokens":101,"prompt_tokens_details":{"cached_tokens":0}},"system_fingerprint":"fp_fake"}`, model)
	}))
}
