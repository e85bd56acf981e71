package openaitrace

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/responses"
	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.uber.org/goleak"
)

// The operations TestInstrumentToggledUnderLoad mixes; a call's marker
// carries its operation, so that the server knows what to answer.
const (
	toggleChat          = iota // Chat.Completions.New
	toggleChatStream           // Chat.Completions.NewStreaming, read to its end
	toggleChatEarly            // Chat.Completions.NewStreaming, closed after the first content chunk
	toggleResponses            // Responses.New
	toggleResponsesFull        // Responses.NewStreaming, read to its end
	toggleOps
)

// toggleMarker matches the marker of one call: MK<goroutine>x<call>o<op>Z.
var toggleMarker = regexp.MustCompile(`MK\d+x\d+o\dZ`)

func toggleMark(g, i, op int) string { return fmt.Sprintf("MK%02dx%03do%dZ", g, i, op) }

func toggleOp(mk string) int { return int(mk[len(mk)-2] - '0') }

// toggleServer answers every call with its own marker: in the answer's id
// and in its text.
func toggleServer(t *testing.T, seen map[string]int, mu *sync.Mutex) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mks := toggleMarker.FindAllString(string(b), -1)
		if len(mks) != 1 {
			t.Errorf("request with markers %q: %s", mks, b)
			w.WriteHeader(400)
			return
		}
		mk := mks[0]
		mu.Lock()
		seen[mk]++
		mu.Unlock()
		id := "id-" + mk
		switch toggleOp(mk) {
		case toggleChat:
			body := `{"id":"` + id + `","object":"chat.completion","created":1731368630,"model":"gpt-4o-mini-2024-07-18",` +
				`"choices":[{"index":0,"message":{"role":"assistant","content":"echo ` + mk + `","refusal":null},"logprobs":null,"finish_reason":"stop"}],` +
				`"usage":{"prompt_tokens":9,"completion_tokens":2,"total_tokens":11}}`
			w.Header().Set("Content-Type", "application/json")
			if mk[len(mk)-4]%2 == 0 { // every other call: a body of unknown length (a pooled buffer)
				w.WriteHeader(200)
				w.(http.Flusher).Flush()
			}
			_, _ = io.WriteString(w, body)
		case toggleChatStream, toggleChatEarly:
			head := `{"id":"` + id + `","object":"chat.completion.chunk","created":1731368639,"model":"gpt-4o-mini-2024-07-18","choices":[`
			ev := dataEvents(
				head+`{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}`,
				head+`{"index":0,"delta":{"content":"`+mk+`"},"finish_reason":null}]}`,
				head+`{"index":0,"delta":{"content":" done"},"finish_reason":null}]}`,
				head+`{"index":0,"delta":{},"finish_reason":"stop"}]}`,
				head+`],"usage":{"prompt_tokens":9,"completion_tokens":2,"total_tokens":11}}`,
				"[DONE]")
			if toggleOp(mk) == toggleChatEarly {
				// The first chunks, then nothing until the caller has gone.
				sseHandler(ev[:2]...)(w, r)
				<-r.Context().Done()
				return
			}
			sseHandler(ev...)(w, r)
		case toggleResponses:
			out := `{"type":"message","id":"msg_1","status":"completed","role":"assistant","content":[{"type":"output_text","text":"echo ` + mk + `","annotations":[]}]}`
			jsonHandler(200, responseJSON(id, "completed", out, ""))(w, r)
		case toggleResponsesFull:
			ev := responsesTextStream(2, "response.completed", "completed", "")
			for k := range ev {
				ev[k] = strings.ReplaceAll(strings.ReplaceAll(ev[k], "resp_stream1", id), "word", mk+"w")
			}
			sseHandler(ev...)(w, r)
		}
	}
}

