package bedrocktrace

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"strings"
	"unsafe"

	"github.com/tidwall/gjson"
	"go.opentelemetry.io/otel"

	"github.com/tracekit-go/tracekit/internal/genai"
)

// Event-stream frame bounds. A frame is prelude (12 bytes) + headers +
// payload + CRC (4 bytes). Frames larger than maxObservedFrame are passed to
// the SDK but not observed, so the tee never holds more than one partial frame
// of at most that size.
const (
	minFrame         = 16
	maxObservedFrame = 1 << 20
)

// frameTee passes a response body through untouched and decodes copies of the
// complete event-stream frames it sees. Read runs on the SDK's stream
// goroutine; Close may run on another goroutine, so Close touches nothing but
// the body and the (locked) call state.
//
// The span takes the outcome the SDK reports to the caller, and ending it
// never delays an event. A terminal event settles the call: the span ends at
// the start of the next Read (the SDK has accepted the event). Otherwise it
// ends when the SDK closes the body: its reader has ended then, and has
// recorded its error, if any (a read error, a frame or payload it rejected,
// an exception), which the span takes (see callState.settleFromSDKLocked).
// The call's context ending also ends it.
type frameTee struct {
	rc      io.ReadCloser
	st      frameSink
	buf     []byte // partial frame
	skip    int    // bytes of an oversized frame still to pass unobserved
	broken  bool   // stop observing (malformed stream or a panic)
	settled bool   // the sink reported a terminal event
	f       frame  // the frame being handed to the sink, reused
}

// frameSink receives decoded frames and the end of the body.
type frameSink interface {
	// onFrame applies a frame; settled reports a terminal event.
	onFrame(f *frame) (settled bool)
	// streamDone ends the call: at the first Read after a terminal event
	// (terminal), or when the body is closed.
	streamDone(terminal bool)
	// readEnded notes that a Read of the body failed or met its end: the
	// SDK's reader has stopped, and it closes the body next.
	readEnded()
}

// frame is one decoded event-stream message. Its strings and byte slices
// view the frame's bytes: they are only valid during onFrame.
type frame struct {
	messageType   string // event | exception | error
	eventType     string
	exceptionType string
	errorCode     string
	errorMessage  string
	payload       []byte
}

func newFrameTee(rc io.ReadCloser, st frameSink) *frameTee {
	return &frameTee{rc: rc, st: st}
}

// Read reads from the body and observes what was read. The bytes reach the
// caller unchanged and at once.
func (t *frameTee) Read(p []byte) (int, error) {
	if t.settled {
		t.settled = false
		t.st.streamDone(true) // the SDK accepted the terminal event
	}
	n, err := t.rc.Read(p)
	if err != nil && n == 0 {
		// (With bytes, the SDK's reader has events yet to hand over.)
		t.st.readEnded()
	}
	if n > 0 && !t.broken {
		// The SDK's decoder reads a frame in many small reads (its prelude
		// fields, each header, the payload, the CRC): bytes that continue
		// a partial frame without completing it are only appended: those
		// that do not complete its 4-byte length, and those that do not
		// complete a frame whose length t.buf holds (validated when its 4
		// bytes arrived).
		if l := len(t.buf); t.skip == 0 && (l+n < 4 || l >= 4 && l+n < int(binary.BigEndian.Uint32(t.buf))) {
			t.buf = append(t.buf, p[:n]...)
		} else {
			t.observe(p[:n])
		}
	}
	return n, err
}

// Close ends the span if nothing else did, and closes the body. The span
// is settled first: the SDK's reader closes the body once it has stopped,
// with its outcome recorded, and a slow Close must not leave room for a
// cancellation of the caller's context to take that outcome's place.
func (t *frameTee) Close() error {
	t.st.streamDone(false)
	return t.rc.Close()
}

func (t *frameTee) observe(b []byte) {
	defer func() {
		if r := recover(); r != nil {
			t.broken = true
			t.buf = nil
			otel.Handle(fmt.Errorf("bedrocktrace: recovered from a panic in tracing: %v", r))
		}
	}()
	t.feed(b)
}

