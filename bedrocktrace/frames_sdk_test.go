package bedrocktrace

import (
	"bytes"
	"io"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
)

// TestFrameTeeAcceptsWhatSDKAccepts: a frame the SDK's decoder reads (here
// one with a header of empty name, which it accepts) is no malformed frame:
// the call must not be settled as failed (EventStreamError) for it.
func TestFrameTeeAcceptsWhatSDKAccepts(t *testing.T) {
	var m eventstream.Message
	m.Headers.Set(":message-type", eventstream.StringValue("event"))
	m.Headers.Set(":event-type", eventstream.StringValue("messageStart"))
	m.Headers.Set("", eventstream.StringValue("x"))
	m.Payload = []byte(`{"role":"assistant"}`)
	var buf bytes.Buffer
	if err := eventstream.NewEncoder().Encode(&buf, m); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	if _, err := eventstream.NewDecoder().Decode(bytes.NewReader(data), nil); err != nil {
		t.Fatalf("the SDK rejects the frame: %v", err)
	}
	rec := &frameRecorder{}
	tee := newFrameTee(io.NopCloser(bytes.NewReader(data)), rec)
	if _, err := io.ReadAll(tee); err != nil {
		t.Fatal(err)
	}
	if len(rec.frames) != 1 || rec.frames[0].messageType != "event" || rec.frames[0].eventType != "messageStart" {
		t.Fatalf("tee frames %+v, want the messageStart event", rec.frames)
	}
}
