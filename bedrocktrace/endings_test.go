package bedrocktrace

// For every way a Bedrock event stream can end, the span must say what
// the caller saw (Err() / the operation's error), record only what the caller
// received, and end once, without leaking goroutines. Each test drives the
// real SDK client against an httptest server and compares the span with the
// caller's view.

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"github.com/tracekit-go/tracekit/internal/readfault"
	"hash/crc32"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentruntime"
	agtypes "github.com/aws/aws-sdk-go-v2/service/bedrockagentruntime/types"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/aws/smithy-go"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// callerView is what the caller of a stream saw.
type callerView struct {
	text   string // the text it received
	events int
	err    error // the stream's Err() (or the operation's error)
}

// frameWith encodes a frame with exactly the given string headers.
func frameWith(tb testing.TB, headers [][2]string, payload []byte) []byte {
	tb.Helper()
	var m eventstream.Message
	for _, h := range headers {
		m.Headers.Set(h[0], eventstream.StringValue(h[1]))
	}
	m.Payload = payload
	var buf bytes.Buffer
	if err := eventstream.NewEncoder().Encode(&buf, m); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// rawFrame builds a frame from its parts with valid CRCs for whatever total
// and headers length it claims.
func rawFrame(total, hlen uint32, rest []byte) []byte {
	b := make([]byte, 12, 12+len(rest)+4)
	binary.BigEndian.PutUint32(b[0:], total)
	binary.BigEndian.PutUint32(b[4:], hlen)
	binary.BigEndian.PutUint32(b[8:], crc32.ChecksumIEEE(b[:8]))
	b = append(b, rest...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b))
}

func runConverseView(t *testing.T, e *env, url string, ctx context.Context, stopAfter int) (callerView, *bedrockruntime.ConverseStreamOutput) {
	t.Helper()
	out, err := e.runtime(url, true).ConverseStream(ctx, streamInput())
	if err != nil {
		return callerView{err: err}, nil
	}
	var v callerView
	for ev := range out.GetStream().Events() {
		v.events++
		if d, ok := ev.(*types.ConverseStreamOutputMemberContentBlockDelta); ok {
			if tx, ok := d.Value.Delta.(*types.ContentBlockDeltaMemberText); ok {
				v.text += tx.Value
			}
		}
		if stopAfter > 0 && v.events == stopAfter {
			break
		}
	}
	v.err = out.GetStream().Err()
	return v, out
}

// spanFor waits for the single span to end.
func spanFor(t *testing.T, e *env) sdktrace.ReadOnlySpan {
	t.Helper()
	for deadline := time.Now().Add(3 * time.Second); len(e.spans()) == 0 && time.Now().Before(deadline); {
		time.Sleep(2 * time.Millisecond)
	}
	return e.oneSpan()
}

// compare checks the span against the caller's view: outcome, error.type
// (the API error code when the caller got an API error) and the completion,
// which may hold only what the caller received (a prefix of its text; an
// error span records none). A completion shorter than what the caller
// received is logged (under-recording), not failed.
func compare(t *testing.T, s sdktrace.ReadOnlySpan, v callerView, completionKey string) {
	t.Helper()
	a := attrsOf(s)
	failed := s.Status().Code == codes.Error
	errs := "<nil>"
	if v.err != nil {
		errs = short(v.err.Error())
	}
	t.Logf("caller: err=%s text=%s events=%d | span: status=%v %s error.type=%q completion=%s",
		errs, short(v.text), v.events, s.Status().Code, short(s.Status().Description), a["error.type"].AsString(), short(a[completionKey].AsString()))
	if (v.err != nil) != failed {
		t.Errorf("MISMATCH outcome: caller err %s, span status %v (error.type %q)", errs, s.Status().Code, a["error.type"].AsString())
	}
	var api smithy.APIError
	if failed && v.err != nil && errors.As(v.err, &api) && a["error.type"].AsString() != api.ErrorCode() {
		t.Errorf("MISMATCH error.type: span %q, caller's ErrorCode %q", a["error.type"].AsString(), api.ErrorCode())
	}
	if completionKey != "" {
		got := a[completionKey].AsString()
		switch {
		case !strings.HasPrefix(v.text, got):
			t.Errorf("MISMATCH completion: span %s holds what the caller never received (caller: %s)", short(got), short(v.text))
		case got != v.text && !failed:
			t.Logf("note: completion %s shorter than what the caller received (%s)", short(got), short(v.text))
		}
	}
}

