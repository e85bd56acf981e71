package bedrocktrace

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"go.opentelemetry.io/otel"

	"github.com/tracekit-go/tracekit/internal/genai"
	"github.com/tracekit-go/tracekit/internal/instr"
	"github.com/tracekit-go/tracekit/semconv"
)

// Middleware ids. They are unique per stack, which is what makes installing
// twice detectable.
const (
	initID  = "tracekit.bedrocktrace.Initialize"
	deserID = "tracekit.bedrocktrace.RawResponse"
)

// AppendMiddlewares appends to apiOptions the middlewares that trace
// Bedrock Runtime and Bedrock Agent Runtime calls. Pass &cfg.APIOptions of an
// aws.Config to trace every client built from it, or &o.APIOptions of one
// client's Options. Installing twice does not double spans and does not fail
// the call: the installations' options combine, those of the later one (a
// client's over its aws.Config's, a call's over its client's) overriding
// those of the earlier one; an installation without options changes nothing.
func AppendMiddlewares(apiOptions *[]func(*middleware.Stack) error, opts ...Option) {
	if apiOptions == nil {
		return
	}
	*apiOptions = append(*apiOptions, newHooks(opts).install)
}

// newHooks returns an installation with opts.
func newHooks(opts []Option) *hooks {
	return &hooks{in: pkg.New(opts...), opts: append([]Option(nil), opts...)}
}

// WithTracing returns a bedrockruntime option that installs the tracing
// middlewares, for bedrockruntime.NewFromConfig or for a single call.
func WithTracing(opts ...Option) func(*bedrockruntime.Options) {
	h := newHooks(opts) // one installation however often the option is applied
	return func(o *bedrockruntime.Options) { o.APIOptions = append(o.APIOptions, h.install) }
}

// WithAgentRuntimeTracing returns a bedrockagentruntime option that installs
// the tracing middlewares, for bedrockagentruntime.NewFromConfig (or
// NewAgentRuntimeFromConfig) or for a single call: WithTracing's
// counterpart for Bedrock Agent Runtime clients.
func WithAgentRuntimeTracing(opts ...Option) func(*bedrockagentruntime.Options) {
	h := newHooks(opts)
	return func(o *bedrockagentruntime.Options) { o.APIOptions = append(o.APIOptions, h.install) }
}

// NewFromConfig returns a traced bedrockruntime client: it is
// bedrockruntime.NewFromConfig(cfg, optFns...) with the tracing middlewares
// installed with the package defaults (see Instrument).
func NewFromConfig(cfg aws.Config, optFns ...func(*bedrockruntime.Options)) *bedrockruntime.Client {
	fns := make([]func(*bedrockruntime.Options), 0, len(optFns)+1)
	fns = append(fns, WithTracing())
	return bedrockruntime.NewFromConfig(cfg, append(fns, optFns...)...)
}

// NewAgentRuntimeFromConfig returns a traced bedrockagentruntime client: it is
// bedrockagentruntime.NewFromConfig(cfg, optFns...) with the tracing
// middlewares installed with the package defaults (see Instrument).
func NewAgentRuntimeFromConfig(cfg aws.Config, optFns ...func(*bedrockagentruntime.Options)) *bedrockagentruntime.Client {
	fns := make([]func(*bedrockagentruntime.Options), 0, len(optFns)+1)
	fns = append(fns, WithAgentRuntimeTracing())
	return bedrockagentruntime.NewFromConfig(cfg, append(fns, optFns...)...)
}

// hooks is one installation: its options and its two middlewares.
type hooks struct {
	in   *instr.Instrumentation
	opts []Option
	// over caches the last installation made of an earlier one's options
	// followed by these (see combined).
	over atomic.Pointer[combinedHooks]
}

type combinedHooks struct{ earlier, combined *hooks }

// combined returns the installation whose options are earlier's followed
// by h's: h installed on a stack that earlier is installed on already.
func (h *hooks) combined(earlier *hooks) *hooks {
	if c := h.over.Load(); c != nil && c.earlier == earlier {
		return c.combined
	}
	opts := append(append([]Option(nil), earlier.opts...), h.opts...)
	c := &hooks{in: pkg.New(opts...), opts: opts}
	h.over.Store(&combinedHooks{earlier: earlier, combined: c})
	return c
}

