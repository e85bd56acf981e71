package openaitrace

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/openai/openai-go/v3/option"
	"go.opentelemetry.io/otel"

	"github.com/tracekit-go/tracekit/internal/genai"
	"github.com/tracekit-go/tracekit/internal/instr"
	"github.com/tracekit-go/tracekit/internal/jscan"
	"github.com/tracekit-go/tracekit/internal/sse"
)

// endpoint describes how one traced OpenAI endpoint maps to the record.
type endpoint struct {
	operation, api string
	parseRequest   func(body string, c *genai.Call, content bool)
	// parseResponse fills c.Response from a non-streamed body; it reports
	// whether the body is well-formed (see wellFormed).
	parseResponse func(body string, c *genai.Call, content bool) (wellFormed bool)
	newStream     func(content bool) streamAccumulator
	// parseRaw, when set, marks an endpoint whose non-streamed answer is
	// not JSON (speech's audio): its body is not buffered, and parseRaw
	// fills c.Response from the response's content type alone.
	parseRaw func(contentType string, c *genai.Call, content bool)
	// parseText, when set, reads a non-streamed answer that is not JSON but
	// text the request asked for (a transcription in text, srt or vtt,
	// which the SDK hands over raw); it reports false when the request
	// asked for JSON.
	parseText func(body string, c *genai.Call, content bool) bool
}

// streamAccumulator rebuilds a response from streamed SSE events.
type streamAccumulator interface {
	// consume takes one event; it reports whether the event was terminal.
	consume(event, data []byte) (done bool)
	// finish writes the response into c; complete is false when the stream
	// stopped before its terminal event.
	finish(c *genai.Call, complete bool)
}

var chatEndpoint = &endpoint{
	operation:     genai.OpChat,
	api:           "chat.completions",
	parseRequest:  parseChatRequest,
	parseResponse: parseChatResponse,
	newStream:     newChatStream,
}

// routes maps a POST path suffix to its endpoint; the first match wins.
// Endpoints that are not model inference (files, batches, models,
// voices, ...) and the inference ones not traced yet (videos, ...) have
// no route and pass through untouched.
var routes = []struct {
	suffix string
	ep     *endpoint
}{
	{"/chat/completions", chatEndpoint},
	{"/responses", responsesEndpoint},
	{"/embeddings", embeddingsEndpoint},
	{"/images/generations", imagesEndpoint},
	{"/images/edits", imageEditsEndpoint},
	{"/images/variations", imageVariationsEndpoint},
	{"/audio/speech", speechEndpoint},
	{"/audio/transcriptions", transcriptionEndpoint},
	{"/audio/translations", translationEndpoint},
	{"/moderations", moderationsEndpoint},
	{"/completions", completionsEndpoint}, // after /chat/completions
}

func route(method, path string) *endpoint {
	if method != http.MethodPost {
		return nil
	}
	path = strings.TrimSuffix(path, "/")
	for _, r := range routes {
		if strings.HasSuffix(path, r.suffix) {
			return r.ep
		}
	}
	return nil
}

// testHook, when set by a test, runs at each tracing stage ("begin",
// "observe") so that tests can make tracing panic.
var testHook func(stage string)

// activeKey marks a context whose request is already traced, so that a
// second tracing middleware on the same client does not double the span.
type activeKey struct{}

// maxBody bounds the bytes of a non-streamed response body a span buffers;
// a larger body is passed through and its response attributes are skipped.
const maxBody = 32 << 20

// tracer is one installed middleware.
type tracer struct {
	in       *instr.Instrumentation
	explicit bool // installed with options of its own
}

// ignoredReported is set once errIgnoredOptions has been reported: once per
// process, not per call.
var ignoredReported atomic.Bool

// errIgnoredOptions reports options that had no effect: tracing installed
// twice on one call (a client's and a call's, say) traces it once, with the
// options of the outer installation, the one installed first.
var errIgnoredOptions = errors.New("tracekit: openaitrace: tracing is installed twice on a call; the call is traced " +
	"once, with the options of the installation made first (the client's), and the options given to the later one " +
	"are ignored: give them to the first installation, or to Instrument")