func short(s string) string {
	if len(s) > 120 {
		return strconv.Quote(s[:60]) + "..(" + strconv.Itoa(len(s)) + " bytes)"
	}
	return strconv.Quote(s)
}

var (
	fStart = func(t testing.TB) []byte { return event(t, "messageStart", `{"role":"assistant"}`) }
	fDelta = func(t testing.TB, s string) []byte {
		return event(t, "contentBlockDelta", `{"contentBlockIndex":0,"delta":{"text":"`+s+`"}}`)
	}
	fStop = func(t testing.TB) []byte { return event(t, "messageStop", `{"stopReason":"end_turn"}`) }
	fMeta = func(t testing.TB) []byte {
		return event(t, "metadata", `{"usage":{"inputTokens":9,"outputTokens":4,"totalTokens":13}}`)
	}
)

// TestConverseStreamEndings: ConverseStream endings driven by frames.
func TestConverseStreamEndings(t *testing.T) {
	cases := []struct {
		name   string
		frames func(t testing.TB) [][]byte
	}{
		{"clean", func(t testing.TB) [][]byte { return [][]byte{fStart(t), fDelta(t, "Hi"), fStop(t), fMeta(t)} }},
		{"eof_before_terminal", func(t testing.TB) [][]byte { return [][]byte{fStart(t), fDelta(t, "Hi")} }},
		{"delta_payload_bad_type", func(t testing.TB) [][]byte {
			return [][]byte{fStart(t), fDelta(t, "Hi"), event(t, "contentBlockDelta", `{"contentBlockIndex":"zero","delta":{"text":"lost"}}`), fStop(t), fMeta(t)}
		}},
		{"delta_payload_truncated_json", func(t testing.TB) [][]byte {
			return [][]byte{fStart(t), fDelta(t, "Hi"), event(t, "contentBlockDelta", `{"contentBlockIndex":0,"delta":{"text":"lost"}`), fStop(t), fMeta(t)}
		}},
		{"metadata_payload_bad_type", func(t testing.TB) [][]byte {
			return [][]byte{fStart(t), fDelta(t, "Hi"), fStop(t), event(t, "metadata", `{"usage":{"inputTokens":"nine","outputTokens":4,"totalTokens":13}}`)}
		}},
		{"unknown_event_type", func(t testing.TB) [][]byte {
			return [][]byte{fStart(t), fDelta(t, "Hi"), event(t, "futureEvent", `{"x":1}`), fStop(t), fMeta(t)}
		}},
		{"missing_message_type", func(t testing.TB) [][]byte {
			return [][]byte{fStart(t), fDelta(t, "Hi"),
				frameWith(t, [][2]string{{":event-type", "contentBlockDelta"}, {":content-type", "application/json"}}, []byte(`{"contentBlockIndex":0,"delta":{"text":"lost"}}`)),
				fStop(t), fMeta(t)}
		}},
		{"unknown_message_type", func(t testing.TB) [][]byte {
			return [][]byte{fStart(t), fDelta(t, "Hi"),
				frameWith(t, [][2]string{{":message-type", "weird"}, {":event-type", "contentBlockDelta"}}, []byte(`{"contentBlockIndex":0,"delta":{"text":"lost"}}`)),
				fStop(t), fMeta(t)}
		}},
		{"missing_event_type", func(t testing.TB) [][]byte {
			return [][]byte{fStart(t), fDelta(t, "Hi"),
				frameWith(t, [][2]string{{":message-type", "event"}}, []byte(`{"stopReason":"end_turn"}`)),
				fStop(t), fMeta(t)}
		}},
		{"exception_known", func(t testing.TB) [][]byte {
			return [][]byte{fStart(t), fDelta(t, "Hi"), exception(t, "throttlingException", "slow down")}
		}},
		{"exception_unknown_type", func(t testing.TB) [][]byte {
			return [][]byte{fStart(t), fDelta(t, "Hi"), exception(t, "quotaBlownException", "nope")}
		}},
		{"exception_bad_payload", func(t testing.TB) [][]byte {
			return [][]byte{fStart(t), fDelta(t, "Hi"), encodeFrame(t, "exception", "throttlingException", []byte(`{"message":`))}
		}},
		{"exception_no_type_header", func(t testing.TB) [][]byte {
			return [][]byte{fStart(t), fDelta(t, "Hi"), frameWith(t, [][2]string{{":message-type", "exception"}}, []byte(`{"message":"x"}`))}
		}},
		{"error_frame", func(t testing.TB) [][]byte {
			return [][]byte{fStart(t), fDelta(t, "Hi"), frameWith(t, [][2]string{{":message-type", "error"}, {":error-code", "InternalFailure"}, {":error-message", "boom"}}, nil)}
		}},
		{"error_frame_no_code", func(t testing.TB) [][]byte {
			return [][]byte{fStart(t), fDelta(t, "Hi"), frameWith(t, [][2]string{{":message-type", "error"}}, nil)}
		}},
		{"bad_message_crc", func(t testing.TB) [][]byte {
			bad := fDelta(t, "lost")
			bad[len(bad)-6] ^= 0xff
			return [][]byte{fStart(t), fDelta(t, "Hi"), bad, fStop(t), fMeta(t)}
		}},
		{"bad_prelude_crc", func(t testing.TB) [][]byte {
			bad := fDelta(t, "lost")
			bad[9] ^= 0xff
			return [][]byte{fStart(t), fDelta(t, "Hi"), bad, fStop(t), fMeta(t)}
		}},
		{"zero_length_frame", func(t testing.TB) [][]byte {
			return [][]byte{fStart(t), fDelta(t, "Hi"), rawFrame(0, 0, nil)}
		}},
		{"length_below_minimum", func(t testing.TB) [][]byte {
			// total 12 < 16 with a valid prelude CRC: the SDK's payload length
			// underflows, it reads the rest of the body as payload and ends at EOF.
			return [][]byte{fStart(t), fDelta(t, "Hi"), rawFrame(12, 0, nil), fStop(t), fMeta(t)}
		}},
		{"headers_longer_than_frame", func(t testing.TB) [][]byte {
			return [][]byte{fStart(t), fDelta(t, "Hi"), rawFrame(20, 100, nil), fStop(t), fMeta(t)}
		}},
		{"header_value_runs_past_headers", func(t testing.TB) [][]byte {
			// A string header claiming 200 bytes in a 20-byte headers section.
			h := append([]byte{13}, ":message-type"...)
			h = append(h, 7, 0, 200, 'e', 'v', 'e')
			return [][]byte{fStart(t), fDelta(t, "Hi"), rawFrame(uint32(16+len(h)), uint32(len(h)), h), fStop(t), fMeta(t)}
		}},
		{"header_unknown_value_type", func(t testing.TB) [][]byte {
			h := append([]byte{1}, 'x', 42)
			return [][]byte{fStart(t), fDelta(t, "Hi"), rawFrame(uint32(16+len(h)), uint32(len(h)), h), fStop(t), fMeta(t)}
		}},
		{"truncated_mid_frame_clean_close", func(t testing.TB) [][]byte {
			d := fDelta(t, "lost")
			return [][]byte{fStart(t), fDelta(t, "Hi"), d[:len(d)-5]}
		}},
		{"huge_delta_2MiB", func(t testing.TB) [][]byte {
			return [][]byte{fStart(t), fDelta(t, "Hi"), fDelta(t, strings.Repeat("z", 2<<20)), fStop(t), fMeta(t)}
		}},
		{"huge_exception_2MiB", func(t testing.TB) [][]byte {
			return [][]byte{fStart(t), fDelta(t, "Hi"), exception(t, "throttlingException", strings.Repeat("z", 2<<20))}
		}},
		{"huge_frame_bad_crc", func(t testing.TB) [][]byte {
			bad := fDelta(t, strings.Repeat("z", 2<<20))
			bad[len(bad)-6] ^= 0xff
			return [][]byte{fStart(t), fDelta(t, "Hi"), bad, fStop(t), fMeta(t)}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			f := newFake(t, reply{frames: tc.frames(t)})
			v, out := runConverseView(t, e, f.URL, context.Background(), 0)
			if out != nil {
				_ = out.GetStream().Close()
			}
			compare(t, spanFor(t, e), v, "gen_ai.completion.0.content")
			e.leakCheck(t, f)
		})
	}
}