// toggleCall makes one call of op with marker mk and checks that the caller
// sees what it would see untraced.
func toggleCall(ctx context.Context, c openai.Client, op int, mk string) error {
	switch op {
	case toggleChat:
		p := chatParams()
		p.Messages = []openai.ChatCompletionMessageParamUnion{openai.UserMessage("please echo " + mk)}
		res, err := c.Chat.Completions.New(ctx, p)
		if err != nil {
			return err
		}
		if res.ID != "id-"+mk || len(res.Choices) != 1 || res.Choices[0].Message.Content != "echo "+mk {
			return fmt.Errorf("answer %s %+v", res.ID, res.Choices)
		}
	case toggleChatStream, toggleChatEarly:
		p := chatParams()
		p.Messages = []openai.ChatCompletionMessageParamUnion{openai.UserMessage("please echo " + mk)}
		st := c.Chat.Completions.NewStreaming(ctx, p)
		var got strings.Builder
		for st.Next() {
			ch := st.Current()
			if ch.ID != "id-"+mk {
				_ = st.Close()
				return fmt.Errorf("chunk id %s", ch.ID)
			}
			if len(ch.Choices) > 0 {
				got.WriteString(ch.Choices[0].Delta.Content)
			}
			if op == toggleChatEarly && got.Len() > 0 {
				break
			}
		}
		err := st.Err()
		_ = st.Close()
		if err != nil {
			return err
		}
		want := mk + " done"
		if op == toggleChatEarly {
			want = mk
		}
		if got.String() != want {
			return fmt.Errorf("streamed %q, want %q", got.String(), want)
		}
	case toggleResponses:
		p := responses.ResponseNewParams{Model: "gpt-4o-mini", Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("please echo " + mk)}}
		res, err := c.Responses.New(ctx, p)
		if err != nil {
			return err
		}
		if res.ID != "id-"+mk || res.OutputText() != "echo "+mk {
			return fmt.Errorf("answer %s %q", res.ID, res.OutputText())
		}
	case toggleResponsesFull:
		p := responses.ResponseNewParams{Model: "gpt-4o-mini", Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("please echo " + mk)}}
		st := c.Responses.NewStreaming(ctx, p)
		var got strings.Builder
		var done bool
		for st.Next() {
			ev := st.Current()
			switch ev.Type {
			case "response.output_text.delta":
				got.WriteString(ev.Delta)
			case "response.completed":
				done = ev.Response.ID == "id-"+mk
			}
		}
		err := st.Err()
		_ = st.Close()
		if err != nil {
			return err
		}
		if want := mk + "w0 " + mk + "w1 "; got.String() != want || !done {
			return fmt.Errorf("streamed %q (completed with its id: %v), want %q", got.String(), done, want)
		}
	}
	return nil
}

