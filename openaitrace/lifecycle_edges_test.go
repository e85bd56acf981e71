package openaitrace

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"go.opentelemetry.io/otel/codes"

	"github.com/tracekit-go/tracekit/internal/readfault"
	"github.com/tracekit-go/tracekit/redact"
)

// TestStreamTerminalEventAndErrorInOneRead: the Read that carries [DONE] also
// returns a read error. openai-go delivers every chunk and [DONE] (the scanner
// hands out buffered tokens before the error) and the caller sees a complete,
// successful stream: the span must not say the call failed.
func TestStreamTerminalEventAndErrorInOneRead(t *testing.T) {
	h := newHarness(t, sseHandler(dataEvents(streamChunks(3, true)...)...), true,
		option.WithHTTPClient(&http.Client{Transport: readfault.Transport{RT: http.DefaultTransport, Err: io.ErrUnexpectedEOF}}))
	st := h.client.Chat.Completions.NewStreaming(context.Background(), chatParams())
	var acc openai.ChatCompletionAccumulator
	for st.Next() {
		acc.AddChunk(st.Current())
	}
	if err := st.Err(); err != nil {
		t.Fatalf("caller saw %v", err)
	}
	_ = st.Close()
	if got := acc.Choices[0].Message.Content; got != streamText(3) {
		t.Fatalf("caller got %q", got)
	}
	s := h.onlySpan()
	if s.Status().Code == codes.Error {
		t.Fatalf("span status %v for a stream the caller saw complete; attrs %v", s.Status(), attrs(s)["error.type"])
	}
	wantAttrs(t, attrs(s), map[string]any{"gen_ai.completion.0.content": streamText(3), "gen_ai.usage.output_tokens": 3})
}

// TestConcurrentCallsKeepTheirOwnState: calls on one client at once; each
// span carries its own request's and response's attributes.
func TestConcurrentCallsKeepTheirOwnState(t *testing.T) {
	h := newHarness(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		model := string(bytes.SplitN(bytes.SplitN(b, []byte(`"model":"`), 2)[1], []byte(`"`), 2)[0])
		w.Header().Set("Content-Type", "application/json")
		body := strings.ReplaceAll(chatResponseJSON, `"chatcmpl-fixture1"`, `"id-`+model+`"`)
		if r.URL.Query().Get("unknown") == "" {
			w.Header().Set("Content-Length", fmt.Sprint(len(body)))
		}
		_, _ = io.WriteString(w, body)
	}), true)
	var wg sync.WaitGroup
	for g := 0; g < 6; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 30; i++ {
				p := chatParams()
				p.Model = fmt.Sprintf("m-%d-%d", g, i)
				var raw *http.Response
				opts := []option.RequestOption{}
				if i%3 == 0 {
					opts = append(opts, option.WithResponseBodyInto(&raw))
				}
				if _, err := h.client.Chat.Completions.New(context.Background(), p, opts...); err != nil {
					t.Error(err)
					return
				}
				if raw != nil {
					buf := make([]byte, 10)
					_, _ = raw.Body.Read(buf) // partial read, then close
					_ = raw.Body.Close()
					_ = raw.Body.Close()
					_, _ = raw.Body.Read(buf)
				}
			}
		}()
	}
	wg.Wait()
	spans := h.rec.Ended()
	if len(spans) != 6*30 || len(h.rec.Started()) != 6*30 {
		t.Fatalf("started %d ended %d", len(h.rec.Started()), len(spans))
	}
	for _, s := range spans {
		a := attrs(s)
		model := a["gen_ai.request.model"].AsString()
		if id := a["gen_ai.response.id"].AsString(); id != "" && id != "id-"+model {
			t.Errorf("span of %s has response id %s", model, id)
		}
	}
}