// feed splits b into frames, carrying a partial frame over to the next call.
// Complete frames inside b are decoded in place, without a copy.
func (t *frameTee) feed(b []byte) {
	for len(b) > 0 && !t.broken {
		if t.skip > 0 {
			k := min(t.skip, len(b))
			t.skip -= k
			b = b[k:]
			continue
		}
		if len(t.buf) > 0 {
			if len(t.buf) < 4 {
				k := min(4-len(t.buf), len(b))
				t.buf = append(t.buf, b[:k]...)
				b = b[k:]
				if len(t.buf) < 4 {
					return
				}
				total := int(binary.BigEndian.Uint32(t.buf))
				if !t.checkTotal(total, len(t.buf)) {
					t.buf = t.buf[:0]
					continue
				}
			}
			total := int(binary.BigEndian.Uint32(t.buf))
			k := min(total-len(t.buf), len(b))
			t.buf = append(t.buf, b[:k]...)
			b = b[k:]
			if len(t.buf) == total {
				t.frame(t.buf)
				t.buf = t.buf[:0]
			}
			continue
		}
		if len(b) < 4 {
			t.buf = append(t.buf, b...)
			return
		}
		total := int(binary.BigEndian.Uint32(b))
		if !t.checkTotal(total, 0) {
			continue
		}
		if len(b) >= total {
			t.frame(b[:total])
			b = b[total:]
			continue
		}
		t.buf = append(t.buf, b...)
		return
	}
}

// checkTotal validates a frame length; have is how many of its bytes were
// already consumed. An oversized frame is skipped, a nonsensical one stops
// observation.
func (t *frameTee) checkTotal(total, have int) bool {
	if total < minFrame {
		t.broken = true
		t.malformed()
		return false
	}
	if total > maxObservedFrame {
		t.skip = total - have
		return false
	}
	return true
}

// frame parses one complete frame and hands it to the sink. The layout is
// the AWS event-stream encoding: total length (4), headers length (4),
// prelude CRC (4), headers, payload, message CRC (4). It is parsed in place
// without allocating (the SDK's aws/protocol/eventstream decoder allocates
// ~25 times per frame); FuzzFrameTee checks it against that decoder. A frame
// whose CRC does not match is not applied: the SDK rejects it too, and fails
// the stream there (malformed).
func (t *frameTee) frame(b []byte) {
	t.f = frame{}
	if !parseFrame(b, &t.f) {
		t.malformed()
		return
	}
	if t.st.onFrame(&t.f) {
		t.settled = true
	}
}

// malformed settles the call as failed on a frame the SDK's decoder rejects
// (a CRC mismatch, an impossible length or header): the SDK ends the stream
// there with an error, which the caller gets from the stream's Err.
func (t *frameTee) malformed() {
	t.f = frame{messageType: "error", errorCode: "EventStreamError", errorMessage: "malformed event-stream frame"}
	if t.st.onFrame(&t.f) {
		t.settled = true
	}
}

// parseFrame fills f from the complete frame b; false for a malformed frame.
func parseFrame(b []byte, f *frame) bool {
	if len(b) < minFrame {
		return false
	}
	total := int(binary.BigEndian.Uint32(b[0:4]))
	hlen := int(binary.BigEndian.Uint32(b[4:8]))
	if total != len(b) || hlen < 0 || hlen > total-minFrame {
		return false
	}
	if crc32.ChecksumIEEE(b[:8]) != binary.BigEndian.Uint32(b[8:12]) ||
		crc32.ChecksumIEEE(b[:total-4]) != binary.BigEndian.Uint32(b[total-4:]) {
		return false
	}
	h := b[12 : 12+hlen]
	for len(h) > 0 {
		nlen := int(h[0])
		if len(h) < 1+nlen+1 { // (an empty name is read, as the SDK reads it)
			return false
		}
		name := h[1 : 1+nlen]
		typ := h[1+nlen]
		h = h[2+nlen:]
		var size int
		switch typ {
		case 0, 1: // bool true / false
			size = 0
		case 2: // byte
			size = 1
		case 3: // int16
			size = 2
		case 4: // int32
			size = 4
		case 5, 8: // int64, timestamp
			size = 8
		case 9: // uuid
			size = 16
		case 6, 7: // bytes, string
			if len(h) < 2 {
				return false
			}
			n := int(binary.BigEndian.Uint16(h))
			if len(h) < 2+n {
				return false
			}
			if typ == 7 {
				setHeader(f, name, h[2:2+n])
			}
			h = h[2+n:]
			continue
		default:
			return false
		}
		if len(h) < size {
			return false
		}
		h = h[size:]
	}
	f.payload = b[12+hlen : total-4]
	return true
}