// hijackFake writes the frames, then drops the connection in the middle of a
// chunked body: the transport reports io.ErrUnexpectedEOF.
func hijackFake(t *testing.T, frames [][]byte) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body)
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		defer conn.Close()
		_, _ = buf.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/vnd.amazon.eventstream\r\nTransfer-Encoding: chunked\r\n\r\n")
		for _, fr := range frames {
			_, _ = buf.WriteString(strings.ToLower(strings.TrimLeft(hex32(len(fr)), "0")) + "\r\n")
			_, _ = buf.Write(fr)
			_, _ = buf.WriteString("\r\n")
		}
		_ = buf.Flush() // no terminating chunk: the connection just closes
	}))
	t.Cleanup(srv.Close)
	return srv
}

func hex32(n int) string {
	const digits = "0123456789abcdef"
	var b [8]byte
	for i := 7; i >= 0; i-- {
		b[i] = digits[n&15]
		n >>= 4
	}
	return string(b[:])
}

// TestConverseStreamConnectionDroppedEndings: the connection drops before the
// terminal event. The SDK treats io.ErrUnexpectedEOF as the end of the stream.
func TestConverseStreamConnectionDroppedEndings(t *testing.T) {
	for _, tc := range []struct {
		name   string
		frames func(t testing.TB) [][]byte
	}{
		{"between_frames", func(t testing.TB) [][]byte { return [][]byte{fStart(t), fDelta(t, "Hi")} }},
		{"mid_frame", func(t testing.TB) [][]byte {
			d := fDelta(t, "lost")
			return [][]byte{fStart(t), fDelta(t, "Hi"), d[:len(d)-5]}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			srv := hijackFake(t, tc.frames(t))
			v, out := runConverseView(t, e, srv.URL, context.Background(), 0)
			if out != nil {
				_ = out.GetStream().Close()
			}
			compare(t, spanFor(t, e), v, "gen_ai.completion.0.content")
			srv.Close()
			e.http.CloseIdleConnections()
		})
	}
}

