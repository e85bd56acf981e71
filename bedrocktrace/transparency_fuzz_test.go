package bedrocktrace

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/aws/smithy-go"
	"github.com/tidwall/gjson"
	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// Credentials of the differential runs: no span attribute may contain them.
const (
	txAccessKey = "AKIDTRANSPARENCYFUZZ7Q"
	txSecretKey = "tRaNsPaReNcY/SeCrEt+fuzz9kEy"
	txSession   = "SESSIONTOKENTRANSPARENCYFUZZ"
)

// Scenario dimensions.
const (
	txConverse = iota
	txConverseStream
	txInvoke
	txInvokeStream
	txOps
)

const (
	txReadAll = iota // read every event (streams) / the whole body
	txClose          // streams: take N events, then Close
	txCancel         // streams: take N events, then cancel; others: cancel when the body reaches byte N
	txModes
)

const (
	txMaxAttempts = 3
	txMaxFrames   = 32
	txMaxRaw      = 4096
	// txGrace bounds the wait for an event the harness expected but the
	// SDK does not deliver (it only matters when the expectation is wrong).
	txGrace     = 200 * time.Millisecond
	txWatchdog  = 20 * time.Second
	txSlowClose = 10 * time.Millisecond
)

var txStatuses = [...]int{200, 400, 429, 500, 503}

var txErrorTypes = map[int]string{
	400: "ValidationException",
	429: "ThrottlingException",
	500: "InternalServerException",
	503: "ServiceUnavailableException",
}

var errTxReset = errors.New("fuzz: connection reset by peer")

// errTxClosed is what net/http's body returns once closed.
var errTxClosed = errors.New("http: read on closed response body")

const txInvokeModel = "anthropic.claude-3-haiku-20240307-v1:0"

const txInvokeRequest = `{"anthropic_version":"bedrock-2023-05-31","max_tokens":64,"messages":[{"role":"user","content":"What is the weather in Paris?"}]}`

const txInvokeReply = `{"id":"msg_01","type":"message","role":"assistant","model":"claude-3-haiku-20240307","content":[{"type":"text","text":"Sunny."}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":14,"output_tokens":3}}`

// txFrame is one frame of the menu a fuzz input picks stream frames from.
type txFrame struct {
	b []byte
	// dropped: the SDK decodes the frame but hands the caller no event
	// for it (an exception shape sent as an event).
	dropped bool
}

func txMenu(tb testing.TB) []txFrame {
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
	return []txFrame{
		0:  {b: event(tb, "messageStart", `{"role":"assistant"}`)},
		1:  {b: event(tb, "contentBlockDelta", `{"contentBlockIndex":0,"delta":{"text":"Sunny "}}`)},
		2:  {b: event(tb, "contentBlockStart", `{"contentBlockIndex":1,"start":{"toolUse":{"name":"get_weather","toolUseId":"tu_1"}}}`)},
		3:  {b: event(tb, "contentBlockDelta", `{"contentBlockIndex":1,"delta":{"toolUse":{"input":"{\"city\":\"Paris\"}"}}}`)},
		4:  {b: event(tb, "contentBlockStop", `{"contentBlockIndex":0}`)},
		5:  {b: event(tb, "messageStop", `{"stopReason":"end_turn"}`)},
		6:  {b: event(tb, "metadata", `{"usage":{"inputTokens":9,"outputTokens":4,"totalTokens":13},"metrics":{"latencyMs":30}}`)},
		7:  {b: chunk(tb, `{"type":"message_start","message":{"id":"msg_1","model":"claude-3-haiku","role":"assistant","usage":{"input_tokens":9,"output_tokens":1}}}`)},
		8:  {b: chunk(tb, `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Sunny "}}`)},
		9:  {b: chunk(tb, `{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":4}}`)},
		10: {b: chunk(tb, `{"type":"message_stop","amazon-bedrock-invocationMetrics":{"inputTokenCount":9,"outputTokenCount":4}}`)},
		11: {b: exception(tb, "throttlingException", "slow down")},
		12: {b: exception(tb, "modelStreamErrorException", "model failed mid-stream")},
		13: {b: event(tb, "futureEvent", `{"x":1}`)},
		14: {b: event(tb, "contentBlockDelta", `{"contentBlockIndex":0,"delta":`)},
		15: {b: event(tb, "throttlingException", `{"message":"as an event"}`), dropped: true},
		16: {b: errFrame("InternalFailure", "stream broke")},
		17: {b: chunk(tb, `not json at all`)},
		18: {b: encodeFrame(tb, "weird", "metadata", []byte(`{"usage":{"inputTokens":1}}`))},
		19: {b: chunk(tb, `{"type":"message_stop"}`)},
	}
}

