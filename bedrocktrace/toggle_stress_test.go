package bedrocktrace

import (
	"context"
	"encoding/json"
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

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.uber.org/goleak"
)

// The operations TestInstrumentToggledUnderLoad mixes; a call's marker
// carries its operation, so that the server knows what to answer.
const (
	toggleConverse       = iota // Converse
	toggleConverseStream        // ConverseStream, read to its end
	toggleConverseEarly         // ConverseStream, closed after the first text delta
	toggleInvoke                // InvokeModel (Claude)
	toggleOps
)

// toggleMarker matches the marker of one call: MK<goroutine>x<call>o<op>Z.
var toggleMarker = regexp.MustCompile(`MK\d+x\d+o\dZ`)

func toggleMark(g, i, op int) string { return fmt.Sprintf("MK%02dx%03do%dZ", g, i, op) }

func toggleOp(mk string) int { return int(mk[len(mk)-2] - '0') }

const toggleModel = "anthropic.claude-3-5-sonnet-20240620-v1:0"

// toggleServer answers every call with its own marker: in the request id
// (Converse, ConverseStream) or the message id (InvokeModel), and in the
// answer's text.
func toggleServer(t *testing.T, seen map[string]int, mu *sync.Mutex) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mks := toggleMarker.FindAllString(string(b), -1)
		if len(mks) != 1 {
			t.Errorf("request %s with markers %q: %s", r.URL.Path, mks, b)
			w.WriteHeader(400)
			return
		}
		mk := mks[0]
		mu.Lock()
		seen[mk]++
		mu.Unlock()
		w.Header().Set("X-Amzn-Requestid", "id-"+mk)
		switch toggleOp(mk) {
		case toggleConverse:
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"metrics":{"latencyMs":4},"output":{"message":{"role":"assistant","content":[{"text":"echo `+mk+`"}]}},`+
				`"stopReason":"end_turn","usage":{"inputTokens":9,"outputTokens":2,"totalTokens":11}}`)
		case toggleInvoke:
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"id":"id-`+mk+`","type":"message","role":"assistant","model":"claude-3-5-sonnet-20240620",`+
				`"content":[{"type":"text","text":"echo `+mk+`"}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":9,"output_tokens":2}}`)
		case toggleConverseStream, toggleConverseEarly:
			frames := [][]byte{
				event(t, "messageStart", `{"role":"assistant"}`),
				event(t, "contentBlockDelta", `{"contentBlockIndex":0,"delta":{"text":"`+mk+`"}}`),
				event(t, "contentBlockDelta", `{"contentBlockIndex":0,"delta":{"text":" done"}}`),
				event(t, "contentBlockStop", `{"contentBlockIndex":0}`),
				event(t, "messageStop", `{"stopReason":"end_turn"}`),
				event(t, "metadata", `{"usage":{"inputTokens":9,"outputTokens":2,"totalTokens":11},"metrics":{"latencyMs":4}}`),
			}
			early := toggleOp(mk) == toggleConverseEarly
			if early {
				frames = frames[:2] // then nothing until the caller has gone
			}
			w.Header().Set("Content-Type", "application/vnd.amazon.eventstream")
			w.WriteHeader(200)
			for _, fr := range frames {
				_, _ = w.Write(fr)
				w.(http.Flusher).Flush()
			}
			if early {
				<-r.Context().Done()
			}
		}
	}
}

// toggleCall makes one call of op with marker mk and checks that the caller
// sees what it would see untraced.
func toggleCall(ctx context.Context, c *bedrockruntime.Client, op int, mk string) error {
	msgs := []types.Message{{Role: types.ConversationRoleUser, Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: "please echo " + mk}}}}
	switch op {
	case toggleConverse:
		out, err := c.Converse(ctx, &bedrockruntime.ConverseInput{ModelId: aws.String(toggleModel), Messages: msgs})
		if err != nil {
			return err
		}
		m, ok := out.Output.(*types.ConverseOutputMemberMessage)
		if !ok || len(m.Value.Content) != 1 {
			return fmt.Errorf("answer %#v", out.Output)
		}
		if tx, ok := m.Value.Content[0].(*types.ContentBlockMemberText); !ok || tx.Value != "echo "+mk {
			return fmt.Errorf("answer %#v", m.Value.Content[0])
		}
	case toggleConverseStream, toggleConverseEarly:
		out, err := c.ConverseStream(ctx, &bedrockruntime.ConverseStreamInput{ModelId: aws.String(toggleModel), Messages: msgs})
		if err != nil {
			return err
		}
		st := out.GetStream()
		var got strings.Builder
		for ev := range st.Events() {
			if d, ok := ev.(*types.ConverseStreamOutputMemberContentBlockDelta); ok {
				if tx, ok := d.Value.Delta.(*types.ContentBlockDeltaMemberText); ok {
					got.WriteString(tx.Value)
				}
			}
			if op == toggleConverseEarly && got.Len() > 0 {
				break
			}
		}
		err = st.Err()
		_ = st.Close()
		if err != nil {
			return err
		}
		want := mk + " done"
		if op == toggleConverseEarly {
			want = mk
		}
		if got.String() != want {
			return fmt.Errorf("streamed %q, want %q", got.String(), want)
		}
	case toggleInvoke:
		body := `{"anthropic_version":"bedrock-2023-05-31","max_tokens":50,"messages":[{"role":"user","content":"please echo ` + mk + `"}]}`
		out, err := c.InvokeModel(ctx, &bedrockruntime.InvokeModelInput{ModelId: aws.String(toggleModel), Body: []byte(body), ContentType: aws.String("application/json")})
		if err != nil {
			return err
		}
		var res struct {
			ID      string `json:"id"`
			Content []struct {
				Text string `json:"text"`
			} `json:"content"`
		}
		if err := json.Unmarshal(out.Body, &res); err != nil {
			return err
		}
		if res.ID != "id-"+mk || len(res.Content) != 1 || res.Content[0].Text != "echo "+mk {
			return fmt.Errorf("answer %s", out.Body)
		}
	}
	return nil
}

