package openaitrace

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/tidwall/gjson"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// script is what a fuzzed server does with each HTTP attempt of one call:
// the first retries attempts get a retryable status (with a 1 ms
// Retry-After-Ms), the last one gets status and body, delivered in reads of
// at most chunk bytes, with readErr after errAt bytes when readErr is set,
// or a transport error instead of a response when failRT.
type script struct {
	retries int
	retryAs int
	status  int
	ctype   string
	body    []byte
	chunk   int
	errAt   int
	readErr error
	failRT  bool
}

// scriptRT plays a script and keeps what each attempt sent.
type scriptRT struct {
	s *script

	mu     sync.Mutex
	bodies []string // the request body of each attempt
	paths  []string
}

func (rt *scriptRT) RoundTrip(req *http.Request) (*http.Response, error) {
	var sent []byte
	if req.Body != nil {
		sent, _ = io.ReadAll(req.Body)
		_ = req.Body.Close()
	}
	rt.mu.Lock()
	n := len(rt.bodies)
	rt.bodies = append(rt.bodies, string(sent))
	rt.paths = append(rt.paths, req.Method+" "+req.URL.Path)
	rt.mu.Unlock()
	s := rt.s
	if n < s.retries {
		return &http.Response{StatusCode: s.retryAs, Request: req, ContentLength: -1,
			Header: http.Header{"Content-Type": {"application/json"}, "Retry-After-Ms": {"1"}},
			Body:   io.NopCloser(strings.NewReader(`{"error":{"message":"busy","type":"server_error","code":"busy"}}`))}, nil
	}
	if s.failRT {
		return nil, errors.New("fuzz: connection refused")
	}
	h := http.Header{}
	if s.ctype != "" {
		h.Set("Content-Type", s.ctype)
	}
	return &http.Response{StatusCode: s.status, Request: req, ContentLength: -1, Header: h,
		Body: &scriptBody{ctx: req.Context(), b: s.body, chunk: s.chunk, errAt: s.errAt, err: s.readErr}}, nil
}

// scriptBody hands out b in reads of at most chunk bytes; with err set, the
// read that reaches errAt bytes (or the first read at it) fails with err.
// Once the request's context is done, reads fail with its error, as they do
// on net/http's transport.
type scriptBody struct {
	ctx    context.Context
	b      []byte
	off    int
	chunk  int
	errAt  int
	err    error
	closed bool
}

func (r *scriptBody) Read(p []byte) (int, error) {
	if r.closed {
		return 0, errors.New("fuzz: read after close")
	}
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	end := len(r.b)
	if r.err != nil {
		end = min(end, r.errAt)
	}
	if r.off >= end {
		if r.err != nil {
			return 0, r.err
		}
		return 0, io.EOF
	}
	n := min(len(p), r.chunk, end-r.off)
	copy(p, r.b[r.off:r.off+n])
	r.off += n
	return n, nil
}

func (r *scriptBody) Close() error { r.closed = true; return nil }

// outcome is everything the caller of one call could see.
type outcome struct {
	result   string   // a chat completion's raw JSON
	chunks   []string // a stream's chunks' raw JSON, in order
	err      string
	apiErr   bool
	closeErr string
	bodies   []string
	paths    []string
}