func (h *hooks) install(s *middleware.Stack) error {
	if !pkg.Enabled() {
		// Uninstrumented: the SDK builds each operation's stack anew, and
		// this one is built as without tracing.
		return nil
	}
	if prev, ok := s.Initialize.Get(initID); ok {
		// Installed on this stack already: h's options, if any, combine
		// with the earlier installation's.
		if earlier, ok := prev.(initMW); ok && len(h.opts) > 0 {
			if _, err := s.Initialize.Swap(initID, initMW{h.combined(earlier.h)}); err != nil {
				otel.Handle(err)
			}
		}
		return nil
	}
	if err := s.Initialize.Add(initMW{h}, middleware.Before); err != nil {
		otel.Handle(err)
		return nil
	}
	if id := s.ID(); id == "Converse" || id == "InvokeModel" || id == "RetrieveAndGenerate" || id == "Retrieve" || id == "Rerank" || id == "ApplyGuardrail" || id == "InvokeGuardrailChecks" {
		// None needs the raw response before the SDK reads it: what they
		// take from it (the request id, InvokeModel's token count
		// headers) comes from the operation's metadata (see initMW).
		return nil
	}
	if _, ok := s.Deserialize.Get(deserID); ok {
		return nil
	}
	if err := s.Deserialize.Add(deserMW{}, middleware.After); err != nil {
		otel.Handle(err)
	}
	return nil
}

type stateKey struct{}

// initMW starts the span from the typed input and finishes it from the typed
// output (or leaves it to the stream tee).
type initMW struct{ h *hooks }

func (initMW) ID() string { return initID }

func (m initMW) HandleInitialize(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
	if !pkg.Enabled() {
		return next.HandleInitialize(ctx, in)
	}
	st := m.h.begin(ctx, in.Parameters)
	if st == nil {
		return next.HandleInitialize(untraced(ctx), in)
	}
	returned := false
	defer func() {
		if !returned {
			st.panicked() // the panic goes on to the caller
		}
	}()
	if st.op.whole() {
		out, md, err := next.HandleInitialize(st.ctx, in)
		returned = true
		if err == nil {
			st.fromMetadata(md)
		}
		if st.server {
			st.serverFromMetadata(md)
		}
		st.afterCall(out.Result, err)
		st.recycle()
		return out, md, err
	}
	out, md, err := next.HandleInitialize(context.WithValue(st.ctx, stateKey{}, st), in)
	returned = true
	result := out.Result
	if st.op == opAgenticStream {
		result = agenticOutput(md) // the output the caller got
	}
	st.afterCall(result, err)
	return out, md, err
}

// panicked ends the span of a call whose next handler panicked (a
// middleware below, the HTTP client). The state is not recycled.
func (st *callState) panicked() {
	defer st.guardEnd()
	st.mu.Lock()
	defer st.mu.Unlock()
	if !st.ended {
		st.call.Err = &genai.Error{Type: "panic", Message: "the call panicked"}
		st.endLocked()
	}
}

// untraced hides from an untraced call the state of a traced call whose
// context it runs in (a credentials provider's STS call made while the traced
// call signs its request): its responses are not the traced call's.
func untraced(ctx context.Context) context.Context {
	if st, _ := ctx.Value(stateKey{}).(*callState); st != nil {
		return context.WithValue(ctx, stateKey{}, (*callState)(nil))
	}
	return ctx
}

// fromMetadata takes from a successful call's metadata what its span needs
// of the raw response: the request id of Converse, RetrieveAndGenerate,
// Rerank and the guardrail checks (an error span carries no response
// attributes), InvokeModel's token count headers.
func (st *callState) fromMetadata(md middleware.Metadata) {
	defer instr.Guard()
	if st.op == opConverse || st.op == opRAG || st.op == opRerank || st.op == opGuardrail {
		if id, ok := awsmiddleware.GetRequestIDMetadata(md); ok && id != "" {
			st.call.Response.ID = id
		}
		return
	}
	if resp, ok := awsmiddleware.GetRawResponse(md).(*smithyhttp.Response); ok && resp != nil && resp.Response != nil {
		st.hdrIn = headerInt(resp.Header, "X-Amzn-Bedrock-Input-Token-Count")
		st.hdrOut = headerInt(resp.Header, "X-Amzn-Bedrock-Output-Token-Count")
	}
}

// serverFromMetadata notes the server of a Converse or InvokeModel call
// from the raw response in its metadata (see noteServer).
func (st *callState) serverFromMetadata(md middleware.Metadata) {
	defer instr.Guard()
	if resp, ok := awsmiddleware.GetRawResponse(md).(*smithyhttp.Response); ok && resp != nil && resp.Response != nil {
		st.noteServer(resp.Response)
	}
}