func (t *tracer) handle(req *http.Request, next option.MiddlewareNext) (*http.Response, error) {
	if !pkg.Enabled() {
		return next(req)
	}
	c, traced := t.begin(req)
	if c == nil {
		return next(req)
	}
	returned := false
	defer func() {
		if !returned {
			// next panicked (a middleware below, the HTTP client): the
			// panic goes on to the caller, the span still ends.
			c.rec.Err = &genai.Error{Type: "panic", Message: "the request panicked"}
			c.end()
		}
	}()
	resp, err := next(traced)
	returned = true
	c.afterNext(traced, resp, err)
	return resp, err
}

// call is the state of one traced HTTP attempt.
type call struct {
	rec   genai.Call
	ep    *endpoint
	res   *instr.Resolved
	span  *instr.Span // &spanState
	start time.Time
	ctx   context.Context // the caller's context

	mu       sync.Mutex
	done     bool
	mode     uint8
	status   int
	buf      []byte
	overflow bool
	clen     int64  // the response's announced length (-1: unknown)
	jsonType bool   // the response's content type is JSON, as openai-go sees it
	rawType  string // the content type of an answer that is not JSON (see endpoint.parseRaw)
	rawRead  int64  // the bytes of such an answer read so far
	reqCut   bool   // the request body was read in part (past maxBody)
	// eofSeen: the body's end came with its last bytes, and is held back
	// for the caller's next Read (see tee.Read): the answer is whole.
	eofSeen  bool
	pooled   *[]byte // c.buf's pool entry, when it came from bodyPool
	stream   streamAccumulator
	splitter sse.Splitter
	terminal bool
	sawChunk bool
	stop     func() bool
	// lastRead is when a stream's body last gave bytes (or its response
	// came): the end of a stream its caller abandoned (see abandoned).
	lastRead time.Time
	endAt    time.Time // when the span ends at a time past (zero: now)

	// secrets are the request's credentials (Authorization and, for SigV4,
	// its access key id and signature; Api-Key; X-Amz-Security-Token; the
	// URL's user info): an error message that quotes them loses them.
	secrets  [8]string
	nsecrets int
	// reqBody is the request body when content is not captured: an error
	// message that quotes the prompt loses it (see withholdErr).
	reqBody []byte

	// spent is set once a non-streamed call has ended normally: its tee
	// then detaches it and it goes back to callPool.
	spent bool

	// Storage the call would otherwise allocate separately.
	spanState instr.Span
	msgs      [4]genai.Message
	tools     [2]genai.Tool
	choices   [1]genai.Choice
	reasons   [1]string
}

// callPool recycles the state of non-streamed calls (about 1.7 KB each):
// once such a call has ended, nothing refers to it but its tee, which lets it
// go (see tee.release). The state of a stream, or of a call whose
// context.AfterFunc callback has started, is left to the collector: the
// callback may still be running when the call ends.
var callPool = sync.Pool{New: func() any { return new(call) }}

// defaultBodyCap is the initial capacity of the response buffer when the
// response does not say its length: most chat responses fit.
const defaultBodyCap = 2048

// bodyPool recycles the buffers that responses of unknown length are
// gathered in: the complete body is then copied once, to its exact size
// (the record's strings alias that copy), and the buffer goes back. Buffers
// that grew beyond maxPooledBody are left to the collector.
var bodyPool = sync.Pool{New: func() any { b := make([]byte, 0, defaultBodyCap); return &b }}

const maxPooledBody = 1 << 20

// takeBody returns the gathered response body as a string the record may
// keep, and gives a pooled buffer back.
func (c *call) takeBody() string {
	if c.pooled == nil {
		return bstr(c.buf)
	}
	s := string(c.buf)
	c.releaseBuf()
	return s
}

func (c *call) releaseBuf() {
	if c.pooled != nil && cap(c.buf) <= maxPooledBody {
		*c.pooled = c.buf[:0]
		bodyPool.Put(c.pooled)
	}
	c.pooled, c.buf = nil, nil
}

const (
	modeJSON uint8 = iota
	modeError
	modeStream
)