// fuzzOps are the traced operations the fuzz test calls: each makes one call
// on client and reports what its caller saw. A stream's caller stops after
// consume chunks (0: reads to the end) and cancels its context after
// cancelAt chunks (0: never; cancelAfterLoop: once it stops reading, before
// its Close).
var fuzzOps = []struct {
	name   string
	stream bool
	valid  func() []byte // the body of a successful answer
	call   func(ctx context.Context, cancel context.CancelFunc, client openai.Client, consume, cancelAt int, o *outcome)
}{
	{"chat", false, func() []byte { return []byte(chatResponseJSON) },
		func(ctx context.Context, _ context.CancelFunc, client openai.Client, _, _ int, o *outcome) {
			res, err := client.Chat.Completions.New(ctx, chatParams())
			if res != nil {
				o.result = res.RawJSON()
			}
			o.setErr(err)
		}},
	{"chat_stream", true, func() []byte { return []byte(strings.Join(dataEvents(streamChunks(3, true)...), "")) },
		func(ctx context.Context, cancel context.CancelFunc, client openai.Client, consume, cancelAt int, o *outcome) {
			st := client.Chat.Completions.NewStreaming(ctx, chatParams())
			for st.Next() {
				if o.chunk(st.Current().RawJSON(), cancel, consume, cancelAt) {
					break
				}
			}
			o.setErr(st.Err())
			if cancelAt == cancelAfterLoop {
				cancel()
			}
			o.setCloseErr(st.Close())
		}},
	{"responses", false, func() []byte {
		return []byte(responseJSON("resp_1", "completed", outputMessageJSON+","+outputCallJSON, ""))
	},
		func(ctx context.Context, _ context.CancelFunc, client openai.Client, _, _ int, o *outcome) {
			res, err := client.Responses.New(ctx, responsesParams())
			if res != nil {
				o.result = res.RawJSON()
			}
			o.setErr(err)
		}},
	{"responses_stream", true, func() []byte {
		return []byte(strings.Join(responsesTextStream(3, "response.completed", "completed", ""), ""))
	},
		func(ctx context.Context, cancel context.CancelFunc, client openai.Client, consume, cancelAt int, o *outcome) {
			st := client.Responses.NewStreaming(ctx, responsesParams())
			for st.Next() {
				if o.chunk(st.Current().RawJSON(), cancel, consume, cancelAt) {
					break
				}
			}
			o.setErr(st.Err())
			if cancelAt == cancelAfterLoop {
				cancel()
			}
			o.setCloseErr(st.Close())
		}},
	{"embeddings", false, func() []byte { return []byte(embeddingsJSON(4, true, 1, 2)) },
		func(ctx context.Context, _ context.CancelFunc, client openai.Client, _, _ int, o *outcome) {
			res, err := client.Embeddings.New(ctx, openai.EmbeddingNewParams{
				Model:          openai.EmbeddingModelTextEmbedding3Small,
				Input:          openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: []string{"first", "second"}},
				EncodingFormat: openai.EmbeddingNewParamsEncodingFormatBase64,
			})
			if res != nil {
				o.result = res.RawJSON()
			}
			o.setErr(err)
		}},
	{"completions", false, func() []byte { return []byte(completionsJSON) },
		func(ctx context.Context, _ context.CancelFunc, client openai.Client, _, _ int, o *outcome) {
			res, err := client.Completions.New(ctx, openai.CompletionNewParams{
				Model:  openai.CompletionNewParamsModelGPT3_5TurboInstruct,
				Prompt: openai.CompletionNewParamsPromptUnion{OfString: openai.String("Say this is a test")},
			})
			if res != nil {
				o.result = res.RawJSON()
			}
			o.setErr(err)
		}},
}

// cancelAfterLoop: the caller cancels its context once it stops reading the
// stream, before it closes it.
const cancelAfterLoop = -1

func (o *outcome) setErr(err error) {
	if err != nil {
		o.err = err.Error()
		var ae *openai.Error
		o.apiErr = errors.As(err, &ae)
	}
}

func (o *outcome) setCloseErr(err error) {
	if err != nil {
		o.closeErr = err.Error()
	}
}

// chunk records a streamed chunk; it reports whether the caller stops.
func (o *outcome) chunk(raw string, cancel context.CancelFunc, consume, cancelAt int) (stop bool) {
	o.chunks = append(o.chunks, raw)
	if len(o.chunks) == cancelAt {
		cancel()
	}
	return consume > 0 && len(o.chunks) >= consume
}