// txReply is one scripted HTTP answer.
type txReply struct {
	status  int
	errType string
	body    []byte
	// shaped: the last scripted reply, the one the fuzz input shapes (read
	// error, pause); every attempt past the script gets it too.
	shaped bool
	// Frames of an event-stream body: ends[i] is the end offset of frame
	// i, before[i] the number of caller events of the frames before it.
	ends, before []int
}

type txScenario struct {
	op       int
	replies  []txReply
	readSize int // bytes per Read; 0: as many as asked
	// slowClose: closing a body takes txSlowClose (a transport that works
	// on Close: HTTP/2, a proxy client), which widens the window between
	// the SDK's stream reader ending its events and closing the body.
	slowClose bool
	errAt     int   // the shaped body fails at this offset; -1: never
	readErr   error // the failure
	mode      int
	// pause: the shaped body stops at this offset (a stream's caller then
	// Closes or cancels; other calls cancel there); -1: never.
	pause int
	// needles: the secrets no attribute may hold (those not in a reply).
	needles []string
}

func txCanned(op, status int, menu []txFrame, frames []byte) (body []byte, ends, before []int) {
	if status != 200 {
		return []byte(fmt.Sprintf(`{"message":"%s (fuzz %d)"}`, txErrorTypes[status], status)), nil, nil
	}
	switch op {
	case txConverse:
		return []byte(converseReply), nil, nil
	case txInvoke:
		return []byte(txInvokeReply), nil, nil
	}
	before = []int{0}
	for i, k := range frames {
		if i == txMaxFrames {
			break
		}
		fr := menu[int(k)%len(menu)]
		body = append(body, fr.b...)
		ends = append(ends, len(body))
		n := before[len(before)-1]
		if !fr.dropped {
			n++
		}
		before = append(before, n)
	}
	return body, ends, before
}

// txWalk finds the frames of raw bytes by their length prefixes.
func txWalk(b []byte) (ends, before []int) {
	before = []int{0}
	for off := 0; off+4 <= len(b) && len(ends) < txMaxFrames; {
		total := int(binary.BigEndian.Uint32(b[off:]))
		if total < 16 || total > len(b)-off {
			break
		}
		off += total
		ends = append(ends, off)
		before = append(before, len(ends))
	}
	return ends, before
}