// TestConverseStreamReadErrorAfterTerminalEndings: a connection error (not an
// EOF) right after the terminal metadata event. The SDK's next decode gets the
// error and the caller's Err() reports it.
func TestConverseStreamReadErrorAfterTerminalEndings(t *testing.T) {
	reset := errors.New("read tcp: connection reset by peer")
	for _, sameRead := range []bool{false, true} {
		name := "next_read"
		if sameRead {
			name = "same_read"
		}
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			f := newFake(t, reply{frames: [][]byte{fStart(t), fDelta(t, "Hi"), fStop(t), fMeta(t)}})
			inner := e.http.Transport
			e.http = &http.Client{Transport: readfault.Transport{RT: inner, Err: reset, NextRead: !sameRead}}
			v, out := runConverseView(t, e, f.URL, context.Background(), 0)
			if out != nil {
				_ = out.GetStream().Close()
			}
			if v.err == nil || v.text != "Hi" {
				t.Fatalf("premise: the caller got %q and the error %v", v.text, v.err)
			}
			// By design (as llm-tracekit's), the call is complete at its
			// terminal event, which the caller got: the span ends at the
			// SDK's next read and does not wait for the connection, nor
			// take its later failure for the call's.
			v.err = nil
			compare(t, spanFor(t, e), v, "gen_ai.completion.0.content")
			e.leakCheck(t, f)
		})
	}
}