// begin parses the request and starts the span. It returns nil when the
// request is not traced; a panic inside is recovered and the request passes
// through.
func (t *tracer) begin(req *http.Request) (c *call, out *http.Request) {
	defer func() {
		if r := recover(); r != nil {
			otel.Handle(fmt.Errorf("tracekit: recovered from a panic in tracing: %v", r))
			if c != nil && c.span != nil {
				c.span.End(&c.rec)
			}
			c, out = nil, nil
		}
	}()
	ep := route(req.Method, req.URL.Path)
	if ep == nil {
		return nil, nil
	}
	if req.Context().Value(activeKey{}) != nil {
		if t.explicit && ignoredReported.CompareAndSwap(false, true) {
			otel.Handle(errIgnoredOptions)
		}
		return nil, nil
	}
	res := t.in.Resolved()
	c = callPool.Get().(*call) // zero: recycle clears it
	c.ep, c.res, c.ctx = ep, res, req.Context()
	c.rec.TimeToFirstChunk = -1
	c.rec.Request.Messages = c.msgs[:0]
	c.rec.Request.Tools = c.tools[:0]
	c.rec.Response.Choices = c.choices[:0]
	c.rec.Response.FinishReasons = c.reasons[:0]
	c.rec.Operation = ep.operation
	c.rec.Provider = genai.ProviderOpenAI
	c.rec.API = ep.api
	c.rec.ServerAddress, c.rec.ServerPort, c.rec.ImplicitPort = serverOf(req)
	c.rec.Hosting = hostingOf(c.rec.ServerAddress, req.URL.Path, req.URL.RawQuery)
	if n := header(req.Header, "X-Stainless-Retry-Count"); n != "" && n != "0" {
		c.rec.ResendCount, _ = strconv.Atoi(n)
	}
	if body := requestBody(req); len(body) > 0 {
		// A body past the bound was read in part (a large multipart
		// form: its fields after the files are not read): whether it
		// streams, the answer's content type tells (see afterNext).
		c.reqCut = len(body) >= maxBody || req.ContentLength > maxBody
		ep.parseRequest(bstr(body), &c.rec, res.Capture)
		c.keepRequest(body)
	}
	c.span = &c.spanState
	ctx := res.StartInto(req.Context(), &c.rec, c.span)
	c.start = c.span.StartTime()
	if testHook != nil {
		testHook("begin")
	}
	return c, req.WithContext(context.WithValue(ctx, activeKey{}, true))
}

// keepRequest keeps of the request's body (the tracer's copy) what the call
// needs after its span started: when content is not captured, the body, of
// which an error message may quote any part (see withholdErr), until the
// call ends. Of a large body, the record takes copies of the strings it
// read from it, when they are less than half of it (genai.OwnRequest), so
// that the span, whose attributes alias them until it is exported, does
// not keep the whole body alive.
func (c *call) keepRequest(body []byte) {
	if !c.res.Capture {
		c.reqBody = body
	}
	genai.OwnRequest(&c.rec.Request, bstr(body))
}

// collectSecrets notes the credentials the request carries (each once).
func (c *call) collectSecrets(req *http.Request) {
	add := func(v string) {
		if v == "" || c.nsecrets == len(c.secrets) {
			return
		}
		for _, s := range c.secrets[:c.nsecrets] {
			if s == v {
				return
			}
		}
		c.secrets[c.nsecrets] = v
		c.nsecrets++
	}
	if a := header(req.Header, "Authorization"); a != "" {
		if _, cred, ok := strings.Cut(a, " "); ok {
			add(strings.TrimSpace(cred))
			// SigV4 (openai-go's bedrock package): the access key id
			// and the signature, which an error may quote on their own.
			if _, id, ok := strings.Cut(cred, "Credential="); ok {
				id, _, _ = strings.Cut(id, "/")
				add(id)
			}
			if _, sig, ok := strings.Cut(cred, "Signature="); ok {
				sig, _, _ = strings.Cut(sig, ",")
				add(strings.TrimSpace(sig))
			}
		} else {
			add(a)
		}
	}
	add(header(req.Header, "Api-Key"))
	add(header(req.Header, "X-Amz-Security-Token"))
	if u := req.URL.User; u != nil {
		add(u.Username())
		if p, ok := u.Password(); ok {
			add(p)
		}
	}
}