func txBuild(menu []txFrame, op uint8, statuses []byte, bodyKind uint8, frames []byte, cut, flip uint16, raw []byte,
	readSize uint8, errAt uint16, errKind uint8, mode uint8, n uint8, slowClose bool) *txScenario {
	sc := &txScenario{op: int(op) % txOps, readSize: int(readSize), errAt: -1, mode: int(mode) % txModes, pause: -1, slowClose: slowClose}
	stream := sc.op == txConverseStream || sc.op == txInvokeStream
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
			break // the call ends there: later replies are never asked for
		}
	}
	for i := range sc.replies {
		rp := &sc.replies[i]
		rp.body, rp.ends, rp.before = txCanned(sc.op, rp.status, menu, frames)
	}
	last := &sc.replies[len(sc.replies)-1]
	last.shaped = true
	switch bodyKind % 3 {
	case 1:
		last.body = last.body[:int(cut)%(len(last.body)+1)]
	case 2:
		if len(raw) > txMaxRaw {
			raw = raw[:txMaxRaw]
		}
		last.body = bytes.Clone(raw)
		last.ends, last.before = nil, nil
		if stream && last.status == 200 {
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
	streamBody := stream && last.status == 200
	switch {
	case sc.mode == txReadAll:
	case streamBody:
		// Stop right after frame n: the caller takes the events before
		// it, then Closes or cancels, while the SDK's reader waits at that
		// point (so that what it reads is the same in both runs).
		p := len(last.body)
		if int(n) <= len(last.ends) {
			p = 0
			if n > 0 {
				p = last.ends[n-1]
			}
		}
		sc.pause = min(p, len(last.body))
	case sc.mode == txCancel:
		sc.pause = min(int(n), len(last.body)) // the body cancels the call there
	default:
		sc.mode = txReadAll // nothing to Close
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

// txTransport is the scripted Bedrock: it records every attempt and answers
// from the script, delivering bodies in small reads, failing or pausing them
// where the scenario says, and feeding a stream's frames no faster than the
// caller takes its events (so that no event is lost to a race inside the
// SDK: its stream can drop an event still in flight when it fails).
type txTransport struct {
	sc     *txScenario
	cancel context.CancelFunc
	paused chan struct{}
	once   sync.Once

	mu       sync.Mutex
	bodies   [][]byte
	paths    []string
	consumed int           // events the caller took
	notify   chan struct{} // closed (and replaced) when consumed grows
}

func (tr *txTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	var b []byte
	if req.Body != nil {
		var err error
		b, err = io.ReadAll(req.Body)
		_ = req.Body.Close()
		if err != nil {
			return nil, err
		}
	}
	tr.mu.Lock()
	i := len(tr.bodies)
	tr.bodies = append(tr.bodies, b)
	tr.paths = append(tr.paths, req.Method+" "+req.URL.EscapedPath())
	tr.mu.Unlock()
	rp := &tr.sc.replies[min(i, len(tr.sc.replies)-1)]
	h := http.Header{}
	h.Set("X-Amzn-Requestid", fmt.Sprintf("req-%d", i))
	h.Set("Content-Type", "application/json")
	if rp.status == 200 && (tr.sc.op == txConverseStream || tr.sc.op == txInvokeStream) {
		h.Set("Content-Type", "application/vnd.amazon.eventstream")
	}
	if rp.errType != "" {
		h.Set("X-Amzn-Errortype", rp.errType)
	}
	body := &txBody{tr: tr, rp: rp, ctx: req.Context(), errAt: -1, pause: -1, closed: make(chan struct{})}
	if rp.shaped {
		body.errAt, body.pause = tr.sc.errAt, tr.sc.pause
	}
	return &http.Response{
		Status: fmt.Sprintf("%d %s", rp.status, http.StatusText(rp.status)), StatusCode: rp.status,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: h, Body: body, ContentLength: -1, Request: req,
	}, nil
}

// took records that the caller took one more event.
func (tr *txTransport) took() {
	tr.mu.Lock()
	tr.consumed++
	if tr.notify != nil {
		close(tr.notify)
		tr.notify = nil
	}
	tr.mu.Unlock()
}

// waitTaken waits until the caller has taken n events (or the body is done
// for, or the expectation looks wrong).
func (tr *txTransport) waitTaken(n int, ctx context.Context, closed <-chan struct{}) {
	var grace <-chan time.Time
	for {
		tr.mu.Lock()
		if tr.consumed >= n {
			tr.mu.Unlock()
			return
		}
		if tr.notify == nil {
			tr.notify = make(chan struct{})
		}
		ch := tr.notify
		tr.mu.Unlock()
		if grace == nil {
			grace = time.After(txGrace)
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return
		case <-closed:
			return
		case <-grace:
			return
		}
	}
}

// txBody is a scripted response body.
type txBody struct {
	tr           *txTransport
	rp           *txReply
	ctx          context.Context
	off          int // only the reading goroutine touches it
	errAt, pause int
	closed       chan struct{}
	closeOnce    sync.Once
}

func (b *txBody) Read(p []byte) (int, error) {
	data := b.rp.body
	if b.rp.before != nil {
		k := 0
		for k < len(b.rp.ends) && b.rp.ends[k] <= b.off {
			k++
		}
		b.tr.waitTaken(b.rp.before[k], b.ctx, b.closed)
	}
	if err := b.ctx.Err(); err != nil {
		return 0, err
	}
	select {
	case <-b.closed:
		return 0, errTxClosed
	default:
	}
	if b.errAt >= 0 && b.off >= b.errAt {
		return 0, b.tr.sc.readErr
	}
	if b.pause >= 0 && b.off >= b.pause {
		b.tr.once.Do(func() { close(b.tr.paused) })
		if b.rp.before == nil {
			b.tr.cancel() // a call reading its body is cancelled here
		}
		select {
		case <-b.ctx.Done():
			return 0, b.ctx.Err()
		case <-b.closed:
			return 0, errTxClosed
		}
	}
	if b.off >= len(data) {
		return 0, io.EOF
	}
	end := len(data)
	if b.errAt >= 0 {
		end = min(end, b.errAt)
	}
	if b.pause >= 0 {
		end = min(end, b.pause)
	}
	if b.tr.sc.readSize > 0 {
		end = min(end, b.off+b.tr.sc.readSize)
	}
	n := copy(p, data[b.off:end])
	b.off += n
	return n, nil
}

func (b *txBody) Close() error {
	if b.tr.sc.slowClose {
		time.Sleep(txSlowClose)
	}
	b.closeOnce.Do(func() { close(b.closed) })
	return nil
}

// txResult is what the caller saw, and what the transport saw.
type txResult struct {
	paths      []string
	bodies     [][]byte
	out        string
	callErr    string
	events     []string
	earlyClose string // Close before the end (close mode)
	streamErr  string
	closeErr   string

	callerErr   bool // the call, the stream or its Close failed
	sawTerminal bool // the caller got the stream's terminal event
	endedFirst  bool // the stream ended before the caller's Close or cancel
}

func (r *txResult) lines() []string {
	l := []string{fmt.Sprintf("attempts: %d", len(r.paths))}
	for i, p := range r.paths {
		l = append(l, fmt.Sprintf("attempt %d: %s %q", i, p, r.bodies[i]))
	}
	l = append(l, "out: "+r.out, "error: "+r.callErr, fmt.Sprintf("events: %d", len(r.events)))
	for i, e := range r.events {
		l = append(l, fmt.Sprintf("event %d: %s", i, e))
	}
	return append(l, "early close: "+r.earlyClose, "stream err: "+r.streamErr, "close: "+r.closeErr)
}

// txErr renders an error as the caller can observe it.
func txErr(err error) string {
	if err == nil {
		return "<nil>"
	}
	// A retryable failure of a cancelled call ends either in the retry
	// delay (a zero-delay sleep racing the done context: "request
	// canceled") or at the next attempt, which is never sent: the SDK picks
	// at random. Both are the same to the caller.
	text := strings.Replace(err.Error(), "request canceled, ", "", 1)
	var chain []string
	for e := err; e != nil; e = errors.Unwrap(e) {
		if _, ok := e.(*aws.RequestCanceledError); !ok {
			chain = append(chain, fmt.Sprintf("%T", e))
		}
	}
	s := fmt.Sprintf("%q %v", text, chain)
	var api smithy.APIError
	if errors.As(err, &api) {
		s += fmt.Sprintf(" api(%s, %q, %v)", api.ErrorCode(), api.ErrorMessage(), api.ErrorFault())
	}
	if errors.Is(err, context.Canceled) {
		s += " canceled"
	}
	return s
}

// txRender renders a result value deterministically (no pointers), without
// its ResultMetadata and stream internals.
func txRender(v any) string {
	var b strings.Builder
	txDump(&b, reflect.ValueOf(v), 0)
	return b.String()
}

func txDump(b *strings.Builder, v reflect.Value, depth int) {
	if depth > 40 {
		b.WriteString("...")
		return
	}
	if !v.IsValid() {
		b.WriteString("<invalid>")
		return
	}
	if (v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface) && v.IsNil() {
		b.WriteString("nil")
		return
	}
	if v.CanInterface() {
		if d, ok := v.Interface().(interface{ MarshalSmithyDocument() ([]byte, error) }); ok {
			js, err := d.MarshalSmithyDocument()
			fmt.Fprintf(b, "document(%s, %v)", js, err)
			return
		}
	}
	switch v.Kind() {
	case reflect.Pointer:
		b.WriteByte('&')
		txDump(b, v.Elem(), depth+1)
	case reflect.Interface:
		txDump(b, v.Elem(), depth+1)
	case reflect.Struct:
		b.WriteString(v.Type().String() + "{")
		for i := 0; i < v.NumField(); i++ {
			switch name := v.Type().Field(i).Name; name {
			case "ResultMetadata", "noSmithyDocumentSerde", "eventStream":
			default:
				b.WriteString(name + ":")
				txDump(b, v.Field(i), depth+1)
				b.WriteByte(' ')
			}
		}
		b.WriteByte('}')
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.IsNil() {
			b.WriteString("nil")
			return
		}
		if v.Type().Elem().Kind() == reflect.Uint8 {
			raw := make([]byte, v.Len())
			for i := range raw {
				raw[i] = byte(v.Index(i).Uint())
			}
			fmt.Fprintf(b, "%q", raw)
			return
		}
		b.WriteByte('[')
		for i := 0; i < v.Len(); i++ {
			txDump(b, v.Index(i), depth+1)
			b.WriteByte(',')
		}
		b.WriteByte(']')
	case reflect.Map:
		var kv []string
		for it := v.MapRange(); it.Next(); {
			var k, e strings.Builder
			txDump(&k, it.Key(), depth+1)
			txDump(&e, it.Value(), depth+1)
			kv = append(kv, k.String()+"="+e.String())
		}
		sort.Strings(kv)
		b.WriteString("map[" + strings.Join(kv, ",") + "]")
	case reflect.String:
		fmt.Fprintf(b, "%q", v.String())
	case reflect.Bool:
		fmt.Fprint(b, v.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		fmt.Fprint(b, v.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		fmt.Fprint(b, v.Uint())
	case reflect.Float32, reflect.Float64:
		fmt.Fprint(b, v.Float())
	default:
		b.WriteString(v.Kind().String())
	}
}

func txConverseInput() *bedrockruntime.ConverseInput {
	return &bedrockruntime.ConverseInput{
		ModelId:         aws.String("anthropic.claude-3-5-sonnet-20240620-v1:0"),
		System:          []types.SystemContentBlock{&types.SystemContentBlockMemberText{Value: "be brief"}},
		Messages:        []types.Message{{Role: types.ConversationRoleUser, Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: "What is the weather in Paris?"}}}},
		InferenceConfig: &types.InferenceConfiguration{MaxTokens: aws.Int32(64), Temperature: aws.Float32(0.5)},
	}
}

func txConverseStreamInput() *bedrockruntime.ConverseStreamInput {
	in := txConverseInput()
	return &bedrockruntime.ConverseStreamInput{ModelId: in.ModelId, System: in.System, Messages: in.Messages, InferenceConfig: in.InferenceConfig}
}

// txStream is the part of the SDK's event streams the caller uses.
type txStream[T any] interface {
	Events() <-chan T
	Err() error
	Close() error
}

// txConsume reads a stream as the scenario's caller does: every event, or
// the events before the pause point, then Close or cancel, then the rest.
func txConsume[T any](t *testing.T, tr *txTransport, es txStream[T], cancel context.CancelFunc, terminal func(T) bool, res *txResult) {
	sc := tr.sc
	watchdog := time.NewTimer(txWatchdog)
	defer watchdog.Stop()
	events := es.Events()
	done := false
	take := func(ev T, ok bool) {
		if !ok {
			done = true
			return
		}
		res.events = append(res.events, txRender(ev))
		res.sawTerminal = res.sawTerminal || terminal(ev)
		tr.took()
	}
	if sc.mode != txReadAll {
		// The transport lets the SDK's reader reach the pause point only
		// once the caller took every event before it: the caller stops
		// taking there, or where the stream ends before it.
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
		if sc.mode == txClose {
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
	err := es.Err()
	res.streamErr = txErr(err)
	cerr := es.Close()
	res.closeErr = txErr(cerr)
	res.callerErr = res.callerErr || err != nil || cerr != nil || res.earlyClose != "" && res.earlyClose != "<nil>"
}

// txRun makes the scenario's call once, traced or not.
// txConfig is the configuration of a differential run's client on tr (the
// credentials no span may hold, retries without delay); for a traced run,
// opts are the tracing options, whose spans rec records and whose metrics
// reader reads.
func txConfig(tr *txTransport, endpoint string, traced bool) (cfg aws.Config, opts []Option, rec *tracetest.SpanRecorder, reader *sdkmetric.ManualReader) {
	cfg = aws.Config{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider(txAccessKey, txSecretKey, txSession),
		BaseEndpoint:     aws.String(endpoint),
		RetryMaxAttempts: txMaxAttempts,
		Retryer: func() aws.Retryer {
			return retry.AddWithMaxBackoffDelay(retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = txMaxAttempts
				o.RateLimiter = ratelimit.None
			}), 0)
		},
		HTTPClient: &http.Client{Transport: tr},
	}
	if traced {
		rec = tracetest.NewSpanRecorder()
		reader = sdkmetric.NewManualReader()
		opts = []Option{
			WithTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))),
			WithMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))),
			WithCaptureContent(true),
		}
	}
	return cfg, opts, rec, reader
}

