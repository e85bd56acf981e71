package openaitrace

import (
	"context"
	"io"
	"net/http"
	"testing"

	"github.com/openai/openai-go/v3/option"
	"go.opentelemetry.io/otel/attribute"
)

// TestRecycledCallIsDetached checks the recycling of a non-streamed call's
// state: once the call has ended, its state serves the next call, and the
// first body, read or closed again (on another goroutine too), passes
// through without touching the second call's span.
func TestRecycledCallIsDetached(t *testing.T) {
	bodies := []string{chatResponseJSON, `{"id":"chatcmpl-second","object":"chat.completion","created":1,"model":"gpt-4o-second",` +
		`"choices":[{"index":0,"message":{"role":"assistant","content":"second answer"},"finish_reason":"length"}],` +
		`"usage":{"prompt_tokens":7,"completion_tokens":3,"total_tokens":10}}`}
	n := 0
	h := newHarness(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, bodies[n%2])
		n++
	}), true)
	ctx := context.Background()
	// sync.Pool may drop entries (always under the race detector, at
	// random): many rounds make a reuse all but certain.
	for i := 0; i < 40; i++ {
		var a, b *http.Response
		if _, err := h.client.Chat.Completions.New(ctx, chatParams(), option.WithResponseBodyInto(&a)); err != nil {
			t.Fatal(err)
		}
		if got, _ := io.ReadAll(a.Body); string(got) != bodies[0] {
			t.Fatalf("first body: %q", got)
		}
		if ended := len(h.rec.Ended()); ended != 2*i+1 {
			t.Fatalf("round %d: %d spans ended after the first body's EOF, want %d", i, ended, 2*i+1)
		}
		if _, err := h.client.Chat.Completions.New(ctx, chatParams(), option.WithResponseBodyInto(&b)); err != nil {
			t.Fatal(err)
		}
		// The first body again, after its call's state may have gone to
		// the second call: on this goroutine and on another.
		done := make(chan struct{})
		go func() {
			defer close(done)
			_, _ = a.Body.Read(make([]byte, 8))
			_ = a.Body.Close()
		}()
		_ = a.Body.Close()
		<-done
		if ended := len(h.rec.Ended()); ended != 2*i+1 {
			t.Fatalf("round %d: touching the first body again ended the second span (%d ended)", i, ended)
		}
		if got, _ := io.ReadAll(b.Body); string(got) != bodies[1] {
			t.Fatalf("second body: %q", got)
		}
		_ = b.Body.Close()
		spans := h.rec.Ended()
		if len(spans) != 2*i+2 {
			t.Fatalf("round %d: %d spans ended, want %d", i, len(spans), 2*i+2)
		}
		first, second := attrs(spans[2*i]), attrs(spans[2*i+1])
		for _, want := range []struct {
			attrs map[string]attribute.Value
			key   string
			val   string
		}{
			{first, "gen_ai.response.id", "chatcmpl-fixture1"},
			{second, "gen_ai.response.id", "chatcmpl-second"},
			{second, "gen_ai.response.model", "gpt-4o-second"},
			{second, "gen_ai.completion.0.content", "second answer"},
			{second, "gen_ai.completion.0.finish_reason", "length"},
		} {
			if got := want.attrs[want.key].String(); got != want.val {
				t.Fatalf("round %d: %s = %q, want %q", i, want.key, got, want.val)
			}
		}
		if got := second["gen_ai.usage.input_tokens"].AsInt64(); got != 7 {
			t.Fatalf("round %d: second span's input tokens %d", i, got)
		}
	}
}
