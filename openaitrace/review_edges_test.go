package openaitrace

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"go.opentelemetry.io/otel/codes"
)

// TestDecodableAgreesWithSDK: decodable() is a first/last-byte check;
// openai-go runs json.Unmarshal on the event. Every payload below either ends
// the caller's stream with an error or not; the span must say the same.
func TestDecodableAgreesWithSDK(t *testing.T) {
	for _, data := range []string{
		`{"id":"x"}{"id":"y"}`, // two objects
		`{"id":"chatcmpl-stream1","choices":[{"index":0,"delta":{"content":"cut"}}`, // truncated, last byte '}'
		"{}\f",             // \f is not JSON whitespace, but bytes.TrimSpace drops it
		"{}\u00a0",         // nor is NBSP
		`1`, `"s"`, `true`, // other JSON values
	} {
		t.Run(fmt.Sprintf("%q", data), func(t *testing.T) {
			chunks := streamChunks(2, false)
			h := newHarness(t, sseHandler(dataEvents(chunks[0], data, chunks[1], chunks[2], chunks[3], chunks[4])...), true)
			st := h.client.Chat.Completions.NewStreaming(context.Background(), chatParams())
			for st.Next() {
			}
			callErr := st.Err()
			_ = st.Close()
			s := h.onlySpan()
			spanErr := s.Status().Code == codes.Error
			if (callErr != nil) != spanErr {
				t.Errorf("caller got err=%v; span status %v, error.type %q", callErr, s.Status(), attrs(s)["error.type"].AsString())
			}
			if callErr != nil {
				wantAttrs(t, attrs(s), map[string]any{"error.type": "stream_decode_error"})
			}
		})
	}
}

// TestResponsesErrorEventWithTrailingText: openai-go checks an event's
// "error" member before decoding it, so an error event followed by stray
// text still ends the stream with the API's error. The Responses stream
// skips its error-member check for type "error" and runs the shape check
// first: the span says stream_decode_error instead of the API's code.
// (The chat stream checks the member first and agrees with openai-go.)
func TestResponsesErrorEventWithTrailingText(t *testing.T) {
	ev := responsesTextStream(2, "response.completed", "completed", "")
	bad := sseEvent("error", `{"type":"error","sequence_number":5,"error":{"code":"server_error","message":"upstream failed"}} x`)
	ev = append(ev[:5], bad)
	h := newHarness(t, sseHandler(ev...), false)
	st := h.client.Responses.NewStreaming(context.Background(), responsesParams())
	for st.Next() {
	}
	callErr := st.Err()
	_ = st.Close()
	if callErr == nil || !strings.Contains(callErr.Error(), "upstream failed") {
		t.Fatalf("premise: the caller got %v", callErr)
	}
	wantAttrs(t, attrs(h.onlySpan()), map[string]any{"error.type": "server_error"})
}

// TestRecycleUnderCancellation: JSON calls with cancelable contexts,
// half cancelled while their body is read (their context callback may
// start), half cancelled only after the call returned. A recycled call
// reached by a late callback would end another call's span as "canceled";
// every span must end once, and no call cancelled only after it returned its
// result may have an error span. (A call cancelled while its body is read
// may have a canceled span even when the transport had the whole answer and
// the SDK returns it: the README says so. Each span is told to its call by
// the call's user.)
func TestRecycleUnderCancellation(t *testing.T) {
	body := strings.Replace(chatResponseJSON, `"chatcmpl-fixture1"`, `"chatcmpl-`+strings.Repeat("x", 4000)+`"`, 1)
	h := newHarness(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(200)
		half := len(body) / 2
		_, _ = w.Write([]byte(body[:half]))
		w.(http.Flusher).Flush()
		time.Sleep(50 * time.Microsecond)
		_, _ = w.Write([]byte(body[half:]))
	}), false)
	const n = 400
	done := make(chan bool, n)
	for i := 0; i < n; i++ {
		go func(i int) {
			ctx, cancel := context.WithCancel(context.Background())
			if i%2 == 0 {
				time.AfterFunc(time.Duration(i%7)*100*time.Microsecond, cancel)
			}
			params := chatParams()
			params.User = openai.String(fmt.Sprint("u-", i))
			_, err := h.client.Chat.Completions.New(ctx, params)
			cancel()
			if i%2 == 1 && err != nil {
				t.Errorf("call %d, cancelled after it returned: %v", i, err)
			}
			done <- err == nil
		}(i)
	}
	for i := 0; i < n; i++ {
		<-done
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(h.rec.Ended()) < len(h.rec.Started()) && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if s, e := len(h.rec.Started()), len(h.rec.Ended()); s != n || e != n {
		t.Fatalf("started %d, ended %d spans of %d calls", s, e, n)
	}
	seen := map[string]bool{}
	for _, s := range h.rec.Ended() {
		user := attrs(s)["gen_ai.request.user"].AsString()
		var i int
		if _, err := fmt.Sscanf(user, "u-%d", &i); err != nil || seen[user] {
			t.Fatalf("span of user %q (seen before: %v)", user, seen[user])
		}
		seen[user] = true
		if i%2 == 1 && s.Status().Code == codes.Error {
			t.Errorf("call %d, cancelled only after it returned, has the error span %q", i, s.Status().Description)
		}
	}
}

// TestResponsesNullEventIsEmpty: openai-go decodes an event whose
// data is null as an empty event and goes on (decodable's "null stays an
// empty chunk"); the chat stream skips it, but the Responses stream then
// takes its type from the SSE event line: a null "response.completed" (or
// "error") ends the record early, and the span loses what the caller got
// next (the real terminal event's usage, here) or records an error the
// caller never saw.
func TestResponsesNullEventIsEmpty(t *testing.T) {
	for _, typ := range []string{"response.completed", "error"} {
		t.Run(typ, func(t *testing.T) {
			ev := responsesTextStream(2, "response.completed", "completed", "")
			ev = append(ev[:5], append([]string{sseEvent(typ, "null")}, ev[5:]...)...)
			h := newHarness(t, sseHandler(ev...), true)
			st := h.client.Responses.NewStreaming(context.Background(), responsesParams())
			var usage int64
			for st.Next() {
				if e := st.Current(); e.Type == "response.completed" {
					usage = e.Response.Usage.InputTokens
				}
			}
			if err := st.Err(); err != nil || usage == 0 {
				t.Fatalf("premise: err %v, usage %d", err, usage)
			}
			_ = st.Close()
			s := h.onlySpan()
			if s.Status().Code == codes.Error {
				t.Errorf("span status %v; the caller got no error", s.Status())
			}
			wantAttrs(t, attrs(s), map[string]any{"gen_ai.usage.input_tokens": int(usage)})
		})
	}
}