// noteServer records in the call the server that answered resp (the
// endpoint the SDK resolved), for the conventions that record it (st.server:
// OTel GenAI). mu held, or the state not shared yet.
func (st *callState) noteServer(resp *http.Response) {
	if resp.Request == nil || resp.Request.URL == nil {
		return
	}
	u := resp.Request.URL
	c := &st.call
	c.ServerAddress, c.ServerPort, c.ImplicitPort = u.Hostname(), 0, 0
	switch p := u.Port(); p {
	case "", "443":
		if u.Scheme == "http" && p == "" {
			c.ImplicitPort = 80
		} else {
			c.ImplicitPort = 443
		}
	default:
		c.ServerPort, _ = strconv.Atoi(p)
	}
}

// deserMW sees the raw HTTP response of every attempt.
type deserMW struct{}

func (deserMW) ID() string { return deserID }

func (deserMW) HandleDeserialize(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
	out, md, err := next.HandleDeserialize(ctx, in)
	if st, ok := ctx.Value(stateKey{}).(*callState); ok && st != nil {
		if resp, ok := out.RawResponse.(*smithyhttp.Response); ok && resp != nil && resp.Response != nil {
			st.onResponse(ctx, resp.Response)
		}
	}
	return out, md, err
}

// opKind is the traced operation.
type opKind uint8

const (
	opConverse opKind = iota + 1
	opConverseStream
	opInvoke
	opInvokeStream
	opAgent
	opRAG
	opRAGStream
	opRetrieve
	opFlow
	opRerank
	opGuardrail
	opAgenticStream
)

// whole reports whether an operation's answer is all in its typed output
// (Converse, InvokeModel, RetrieveAndGenerate, Retrieve, Rerank, the
// guardrail checks); the others' is an event stream, which the tee reads.
func (o opKind) whole() bool {
	switch o {
	case opConverse, opInvoke, opRAG, opRetrieve, opRerank, opGuardrail:
		return true
	}
	return false
}

// callState is everything about one traced call. After the stream tee is
// installed it is shared with the SDK's stream goroutine (and a context
// AfterFunc), so every access then goes through mu.
type callState struct {
	mu      sync.Mutex
	ctx     context.Context
	span    *instr.Span
	spanMem instr.Span // span points here: one allocation less
	call    genai.Call
	op      opKind
	fam     family
	capture bool
	// server: the conventions record the server the SDK resolved (OTel
	// GenAI's server.address and server.port; see noteServer).
	server bool
	render semconv.Renderer
	// params is the typed input when content is not captured: an error
	// message that quotes the prompt loses it (see withholdErr). A stream
	// takes what it needs of it when its call returns (withheld).
	params   any
	withheld []string

	teeing      bool
	ended       bool
	sawTerminal bool
	stopCancel  func() bool
	// sdkErr is the SDK stream's Err (set by afterCall); closed records a
	// body closed before afterCall stored it.
	sdkErr  func() error
	closed  bool
	readEnd bool // a Read of the body failed or met its end
	// bodyEnd: the body of a piped stream met its end or failed, which
	// settles it (see pipedTee); readerDone is closed once the SDK's reader
	// of its pipe has stopped.
	bodyEnd    bool
	readerDone <-chan struct{}
	endedCh    chan struct{} // closed when the span ends (see watchReader)
	// sdkStops: the SDK's reader stops at a frame the tee has seen (an
	// exception or error message, a message of another type, a malformed
	// frame): the outcome is what the SDK reports, when it closes the body.
	sdkStops bool

	spent         bool      // the span ended normally: see recycle
	hdrIn, hdrOut genai.Int // X-Amzn-Bedrock-*-Token-Count
	acc           streamAcc
	agent         *agentAcc
	chunkBuf      []byte // decoded chunk bytes, reused

	// Inline storage for the record's slices: a typical call allocates none.
	msgs    [4]genai.Message
	tools   [2]genai.Tool
	choices [1]genai.Choice
	reasons [1]string
}

// statePool recycles the state of Converse and InvokeModel calls (about
// 1.7 KB each). Only those: when they return, nothing refers to their state
// any more (the span has its attributes, strings that do not alias it). A
// stream's state is shared with the stream's reader and a context AfterFunc
// and is left to the collector.
var statePool = sync.Pool{New: func() any { return new(callState) }}

// recycle puts the state of a call that returned back in statePool, unless
// its span did not end normally (a panic in tracing).
func (st *callState) recycle() {
	st.mu.Lock()
	spent := st.spent
	st.mu.Unlock()
	if spent {
		*st = callState{}
		statePool.Put(st)
	}
}