// withholdErr removes from the error the request's credentials and, when
// content is not captured, the request's content: an API may quote either
// in its error message (or code).
func (c *call) withholdErr() {
	e := c.rec.Err
	if e == nil {
		return
	}
	vals := append([]string(nil), c.secrets[:c.nsecrets]...)
	if !c.res.Capture && len(c.reqBody) > 0 {
		var full genai.Call
		c.ep.parseRequest(bstr(c.reqBody), &full, true) // (our copy: nothing kept of it)
		vals = instr.ContentStrings(vals, &full)
		vals = instr.AppendJSONTexts(vals, bstr(c.reqBody)) // (each text part apart)
	}
	e.Message = instr.Withhold(e.Message, vals)
	e.Type = instr.Withhold(e.Type, vals)
}

// requestBody returns the request's body, read from req.Body, which it
// replaces with a replay of the same bytes followed by whatever the original
// would have produced next (more bytes, EOF or its read error); closing the
// replay closes the original. The transport sends exactly what it would have
// sent. (GetBody is no way to peek: for a body given as a *bytes.Reader,
// openai-go's GetBody rewinds and returns the very reader the transport is
// about to send, so reading it would empty the request.) At most maxBody
// bytes are read.
func requestBody(req *http.Request) []byte {
	if req.Body == nil || req.Body == http.NoBody {
		return nil
	}
	orig := req.Body
	var b []byte
	var err error
	if n := req.ContentLength; n > 0 && n <= maxBody {
		b = make([]byte, n)
		var m int
		m, err = io.ReadFull(orig, b)
		b = b[:m]
		if err == io.ErrUnexpectedEOF {
			err = nil // the body ended early: the original says so again
		}
	} else {
		b, err = io.ReadAll(io.LimitReader(orig, maxBody))
	}
	r := &replayBody{b: b, rest: orig, orig: orig}
	if err != nil && err != io.EOF {
		r.rest = errReader{err}
	}
	req.Body = r
	return b
}

// replayBody is a request body whose first bytes were read by the tracer:
// it gives them back, then goes on with the rest.
type replayBody struct {
	b    []byte
	rest io.Reader
	orig io.Closer
}

func (r *replayBody) Read(p []byte) (int, error) {
	if len(r.b) > 0 {
		n := copy(p, r.b)
		r.b = r.b[n:]
		if len(r.b) == 0 {
			r.b = nil // (the request may outlive the copy's other users)
		}
		return n, nil
	}
	return r.rest.Read(p)
}

func (r *replayBody) Close() error { return r.orig.Close() }

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// serverOf returns the server address and the port when it is explicit and
// not 443; otherwise implicit is the port connected to (443, or the scheme's
// default).
func serverOf(req *http.Request) (host string, port, implicit int) {
	host = req.URL.Hostname()
	switch p := req.URL.Port(); p {
	case "443":
		return host, 0, 443
	case "": // (Atoi("") would allocate its error)
		if req.URL.Scheme == "http" {
			return host, 0, 80
		}
		return host, 0, 443
	default:
		port, _ = strconv.Atoi(p)
		return host, port, 0
	}
}