// TestConverseStreamReadErrorMidStreamEndings: a connection error before the
// terminal event: both must fail.
func TestConverseStreamReadErrorMidStreamEndings(t *testing.T) {
	reset := errors.New("read tcp: connection reset by peer")
	e := newEnv(t)
	frames := [][]byte{fStart(t), fDelta(t, "Hi"), fStop(t), fMeta(t)}
	f := newFake(t, reply{frames: frames})
	e.http = &http.Client{Transport: readfault.Transport{RT: e.http.Transport, Err: reset, Cut: len(frames[0]) + len(frames[1])}}
	v, out := runConverseView(t, e, f.URL, context.Background(), 0)
	if out != nil {
		_ = out.GetStream().Close()
	}
	compare(t, spanFor(t, e), v, "gen_ai.completion.0.content")
	e.leakCheck(t, f)
}

// TestConverseStreamCloseMidStreamEndings: the caller takes two events and
// closes the stream. The span ends once, not as an error, and records what
// arrived before the Close: what the caller took, and what the SDK's reader
// goroutines had already read ahead (documented in the README).
func TestConverseStreamCloseMidStreamEndings(t *testing.T) {
	e := newEnv(t)
	f := newFake(t, reply{frames: [][]byte{fStart(t), fDelta(t, "A"), fDelta(t, "B"), fDelta(t, "C"), fDelta(t, "D")}, hang: true})
	v, out := runConverseView(t, e, f.URL, context.Background(), 2)
	time.Sleep(200 * time.Millisecond) // the SDK's goroutines read ahead
	_ = out.GetStream().Close()
	if err := out.GetStream().Err(); err != nil {
		t.Fatalf("caller: %v", err)
	}
	s := spanFor(t, e)
	got := attrsOf(s)["gen_ai.completion.0.content"].AsString()
	if s.Status().Code == codes.Error || !strings.HasPrefix(got, v.text) || !strings.HasPrefix("ABCD", got) {
		t.Fatalf("caller took %q; span status %v, completion %q", v.text, s.Status(), got)
	}
	e.leakCheck(t, f)
}

// TestConverseStreamCancelMidStreamEndings: the caller's context is cancelled
// mid-stream, after it took two events.
func TestConverseStreamCancelMidStreamEndings(t *testing.T) {
	e := newEnv(t)
	f := newFake(t, reply{frames: [][]byte{fStart(t), fDelta(t, "A"), fDelta(t, "B"), fDelta(t, "C")}, hang: true})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out, err := e.runtime(f.URL, true).ConverseStream(ctx, streamInput())
	if err != nil {
		t.Fatal(err)
	}
	var v callerView
	for ev := range out.GetStream().Events() {
		v.events++
		if d, ok := ev.(*types.ConverseStreamOutputMemberContentBlockDelta); ok {
			v.text += d.Value.Delta.(*types.ContentBlockDeltaMemberText).Value
		}
		if v.events == 2 {
			time.Sleep(100 * time.Millisecond)
			cancel()
		}
	}
	v.err = out.GetStream().Err()
	_ = out.GetStream().Close()
	compare(t, spanFor(t, e), v, "gen_ai.completion.0.content")
	e.leakCheck(t, f)
}

// ---- InvokeModelWithResponseStream

func claudeChunkB64(s string) string {
	return base64.StdEncoding.EncodeToString([]byte(s))
}