func txRun(t *testing.T, sc *txScenario, traced bool) (res txResult, rec *tracetest.SpanRecorder, reader *sdkmetric.ManualReader) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	tr := &txTransport{sc: sc, cancel: cancel, paused: make(chan struct{})}
	cfg, opts, rec, reader := txConfig(tr, "http://bedrock.fuzz.invalid", traced)
	var optFns []func(*bedrockruntime.Options)
	if traced {
		optFns = append(optFns, WithTracing(opts...))
	}
	c := bedrockruntime.NewFromConfig(cfg, optFns...)
	var err error
	switch sc.op {
	case txConverse:
		var out *bedrockruntime.ConverseOutput
		out, err = c.Converse(ctx, txConverseInput())
		res.out = txRender(out)
	case txInvoke:
		var out *bedrockruntime.InvokeModelOutput
		out, err = c.InvokeModel(ctx, &bedrockruntime.InvokeModelInput{ModelId: aws.String(txInvokeModel),
			Body: []byte(txInvokeRequest), ContentType: aws.String("application/json"), Accept: aws.String("application/json")})
		res.out = txRender(out)
	case txConverseStream:
		var out *bedrockruntime.ConverseStreamOutput
		out, err = c.ConverseStream(ctx, txConverseStreamInput())
		res.out = txRender(out)
		if err == nil {
			txConsume(t, tr, out.GetStream(), cancel, func(ev types.ConverseStreamOutput) bool {
				_, ok := ev.(*types.ConverseStreamOutputMemberMetadata)
				return ok
			}, &res)
		}
	case txInvokeStream:
		var out *bedrockruntime.InvokeModelWithResponseStreamOutput
		out, err = c.InvokeModelWithResponseStream(ctx, &bedrockruntime.InvokeModelWithResponseStreamInput{ModelId: aws.String(txInvokeModel),
			Body: []byte(txInvokeRequest), ContentType: aws.String("application/json"), Accept: aws.String("application/json")})
		res.out = txRender(out)
		if err == nil {
			txConsume(t, tr, out.GetStream(), cancel, func(ev types.ResponseStream) bool {
				// Claude's terminal event (the tracer's model family).
				c, ok := ev.(*types.ResponseStreamMemberChunk)
				return ok && gjson.GetBytes(c.Value.Bytes, "type").Str == "message_stop"
			}, &res)
		}
	}
	res.callErr = txErr(err)
	res.callerErr = res.callerErr || err != nil
	tr.mu.Lock()
	res.paths, res.bodies = tr.paths, tr.bodies
	tr.mu.Unlock()
	return res, rec, reader
}