// begin builds the request record from the typed input and starts the span;
// nil means "not traced".
func (h *hooks) begin(ctx context.Context, params any) (st *callState) {
	defer func() {
		if r := recover(); r != nil {
			otel.Handle(fmt.Errorf("bedrocktrace: recovered from a panic in tracing: %v", r))
			st = nil
		}
	}()
	var op opKind
	switch params.(type) {
	case *bedrockruntime.ConverseInput:
		op = opConverse
	case *bedrockruntime.ConverseStreamInput:
		op = opConverseStream
	case *bedrockruntime.InvokeModelInput:
		op = opInvoke
	case *bedrockruntime.InvokeModelWithResponseStreamInput:
		op = opInvokeStream
	case *bedrockagentruntime.InvokeAgentInput, *bedrockagentruntime.InvokeInlineAgentInput:
		op = opAgent
	case *bedrockagentruntime.RetrieveAndGenerateInput:
		op = opRAG
	case *bedrockagentruntime.RetrieveAndGenerateStreamInput:
		op = opRAGStream
	case *bedrockagentruntime.RetrieveInput:
		op = opRetrieve
	case *bedrockagentruntime.AgenticRetrieveStreamInput:
		op = opAgenticStream
	case *bedrockagentruntime.InvokeFlowInput:
		op = opFlow
	case *bedrockagentruntime.RerankInput:
		op = opRerank
	case *bedrockruntime.ApplyGuardrailInput, *bedrockruntime.InvokeGuardrailChecksInput:
		op = opGuardrail
	default:
		return nil
	}
	res := h.in.Resolved()
	st = statePool.Get().(*callState) // zero: recycle clears it
	st.op, st.capture = op, res.Capture
	st.server = res.Renderer.RecordsLateServer()
	st.render = res.Renderer
	if !res.Capture {
		st.params = params
	}
	c := &st.call
	c.Operation = genai.OpChat
	c.Provider = genai.ProviderBedrock
	c.TimeToFirstChunk = -1
	c.Request.Messages = st.msgs[:0]
	c.Request.Tools = st.tools[:0]
	c.Response.Choices = st.choices[:0]
	c.Response.FinishReasons = st.reasons[:0]
	switch p := params.(type) {
	case *bedrockruntime.ConverseInput:
		c.API = "converse"
		converseRequest(c, p.ModelId, p.Messages, p.System, p.InferenceConfig, p.ToolConfig, p.RequestMetadata, st.capture)
		if p.GuardrailConfig != nil {
			c.Request.GuardrailID = aws.ToString(p.GuardrailConfig.GuardrailIdentifier)
		}
	case *bedrockruntime.ConverseStreamInput:
		c.API = "converse_stream"
		c.Streaming = true
		converseRequest(c, p.ModelId, p.Messages, p.System, p.InferenceConfig, p.ToolConfig, p.RequestMetadata, st.capture)
		if p.GuardrailConfig != nil {
			c.Request.GuardrailID = aws.ToString(p.GuardrailConfig.GuardrailIdentifier)
		}
	case *bedrockruntime.InvokeModelInput:
		c.API = "invoke_model"
		c.Request.Model = aws.ToString(p.ModelId)
		c.Request.GuardrailID = aws.ToString(p.GuardrailIdentifier)
		st.fam = invokeRequest(c, p.Body, st.capture)
	case *bedrockruntime.InvokeModelWithResponseStreamInput:
		c.API = "invoke_model_with_response_stream"
		c.Streaming = true
		c.Request.Model = aws.ToString(p.ModelId)
		c.Request.GuardrailID = aws.ToString(p.GuardrailIdentifier)
		st.fam = invokeRequest(c, p.Body, st.capture)
	case *bedrockagentruntime.InvokeAgentInput:
		c.API = "invoke_agent"
		c.Streaming = true
		agentRequest(c, p)
		st.agent = &agentAcc{inputs: slices.Clone(c.Request.Messages)}
	case *bedrockagentruntime.InvokeInlineAgentInput:
		c.API = "invoke_inline_agent"
		c.Streaming = true
		inlineAgentRequest(c, p)
		st.agent = &agentAcc{inputs: slices.Clone(c.Request.Messages)}
	case *bedrockagentruntime.RetrieveAndGenerateInput:
		c.API = "retrieve_and_generate"
		ragRequest(c, p.Input, p.RetrieveAndGenerateConfiguration, p.SessionId, p.UserContext)
	case *bedrockagentruntime.RetrieveAndGenerateStreamInput:
		c.API = "retrieve_and_generate_stream"
		c.Streaming = true
		ragRequest(c, p.Input, p.RetrieveAndGenerateConfiguration, p.SessionId, p.UserContext)
	case *bedrockagentruntime.RetrieveInput:
		c.API = "retrieve"
		retrieveRequest(c, p)
	case *bedrockagentruntime.AgenticRetrieveStreamInput:
		c.API = "agentic_retrieve_stream"
		c.Streaming = true
		agenticRequest(c, p)
	case *bedrockagentruntime.InvokeFlowInput:
		c.API = "invoke_flow"
		c.Streaming = true
		flowRequest(c, p)
	case *bedrockagentruntime.RerankInput:
		c.API = "rerank"
		rerankRequest(c, p, st.capture)
	case *bedrockruntime.ApplyGuardrailInput:
		c.API = "apply_guardrail"
		guardrailRequest(c, p, st.capture)
	case *bedrockruntime.InvokeGuardrailChecksInput:
		c.API = "invoke_guardrail_checks"
		guardrailChecksRequest(c, p, st.capture)
	}
	if st.op == opAgenticStream && st.params != nil {
		// The SDK hands the caller its output before the request is sent:
		// the input is the caller's again from then on.
		st.withheld = st.contentValues()
		st.params = nil
	}
	st.span = &st.spanMem
	st.ctx = res.StartInto(ctx, c, st.span)
	return st
}

