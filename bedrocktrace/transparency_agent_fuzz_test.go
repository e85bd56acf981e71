package bedrocktrace

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentruntime"
	agtypes "github.com/aws/aws-sdk-go-v2/service/bedrockagentruntime/types"
	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// Caller modes of the agent fuzz: those of FuzzTransparency, plus a caller
// that reads every event, then cancels its context before Err and Close.
const (
	axReadAll = iota
	axClose
	axCancel
	axCancelAfter
	axModes
)

const axInputText = "what is the weather in Paris?"

// axMenu is the menu of InvokeAgent frames a fuzz input picks from.
func axMenu(tb testing.TB) [][]byte {
	errFrame := func(code, msg string) []byte {
		var m eventstream.Message
		m.Headers.Set(":message-type", eventstream.StringValue("error"))
		m.Headers.Set(":error-code", eventstream.StringValue(code))
		m.Headers.Set(":error-message", eventstream.StringValue(msg))
		var buf bytes.Buffer
		if err := eventstream.NewEncoder().Encode(&buf, m); err != nil {
			tb.Fatal(err)
		}
		return buf.Bytes()
	}
	raw := func(v any) []byte {
		b, err := json.Marshal(v)
		if err != nil {
			tb.Fatal(err)
		}
		return encodeFrame(tb, "event", "trace", b)
	}
	return [][]byte{
		0: chunk(tb, "It is "),
		1: chunk(tb, "sunny."),
		2: agentTrace(tb, "preProcessingTrace", modelInput(tb, map[string]string{"role": "user", "content": axInputText})),
		3: agentTrace(tb, "preProcessingTrace", modelOutput(100, 10, "end_turn")),
		4: agentTrace(tb, "orchestrationTrace", modelInput(tb,
			map[string]string{"role": "user", "content": "[{text=what is the weather?, type=text}]"},
			map[string]string{"role": "assistant", "content": "[{input={city=Paris}, name=get_weather, id=toolu_1, type=tool_use}]"},
			map[string]string{"role": "user", "content": "[{tool_use_id=toolu_1, type=tool_result, content=sunny}]"})),
		5: agentTrace(tb, "orchestrationTrace", modelOutput(300, 30, "tool_use")),
		6: agentTrace(tb, "orchestrationTrace", map[string]any{"rationale": map[string]any{"text": "thinking"}}),
		7: raw(map[string]any{"agentId": "A1", "sessionId": "s-1", "trace": map[string]any{
			"failureTrace": map[string]any{"failureReason": "the action group failed", "traceId": "t-1"}}}),
		8: raw(map[string]any{"agentId": "A1", "sessionId": "s-1", "trace": map[string]any{
			"guardrailTrace": map[string]any{"action": "INTERVENED", "traceId": "t-2",
				"inputAssessments": []any{map[string]any{"topicPolicy": map[string]any{"topics": []any{
					map[string]any{"name": "weather", "type": "DENY", "action": "BLOCKED"}}}}}}}}),
		9:  exception(tb, "throttlingException", "slow down"),
		10: exception(tb, "dependencyFailedException", "the lambda failed"),
		11: errFrame("InternalFailure", "stream broke"),
		12: event(tb, "futureEvent", `{"x":1}`),
		13: event(tb, "trace", `{"agentId":"A1","trace":{"orchestrationTrace":`),
		14: event(tb, "chunk", `{"bytes":"%%% not base64"}`),
		15: encodeFrame(tb, "weird", "chunk", []byte(`{"bytes":"SGk="}`)),
		16: agentTrace(tb, "postProcessingTrace", modelOutput(7, 3, "end_turn")),
	}
}

