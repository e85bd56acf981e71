package openaitrace

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"go.opentelemetry.io/otel/codes"
)

// TestRetriedAttemptErrorType: openai-go closes the body of an attempt it
// retries (429 here) unread, and so does the span: its error.type is the
// status code. The last attempt's body, which the SDK reads, gives the API's
// code (TestFinalAttemptErrorTypeFromBody).
func TestRetriedAttemptErrorType(t *testing.T) {
	h := newHarness(t, inTurn(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After-Ms", "1")
		jsonHandler(429, `{"error":{"message":"Rate limit reached","type":"requests","param":null,"code":"rate_limit_exceeded"}}`)(w, r)
	}, jsonHandler(200, chatResponseJSON)), false, option.WithMaxRetries(1))
	if _, err := h.client.Chat.Completions.New(context.Background(), chatParams()); err != nil {
		t.Fatal(err)
	}
	spans := h.spans()
	if len(spans) != 2 {
		t.Fatalf("%d spans", len(spans))
	}
	wantAttrs(t, attrs(spans[0]), map[string]any{"error.type": "429"})
	if d := spans[0].Status().Description; d != "429 Too Many Requests" {
		t.Errorf("status description %q", d)
	}
}

// stallingErrorThenOK answers the first attempt with a 503 that announces a
// 200-byte body, sends 20 bytes of it and stalls (as a slow proxy may); the
// second attempt gets a 200.
func stallingErrorThenOK(release <-chan struct{}) http.HandlerFunc {
	return inTurn(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Retry-After-Ms", "1")
		w.Header().Set("Content-Length", "200")
		w.WriteHeader(503)
		_, _ = w.Write([]byte(`{"error":{"message":"`))
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}, jsonHandler(200, chatResponseJSON))
}

// TestRetryNotHeldByStalledErrorBody: closing the body of an attempt
// openai-go retries never waits for the server, traced or not (the call
// would otherwise end with the caller's deadline).
func TestRetryNotHeldByStalledErrorBody(t *testing.T) {
	for _, traced := range []bool{false, true} {
		t.Run(fmt.Sprintf("traced=%v", traced), func(t *testing.T) {
			release := make(chan struct{})
			defer close(release)
			h := newHarness(t, stallingErrorThenOK(release), false, option.WithMaxRetries(1))
			client := h.client
			if !traced {
				client = openai.NewClient(option.WithBaseURL(h.srv.URL+"/v1"), option.WithAPIKey("sk-test"), option.WithMaxRetries(1))
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if _, err := client.Chat.Completions.New(ctx, chatParams()); err != nil {
				t.Fatalf("%v (the retry was held)", err)
			}
			if traced {
				if spans := h.spans(); len(spans) != 2 {
					t.Fatalf("%d spans", len(spans))
				}
			}
		})
	}
}

// The same error as the final attempt (read by the SDK) does carry the code:
// the difference is only whether the SDK read the body.
func TestFinalAttemptErrorTypeFromBody(t *testing.T) {
	h := newHarness(t, jsonHandler(429, `{"error":{"message":"Rate limit reached","type":"requests","param":null,"code":"rate_limit_exceeded"}}`), false)
	if _, err := h.client.Chat.Completions.New(context.Background(), chatParams()); err == nil {
		t.Fatal("no error")
	}
	s := h.onlySpan()
	wantAttrs(t, attrs(s), map[string]any{"error.type": "rate_limit_exceeded"})
	if s.Status().Code != codes.Error || s.Status().Description != "Rate limit reached" {
		t.Errorf("status %+v", s.Status())
	}
}

// Streaming: a chunk that openai-go cannot decode ends the caller's stream
// with an error (stream.Err() != nil). The span should not look like a
// successful call.
func TestStreamUndecodableChunk(t *testing.T) {
	chunks := streamChunks(3, false)
	events := dataEvents(chunks[0], `{"id":"x","choices":[{"index":0,"delta":{"content":"a"}]`) // truncated JSON
	events = append(events, dataEvents(chunks[1:]...)...)
	h := newHarness(t, sseHandler(events...), false)
	st := h.client.Chat.Completions.NewStreaming(context.Background(), chatParams())
	for st.Next() {
	}
	callErr := st.Err()
	_ = st.Close()
	if callErr == nil {
		t.Fatal("the SDK accepted the chunk; test premise wrong")
	}
	s := h.onlySpan()
	if s.Status().Code != codes.Error {
		t.Errorf("caller got %v, span status %v (no error.type: %v)", callErr, s.Status(), attrs(s)["error.type"].AsString())
	}
}

// Streaming: the span ends on [DONE] even when the server keeps the
// connection open and the caller never calls Close (openai-go closes the
// stream itself when Next returns false).
func TestStreamDoneNoCloseNoEOF(t *testing.T) {
	release := make(chan struct{})
	h := newHarness(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sseHandler(dataEvents(streamChunks(3, true)...)...)(w, r)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}), true)
	defer close(release)
	p := chatParams()
	p.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
	st := h.client.Chat.Completions.NewStreaming(context.Background(), p)
	for st.Next() {
	}
	if err := st.Err(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(3 * time.Second)
	for len(h.rec.Ended()) == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	s := h.onlySpan()
	wantAttrs(t, attrs(s), map[string]any{"gen_ai.response.finish_reasons": []string{"stop"}, "gen_ai.usage.input_tokens": 96})
}