// FuzzTransparency is a differential test of the promise that tracing never
// changes what the caller sees. A scenario decoded from the input (the
// operation: Converse, ConverseStream, InvokeModel or
// InvokeModelWithResponseStream; up to three HTTP attempts answered 200, 400,
// 429, 500 or 503, the retryable ones retried without delay; the last answer's
// body canned, truncated, with one byte flipped, or raw fuzz bytes, for
// streams a list of event-stream frames picked from a menu of valid, unknown,
// malformed, exception and error frames; delivered in reads of a chosen size,
// optionally failing at a chosen offset with io.ErrUnexpectedEOF, a custom
// error or an early io.EOF; a stream's caller reading every event, or taking
// N events then Closing the stream or cancelling its context, other calls
// cancelled while their body is read; a transport quick or slow to close
// bodies) is run against the same scripted transport by an untraced and by a
// traced client (content capture on). It checks that:
//
//   - the caller sees the same thing: the output (ResultMetadata aside), the
//     error (text, wrapped types, API code, message and fault), a stream's
//     events in order, its Err and its Close;
//   - the transport sees the same attempts with byte-identical request
//     bodies;
//   - the traced call starts and ends exactly one span (ended once the call
//     returned, or once the stream was drained and Closed), records one
//     operation duration, and its status is Error if and only if the caller
//     got an error, except as documented in doc.go: after the stream's
//     terminal event (Converse metadata, Claude message_stop) the call is
//     complete, and a later failure the caller sees (a read error, a bad
//     frame, an exception, a cancellation) is not the call's;
//   - no span attribute, event or status holds the access key, secret key,
//     session token or a SigV4 signature.
//
// The transport feeds a stream's frames no faster than the caller takes its
// events and stops a stream that is to be Closed or cancelled right after its
// N-th frame, so that both runs read exactly the same bytes. Error texts are
// compared as they are, except that the SDK's random choice between
// "request canceled, context canceled" and "context canceled" for a
// cancelled call with a retryable failure is not a difference.
func FuzzTransparency(f *testing.F) {
	f.Setenv("AWS_BEARER_TOKEN_BEDROCK", "") // would switch the client to bearer auth
	menu := txMenu(f)
	conv := []byte{0, 1, 1, 2, 3, 4, 5, 6}
	inv := []byte{7, 8, 8, 9, 10}
	type seed struct {
		op               uint8
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
		// Valid full successes.
		{op: txConverse},
		{op: txConverseStream, frames: conv},
		{op: txInvoke},
		{op: txInvokeStream, frames: inv},
		// HTTP errors and retries.
		{op: txConverse, statuses: []byte{1}},
		{op: txConverse, statuses: []byte{4, 0}},
		{op: txConverse, statuses: []byte{2, 3, 4}},
		{op: txInvoke, statuses: []byte{3, 0}},
		{op: txInvoke, statuses: []byte{2}},
		{op: txConverseStream, statuses: []byte{1}, frames: conv},
		{op: txConverseStream, statuses: []byte{4, 0}, frames: conv},
		{op: txInvokeStream, statuses: []byte{2, 2, 2}, frames: inv},
		// Bodies: truncated, flipped, raw.
		{op: txConverse, body: 1, cut: 40},
		{op: txConverse, body: 2, raw: []byte(`{"output":{"message":{"role":"assistant","content":[{"text":"hi"}]}},"stopReason":"end_turn"}`)},
		{op: txConverse, body: 2, raw: []byte("<html>bad gateway</html>")},
		{op: txConverse, statuses: []byte{1}, body: 2, raw: []byte(`{"message":"quoted What is the weather in Paris?"}`)},
		{op: txInvoke, body: 1, cut: 30},
		{op: txInvoke, body: 2, raw: []byte("\x00\xffnot json")},
		{op: txInvoke, flip: 10},
		{op: txConverseStream, frames: conv, body: 1, cut: 300},
		{op: txConverseStream, frames: conv, flip: 200},
		{op: txInvokeStream, frames: inv, flip: 120},
		{op: txConverseStream, body: 2, raw: append(bytes.Clone(menu[0].b), 0, 0, 0, 9, 1, 2, 3)},
		{op: txInvokeStream, body: 2, raw: []byte{0xff, 0xff, 0xff, 0xff, 1, 2, 3}},
		// Frames: exceptions, errors, unknown and malformed events.
		{op: txConverseStream, frames: []byte{0, 1, 11}},
		{op: txConverseStream, frames: []byte{0, 1, 6, 11}},
		{op: txInvokeStream, frames: []byte{7, 8, 12}},
		{op: txConverseStream, frames: []byte{0, 13, 1, 15, 1, 14, 6}},
		{op: txConverseStream, frames: []byte{0, 1, 16, 6}},
		{op: txInvokeStream, frames: []byte{7, 17, 13, 15, 8, 19}},
		{op: txConverseStream, frames: []byte{0, 1, 18, 6}},
		{op: txConverseStream, frames: []byte{}},
		// Delivery: small reads, read errors.
		{op: txConverseStream, frames: conv, readSize: 1},
		{op: txInvokeStream, frames: inv, readSize: 5},
		{op: txConverse, readSize: 3, errAt: 51, errKind: 0},
		{op: txInvoke, errAt: 11, errKind: 1},
		{op: txConverse, errAt: 21, errKind: 2},
		{op: txConverseStream, frames: conv, readSize: 7, errAt: 101, errKind: 0},
		{op: txConverseStream, frames: conv, errAt: 2000, errKind: 1},
		{op: txInvokeStream, frames: inv, errAt: 2000, errKind: 0},
		{op: txInvokeStream, frames: inv, errAt: 60, errKind: 2},
		// Close or cancel after N events; cancel while a body is read.
		{op: txConverseStream, frames: conv, mode: txClose, n: 2},
		{op: txConverseStream, frames: conv, mode: txClose, n: 0},
		{op: txConverseStream, frames: conv, mode: txClose, n: 200},
		{op: txConverseStream, frames: conv, mode: txCancel, n: 3},
		{op: txConverseStream, frames: conv, mode: txCancel, n: 8},
		{op: txConverseStream, frames: []byte{0, 6, 1, 15, 1}, mode: txCancel, n: 4},
		{op: txInvokeStream, frames: inv, mode: txClose, n: 1},
		{op: txInvokeStream, frames: inv, mode: txCancel, n: 2},
		{op: txInvokeStream, frames: inv, mode: txCancel, n: 5, readSize: 3},
		{op: txConverse, mode: txCancel, n: 20},
		{op: txInvoke, mode: txCancel, n: 0},
		{op: txConverse, statuses: []byte{4}, mode: txCancel, n: 5},
		// A transport slow to close bodies.
		{op: txConverseStream, frames: conv, slowClose: true},
		{op: txConverseStream, frames: conv, mode: txCancel, n: 200, slowClose: true},
		{op: txConverseStream, frames: []byte{0, 1, 5}, mode: txCancel, n: 200, slowClose: true},
		{op: txInvokeStream, frames: inv, mode: txClose, n: 2, slowClose: true},
		{op: txConverseStream, frames: []byte{0, 1, 11}, mode: txCancel, n: 200, slowClose: true},
		{op: txConverse, statuses: []byte{3, 0}, slowClose: true},
	} {
		f.Add(s.op, s.statuses, s.body, s.frames, s.cut, s.flip, s.raw, s.readSize, s.errAt, s.errKind, s.mode, s.n, s.slowClose)
	}
	f.Fuzz(func(t *testing.T, op uint8, statuses []byte, body uint8, frames []byte, cut, flip uint16, raw []byte,
		readSize uint8, errAt uint16, errKind, mode, n uint8, slowClose bool) {
		sc := txBuild(menu, op, statuses, body, frames, cut, flip, raw, readSize, errAt, errKind, mode, n, slowClose)
		plain, _, _ := txRun(t, sc, false)
		traced, rec, reader := txRun(t, sc, true)

		// 1, 2: what the caller and the transport see.
		txSameView(t, plain, traced)

		// 3: the span.
		if s, e := len(rec.Started()), len(rec.Ended()); s != 1 || e != 1 {
			t.Fatalf("%d spans started, %d ended; want 1 and 1 (caller error %v)", s, e, traced.callerErr)
		}
		s := rec.Ended()[0]
		wantName := [...]string{"bedrock.converse", "bedrock.converse_stream", "bedrock.invoke_model", "bedrock.invoke_model_with_response_stream"}[sc.op]
		if s.Name() != wantName {
			t.Errorf("span %q, want %q", s.Name(), wantName)
		}
		spanErr := s.Status().Code == codes.Error
		if spanErr != traced.callerErr && !(traced.callerErr && traced.sawTerminal) {
			t.Errorf("span status %v %q, but the caller's error is %s / stream %s / close %s (terminal event seen: %v, stream ended before the caller's %s: %v)",
				s.Status().Code, s.Status().Description, traced.callErr, traced.streamErr, traced.closeErr, traced.sawTerminal,
				[...]string{"end", "Close", "cancel"}[sc.mode], traced.endedFirst)
		}
		txOneDuration(t, reader)
		txNoNeedles(t, s, sc.needles)
	})
}