// afterCall runs on the caller's goroutine when the SDK call returns.
func (st *callState) afterCall(result any, err error) {
	defer st.guardEnd()
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.ended {
		return
	}
	if st.op == opAgenticStream {
		err = st.agenticOutcome(result, err)
		if err == nil && st.readerDone != nil {
			// The SDK never closes the body: its reader stopping ends
			// the span (watchReader).
			st.endedCh = make(chan struct{})
			go st.watchReader(st.readerDone, st.endedCh)
			return
		}
	}
	if err != nil {
		st.call.Err = errorOf(err)
		st.endLocked()
		return
	}
	switch r := result.(type) {
	case *bedrockruntime.ConverseOutput:
		converseResponse(&st.call, r, st.capture)
	case *bedrockruntime.InvokeModelOutput:
		invokeResponse(&st.call, st.fam, r.Body, st.capture)
	case *bedrockruntime.ConverseStreamOutput:
		if es := r.GetStream(); es != nil {
			st.sdkErr = es.Err
		}
	case *bedrockruntime.InvokeModelWithResponseStreamOutput:
		if es := r.GetStream(); es != nil {
			st.sdkErr = es.Err
		}
	case *bedrockagentruntime.InvokeAgentOutput:
		if es := r.GetStream(); es != nil {
			st.sdkErr = es.Err
		}
	case *bedrockagentruntime.InvokeInlineAgentOutput:
		if es := r.GetStream(); es != nil {
			st.sdkErr = es.Err
		}
	case *bedrockagentruntime.RetrieveAndGenerateOutput:
		out := outputOfRAG{guardrail: r.GuardrailAction, citations: r.Citations}
		if r.Output != nil {
			out.text = r.Output.Text
		}
		st.learnSession(r.SessionId)
		ragResponse(&st.call, &out, st.capture)
	case *bedrockagentruntime.RetrieveAndGenerateStreamOutput:
		if es := r.GetStream(); es != nil {
			st.sdkErr = es.Err
		}
		st.learnSession(r.SessionId)
	case *bedrockagentruntime.RetrieveOutput:
		retrieveResponse(&st.call, r, st.capture)
	case *bedrockagentruntime.RerankOutput:
		rerankResponse(&st.call, r, st.capture)
	case *bedrockruntime.ApplyGuardrailOutput:
		guardrailResponse(&st.call, r)
	case *bedrockruntime.InvokeGuardrailChecksOutput:
		guardrailChecksResponse(&st.call, r)
	case *bedrockagentruntime.InvokeFlowOutput:
		if es := r.GetStream(); es != nil {
			st.sdkErr = es.Err
		}
		st.learnSession(r.ExecutionId)
	}
	if st.teeing && !st.closed && !st.bodyEnd {
		if st.params != nil {
			// The input is the caller's again once the call returns: what
			// an error of the stream may quote of it is taken now, on the
			// caller's goroutine, not when the stream ends.
			st.withheld = st.contentValues()
			st.params = nil
		}
		return // the stream tee ends the span
	}
	if st.closed {
		st.settleFromSDKLocked()
	}
	st.endLocked()
}

