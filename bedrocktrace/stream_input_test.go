package bedrocktrace

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
)

// TestConverseStreamErrorReadsInputLate: with capture off, a ConverseStream
// that returned successfully but whose stream then ends with an exception
// frame does not read the caller's typed input at its end (on the SDK's
// reader goroutine, while the caller updates it): what the error may quote
// was taken when the call returned, and the error still loses it. Run with
// -race.
func TestConverseStreamErrorReadsInputLate(t *testing.T) {
	e := newEnv(t)
	frames := [][]byte{
		event(t, "messageStart", `{"role":"assistant"}`),
		event(t, "contentBlockDelta", `{"contentBlockIndex":0,"delta":{"text":"Sorry."}}`),
		exception(t, "modelStreamErrorException", "the model failed"),
	}
	f := newFake(t, reply{frames: frames})
	c := e.runtime(f.URL, false)
	for i := 0; i < 50; i++ {
		in := streamInput()
		out, err := c.ConverseStream(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		for ev := range out.GetStream().Events() {
			if _, ok := ev.(*types.ConverseStreamOutputMemberMessageStart); ok {
				// The call returned: the input is the caller's to update.
				in.Messages[0].Content[0] = &types.ContentBlockMemberText{Value: "next question"}
				in.Messages = append(in.Messages, types.Message{Role: types.ConversationRoleAssistant,
					Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: "Sorry."}}})
			}
		}
		_ = out.GetStream().Close()
	}
	if n := len(e.spans()); n != 50 {
		t.Fatalf("%d spans", n)
	}
}