// axBuild decodes an agent scenario. It reuses the scripted transport of
// FuzzTransparency, whose scenario it fills as for a response stream (an
// event-stream Content-Type on a 200).
func axBuild(menu [][]byte, statuses []byte, bodyKind uint8, frames []byte, cut, flip uint16, raw []byte,
	readSize uint8, errAt uint16, errKind uint8, mode uint8, n uint8, slowClose bool) *txScenario {
	sc := &txScenario{op: txInvokeStream, readSize: int(readSize), errAt: -1, mode: int(mode) % axModes, pause: -1, slowClose: slowClose}
	if len(statuses) == 0 {
		statuses = []byte{0}
	}
	for _, s := range statuses {
		if len(sc.replies) == txMaxAttempts {
			break
		}
		st := txStatuses[int(s)%len(txStatuses)]
		sc.replies = append(sc.replies, txReply{status: st, errType: txErrorTypes[st]})
		if st == 200 {
			break
		}
	}
	for i := range sc.replies {
		rp := &sc.replies[i]
		if rp.status != 200 {
			rp.body = []byte(`{"message":"` + rp.errType + ` (agent fuzz)"}`)
			continue
		}
		rp.before = []int{0}
		for j, k := range frames {
			if j == txMaxFrames {
				break
			}
			rp.body = append(rp.body, menu[int(k)%len(menu)]...)
			rp.ends = append(rp.ends, len(rp.body))
			rp.before = append(rp.before, j+1)
		}
	}
	last := &sc.replies[len(sc.replies)-1]
	last.shaped = true
	streamBody := last.status == 200
	switch bodyKind % 3 {
	case 1:
		last.body = last.body[:int(cut)%(len(last.body)+1)]
	case 2:
		if len(raw) > txMaxRaw {
			raw = raw[:txMaxRaw]
		}
		last.body = bytes.Clone(raw)
		last.ends, last.before = nil, nil
		if streamBody {
			last.ends, last.before = txWalk(last.body)
		}
	}
	if flip > 0 && len(last.body) > 0 {
		last.body = bytes.Clone(last.body)
		last.body[(int(flip)-1)%len(last.body)] ^= 0xff
	}
	if errAt > 0 {
		sc.errAt = min(int(errAt)-1, len(last.body))
		sc.readErr = [...]error{io.ErrUnexpectedEOF, errTxReset, io.EOF}[int(errKind)%3]
	}
	switch {
	case sc.mode == axReadAll || sc.mode == axCancelAfter:
	case streamBody:
		p := len(last.body)
		if int(n) <= len(last.ends) {
			p = 0
			if n > 0 {
				p = last.ends[n-1]
			}
		}
		sc.pause = min(p, len(last.body))
	case sc.mode == axCancel:
		sc.pause = min(int(n), len(last.body)) // the error body cancels the call there
	default:
		sc.mode = axReadAll
	}
	for _, s := range []string{txAccessKey, txSecretKey, txSession, "AWS4-HMAC-SHA256", "Signature="} {
		in := false
		for _, rp := range sc.replies {
			in = in || bytes.Contains(rp.body, []byte(s))
		}
		if !in {
			sc.needles = append(sc.needles, s)
		}
	}
	return sc
}

// axConsume reads the agent's stream as the scenario's caller does (see
// txConsume), with the extra mode that cancels after the loop, before Err
// and Close.
func axConsume(t *testing.T, tr *txTransport, es txStream[agtypes.ResponseStream], cancel context.CancelFunc, res *txResult) {
	sc := tr.sc
	watchdog := time.NewTimer(txWatchdog)
	defer watchdog.Stop()
	events := es.Events()
	done := false
	take := func(ev agtypes.ResponseStream, ok bool) {
		if !ok {
			done = true
			return
		}
		res.events = append(res.events, txRender(ev))
		tr.took()
	}
	if sc.mode == axClose || sc.mode == axCancel {
		paused := tr.paused
		for !done && paused != nil {
			select {
			case ev, ok := <-events:
				take(ev, ok)
			case <-paused:
				paused = nil
			case <-watchdog.C:
				t.Fatalf("stream hung after %d events", len(res.events))
			}
		}
		res.endedFirst = done
		if sc.mode == axClose {
			res.earlyClose = txErr(es.Close())
		} else {
			cancel()
		}
	}
	for !done {
		select {
		case ev, ok := <-events:
			take(ev, ok)
		case <-watchdog.C:
			t.Fatalf("stream hung after %d events", len(res.events))
		}
	}
	if sc.mode == axCancelAfter {
		res.endedFirst = true
		cancel()
	}
	err := es.Err()
	res.streamErr = txErr(err)
	cerr := es.Close()
	res.closeErr = txErr(cerr)
	res.callerErr = res.callerErr || err != nil || cerr != nil || res.earlyClose != "" && res.earlyClose != "<nil>"
}