// guardEnd recovers a panic in tracing and makes sure the span still ends.
func (st *callState) guardEnd() {
	if r := recover(); r != nil {
		otel.Handle(fmt.Errorf("bedrocktrace: recovered from a panic in tracing: %v", r))
		// Deferred unlocks have run by now: mu is free.
		st.mu.Lock()
		st.ended = true
		if st.stopCancel != nil {
			st.stopCancel()
		}
		if st.teeing {
			instr.Release(st)
		}
		st.mu.Unlock()
		st.span.End(&genai.Call{Operation: st.call.Operation, Provider: st.call.Provider, API: st.call.API,
			Request: genai.Request{Model: st.call.Request.Model}})
	}
}

// endLocked folds what was observed into the record and ends the span. mu
// must be held.
func (st *callState) endLocked() {
	if st.ended {
		return
	}
	st.ended = true
	if st.endedCh != nil {
		close(st.endedCh)
	}
	if st.teeing {
		instr.Release(st)
	}
	if st.stopCancel != nil {
		st.stopCancel()
	}
	c := &st.call
	if c.Err == nil {
		switch st.op {
		case opConverseStream, opInvokeStream, opFlow:
			st.acc.into(c, st.capture)
		case opRAGStream, opAgenticStream:
			st.acc.into(c, st.capture)
			if c.Operation == genai.OpRetrieval {
				break // documents, no answer
			}
			if len(c.Response.Choices) == 0 {
				c.Response.Choices = append(c.Response.Choices, genai.Choice{Role: "assistant"})
			}
			c.Response.Unreasoned = len(c.Response.FinishReasons) == 0
		case opAgent:
			st.agent.into(c, st.capture)
			// The model, its parameters and the prompt history are learnt
			// from the stream: render the request attributes again
			// (redacted like any captured content).
			st.span.UpdateRequest(c)
		}
		if len(c.Response.FinishReasons) == 0 {
			c.Response.FinishReasons = nil // none known: no attribute (not an empty list)
		}
		if !c.Response.Usage.InputTokens.Set && st.hdrIn.Set {
			c.Response.Usage.InputTokens = st.hdrIn
		}
		if !c.Response.Usage.OutputTokens.Set && st.hdrOut.Set && c.Operation != genai.OpEmbeddings {
			c.Response.Usage.OutputTokens = st.hdrOut
		}
	}
	st.withholdErr()
	if st.server && c.ServerAddress != "" {
		st.span.SetAttributes(st.render.LateServer(nil, c)...)
	}
	st.span.End(c)
	st.spent = true
}

// withholdErr removes the request's content from the error when content is
// not captured: an API may quote the prompt it rejected (a validation
// error's "Value '...' at 'messages.1.member.content'...").
func (st *callState) withholdErr() {
	e := st.call.Err
	if e == nil || st.params == nil && st.withheld == nil {
		return
	}
	vals := st.withheld
	if st.params != nil {
		vals = st.contentValues()
	}
	e.Message = instr.Withhold(e.Message, vals)
	e.Type = instr.Withhold(e.Type, vals)
}