// afterNext hands the response to the span: it ends the span on a transport
// error, or watches the body until it is read or closed. req is the request
// given to next.
func (c *call) afterNext(req *http.Request, resp *http.Response, err error) {
	defer func() {
		if r := recover(); r != nil {
			otel.Handle(fmt.Errorf("tracekit: recovered from a panic in tracing: %v", r))
			c.end()
		}
	}()
	// The request's credentials, noted once the attempt is over (errors are
	// known only from here): those set before this middleware, and those
	// a middleware below added (openai-go's bedrock package signs last),
	// since WithContext shares the header map.
	c.collectSecrets(req)
	if err != nil || resp == nil {
		if err == nil {
			err = errors.New("no response")
		}
		c.rec.Err = &genai.Error{Type: ctxErrorType(c.ctx, err), Message: err.Error()}
		c.end()
		return
	}
	c.status = resp.StatusCode
	c.clen = resp.ContentLength
	ct := header(resp.Header, "Content-Type")
	switch {
	case resp.StatusCode >= 400:
		c.mode = modeError
	case c.rec.Streaming, c.reqCut && isEventStream(ct):
		// openai-go decodes the answer to a streaming request as an event
		// stream whatever its content type says (JSON, text/plain, none,
		// ...): so does the span.
		c.mode = modeStream
		c.rec.Streaming = true
		c.stream = c.ep.newStream(c.res.Capture)
		c.lastRead = time.Now()
	case c.ep.parseRaw != nil:
		// Not JSON (audio): nothing of it is kept.
		c.mode = modeJSON
		c.overflow = true
		c.rawType = ct
	default:
		c.mode = modeJSON
		c.jsonType = sdkJSONType(ct)
		if resp.ContentLength > 0 && resp.ContentLength <= maxBody {
			c.buf = make([]byte, 0, resp.ContentLength)
		} else {
			c.pooled = bodyPool.Get().(*[]byte)
			c.buf = (*c.pooled)[:0]
		}
	}
	if resp.Body == nil {
		c.end()
		return
	}
	if c.ctx.Done() != nil {
		// An abandoned body (a stream, or a raw body taken with
		// option.WithResponseBodyInto, never read to its end nor closed)
		// still ends its span when the call's context is done.
		c.mu.Lock() // the callback may run at once, on another goroutine
		c.stop = context.AfterFunc(c.ctx, c.cancelled)
		c.mu.Unlock()
	}
	t := &tee{rc: resp.Body, c: c, recycle: !c.held()}
	if c.held() {
		// A stream (or a raw answer: speech's audio) its caller lets go
		// of without reading it to its end or closing it (and whose
		// context never ends) still ends its span: when the collector
		// finds the tee unreachable. (c must never
		// refer to t, or t would never be. Over HTTP/2 the transport keeps
		// the response, and so t, until the server has ended the stream.)
		// The span's end runs the user's processors and exporters: on a
		// goroutine of its own, not on the runtime's few cleanup ones.
		runtime.AddCleanup(t, func(c *call) { go c.abandoned() }, c)
		// A provider that shuts down first ends it (instr.EndHeld).
		c.mu.Lock()
		if !c.done {
			instr.Hold(c)
		}
		c.mu.Unlock()
	}
	resp.Body = t
}

// HeldSpan returns the span of a held call (instr.Holder).
func (c *call) HeldSpan() *instr.Span { return c.span }

// EndAtShutdown ends a held call whose provider shuts down before its
// caller is done with its answer (instr.Holder): an answer not complete is
// cut short by the shutdown.
func (c *call) EndAtShutdown() {
	defer c.guard()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done {
		return
	}
	// Whole: its terminal event, its end (held back for the caller's next
	// Read), or all the bytes a raw answer announced.
	whole := c.terminal || c.eofSeen || c.clen > 0 && c.rawRead >= c.clen
	if !whole && c.rec.Err == nil {
		c.rec.Err = errShutdown
	}
	c.finishLocked(whole)
}

// noteEOF notes that the body's end came with its last bytes.
func (c *call) noteEOF() {
	c.mu.Lock()
	c.eofSeen = true
	c.mu.Unlock()
}

// errShutdown is the error of a call whose answer was still being read when
// tracing shut down.
var errShutdown = &genai.Error{Type: "shutdown", Message: "tracing shut down while the answer was still being read"}

// isEventStream reports whether a content type is an event stream's.
func isEventStream(ct string) bool {
	mt, _, _ := mime.ParseMediaType(ct)
	return mt == "text/event-stream"
}

// held reports whether the call's body is its caller's to read at its own
// pace, and possibly to drop unread: a stream, or a raw answer (speech's
// audio). Its span then also ends when the collector finds the body
// unreachable, and the call is not recycled.
func (c *call) held() bool {
	return c.mode == modeStream || c.mode == modeJSON && c.ep.parseRaw != nil
}