// TestInstrumentToggledUnderLoad: real bedrockruntime clients make calls of
// every kind from several goroutines while another one turns tracing off and
// on (Uninstrument, Instrument) as fast as it can. Every call gets exactly
// what it would get untraced; every span started ends, once, with its own
// call's prompt and answer (the per-call state of Converse and InvokeModel
// is pooled and recycled); no call has two spans; the duration metric counts
// the spans; no goroutine is left.
func TestInstrumentToggledUnderLoad(t *testing.T) {
	const goroutines, calls = 8, 40
	ignore := goleak.IgnoreCurrent()

	e := newEnv(t)
	defaults := e.opts(true)
	t.Cleanup(func() { Instrument() })
	Instrument(defaults...)

	var mu sync.Mutex
	seen := map[string]int{}
	srv := httptest.NewServer(toggleServer(t, seen, &mu))
	defer srv.Close()
	cfg := e.cfg(srv.URL)
	shared := e.cfg(srv.URL) // one installation, shared by every client built from it
	AppendMiddlewares(&shared.APIOptions, defaults...)
	newClients := func() []*bedrockruntime.Client {
		return []*bedrockruntime.Client{
			// Instrument's defaults.
			NewFromConfig(cfg),
			// Its own options, installed on the config.
			bedrockruntime.NewFromConfig(shared),
			// Installed three times (config, NewFromConfig, WithTracing):
			// one span per call still.
			NewFromConfig(shared, WithTracing(defaults...)),
		}
	}
	// Converse and InvokeModel calls share clients across goroutines.
	// Event streams do not: the SDK itself races when two ConverseStream
	// calls of one client decode their events at once, a race report
	// without any tracing installed (smithy-go's eventstream.Codec, one per
	// client, writes its payloadBuf and decoder unguarded in each stream's
	// reader goroutine). Streams read to their end take clients of their
	// own goroutine (the end of the events orders the reader's last write
	// before the next call); a stream closed early takes a client of its
	// own (Close does not wait for the reader, which may still be writing
	// when the next stream starts).
	sharedClients := newClients()

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
			own := newClients()
			for i := range calls {
				op := (g + i) % toggleOps
				mk := toggleMark(g, i, op)
				clients := sharedClients
				switch op {
				case toggleConverseStream:
					clients = own
				case toggleConverseEarly:
					clients = newClients()
				}
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
	started, ended := e.rec.Started(), e.rec.Ended()
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

	names := map[int]string{toggleConverse: "bedrock.converse", toggleConverseStream: "bedrock.converse_stream",
		toggleConverseEarly: "bedrock.converse_stream", toggleInvoke: "bedrock.invoke_model"}
	spansOf := map[string]int{}
	for _, s := range ended {
		a := attrsOf(s)
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
			t.Errorf("span %s: prompt markers %q (attrs %v)", s.Name(), prompt, a.keys())
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
		op := toggleOp(mk)
		if s.Name() != names[op] {
			t.Errorf("span of call %s is named %s", mk, s.Name())
		}
		want := map[int]string{toggleConverse: "echo " + mk, toggleConverseStream: mk + " done", toggleConverseEarly: mk,
			toggleInvoke: "echo " + mk}[op]
		if got := a["gen_ai.completion.0.content"].AsString(); got != want {
			// (A stream closed early records what arrived before the
			// Close: at least what the caller took, all the server sent.)
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

	if d := toggleDurationCount(e.metrics()); d != uint64(len(ended)) {
		t.Errorf("operation duration recorded %d times for %d spans", d, len(ended))
	}
	t.Logf("%d calls, %d spans, %d toggles", total, len(ended), toggles.Load())

	srv.CloseClientConnections()
	srv.Close()
	e.http.CloseIdleConnections()
	goleak.VerifyNone(t, ignore)
}

// toggleDurationCount is the number of gen_ai.client.operation.duration
// measurements.
func toggleDurationCount(rm metricdata.ResourceMetrics) uint64 {
	var n uint64
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if h, ok := m.Data.(metricdata.Histogram[float64]); ok && m.Name == "gen_ai.client.operation.duration" {
				for _, dp := range h.DataPoints {
					n += dp.Count
				}
			}
		}
	}
	return n
}
