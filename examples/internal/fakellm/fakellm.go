// Package fakellm is the canned in-process stand-in for the OpenAI API (and
// Bedrock Converse) that the examples use when they run offline.
package fakellm

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/tracekit-go/tracekit/internal/vcr"
)

// New starts an in-process stand-in for the OpenAI API on
// 127.0.0.1. POST /v1/chat/completions answers with a canned completion, or
// with a canned server-sent-event stream when the request says "stream": true.
// It also answers Amazon Bedrock's POST /model/{modelId}/converse.
func New() *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/converse") {
			// Amazon Bedrock Converse (POST /model/{modelId}/converse).
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("X-Amzn-Requestid", "offline-1")
			fmt.Fprint(w, `{"output":{"message":{"role":"assistant","content":[{"text":"Lisbon is the capital of Portugal."}]}},`+
				`"stopReason":"end_turn","usage":{"inputTokens":16,"outputTokens":8,"totalTokens":24},"metrics":{"latencyMs":120}}`)
			return
		}
		if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/chat/completions") {
			http.NotFound(w, r)
			return
		}
		var req struct {
			Model         string `json:"model"`
			Stream        bool   `json:"stream"`
			StreamOptions struct {
				IncludeUsage bool `json:"include_usage"`
			} `json:"stream_options"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, `{"error":{"message":"bad request","type":"invalid_request_error"}}`, http.StatusBadRequest)
			return
		}
		model := req.Model + "-2024-07-18"
		if !req.Stream {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"id":"chatcmpl-fake-1","object":"chat.completion","created":1763683200,"model":%q,`+
				`"choices":[{"index":0,"message":{"role":"assistant","content":"Paris is the capital of France."},"finish_reason":"stop","logprobs":null}],`+
				`"usage":{"prompt_tokens":24,"completion_tokens":7,"total_tokens":31},"system_fingerprint":"fp_fake"}`, model)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		flusher, _ := w.(http.Flusher)
		send := func(data string) {
			time.Sleep(15 * time.Millisecond) // a little latency, so the stream shows in the span
			fmt.Fprintf(w, "data: %s\n\n", data)
			if flusher != nil {
				flusher.Flush()
			}
		}
		chunk := func(delta, finish string) string {
			fr := "null"
			if finish != "" {
				fr = fmt.Sprintf("%q", finish)
			}
			return fmt.Sprintf(`{"id":"chatcmpl-fake-2","object":"chat.completion.chunk","created":1763683200,"model":%q,"choices":[{"index":0,"delta":%s,"finish_reason":%s}]}`, model, delta, fr)
		}
		send(chunk(`{"role":"assistant","content":""}`, ""))
		for _, piece := range []string{"Light", " travels", " at", " about", " 300,000", " km", " per", " second."} {
			b, _ := json.Marshal(piece)
			send(chunk(`{"content":`+string(b)+`}`, ""))
		}
		send(chunk(`{}`, "stop"))
		if req.StreamOptions.IncludeUsage {
			send(fmt.Sprintf(`{"id":"chatcmpl-fake-2","object":"chat.completion.chunk","created":1763683200,"model":%q,"choices":[],"usage":{"prompt_tokens":18,"completion_tokens":8,"total_tokens":26}}`, model))
		}
		send("[DONE]")
	}))
}

// HTTPClient returns the HTTP client an AWS SDK client should use against a
// fake like these: its transport sends an in-memory copy of each request
// body. Against a local server, the SDK's closing of the request body can
// otherwise cut a response: see vcr.BufferedClient.
func HTTPClient() *http.Client { return vcr.BufferedClient() }