// play runs one call of op on the script with a client (traced when tp is
// set) and returns what its caller saw.
func play(s *script, op int, consume, cancelAt int, tp *sdktrace.TracerProvider) outcome {
	rt := &scriptRT{s: s}
	opts := []option.RequestOption{
		option.WithHTTPClient(&http.Client{Transport: rt}),
		option.WithBaseURL("http://fuzz.test/v1"),
		option.WithAPIKey("sk-fuzz-secret"),
		option.WithMaxRetries(s.retries),
	}
	if tp != nil {
		opts = append(opts, WithTracing(WithTracerProvider(tp), WithCaptureContent(true)))
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var o outcome
	fuzzOps[op].call(ctx, cancel, openai.NewClient(opts...), consume, cancelAt, &o)
	rt.mu.Lock()
	o.bodies, o.paths = rt.bodies, rt.paths
	rt.mu.Unlock()
	return o
}

// FuzzTransparency is a differential test of the promise that tracing
// changes nothing the caller sees. Each input is a scripted server (retried
// attempts, then a status, a content type and a body — a valid answer, one
// cut short, or arbitrary bytes — delivered in reads of a fuzzed size, maybe
// failing at a fuzzed offset, or a transport error) and a caller (a plain
// chat call, or a stream read to its end, stopped early, or cancelled
// midway). The call is made by an untraced and by a traced client, and
// their callers must see the same thing: the same result or chunks, the same
// error, the same Close error, the same attempts with the same request
// bytes. The traced call must leave one ended span per attempt (none left
// running), whose status is Error exactly when its caller got an error
// (the last attempt; earlier ones were retried), with the documented
// exceptions (a body whose flaw the structural check does not see; a stream
// whose context was cancelled before its end, then closed unread; a
// Responses answer or event that says it failed), and no span may carry the
// API key. The operations: chat, Responses (plain and streamed), embeddings,
// legacy completions.
func FuzzTransparency(f *testing.F) {
	// op: an index into fuzzOps; kind: 0 valid body, 1 valid body cut at cut,
	// 2 raw; status 0 -> 200; fail: 0 none, 1 read error at errAt,
	// 2 transport error; status: an index into the statuses below.
	f.Add(uint8(0), uint8(0), uint16(0), uint16(0), uint8(0), uint8(0), uint16(0), uint8(0), uint8(0), uint8(0), []byte(nil))
	f.Add(uint8(1), uint8(0), uint16(0), uint16(0), uint8(0), uint8(0), uint16(0), uint8(0), uint8(0), uint8(0), []byte(nil))
	f.Add(uint8(0), uint8(1), uint16(120), uint16(0), uint8(7), uint8(0), uint16(0), uint8(0), uint8(0), uint8(0), []byte(nil))
	f.Add(uint8(1), uint8(1), uint16(300), uint16(0), uint8(5), uint8(0), uint16(0), uint8(0), uint8(0), uint8(0), []byte(nil))
	f.Add(uint8(0), uint8(2), uint16(0), uint16(0), uint8(0), uint8(0), uint16(0), uint8(0), uint8(0), uint8(0), []byte(`{"error":{"message":"bad","type":"invalid_request_error","code":"bad_thing"}}`))
	f.Add(uint8(0), uint8(2), uint16(0), uint16(2), uint8(0), uint8(0), uint16(0), uint8(0), uint8(0), uint8(0), []byte(`{"error":{"message":"bad","type":"invalid_request_error","code":"bad_thing"}}`))
	f.Add(uint8(1), uint8(2), uint16(0), uint16(6), uint8(3), uint8(0), uint16(0), uint8(1), uint8(0), uint8(0), []byte(`oops`))
	f.Add(uint8(0), uint8(0), uint16(0), uint16(0), uint8(0), uint8(1), uint16(200), uint8(2), uint8(0), uint8(0), []byte(nil))
	f.Add(uint8(1), uint8(0), uint16(0), uint16(0), uint8(11), uint8(1), uint16(500), uint8(0), uint8(0), uint8(0), []byte(nil))
	f.Add(uint8(1), uint8(0), uint16(0), uint16(0), uint8(0), uint8(0), uint16(0), uint8(0), uint8(2), uint8(0), []byte(nil))
	f.Add(uint8(1), uint8(0), uint16(0), uint16(0), uint8(0), uint8(0), uint16(0), uint8(0), uint8(0), uint8(2), []byte(nil))
	f.Add(uint8(0), uint8(0), uint16(0), uint16(0), uint8(0), uint8(2), uint16(0), uint8(0), uint8(0), uint8(0), []byte(nil))
	f.Add(uint8(1), uint8(2), uint16(0), uint16(0), uint8(4), uint8(0), uint16(0), uint8(0), uint8(0), uint8(0), []byte("data: {\"id\":\"x\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"}}]}\n\nevent: error\ndata: {\"error\":{\"message\":\"boom\"}}\n\n"))
	f.Add(uint8(0), uint8(2), uint16(0), uint16(0), uint8(0), uint8(0), uint16(0), uint8(0), uint8(0), uint8(0), []byte(`{"id":"x","choices":[{"message":{"content":tru}}]}`))
	f.Add(uint8(0), uint8(3), uint16(0), uint16(0), uint8(0), uint8(0), uint16(0), uint8(0), uint8(0), uint8(0), []byte(`<html>bad gateway</html>`))
	f.Add(uint8(2), uint8(0), uint16(0), uint16(0), uint8(0), uint8(0), uint16(0), uint8(0), uint8(0), uint8(0), []byte(nil))
	f.Add(uint8(3), uint8(0), uint16(0), uint16(0), uint8(9), uint8(0), uint16(0), uint8(0), uint8(0), uint8(0), []byte(nil))
	f.Add(uint8(3), uint8(1), uint16(700), uint16(0), uint8(9), uint8(0), uint16(0), uint8(0), uint8(3), uint8(0), []byte(nil))
	f.Add(uint8(4), uint8(0), uint16(0), uint16(0), uint8(0), uint8(0), uint16(0), uint8(0), uint8(0), uint8(0), []byte(nil))
	f.Add(uint8(5), uint8(0), uint16(0), uint16(0), uint8(0), uint8(0), uint16(0), uint8(0), uint8(0), uint8(0), []byte(nil))
	f.Add(uint8(2), uint8(2), uint16(0), uint16(0), uint8(0), uint8(0), uint16(0), uint8(0), uint8(0), uint8(0), []byte(responseJSON("resp_f", "failed", "", `"error":{"code":"server_error","message":"boom"},`)))
	f.Add(uint8(3), uint8(2), uint16(0), uint16(0), uint8(0), uint8(0), uint16(0), uint8(0), uint8(0), uint8(0), []byte(sseEvent("error", `{"type":"error","code":"rate_limit","message":"slow down","sequence_number":0}`)))
	// An SSE event named "error" whose data has no type: openai-go hands the
	// caller a typeless event and goes on, so the span does too.
	f.Add(uint8(3), uint8(2), uint16(0), uint16(0), uint8(4), uint8(0), uint16(0), uint8(0), uint8(0), uint8(0), []byte("event:error\ndata:{}\n\n"+sseEvent("response.output_text.delta", `{"type":"response.output_text.delta","delta":"x"}`)))
	// A stream that fails on an undecodable chunk, whose caller cancels its
	// context before it closes the stream (a defer order): the SDK's error
	// is the outcome, not the cancellation.
	f.Add(uint8(1), uint8(2), uint16(0), uint16(0), uint8(9), uint8(0), uint16(0), uint8(0), uint8(0), uint8(6), []byte("data: {\"id\":\"x\",\"choices\":[]}\n\ndata: {\"id\":tru}\n\ndata: [DONE]\n\n"))
	f.Add(uint8(3), uint8(0), uint16(0), uint16(0), uint8(9), uint8(0), uint16(0), uint8(0), uint8(0), uint8(6), []byte(nil))
	f.Fuzz(func(t *testing.T, op, kind uint8, cut, status uint16, chunk, fail uint8, errAt uint16, retries, consume, cancelAt uint8, raw []byte) {
		s := &script{retries: int(retries % 3), retryAs: []int{429, 500, 503}[int(retries)%3], chunk: int(chunk)%64 + 1, status: 200}
		opi := int(op) % len(fuzzOps)
		isStream := fuzzOps[opi].stream
		valid := fuzzOps[opi].valid()
		s.ctype = "application/json"
		if isStream {
			s.ctype = "text/event-stream; charset=utf-8"
		}
		switch kind % 4 {
		case 0:
			s.body = valid
		case 1:
			s.body = valid[:int(cut)%(len(valid)+1)]
		case 2:
			s.body = raw
		case 3:
			s.body, s.ctype = raw, "text/html"
		}
		if status != 0 {
			s.status = []int{200, 201, 400, 401, 404, 429, 500, 503}[int(status)%8]
		}
		switch fail % 3 {
		case 1:
			s.errAt, s.readErr = int(errAt)%(len(s.body)+1), io.ErrUnexpectedEOF
		case 2:
			s.failRT = true
		}
		consumeN, cancelN := 0, 0
		if isStream {
			consumeN, cancelN = int(consume%6), int(cancelAt%7)
			if cancelN == 6 {
				cancelN = cancelAfterLoop
			}
		}

		plain := play(s, opi, consumeN, cancelN, nil)
		rec := tracetest.NewSpanRecorder()
		tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
		traced := play(s, opi, consumeN, cancelN, tp)

		if d := diffOutcomes(plain, traced); d != "" {
			t.Fatalf("tracing changed what the caller saw: %s", d)
		}
		ended, started := rec.Ended(), rec.Started()
		if len(started) != len(ended) {
			t.Fatalf("%d spans started, %d ended", len(started), len(ended))
		}
		if len(ended) != len(traced.bodies) {
			t.Fatalf("%d attempts, %d spans", len(traced.bodies), len(ended))
		}
		for _, sp := range ended {
			for _, kv := range sp.Attributes() {
				if strings.Contains(kv.Value.String(), "sk-fuzz-secret") {
					t.Fatalf("%s carries the API key", kv.Key)
				}
			}
			if strings.Contains(sp.Status().Description, "sk-fuzz-secret") {
				t.Fatal("the status carries the API key")
			}
		}
		if len(ended) == 0 {
			return
		}
		last := ended[len(ended)-1]
		for _, sp := range ended[:len(ended)-1] {
			if sp.Status().Code != codes.Error {
				t.Errorf("a retried attempt's span has status %v", sp.Status())
			}
		}
		failed := last.Status().Code == codes.Error
		callerErr := traced.err != ""
		switch {
		case failed && !callerErr && attrs(last)["error.type"].String() == "canceled" && (cancelN > 0 && len(traced.chunks) >= cancelN || cancelN == cancelAfterLoop && consumeN > 0):
			// Cancelled before the stream's end, then closed without a
			// further Next: the call was cancelled (documented).
		case failed && !callerErr && strings.HasPrefix(fuzzOps[opi].name, "responses") && responsesFailed(traced):
			// A Responses answer that says it failed, or a stream's error
			// event: openai-go hands it over as a value (documented).
		case failed && !callerErr:
			t.Fatalf("the span failed (%s: %v) but the caller got no error", attrs(last)["error.type"].String(), last.Status().Description)
		case !failed && callerErr && !structuralGap(traced, s):
			t.Fatalf("the caller got %q but the span did not fail", traced.err)
		}
	})
}

