package bedrocktrace

import (
	"context"
	"runtime"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"

	"github.com/tracekit-go/tracekit/internal/spantest"
)

// TestSpansDoNotKeepLargeBodies: the spans of InvokeModel calls with large
// bodies, kept after their calls as an exporter's queue keeps them, do not
// keep the tracer's copies of the bodies alive: a Claude request with an
// image (and a short text, or a long system prompt: a tenth of the body),
// an answer with a short text in a large body.
func TestSpansDoNotKeepLargeBodies(t *testing.T) {
	const calls, size = 16, 512 << 10
	for _, tc := range []struct {
		name, system, pad string
		want              map[string]any
	}{
		{"short text, large answer", "", strings.Repeat("x", size),
			map[string]any{"gen_ai.prompt.0.content": "what is it?", "gen_ai.completion.0.content": "a red fox"}},
		{"long system prompt", strings.Repeat("Be precise. ", (size/10)/12), "",
			map[string]any{"gen_ai.prompt.0.role": "system", "gen_ai.prompt.1.content": "what is it?"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			answer := `{"id":"msg_1","type":"message","role":"assistant","model":"claude-3-5-sonnet-20240620","content":[{"type":"text","text":"a red fox"}],` +
				`"stop_reason":"end_turn","usage":{"input_tokens":9,"output_tokens":3},"pad":"` + tc.pad + `"}`
			f := newFake(t, reply{body: answer})
			c := e.runtime(f.URL, true)
			system := ""
			if tc.system != "" {
				system = `"system":"` + tc.system + `",`
			}
			before := spantest.LiveHeap()
			for i := 0; i < calls; i++ {
				body := `{"anthropic_version":"bedrock-2023-05-31","max_tokens":100,` + system + `"messages":[{"role":"user","content":[{"type":"text","text":"what is it?"},` +
					`{"type":"image","source":{"type":"base64","media_type":"image/png","data":"` + strings.Repeat("A", size) + `"}}]}]}`
				if _, err := c.InvokeModel(context.Background(), &bedrockruntime.InvokeModelInput{
					ModelId: aws.String("anthropic.claude-3-5-sonnet-20240620-v1:0"), Body: []byte(body), ContentType: aws.String("application/json"),
				}); err != nil {
					t.Fatal(err)
				}
			}
			f.mu.Lock()
			f.bodies = nil
			f.mu.Unlock()
			after := spantest.LiveHeap()
			spans := e.spans()
			if len(spans) != calls {
				t.Fatalf("%d spans", len(spans))
			}
			attrsOf(spans[0]).want(t, tc.want)
			if kept := int64(after) - int64(before); kept > calls*size/2 {
				t.Errorf("%d spans keep %d bytes alive (%d per call; each body is over %d)", calls, kept, kept/calls, size)
			}
			runtime.KeepAlive(e)
		})
	}
}