func TestInvokeStreamChunksEndings(t *testing.T) {
	msgStart := `{"type":"message_start","message":{"id":"msg_1","model":"claude-x","role":"assistant","usage":{"input_tokens":5}}}`
	delta := func(s string) string {
		return `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"` + s + `"}}`
	}
	stop := `{"type":"message_stop","amazon-bedrock-invocationMetrics":{"inputTokenCount":5,"outputTokenCount":2}}`
	raw := func(t testing.TB, payload string) []byte { return encodeFrame(t, "event", "chunk", []byte(payload)) }
	cases := []struct {
		name   string
		frames func(t testing.TB) [][]byte
	}{
		{"clean", func(t testing.TB) [][]byte {
			return [][]byte{chunk(t, msgStart), chunk(t, delta("Hi")), chunk(t, stop)}
		}},
		{"chunk_bad_base64", func(t testing.TB) [][]byte {
			return [][]byte{chunk(t, msgStart), chunk(t, delta("Hi")), raw(t, `{"bytes":"!!!not base64!!!"}`), chunk(t, stop)}
		}},
		{"chunk_bytes_not_string", func(t testing.TB) [][]byte {
			return [][]byte{chunk(t, msgStart), chunk(t, delta("Hi")), raw(t, `{"bytes":42}`), chunk(t, stop)}
		}},
		{"chunk_payload_not_json", func(t testing.TB) [][]byte {
			return [][]byte{chunk(t, msgStart), chunk(t, delta("Hi")), raw(t, `{"bytes":"`+claudeChunkB64(delta("lost"))+`"`), chunk(t, stop)}
		}},
		{"terminal_chunk_rejected", func(t testing.TB) [][]byte {
			// message_stop in a chunk whose payload the SDK rejects (trailing garbage after the object)
			return [][]byte{chunk(t, msgStart), chunk(t, delta("Hi")), raw(t, `{"bytes":"`+claudeChunkB64(stop)+`","bytes":7}`)}
		}},
		{"chunk_valid_b64_not_json_for_family", func(t testing.TB) [][]byte {
			return [][]byte{chunk(t, msgStart), chunk(t, delta("Hi")), chunk(t, "\x00garbage{{"), chunk(t, stop)}
		}},
		{"chunk_valid_b64_wrong_family_shape", func(t testing.TB) [][]byte {
			return [][]byte{chunk(t, msgStart), chunk(t, delta("Hi")), chunk(t, `{"generation":"llama text","stop_reason":"stop"}`), chunk(t, stop)}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			f := newFake(t, reply{frames: tc.frames(t)})
			out, err := e.runtime(f.URL, true).InvokeModelWithResponseStream(context.Background(), &bedrockruntime.InvokeModelWithResponseStreamInput{
				ModelId: aws.String("anthropic.claude-3-haiku-20240307-v1:0"),
				Body:    []byte(`{"anthropic_version":"bedrock-2023-05-31","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}`),
			})
			if err != nil {
				t.Fatal(err)
			}
			var v callerView
			for ev := range out.GetStream().Events() {
				v.events++
				if c, ok := ev.(*types.ResponseStreamMemberChunk); ok {
					if d := gjsonText(c.Value.Bytes); d != "" {
						v.text += d
					}
				}
			}
			v.err = out.GetStream().Err()
			_ = out.GetStream().Close()
			compare(t, spanFor(t, e), v, "gen_ai.completion.0.content")
			e.leakCheck(t, f)
		})
	}
}

// gjsonText is the text of a Claude content_block_delta chunk.
func gjsonText(b []byte) string {
	s := string(b)
	if !strings.Contains(s, `"content_block_delta"`) {
		return ""
	}
	i := strings.Index(s, `"text":"`)
	if i < 0 {
		return ""
	}
	s = s[i+len(`"text":"`):]
	return s[:strings.IndexByte(s, '"')]
}

// ---- InvokeAgent