// txSameView fails t when the caller or the server saw anything different
// in the traced run.
func txSameView(t *testing.T, plain, traced txResult) {
	t.Helper()
	pl, tl := plain.lines(), traced.lines()
	for i := 0; i < max(len(pl), len(tl)); i++ {
		var a, b string
		if i < len(pl) {
			a = pl[i]
		}
		if i < len(tl) {
			b = tl[i]
		}
		if a != b {
			t.Fatalf("tracing changed what the caller or the server sees:\nuntraced: %s\ntraced:   %s\n\nuntraced run:\n%s\n\ntraced run:\n%s",
				a, b, strings.Join(pl, "\n"), strings.Join(tl, "\n"))
		}
	}
}

// txOneDuration fails t unless reader holds exactly one operation duration.
func txOneDuration(t *testing.T, reader *sdkmetric.ManualReader) {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	var durations uint64
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if h, ok := m.Data.(metricdata.Histogram[float64]); ok && m.Name == "gen_ai.client.operation.duration" {
				for _, dp := range h.DataPoints {
					durations += dp.Count
				}
			}
		}
	}
	if durations != 1 {
		t.Errorf("%d operation durations recorded, want 1", durations)
	}
}

// txNoNeedles fails t when a text of span s (status, attributes, events)
// holds one of needles.
func txNoNeedles(t *testing.T, s sdktrace.ReadOnlySpan, needles []string) {
	t.Helper()
	texts := []string{s.Status().Description}
	for _, kv := range s.Attributes() {
		texts = append(texts, string(kv.Key)+"="+kv.Value.String())
	}
	for _, ev := range s.Events() {
		texts = append(texts, ev.Name)
		for _, kv := range ev.Attributes {
			texts = append(texts, string(kv.Key)+"="+kv.Value.String())
		}
	}
	for _, txt := range texts {
		for _, needle := range needles {
			if strings.Contains(txt, needle) {
				t.Errorf("span holds %q: %.200s", needle, txt)
			}
		}
	}
}