func axInput() *bedrockagentruntime.InvokeAgentInput {
	return &bedrockagentruntime.InvokeAgentInput{
		AgentId: aws.String("AGENT1"), AgentAliasId: aws.String("ALIAS1"), SessionId: aws.String("s-1"),
		InputText: aws.String(axInputText), EnableTrace: aws.Bool(true),
		SessionState: &agtypes.SessionState{SessionAttributes: map[string]string{"userId": "u-7"}},
	}
}

// axRun makes the scenario's InvokeAgent call once, traced or not.
func axRun(t *testing.T, sc *txScenario, traced bool) (res txResult, rec *tracetest.SpanRecorder, reader *sdkmetric.ManualReader) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	tr := &txTransport{sc: sc, cancel: cancel, paused: make(chan struct{})}
	cfg, opts, rec, reader := txConfig(tr, "http://bedrock-agent.fuzz.invalid", traced)
	if traced {
		AppendMiddlewares(&cfg.APIOptions, opts...)
	}
	c := bedrockagentruntime.NewFromConfig(cfg)
	out, err := c.InvokeAgent(ctx, axInput())
	res.out = txRender(out)
	if err == nil {
		axConsume(t, tr, out.GetStream(), cancel, &res)
	}
	res.callErr = txErr(err)
	res.callerErr = res.callerErr || err != nil
	tr.mu.Lock()
	res.paths, res.bodies = tr.paths, tr.bodies
	tr.mu.Unlock()
	return res, rec, reader
}