// TestRedactorPanicsEverywhere: a redactor that always panics, on requests
// and responses, streamed or not: callers are unaffected, every span ends once.
func TestRedactorPanicsEverywhere(t *testing.T) {
	always := redact.Func(func(s string) string { panic("redactor bug") })
	onAnswer := redact.Func(func(s string) string { // the response only
		if strings.HasPrefix(s, "word") || strings.HasPrefix(s, "Expect") {
			panic("redactor bug")
		}
		return s
	})
	for _, tc := range []struct {
		stream, traced bool // traced: the request stage passes
		red            redact.Redactor
	}{{false, false, always}, {true, false, always}, {false, true, onAnswer}, {true, true, onAnswer}} {
		stream, red := tc.stream, tc.red
		var handler http.Handler = jsonHandler(200, chatResponseJSON)
		if stream {
			handler = sseHandler(dataEvents(streamChunks(3, true)...)...)
		}
		h := newHarnessWith(t, handler, true, &harnessConfig{tracing: []Option{WithRedactor(red)}})
		if stream {
			st := h.client.Chat.Completions.NewStreaming(context.Background(), chatParams())
			n := 0
			for st.Next() {
				n++
			}
			if st.Err() != nil || n != 6 {
				t.Fatalf("caller: %d chunks, %v", n, st.Err())
			}
			_ = st.Close()
		} else {
			res, err := h.client.Chat.Completions.New(context.Background(), chatParams())
			if err != nil || res.ID != "chatcmpl-fixture1" {
				t.Fatalf("caller: %v", err)
			}
		}
		if s, e := len(h.rec.Started()), len(h.rec.Ended()); s != 1 || e != 1 {
			t.Fatalf("stream=%v: started %d spans, ended %d", stream, s, e)
		}
		// The content the redactor failed on is withheld; the rest of the
		// span is recorded.
		a := attrs(h.rec.Ended()[0])
		if got := a["gen_ai.completion.0.content"].AsString(); got != redact.DefaultReplacement {
			t.Errorf("stream=%v traced=%v: completion content %v past a panicking redactor", stream, tc.traced, got)
		}
		if got := a["gen_ai.prompt.1.content"].AsString(); !tc.traced && got != redact.DefaultReplacement {
			t.Errorf("stream=%v: prompt content %v past a panicking redactor", stream, got)
		}
		wantAttrs(t, a, map[string]any{"gen_ai.prompt.1.role": "user", "gen_ai.completion.0.role": "assistant", "gen_ai.response.model": "gpt-4o-mini-2024-07-18"})
	}
}

// TestStreamCloseRacesRead: Close on one goroutine (twice) while another is
// blocked in Read; the span ends once.
func TestStreamCloseRacesRead(t *testing.T) {
	ev := dataEvents(streamChunks(3, false)...)
	h := newHarness(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sseHandler(ev[:2]...)(w, r)
		<-r.Context().Done()
	}), true)
	for i := 0; i < 20; i++ {
		st := h.client.Chat.Completions.NewStreaming(context.Background(), chatParams())
		st.Next()
		done := make(chan struct{})
		go func() {
			defer close(done)
			for st.Next() {
			}
		}()
		time.Sleep(time.Millisecond)
		var wg sync.WaitGroup
		for k := 0; k < 2; k++ {
			wg.Add(1)
			go func() { defer wg.Done(); _ = st.Close() }()
		}
		wg.Wait()
		<-done
	}
	if s, e := len(h.rec.Started()), len(h.rec.Ended()); s != 20 || e != 20 {
		t.Fatalf("started %d, ended %d", s, e)
	}
}

// TestResponsesTerminalThenHang: the server sends response.completed and
// then hangs; the span ends while the caller waits for more.
func TestResponsesTerminalThenHang(t *testing.T) {
	ev := responsesTextStream(2, "response.completed", "completed", "")
	h := newHarness(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sseHandler(ev...)(w, r)
		<-r.Context().Done()
	}), true)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st := h.client.Responses.NewStreaming(ctx, responsesParams())
	go func() {
		for st.Next() {
		}
	}()
	deadline := time.Now().Add(3 * time.Second)
	for len(h.rec.Ended()) == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if len(h.rec.Ended()) != 1 {
		t.Fatal("span not ended after the terminal event")
	}
	if s := h.onlySpan(); s.Status().Code == codes.Error {
		t.Fatalf("status %v", s.Status())
	}
	cancel()
	_ = st.Close()
}