// setHeader keeps the string headers the tracer needs. The strings view the
// frame's bytes: they are only valid during onFrame.
func setHeader(f *frame, name, value []byte) {
	switch string(name) {
	case ":message-type":
		f.messageType = bstr(value)
	case ":event-type":
		f.eventType = bstr(value)
	case ":exception-type":
		f.exceptionType = bstr(value)
	case ":error-code":
		f.errorCode = bstr(value)
	case ":error-message":
		f.errorMessage = bstr(value)
	}
}

// bstr views b as a string without a copy; the string is only valid while b
// is not modified, so anything kept must be cloned.
func bstr(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// onFrame applies one frame to the call. It runs on the SDK's stream goroutine.
func (st *callState) onFrame(f *frame) (settled bool) {
	defer st.guardEnd()
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.ended || st.call.Err != nil {
		return false
	}
	switch f.messageType {
	case "exception":
		et := f.exceptionType
		if et == "" {
			et = f.eventType
		}
		st.call.Err = &genai.Error{Type: exceptionCode(et), Message: gjson.GetBytes(f.payload, "message").String()}
		st.sdkStops = true
		return false
	case "error":
		code := strings.Clone(f.errorCode)
		if code == "" {
			code = "EventStreamError"
		}
		st.call.Err = &genai.Error{Type: code, Message: strings.Clone(f.errorMessage)}
		st.sdkStops = true
		return false
	case "event":
		if f.eventType != "" {
			break
		}
		fallthrough
	default:
		// The SDK fails the stream on a message of another type (or of
		// none), and on an event without a type: nothing of it is the
		// caller's.
		st.call.Err = &genai.Error{Type: "EventStreamError", Message: "event-stream message the SDK rejects"}
		st.sdkStops = true
		return false
	}
	js := bstr(f.payload)
	done := false
	switch st.op {
	case opConverseStream:
		var content bool
		done, content = converseStreamEvent(&st.acc, f.eventType, js, st.capture)
		if content {
			st.markFirstChunk()
		}
	case opInvokeStream:
		if f.eventType != "chunk" {
			return
		}
		chunk, ok := st.chunkBytes(js)
		if !ok {
			return
		}
		st.markFirstChunk()
		done = invokeStreamChunk(st.fam, &st.acc, bstr(chunk), st.capture)
	case opRAGStream:
		if ragStreamEvent(&st.acc, f.eventType, js, st.capture) {
			st.markFirstChunk()
		}
	case opAgenticStream:
		if agenticKnownEvent(f.eventType) && !gjson.Valid(js) {
			// The SDK fails the stream on it.
			st.call.Err = &genai.Error{Type: "EventStreamError", Message: "event payload the SDK rejects"}
			st.sdkStops = true
			return false
		}
		if agenticStreamEvent(&st.acc, f.eventType, js, st.call.Operation == genai.OpChat, st.capture) {
			st.markFirstChunk()
		}
	case opFlow:
		var content bool
		done, content = flowStreamEvent(&st.acc, f.eventType, js, st.capture)
		if content {
			st.markFirstChunk()
		}
	case opAgent:
		switch f.eventType {
		case "chunk":
			chunk, ok := st.chunkBytes(js)
			if !ok {
				return
			}
			st.markFirstChunk()
			st.agent.chunk(chunk, st.capture)
		case "trace":
			st.agent.trace(js, st.capture)
		}
	}
	if done {
		st.sawTerminal = true
	}
	return done
}

// chunkBytes base64-decodes the "bytes" member of a chunk payload into a
// reused buffer.
func (st *callState) chunkBytes(js string) ([]byte, bool) {
	v := gjson.Get(js, "bytes")
	if v.Type != gjson.String {
		return nil, false
	}
	src := v.Str
	if v.Raw != "" && len(v.Raw) == len(src)+2 {
		src = v.Raw[1 : len(v.Raw)-1] // base64 has no escapes: avoid gjson's unescape copy
	}
	n := base64.StdEncoding.DecodedLen(len(src))
	if cap(st.chunkBuf) < n {
		st.chunkBuf = make([]byte, n)
	}
	k, err := base64.StdEncoding.Decode(st.chunkBuf[:n], unsafe.Slice(unsafe.StringData(src), len(src)))
	if err != nil {
		return nil, false
	}
	return st.chunkBuf[:k], true
}

// exceptionCode turns an event-stream exception type (throttlingException)
// into the SDK's error code (ThrottlingException).
func exceptionCode(s string) string {
	if s == "" {
		return "EventStreamError"
	}
	if c := s[0]; c >= 'a' && c <= 'z' {
		return strings.ToUpper(s[:1]) + s[1:]
	}
	return strings.Clone(s)
}