// TestInstrumentToggledUnderLoad: real openai-go clients make calls of every
// kind from several goroutines while another one turns tracing off and on
// (Uninstrument, Instrument) as fast as it can. Every call gets exactly what
// it would get untraced; every span started ends, once, with its own call's
// prompt and answer (the per-call state is pooled and recycled); no call has
// two spans; the duration metric counts the spans; no goroutine is left.
func TestInstrumentToggledUnderLoad(t *testing.T) {
	const goroutines, calls = 8, 40
	ignore := goleak.IgnoreCurrent()

	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defaults := []Option{WithTracerProvider(tp), WithMeterProvider(mp), WithCaptureContent(true)}
	t.Cleanup(func() { Instrument() })
	Instrument(defaults...)

	var mu sync.Mutex
	seen := map[string]int{}
	srv := httptest.NewServer(toggleServer(t, seen, &mu))
	defer srv.Close()
	transport := &http.Transport{MaxIdleConnsPerHost: goroutines}
	base := []option.RequestOption{
		option.WithBaseURL(srv.URL + "/v1"),
		option.WithAPIKey("sk-test-secret"),
		option.WithMaxRetries(0),
		option.WithHTTPClient(&http.Client{Transport: transport}),
	}
	clients := []openai.Client{
		// Instrument's defaults.
		NewClient(base...),
		// Its own options, installed as a plain middleware.
		openai.NewClient(append(base, option.WithMiddleware(Middleware(defaults...)))...),
		// Installed twice: one span per attempt still.
		NewClient(append(base, WithTracing(defaults...))...),
	}

	stop := make(chan struct{})
	var toggles atomic.Int64
	toggled := make(chan struct{})
	go func() {
		defer close(toggled)
		for {
			select {
			case <-stop:
				return
			default:
			}
			Uninstrument()
			time.Sleep(20 * time.Microsecond)
			Instrument(defaults...)
			time.Sleep(20 * time.Microsecond)
			toggles.Add(1)
		}
	}()

	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range calls {
				op := (g + i) % toggleOps
				mk := toggleMark(g, i, op)
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				err := toggleCall(ctx, clients[(g+i/toggleOps)%len(clients)], op, mk)
				cancel()
				if err != nil {
					t.Errorf("call %s: %v", mk, err)
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	<-toggled
	Instrument(defaults...)

	const total = goroutines * calls
	if n := toggles.Load(); n < 10 {
		t.Errorf("tracing toggled only %d times during the calls", n)
	}
	mu.Lock()
	if len(seen) != total {
		t.Errorf("the server saw %d calls, want %d", len(seen), total)
	}
	for mk, n := range seen {
		if n != 1 {
			t.Errorf("the server saw %s %d times", mk, n)
		}
	}
	mu.Unlock()

	// Every span started has ended: closed early streams included (their
	// span ends on Close).
	started, ended := rec.Started(), rec.Ended()
	if len(started) != len(ended) {
		t.Errorf("started %d spans, ended %d", len(started), len(ended))
	}
	if len(ended) > total {
		t.Errorf("%d spans for %d calls", len(ended), total)
	}
	if len(ended) == 0 || len(ended) == total {
		// Not an error of the library, but the test did not toggle
		// tracing during the calls as it means to.
		t.Errorf("%d spans for %d calls: tracing was never off (or never on) during the calls", len(ended), total)
	}

	spansOf := map[string]int{}
	for _, s := range ended {
		a := attrs(s)
		var prompt, answer []string
		for k, v := range a {
			switch {
			case strings.HasPrefix(k, "gen_ai.prompt.") && strings.HasSuffix(k, ".content"):
				prompt = append(prompt, toggleMarker.FindAllString(v.AsString(), -1)...)
			case strings.HasPrefix(k, "gen_ai.completion.") && strings.HasSuffix(k, ".content"),
				k == "gen_ai.response.id":
				answer = append(answer, toggleMarker.FindAllString(v.AsString(), -1)...)
			}
		}
		if len(prompt) != 1 {
			t.Errorf("span %s: prompt markers %q (attrs %v)", s.Name(), prompt, keys(a))
			continue
		}
		mk := prompt[0]
		spansOf[mk]++
		for _, m := range answer {
			if m != mk {
				t.Errorf("span of call %s carries the answer of call %s (completion %q, id %q)", mk, m,
					a["gen_ai.completion.0.content"].AsString(), a["gen_ai.response.id"].AsString())
			}
		}
		want := map[int]string{toggleChat: "echo " + mk, toggleChatStream: mk + " done", toggleChatEarly: mk,
			toggleResponses: "echo " + mk, toggleResponsesFull: mk + "w0 " + mk + "w1 "}[toggleOp(mk)]
		if got := a["gen_ai.completion.0.content"].AsString(); got != want {
			t.Errorf("span of call %s: completion %q, want %q", mk, got, want)
		}
		if got := a["gen_ai.response.id"].AsString(); got != "id-"+mk {
			t.Errorf("span of call %s: response id %q", mk, got)
		}
		if s.Status().Code == codes.Error {
			t.Errorf("span of call %s: status %v (%v)", mk, s.Status(), a["error.type"].AsString())
		}
	}
	for mk, n := range spansOf {
		if n != 1 {
			t.Errorf("call %s has %d spans", mk, n)
		}
		if seen[mk] != 1 {
			t.Errorf("span of call %s the server never saw", mk)
		}
	}

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	if d := histogramCount(t, rm, "gen_ai.client.operation.duration"); d != uint64(len(ended)) {
		t.Errorf("operation duration recorded %d times for %d spans", d, len(ended))
	}
	t.Logf("%d calls, %d spans, %d toggles", total, len(ended), toggles.Load())

	transport.CloseIdleConnections()
	srv.CloseClientConnections()
	srv.Close()
	goleak.VerifyNone(t, ignore)
}