// Streaming over CRLF line endings and "data:" without a space: the span
// rebuilds what the SDK decoded.
func TestStreamCRLF(t *testing.T) {
	var events []string
	for _, p := range streamChunks(3, true) {
		events = append(events, "data:"+p+"\r\n\r\n")
	}
	events = append(events, "data: [DONE]\r\n\r\n")
	h := newHarness(t, sseHandler(events...), true)
	st := h.client.Chat.Completions.NewStreaming(context.Background(), chatParams())
	var acc openai.ChatCompletionAccumulator
	for st.Next() {
		acc.AddChunk(st.Current())
	}
	if err := st.Err(); err != nil {
		t.Fatal(err)
	}
	_ = st.Close()
	wantAttrs(t, attrs(h.onlySpan()), map[string]any{
		"gen_ai.completion.0.content":    acc.Choices[0].Message.Content,
		"gen_ai.response.finish_reasons": []string{"stop"},
		"gen_ai.usage.input_tokens":      int(acc.Usage.PromptTokens),
	})
}

// Errors on a streaming request: the API's code and message.
func TestStreamHTTPError(t *testing.T) {
	h := newHarness(t, jsonHandler(400, `{"error":{"message":"bad model","type":"invalid_request_error","param":"model","code":"model_not_found"}}`), true)
	st := h.client.Chat.Completions.NewStreaming(context.Background(), chatParams())
	for st.Next() {
	}
	if st.Err() == nil {
		t.Fatal("no error")
	}
	_ = st.Close()
	s := h.onlySpan()
	wantAttrs(t, attrs(s), map[string]any{"error.type": "model_not_found", "gen_ai.prompt.1.role": "user", "gen_ai.response.id": nil})
	if s.Status().Code != codes.Error || s.Status().Description != "bad model" {
		t.Errorf("status %+v", s.Status())
	}
}

// TestStreamEventShapes: openai-go decodes a chunk that is null (as an empty
// chunk) and goes on; it ends the stream with an error on one that is not a
// JSON object (truncated, another JSON value, an object followed by more
// text). The span says the same, for chat and Responses streams.
func TestStreamEventShapes(t *testing.T) {
	for _, tc := range []struct {
		data string
		fail bool
	}{{`null`, false}, {`[]`, true}, {`{"id":"x","choices":[{"index":0`, true}, {`{"id":"x"} junk`, true}, {" \t", true}} {
		chunks := streamChunks(2, false)
		h := newHarness(t, sseHandler(dataEvents(chunks[0], tc.data, chunks[1])...), false)
		st := h.client.Chat.Completions.NewStreaming(context.Background(), chatParams())
		for st.Next() {
		}
		callErr := st.Err()
		_ = st.Close()
		if (callErr != nil) != tc.fail {
			t.Fatalf("%q: the SDK said %v; test premise wrong", tc.data, callErr)
		}
		s := h.onlySpan()
		if got := s.Status().Code == codes.Error; got != tc.fail {
			t.Errorf("chat %q: caller got %v, span status %v", tc.data, callErr, s.Status())
		}
		if tc.fail {
			wantAttrs(t, attrs(s), map[string]any{"error.type": "stream_decode_error"})
		}

		ev := responsesTextStream(2, "response.completed", "completed", "")
		ev = append(ev[:5], append([]string{"data: " + tc.data + "\n\n"}, ev[5:]...)...)
		h = newHarness(t, sseHandler(ev...), false)
		rs := h.client.Responses.NewStreaming(context.Background(), responsesParams())
		for rs.Next() {
		}
		callErr = rs.Err()
		_ = rs.Close()
		if (callErr != nil) != tc.fail {
			t.Fatalf("responses %q: the SDK said %v; test premise wrong", tc.data, callErr)
		}
		s = h.onlySpan()
		if got := s.Status().Code == codes.Error; got != tc.fail {
			t.Errorf("responses %q: caller got %v, span status %v", tc.data, callErr, s.Status())
		}
	}
}
