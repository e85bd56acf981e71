package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
)

// newFakeModel starts an in-process stand-in for the OpenAI chat completions
// API on 127.0.0.1: it asks for the order_status tool until the
// conversation holds a tool result, then answers.
func newFakeModel() *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/chat/completions") {
			http.NotFound(w, r)
			return
		}
		var req struct {
			Model    string `json:"model"`
			Messages []struct {
				Role string `json:"role"`
			} `json:"messages"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, `{"error":{"message":"bad request","type":"invalid_request_error"}}`, http.StatusBadRequest)
			return
		}
		hasTool := false
		for _, m := range req.Messages {
			hasTool = hasTool || m.Role == "tool"
		}
		w.Header().Set("Content-Type", "application/json")
		model := req.Model + "-2024-07-18"
		if !hasTool {
			fmt.Fprintf(w, `{"id":"chatcmpl-agent-1","object":"chat.completion","created":1763683200,"model":%q,`+
				`"choices":[{"index":0,"finish_reason":"tool_calls","message":{"role":"assistant","content":null,`+
				`"tool_calls":[{"id":"call_order_1","type":"function","function":{"name":"order_status","arguments":"{\"order_id\":\"A-1001\"}"}}]}}],`+
				`"usage":{"prompt_tokens":182,"completion_tokens":18,"total_tokens":200}}`, model)
			return
		}
		fmt.Fprintf(w, `{"id":"chatcmpl-agent-2","object":"chat.completion","created":1763683200,"model":%q,`+
			`"choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":"Order A-1001 has shipped with UPS; it should arrive within 2 business days."}}],`+
			`"usage":{"prompt_tokens":231,"completion_tokens":21,"total_tokens":252,"prompt_tokens_details":{"cached_tokens":128}}}`, model)
	}))
}