// contentValues returns what a message may quote of the request's content
// (see withholdErr).
func (st *callState) contentValues() []string {
	var full genai.Call
	var extra []string
	switch p := st.params.(type) {
	case *bedrockruntime.ConverseInput:
		converseRequest(&full, p.ModelId, p.Messages, p.System, p.InferenceConfig, p.ToolConfig, p.RequestMetadata, true)
		extra = appendConverseTexts(extra, p.Messages, p.System)
	case *bedrockruntime.ConverseStreamInput:
		converseRequest(&full, p.ModelId, p.Messages, p.System, p.InferenceConfig, p.ToolConfig, p.RequestMetadata, true)
		extra = appendConverseTexts(extra, p.Messages, p.System)
	case *bedrockruntime.InvokeModelInput:
		full.Request.Model = aws.ToString(p.ModelId)
		extra = appendInvokeContent(extra, invokeRequest(&full, p.Body, true), p.Body)
		extra = instr.AppendJSONTexts(extra, bstr(p.Body))
	case *bedrockruntime.InvokeModelWithResponseStreamInput:
		full.Request.Model = aws.ToString(p.ModelId)
		extra = appendInvokeContent(extra, invokeRequest(&full, p.Body, true), p.Body)
		extra = instr.AppendJSONTexts(extra, bstr(p.Body))
	case *bedrockagentruntime.InvokeAgentInput:
		agentRequest(&full, p)
		if s := p.SessionState; s != nil {
			extra = appendSessionContent(extra, s.ConversationHistory, s.PromptSessionAttributes, s.ReturnControlInvocationResults, s.Files)
		}
	case *bedrockagentruntime.InvokeInlineAgentInput:
		inlineAgentRequest(&full, p)
		extra = appendInlineAgentContent(extra, p)
	case *bedrockagentruntime.RetrieveAndGenerateInput:
		ragRequest(&full, p.Input, p.RetrieveAndGenerateConfiguration, p.SessionId, p.UserContext)
		extra = appendRAGContent(extra, p.RetrieveAndGenerateConfiguration)
	case *bedrockagentruntime.RetrieveAndGenerateStreamInput:
		ragRequest(&full, p.Input, p.RetrieveAndGenerateConfiguration, p.SessionId, p.UserContext)
		extra = appendRAGContent(extra, p.RetrieveAndGenerateConfiguration)
	case *bedrockagentruntime.RetrieveInput:
		retrieveRequest(&full, p)
	case *bedrockagentruntime.AgenticRetrieveStreamInput:
		agenticRequest(&full, p)
	case *bedrockruntime.ApplyGuardrailInput:
		guardrailRequest(&full, p, true)
	case *bedrockruntime.InvokeGuardrailChecksInput:
		guardrailChecksRequest(&full, p, true)
		extra = appendGuardrailChecksTexts(extra, p)
	case *bedrockagentruntime.RerankInput:
		rerankRequest(&full, p, true)
		extra = appendRerankContent(extra, p)
	case *bedrockagentruntime.InvokeFlowInput:
		flowRequest(&full, p)
		for i := range full.Request.Messages {
			extra = appendFlowStrings(extra, full.Request.Messages[i].Content)
		}
	}
	return instr.ContentStrings(extra, &full)
}

// appendInvokeContent appends what an error message may quote of an
// InvokeModel body beyond what its record holds: every document given to a
// rerank model, every prompt text of an image model's. (The strings alias
// body: Withhold keeps none of them.)
func appendInvokeContent(dst []string, fam family, body []byte) []string {
	switch fam {
	case famRerank:
		dst = appendRerankBodyContent(dst, bstr(body))
	case famImage:
		dst = appendImageBodyContent(dst, bstr(body))
	}
	return dst
}

const requestIDHeader = "X-Amzn-Requestid"

// onResponse runs in the innermost Deserialize middleware with the raw HTTP
// response of one attempt.
func (st *callState) onResponse(ctx context.Context, resp *http.Response) {
	defer instr.Guard()
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.ended || st.teeing {
		return
	}
	if st.server {
		st.noteServer(resp)
	}
	ok := resp.StatusCode >= 200 && resp.StatusCode <= 299
	if ok && (st.op == opConverseStream || st.op == opRAGStream || st.op == opAgenticStream) {
		// The id of a successful response (an error span carries no
		// response attributes).
		if id := resp.Header.Get(requestIDHeader); id != "" {
			st.call.Response.ID = id
		}
	}
	if st.op == opInvokeStream {
		st.hdrIn = headerInt(resp.Header, "X-Amzn-Bedrock-Input-Token-Count")
		st.hdrOut = headerInt(resp.Header, "X-Amzn-Bedrock-Output-Token-Count")
	}
	if !ok || resp.Body == nil || st.op.whole() {
		// (The SDK reads a successful answer of an event-stream operation
		// as an event stream whatever its Content-Type says: so does the
		// tee.)
		return
	}
	st.teeing = true
	if st.op == opAgenticStream {
		resp.Body = &pipedTee{frameTee: newFrameTee(resp.Body, st), st: st}
	} else {
		resp.Body = newFrameTee(resp.Body, st)
	}
	st.stopCancel = context.AfterFunc(ctx, func() { st.cancelled(ctx) })
	instr.Hold(st) // a provider that shuts down first ends it (instr.EndHeld)
}

// HeldSpan returns the span of a stream (instr.Holder).
func (st *callState) HeldSpan() *instr.Span { return st.span }

// EndAtShutdown ends a stream whose provider shuts down before its caller
// is done with it (instr.Holder): one that has not met its terminal event
// is cut short by the shutdown.
func (st *callState) EndAtShutdown() {
	defer st.guardEnd()
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.ended {
		return
	}
	if st.call.Err == nil && !st.sawTerminal {
		st.call.Err = &genai.Error{Type: "shutdown", Message: "tracing shut down while the stream was still being read"}
	}
	st.endLocked()
}

func headerInt(h http.Header, k string) genai.Int {
	v := h.Get(k)
	if v == "" {
		return genai.Int{}
	}
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil {
		return genai.Int{}
	}
	return genai.SetInt(n)
}