// structuralGap reports a caller error the span may miss by design: a 2xx
// JSON body whose flaw (a bad literal or escape inside it) only a full JSON
// decode sees, or a stream chunk openai-go rejects on the same grounds.
func structuralGap(o outcome, s *script) bool {
	return !o.apiErr && !s.failRT && s.readErr == nil && s.status < 300 &&
		!strings.Contains(o.err, "context canceled")
}

// diffOutcomes describes the first difference between two outcomes.
func diffOutcomes(a, b outcome) string {
	switch {
	case a.result != b.result:
		return fmt.Sprintf("result %q vs %q", a.result, b.result)
	case a.err != b.err:
		return fmt.Sprintf("error %q vs %q", a.err, b.err)
	case a.closeErr != b.closeErr:
		return fmt.Sprintf("Close error %q vs %q", a.closeErr, b.closeErr)
	case len(a.chunks) != len(b.chunks):
		return fmt.Sprintf("%d chunks vs %d", len(a.chunks), len(b.chunks))
	case len(a.bodies) != len(b.bodies):
		return fmt.Sprintf("%d attempts vs %d", len(a.bodies), len(b.bodies))
	}
	for i := range a.chunks {
		if a.chunks[i] != b.chunks[i] {
			return fmt.Sprintf("chunk %d: %q vs %q", i, a.chunks[i], b.chunks[i])
		}
	}
	for i := range a.bodies {
		if a.bodies[i] != b.bodies[i] || a.paths[i] != b.paths[i] {
			return fmt.Sprintf("attempt %d sent %s %q vs %s %q", i, a.paths[i], a.bodies[i], b.paths[i], b.bodies[i])
		}
	}
	return ""
}

// responsesFailed reports whether a Responses caller was handed a failed
// response (status "failed", an error object) or an error event.
func responsesFailed(o outcome) bool {
	failedResp := func(r gjson.Result) (failed bool) {
		r.ForEach(func(k, v gjson.Result) bool { // every member: a key may come twice
			failed = failed || (k.Str == "status" && v.Str == "failed") || (k.Str == "error" && v.IsObject())
			return true
		})
		return failed
	}
	if o.result != "" && failedResp(gjson.Parse(o.result)) {
		return true
	}
	for _, c := range o.chunks {
		if t := gjson.Get(c, "type").Str; t == "error" || t == "response.failed" {
			return true
		}
	}
	return false
}