// FuzzAgentTransparency is FuzzTransparency's differential test for the
// agent runtime's InvokeAgent: tracing never changes what the caller sees. A
// scenario decoded from the input (up to three HTTP attempts answered 200,
// 400, 429, 500 or 503 with an error body and X-Amzn-ErrorType, the
// retryable ones retried without delay; the last answer's body a list of
// event-stream frames picked from a menu: chunks, trace events of several
// shapes (pre-processing, orchestration and post-processing model
// invocation inputs and outputs with usage, a rationale, a failure trace, a
// guardrail trace), throttlingException and dependencyFailedException
// exception frames, an error frame, an unknown event type, a trace with
// malformed JSON, a chunk whose bytes are not base64, a message of an unknown
// type; the body truncated at a chosen offset, with one byte flipped, or raw
// fuzz bytes; delivered in reads of a chosen size, optionally failing at a
// chosen offset; the caller reading every event, taking N events then
// Closing the stream or cancelling its context, or reading every event and
// cancelling its context before Err and Close; a transport quick or slow to
// close bodies) is run by an untraced and by a traced client (installed with
// AppendMiddlewares, content capture on). It checks that the caller sees the
// same output, error, events (chunk bytes and trace renderings), Err and
// Close; that the transport sees the same attempts and request bodies; that
// the traced call starts and ends exactly one span, records one operation
// duration, and has status Error if and only if the caller got an error;
// and that no span text holds a credential or a signature.
//
// No exception is encoded: doc.go's one exception to "status Error iff the
// caller got an error" (a failure after the stream's terminal event is not
// the call's) does not apply, since an agent's stream has no terminal event
// (the tracer settles an InvokeAgent call only when the SDK closes the body
// or the context ends). The only tolerated textual difference is
// txErr's, which FuzzTransparency documents (the SDK's random choice of
// "request canceled, " for a cancelled retryable call).
func FuzzAgentTransparency(f *testing.F) {
	f.Setenv("AWS_BEARER_TOKEN_BEDROCK", "")
	menu := axMenu(f)
	full := []byte{2, 3, 4, 5, 6, 16, 0, 1}
	type seed struct {
		statuses         []byte
		body             uint8
		frames           []byte
		cut, flip        uint16
		raw              []byte
		readSize         uint8
		errAt            uint16
		errKind, mode, n uint8
		slowClose        bool
	}
	for _, s := range []seed{
		// Valid full success first.
		{frames: full},
		{frames: []byte{0, 1}},
		{frames: []byte{}},
		// HTTP errors and retries.
		{statuses: []byte{1}, frames: full},
		{statuses: []byte{2, 0}, frames: full},
		{statuses: []byte{3, 4, 0}, frames: full},
		{statuses: []byte{4, 2, 3}, frames: full},
		{statuses: []byte{4, 1}, frames: full},
		// Traces of other shapes, exceptions, errors, unknown and bad frames.
		{frames: []byte{2, 7, 0}},
		{frames: []byte{2, 8, 0, 1}},
		{frames: []byte{2, 3, 0, 9}},
		{frames: []byte{2, 3, 0, 10, 1}},
		{frames: []byte{0, 11, 1}},
		{frames: []byte{0, 12, 1}},
		{frames: []byte{0, 13, 1}},
		{frames: []byte{0, 14, 1}},
		{frames: []byte{0, 15, 1}},
		// Bodies: truncated, flipped, raw.
		{frames: full, body: 1, cut: 700},
		{frames: full, flip: 300},
		{frames: full, flip: 5},
		{body: 2, raw: append(bytes.Clone(menu[0]), 0, 0, 0, 9, 1, 2, 3)},
		{body: 2, raw: []byte{0xff, 0xff, 0xff, 0xff, 1, 2, 3}},
		{statuses: []byte{1}, body: 2, raw: []byte("<html>bad gateway</html>")},
		// Delivery: small reads, read errors.
		{frames: full, readSize: 1},
		{frames: full, readSize: 7, errAt: 401, errKind: 0},
		{frames: full, errAt: 150, errKind: 1},
		{frames: full, errAt: 5000, errKind: 2},
		{frames: []byte{0, 1}, errAt: 9000, errKind: 1},
		// Close or cancel after N events; cancel after the loop.
		{frames: full, mode: axClose, n: 0},
		{frames: full, mode: axClose, n: 3},
		{frames: full, mode: axClose, n: 200},
		{frames: full, mode: axCancel, n: 2},
		{frames: full, mode: axCancel, n: 8},
		{frames: full, mode: axCancel, n: 200, readSize: 3},
		{frames: full, mode: axCancelAfter},
		{frames: []byte{0, 9}, mode: axCancelAfter},
		{frames: []byte{0, 13}, mode: axCancelAfter},
		{frames: full, mode: axCancelAfter, errAt: 300, errKind: 0},
		{statuses: []byte{1}, mode: axCancel, n: 5},
		// A transport slow to close bodies.
		{frames: full, slowClose: true},
		{frames: full, mode: axCancelAfter, slowClose: true},
		{frames: []byte{0, 10}, mode: axCancel, n: 200, slowClose: true},
		{frames: full, mode: axClose, n: 2, slowClose: true},
	} {
		f.Add(s.statuses, s.body, s.frames, s.cut, s.flip, s.raw, s.readSize, s.errAt, s.errKind, s.mode, s.n, s.slowClose)
	}
	f.Fuzz(func(t *testing.T, statuses []byte, body uint8, frames []byte, cut, flip uint16, raw []byte,
		readSize uint8, errAt uint16, errKind, mode, n uint8, slowClose bool) {
		sc := axBuild(menu, statuses, body, frames, cut, flip, raw, readSize, errAt, errKind, mode, n, slowClose)
		plain, _, _ := axRun(t, sc, false)
		traced, rec, reader := axRun(t, sc, true)

		txSameView(t, plain, traced)

		if s, e := len(rec.Started()), len(rec.Ended()); s != 1 || e != 1 {
			t.Fatalf("%d spans started, %d ended; want 1 and 1 (caller error %v)", s, e, traced.callerErr)
		}
		s := rec.Ended()[0]
		if s.Name() != "bedrock.invoke_agent" {
			t.Errorf("span %q, want bedrock.invoke_agent", s.Name())
		}
		if spanErr := s.Status().Code == codes.Error; spanErr != traced.callerErr {
			t.Errorf("span status %v %q, but the caller's error is %s / stream %s / early close %s / close %s (mode %d, stream ended before the caller's Close or cancel: %v)",
				s.Status().Code, s.Status().Description, traced.callErr, traced.streamErr, traced.earlyClose, traced.closeErr,
				sc.mode, traced.endedFirst)
		}
		txOneDuration(t, reader)
		txNoNeedles(t, s, sc.needles)
	})
}