// cancelled ends the span of a stream whose call context was cancelled.
func (st *callState) cancelled(ctx context.Context) {
	defer st.guardEnd()
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.ended || st.readEnd || st.sdkStops {
		// (readEnd, sdkStops: the SDK's reader has stopped on its own, and
		// the outcome is what it reports, when it closes the body: a
		// caller that drained the stream may cancel its context before
		// that.)
		return
	}
	if st.sdkErr != nil && st.sdkErr() != nil {
		// The SDK's reader failed on its own (it records its error before
		// the caller's stream ends): its error is the outcome.
		st.settleFromSDKLocked()
		st.endLocked()
		return
	}
	if st.readerStopped() {
		// A piped stream's caller closed it before its context ended.
		st.settleFromSDKLocked()
		st.endLocked()
		return
	}
	if st.call.Err == nil && !st.sawTerminal {
		// Not settled yet by an exception or error frame, nor by the
		// terminal event (whose span ends at the SDK's next read).
		st.call.Err = ctxError(ctx.Err())
	}
	st.endLocked()
}

// readEnded is called by the tee when a Read of the body fails or meets its
// end.
func (st *callState) readEnded() {
	st.mu.Lock()
	st.readEnd = true
	st.mu.Unlock()
}

// streamDone is called by the tee when the SDK closes the body (its reader
// has ended: at EOF, on an error it already recorded, or on the caller's
// Close) or, with terminal set, at the SDK's first read after the terminal
// event (which it has accepted).
func (st *callState) streamDone(terminal bool) {
	defer st.guardEnd()
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.ended {
		return
	}
	if terminal {
		if st.sawTerminal {
			st.call.Err = nil
			st.endLocked()
		}
		return
	}
	st.closed = true
	if st.sdkErr == nil {
		return // afterCall ends the span
	}
	st.settleFromSDKLocked()
	st.endLocked()
}

// settleFromSDKLocked makes the outcome the SDK stream's: its reader records
// its error before it closes the body. mu held.
func (st *callState) settleFromSDKLocked() {
	if st.sdkErr == nil {
		return
	}
	err := st.sdkErr()
	if err == nil {
		st.call.Err = nil // what the frames said, the SDK did not report
		return
	}
	var api smithy.APIError
	switch {
	case errors.As(err, &api):
		st.call.Err = errorOf(err)
	case st.ctx != nil && st.ctx.Err() != nil:
		// The read failed once the caller's context was done (a context
		// ended with a cause makes the read report that cause).
		st.call.Err = ctxError(st.ctx.Err())
		st.call.Err.Message = err.Error()
	default:
		st.call.Err = readError(err)
	}
}

// markFirstChunk records the time to the first streamed chunk. mu held.
func (st *callState) markFirstChunk() {
	if st.call.TimeToFirstChunk < 0 {
		st.call.TimeToFirstChunk = time.Since(st.span.StartTime()).Seconds()
	}
}

// errorOf maps an SDK error to error.type and a message: the smithy error
// code for API errors (ValidationException, UnrecognizedClientException, ...),
// "canceled" or "timeout" for context errors, the Go type of the innermost
// error otherwise.
func errorOf(err error) *genai.Error {
	var api smithy.APIError
	if errors.As(err, &api) {
		msg := api.ErrorMessage()
		if msg == "" {
			msg = err.Error()
		}
		return &genai.Error{Type: api.ErrorCode(), Message: msg}
	}
	if e := ctxError(err); e != nil {
		return e
	}
	var de *smithy.DeserializationError
	if errors.As(err, &de) {
		// A body the SDK could not decode (invalid JSON, an HTML page
		// from a proxy, ...).
		return &genai.Error{Type: "DeserializationError", Message: err.Error()}
	}
	inner := err
	for {
		u := errors.Unwrap(inner)
		if u == nil {
			break
		}
		inner = u
	}
	return &genai.Error{Type: fmt.Sprintf("%T", inner), Message: err.Error()}
}

func ctxError(err error) *genai.Error {
	switch {
	case errors.Is(err, context.Canceled):
		return &genai.Error{Type: "canceled", Message: err.Error()}
	case errors.Is(err, context.DeadlineExceeded):
		return &genai.Error{Type: "timeout", Message: err.Error()}
	}
	return nil
}

// readError maps a stream read error.
func readError(err error) *genai.Error {
	if e := ctxError(err); e != nil {
		return e
	}
	return &genai.Error{Type: "EventStreamError", Message: err.Error()}
}