// header is h.Get(key) for a key already in canonical form (it is not
// canonicalised again).
func header(h http.Header, key string) string {
	if v := h[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// sdkJSONType reports whether openai-go decodes a body of content type ct as
// JSON: its media type contains application/json or ends in +json (a media
// type that does not parse is none).
func sdkJSONType(ct string) bool {
	if ct == "application/json" || ct == "application/json; charset=utf-8" {
		return true // the usual ones, without parsing
	}
	mt, _, _ := mime.ParseMediaType(ct) // as openai-go: a bad parameter still gives the type
	return strings.Contains(mt, "application/json") || strings.HasSuffix(mt, "+json")
}

// ctxErrorType is transportErrorType for an error of a call whose context
// is ctx: once the context is done, the call failed because of it, whatever
// the error says (a context ended with a cause, context.WithTimeoutCause or
// WithCancelCause, makes the transport and context.Cause report that cause,
// which is neither context.Canceled nor context.DeadlineExceeded).
func ctxErrorType(ctx context.Context, err error) string {
	if e := ctx.Err(); e != nil {
		return transportErrorType(e)
	}
	return transportErrorType(err)
}

// transportErrorType returns a short, stable error.type for an error that
// kept the request from getting a response.
func transportErrorType(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	default:
		return "connection_error"
	}
}

// tee passes the response body through untouched while the call observes it.
//
// The tee of a non-streamed call (recycle) lets the call go once it has
// ended: the caller may go on reading or closing the body, which then only
// passes through, while the call serves another request. mu makes that
// hand-over safe against a Read and a Close on two goroutines.
//
// The tee of a stream never makes a chunk wait for the span to end: the span
// of a stream whose terminal event has been read ends at the start of the
// next Read, and an EOF that comes with the last bytes is held back for one
// Read (the bytes, then the EOF: the same bytes and the same error).
type tee struct {
	rc      io.ReadCloser
	recycle bool
	mu      sync.Mutex // recycle only: guards c
	c       *call
	eof     bool // stream only: an EOF held back, to return on the next Read
}

func (t *tee) Read(p []byte) (int, error) {
	if !t.recycle {
		c := t.c
		if c.terminal {
			// The terminal event came in an earlier Read (terminal is
			// only written by the reader): end now, before waiting for
			// more bytes.
			c.observe(nil, nil)
		}
		if t.eof {
			c.observe(nil, io.EOF)
			return 0, io.EOF
		}
		n, err := t.rc.Read(p)
		if err == io.EOF && n > 0 {
			t.eof = true
			err = nil
			c.noteEOF()
		}
		c.observe(p[:n], err)
		if t.eof {
			return n, nil
		}
		return n, err
	}
	n, err := t.rc.Read(p)
	t.mu.Lock()
	if c := t.c; c != nil && c.observe(p[:n], err) {
		t.release(c)
	}
	t.mu.Unlock()
	return n, err
}

func (t *tee) Close() error {
	err := t.rc.Close()
	if !t.recycle {
		t.c.closed()
		runtime.KeepAlive(t) // no abandoned() before closed() has settled the call
		return err
	}
	t.mu.Lock()
	if c := t.c; c != nil && c.closed() {
		t.release(c)
	}
	t.mu.Unlock()
	return err
}

// release detaches a call that has ended normally (spent, as observe or
// closed reported it) and recycles it. t.mu is held.
func (t *tee) release(c *call) {
	t.c = nil
	*c = call{}
	callPool.Put(c)
}

// observe takes bytes the caller read and the error that came with them;
// spent reports that the call has ended normally and may be recycled (a call
// whose tracing panicked is not).
func (c *call) observe(p []byte, err error) (spent bool) {
	defer c.guard()
	c.mu.Lock()
	defer c.mu.Unlock()
	defer func() { spent = c.spent }() // runs first: mu is held
	if c.done {
		return
	}
	if testHook != nil {
		testHook("observe")
	}
	if c.terminal {
		// The terminal event arrived in an earlier read: end now, so that
		// ending never delays the bytes that carried it.
		c.finishLocked(true)
		return
	}
	switch c.mode {
	case modeStream:
		if len(p) > 0 {
			c.lastRead = time.Now()
			c.splitter.Feed(p, c.onEvent)
			if c.splitter.TooLong && !c.terminal && c.rec.Err == nil {
				// openai-go's scanner fails on such a line and ends the
				// caller's stream with that error.
				c.rec.Err = lineTooLong
			}
		}
	default:
		if len(p) > 0 && c.ep.parseRaw != nil {
			c.lastRead = time.Now()
			c.rawRead += int64(len(p))
		}
		if len(p) > 0 && !c.overflow {
			if len(c.buf)+len(p) > maxBody {
				c.overflow = true
				c.releaseBuf()
			} else {
				c.buf = append(c.buf, p...)
			}
		}
	}
	if err == nil {
		return
	}
	if c.terminal {
		// The terminal event came with the error, in the same Read: the
		// caller gets it (and all before it) first, as when the error comes
		// in a later Read; the call is settled.
		c.finishLocked(true)
		return
	}
	if err == io.EOF {
		if c.mode == modeStream && !c.terminal && c.ctx.Err() != nil {
			// The body ended before the terminal event and after the
			// caller's context was done: a server that stops on the
			// cancellation can end its response cleanly before the
			// transport notices. The call was cancelled, not completed.
			cause := context.Cause(c.ctx)
			c.rec.Err = &genai.Error{Type: ctxErrorType(c.ctx, cause), Message: cause.Error()}
			c.finishLocked(false)
			return
		}
		c.finishLocked(true)
		return
	}
	c.rec.Err = &genai.Error{Type: ctxErrorType(c.ctx, err), Message: err.Error()}
	c.finishLocked(false)
	return
}

// lineTooLong is the error of a stream that carried a line longer than
// openai-go reads.
var lineTooLong = &genai.Error{Type: "stream_decode_error", Message: "bufio.Scanner: token too long (a stream line of 32 MiB or more)"}

func (c *call) onEvent(event, data []byte) {
	if c.terminal {
		return // the caller gets nothing after the terminal event either
	}
	if !c.sawChunk {
		c.sawChunk = true
		c.rec.TimeToFirstChunk = time.Since(c.start).Seconds()
	}
	if c.stream.consume(event, data) {
		c.terminal = true
	}
}

// closed ends the call when its body is closed; spent as for observe.
func (c *call) closed() (spent bool) {
	defer c.guard()
	c.mu.Lock()
	defer c.mu.Unlock()
	defer func() { spent = c.spent }() // runs first: mu is held
	if c.done {
		return
	}
	if c.mode != modeError && !c.terminal && c.ctx.Err() != nil {
		// Closed unfinished after the caller's context was done: openai-go
		// closes the body and returns the context's error when the context
		// ends during the attempt (and a closed stream may race with the
		// context's AfterFunc). The call was cancelled, not completed.
		cause := context.Cause(c.ctx)
		c.rec.Err = &genai.Error{Type: ctxErrorType(c.ctx, cause), Message: cause.Error()}
	}
	c.finishLocked(c.terminal)
	return
}

// abandoned ends the call of a stream whose caller let go of its body
// without reading it to its end or closing it, once the collector has found
// the body unreachable (a runtime cleanup): as a Close would, dated at the
// body's last read. A call that has ended already is left as it is.
func (c *call) abandoned() {
	defer c.guard()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done {
		return
	}
	c.endAt = c.lastRead
	c.finishLocked(c.terminal)
}

func (c *call) cancelled() {
	defer c.guard()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done {
		return
	}
	if c.mode != modeStream && c.bodyWhole() {
		// The whole body has been read, not yet its end: whether the
		// caller gets the call's result depends on that end (already
		// received, or cut off by the cancellation), which the next Read
		// (or Close) tells.
		return
	}
	if !c.terminal {
		err := context.Cause(c.ctx)
		c.rec.Err = &genai.Error{Type: ctxErrorType(c.ctx, err), Message: err.Error()}
	}
	c.finishLocked(c.terminal)
}

// undecodable is the error of a complete non-streamed body openai-go cannot
// decode into its result: one whose content type is not JSON, or that is not
// well-formed (see wellFormed). A caller that takes the body raw
// (option.WithResponseBodyInto a string or bytes) decodes nothing: its span
// may then say a call failed that the SDK let through.
func (c *call) undecodable() *genai.Error {
	if !c.jsonType {
		return &genai.Error{Type: "unexpected_content_type", Message: "the response's content type is not JSON"}
	}
	return &genai.Error{Type: "decode_error", Message: "the response body is not a JSON object"}
}

// checked adapts a response parser that does not check the body's form.
func checked(parse func(string, *genai.Call, bool)) func(string, *genai.Call, bool) bool {
	return func(body string, c *genai.Call, content bool) bool {
		parse(body, c, content)
		return wellFormed(body)
	}
}

// wellFormed reports whether openai-go can decode body into its result, as
// far as its structure tells: its first JSON value is an object or null, and
// complete (what follows it does not matter). It checks structure (a value
// cut short or missing), not every rule of JSON (a bad literal or escape
// inside the object passes): a full validation would cost as much as the
// parse, or far more on a large embeddings body.
func wellFormed(body string) bool {
	d := jscan.New(body)
	switch d.Kind() {
	case jscan.KindObject, jscan.KindNull:
		d.Skip()
		return !d.Bad()
	}
	return false
}

// bodyWhole reports whether a non-streamed body has been read whole before
// its EOF: all of its announced length, or, of unknown length, one complete
// JSON value.
func (c *call) bodyWhole() bool {
	if c.overflow || len(c.buf) == 0 {
		return false
	}
	if c.clen >= 0 {
		return int64(len(c.buf)) == c.clen
	}
	d := jscan.New(bstr(c.buf))
	d.Skip()
	return d.AtEnd()
}

// finishLocked fills the response part of the record and ends the span.
func (c *call) finishLocked(complete bool) {
	c.done = true
	detached := true // no context callback can still run
	if c.stop != nil {
		detached = c.stop()
	}
	switch c.mode {
	case modeStream:
		c.stream.finish(&c.rec, complete)
	case modeError:
		body := c.takeBody()
		typ, msg, _ := parseError(body)
		if typ == "" {
			typ = strconv.Itoa(c.status)
		}
		if msg == "" {
			msg = strconv.Itoa(c.status) + " " + http.StatusText(c.status)
		}
		c.rec.Err = &genai.Error{Type: typ, Message: msg}
		genai.OwnResult(&c.rec, body) // (see keepRequest)
	default:
		body := c.takeBody()
		if c.ep.parseRaw != nil {
			if c.rec.Err == nil && complete {
				c.ep.parseRaw(c.rawType, &c.rec, c.res.Capture)
			}
		} else if c.rec.Err == nil && !c.overflow {
			ok := c.jsonType && body != "" && c.ep.parseResponse(body, &c.rec, c.res.Capture)
			if !c.jsonType && c.ep.parseText != nil {
				ok = c.ep.parseText(body, &c.rec, c.res.Capture)
			}
			genai.OwnResult(&c.rec, body) // (see keepRequest)
			if complete && !ok {
				// openai-go fails to decode it (its error, not the
				// response's attributes, is what the caller gets).
				c.rec.Err = c.undecodable()
				c.rec.Response = genai.Response{}
			}
		}
	}
	c.withholdErr()
	c.reqBody = nil // (a held call may be kept by its caller long after)
	if c.held() {
		instr.Release(c)
	}
	c.span.EndAt(&c.rec, c.endAt)
	// The span has its attributes (strings that alias the bodies, not the
	// call): the call may be recycled, unless the context's callback has
	// started (it would find another call in its place).
	c.spent = !c.held() && detached
}

// end ends the span with what the record holds (no response parsing).
func (c *call) end() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.done {
		c.done = true
		if c.stop != nil {
			c.stop()
		}
		c.withholdErr()
		c.span.End(&c.rec)
		if c.held() {
			instr.Release(c)
		}
	}
}

// guard recovers a panic while observing the body: the caller keeps its
// bytes, the span ends with what it has, and the panic goes to otel.Handle.
func (c *call) guard() {
	if r := recover(); r != nil {
		otel.Handle(fmt.Errorf("tracekit: recovered from a panic in tracing: %v", r))
		c.mu.Lock() // the deferred Unlock of the panicking method has run
		defer c.mu.Unlock()
		c.done = true
		if c.stop != nil {
			c.stop()
		}
		// Also when finishLocked panicked after setting done (in a parser,
		// before the span ended): End runs once.
		c.span.EndAt(&c.rec, c.endAt)
		if c.held() {
			instr.Release(c)
		}
	}
}