func TestInvokeAgentEventsEndings(t *testing.T) {
	raw := func(t testing.TB, typ, payload string) []byte { return encodeFrame(t, "event", typ, []byte(payload)) }
	goodTrace := func(t testing.TB) []byte {
		return agentTrace(t, "orchestrationTrace", modelOutput(200, 20, "end_turn"))
	}
	cases := []struct {
		name   string
		frames func(t testing.TB) [][]byte
	}{
		{"clean", func(t testing.TB) [][]byte { return [][]byte{goodTrace(t), chunk(t, "It is "), chunk(t, "sunny.")} }},
		{"chunk_bad_base64", func(t testing.TB) [][]byte {
			return [][]byte{goodTrace(t), chunk(t, "It is "), raw(t, "chunk", `{"bytes":"!!!"}`), chunk(t, "sunny.")}
		}},
		{"chunk_not_json", func(t testing.TB) [][]byte {
			return [][]byte{goodTrace(t), chunk(t, "It is "), raw(t, "chunk", `{"bytes":"`+claudeChunkB64("lost")+`"`), chunk(t, "sunny.")}
		}},
		{"trace_not_json", func(t testing.TB) [][]byte {
			return [][]byte{goodTrace(t), chunk(t, "It is "), raw(t, "trace", `{"trace":{"orchestrationTrace":{"modelInvocationOutput":{"metadata":{"usage":{"inputTokens":7`), chunk(t, "sunny.")}
		}},
		{"trace_bad_type", func(t testing.TB) [][]byte {
			return [][]byte{goodTrace(t), chunk(t, "It is "),
				raw(t, "trace", `{"trace":{"orchestrationTrace":{"modelInvocationOutput":{"metadata":{"usage":{"inputTokens":"many","outputTokens":3}}}}}}`),
				chunk(t, "sunny.")}
		}},
		{"trace_unknown_member", func(t testing.TB) [][]byte {
			return [][]byte{goodTrace(t), chunk(t, "It is "), raw(t, "trace", `{"trace":{"futureTrace":{"x":1}}}`), chunk(t, "sunny.")}
		}},
		{"exception", func(t testing.TB) [][]byte {
			return [][]byte{goodTrace(t), chunk(t, "It is "), exception(t, "throttlingException", "slow down")}
		}},
		{"unknown_event_type", func(t testing.TB) [][]byte {
			return [][]byte{goodTrace(t), chunk(t, "It is "), raw(t, "futureEvent", `{}`), chunk(t, "sunny.")}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			f := newFake(t, reply{frames: tc.frames(t)})
			v, stream := runAgentView(t, e, f.URL, context.Background())
			_ = stream.Close()
			s := spanFor(t, e)
			compare(t, s, v, "gen_ai.completion.0.content")
			a := attrsOf(s)
			t.Logf("span usage in=%v out=%v", a["gen_ai.usage.input_tokens"].AsInt64(), a["gen_ai.usage.output_tokens"].AsInt64())
			e.leakCheck(t, f)
		})
	}
}

// TestConverseStreamTerminalThenCancelEndings: the caller takes every event
// (metadata last), the server keeps the connection open, and the caller's
// context is then cancelled before Close. The SDK's reader, waiting for the
// next frame, fails with the cancellation, which the caller's Err() reports.
func TestConverseStreamTerminalThenCancelEndings(t *testing.T) {
	e := newEnv(t)
	f := newFake(t, reply{frames: [][]byte{fStart(t), fDelta(t, "Hi"), fStop(t), fMeta(t)}, hang: true})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out, err := e.runtime(f.URL, true).ConverseStream(ctx, streamInput())
	if err != nil {
		t.Fatal(err)
	}
	v := callerView{}
	for i := 0; i < 4; i++ {
		ev := <-out.GetStream().Events()
		v.events++
		if d, ok := ev.(*types.ConverseStreamOutputMemberContentBlockDelta); ok {
			v.text += d.Value.Delta.(*types.ContentBlockDeltaMemberText).Value
		}
	}
	cancel()
	for range out.GetStream().Events() {
	}
	if out.GetStream().Err() == nil {
		t.Fatal("premise: the SDK reported no cancellation")
	}
	_ = out.GetStream().Close()
	// The call was complete at its terminal event (see
	// TestConverseStreamReadErrorAfterTerminalEndings).
	compare(t, spanFor(t, e), v, "gen_ai.completion.0.content")
	e.leakCheck(t, f)
}

// runAgentView makes an InvokeAgent call and drains its stream, as a caller
// would; it returns what the caller saw and the stream (not closed).
func runAgentView(t *testing.T, e *env, url string, ctx context.Context) (callerView, *bedrockagentruntime.InvokeAgentEventStream) {
	t.Helper()
	out, err := e.agents(url, true).InvokeAgent(ctx, &bedrockagentruntime.InvokeAgentInput{
		AgentId: aws.String("AGENT1"), AgentAliasId: aws.String("ALIAS1"), SessionId: aws.String("s-1"),
		InputText: aws.String("what is the weather?"), EnableTrace: aws.Bool(true),
	})
	if err != nil {
		t.Fatal(err)
	}
	var v callerView
	for ev := range out.GetStream().Events() {
		v.events++
		if c, ok := ev.(*agtypes.ResponseStreamMemberChunk); ok {
			v.text += string(c.Value.Bytes)
		}
	}
	v.err = out.GetStream().Err()
	return v, out.GetStream()
}