// TestNonStreamPartialReadThenCancel: a raw body read in part, then its
// context cancelled, then closed: one span, ended once, with the error.
func TestNonStreamReadAfterClose(t *testing.T) {
	h := newHarness(t, jsonHandler(200, chatResponseJSON), true)
	var raw *http.Response
	if _, err := h.client.Chat.Completions.New(context.Background(), chatParams(), option.WithResponseBodyInto(&raw)); err != nil {
		t.Fatal(err)
	}
	_ = raw.Body.Close()
	if _, err := raw.Body.Read(make([]byte, 10)); err == nil || errors.Is(err, io.EOF) {
		t.Fatalf("read after close: %v", err)
	}
	if len(h.rec.Ended()) != 1 {
		t.Fatal("not ended")
	}
}

// TestPanicBelowEndsSpan: a middleware inside the tracing one (or the HTTP
// client) panics: the panic reaches the caller untouched, and the span that
// was started still ends.
func TestPanicBelowEndsSpan(t *testing.T) {
	h := newHarness(t, jsonHandler(200, chatResponseJSON), true,
		option.WithMiddleware(func(r *http.Request, next option.MiddlewareNext) (*http.Response, error) {
			panic("inner bug")
		}))
	func() {
		defer func() {
			if r := recover(); r != "inner bug" {
				t.Fatalf("caller recovered %v", r)
			}
		}()
		_, _ = h.client.Chat.Completions.New(context.Background(), chatParams())
	}()
	if s, e := len(h.rec.Started()), len(h.rec.Ended()); s != 1 || e != 1 {
		t.Fatalf("started %d spans, ended %d", s, e)
	}
}

// TestNonStreamAbandonedThenCancelled: a raw body (WithResponseBodyInto)
// never read nor closed ends its span when the call's context is cancelled,
// as an abandoned stream does; a call whose context ends after its body was
// read is not touched by the cancellation.
func TestNonStreamAbandonedThenCancelled(t *testing.T) {
	h := newHarness(t, jsonHandler(200, chatResponseJSON), true)
	ctx, cancel := context.WithCancel(context.Background())
	var raw *http.Response
	if _, err := h.client.Chat.Completions.New(ctx, chatParams(), option.WithResponseBodyInto(&raw)); err != nil {
		t.Fatal(err)
	}
	if n := len(h.rec.Ended()); n != 0 {
		t.Fatalf("%d spans ended before the body was read or the context cancelled", n)
	}
	cancel()
	deadline := time.Now().Add(5 * time.Second)
	for len(h.rec.Ended()) == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	s := h.onlySpan()
	if s.Status().Code != codes.Error || attrs(s)["error.type"].AsString() != "canceled" {
		t.Fatalf("status %v, error.type %v", s.Status(), attrs(s)["error.type"])
	}
	_ = raw.Body.Close()
	if n := len(h.rec.Ended()); n != 1 {
		t.Fatalf("%d spans", n)
	}

	// Read to its end, then cancelled: a completed call.
	h2 := newHarness(t, jsonHandler(200, chatResponseJSON), true)
	ctx2, cancel2 := context.WithCancel(context.Background())
	res, err := h2.client.Chat.Completions.New(ctx2, chatParams())
	cancel2()
	if err != nil || res.ID != "chatcmpl-fixture1" {
		t.Fatalf("caller: %v", err)
	}
	if s := h2.onlySpan(); s.Status().Code == codes.Error {
		t.Fatalf("completed call: status %v", s.Status())
	}
}
