// Package bedrocktrace traces Amazon Bedrock calls made with the AWS SDK for
// Go v2 (bedrockruntime and bedrockagentruntime) with OpenTelemetry.
//
// Each Converse, ConverseStream, InvokeModel, InvokeModelWithResponseStream,
// ApplyGuardrail, InvokeGuardrailChecks and agent-runtime InvokeAgent,
// InvokeInlineAgent, RetrieveAndGenerate, RetrieveAndGenerateStream,
// Retrieve, AgenticRetrieveStream, Rerank and InvokeFlow call gets one
// CLIENT span named
// bedrock.converse, bedrock.converse_stream, bedrock.invoke_model,
// bedrock.invoke_model_with_response_stream, bedrock.apply_guardrail or
// bedrock.invoke_guardrail_checks (a guardrail check:
// gen_ai.operation.name=apply_guardrail, the verdict as
// tracekit.guardrail.*, as a Converse call's whose guardrail trace is on),
// bedrock.invoke_agent, bedrock.invoke_inline_agent,
// bedrock.retrieve_and_generate, bedrock.retrieve_and_generate_stream,
// bedrock.retrieve (a retrieval: retrieval),
// bedrock.agentic_retrieve_stream (chat when it generates an answer, as
// RetrieveAndGenerateStream's; retrieval when it does not, as Retrieve's),
// bedrock.rerank (a reranking:
// rerank) or bedrock.invoke_flow (a workflow run: invoke_workflow), with
// gen_ai.system=aws.bedrock and the attributes of Coralogix llm-tracekit
// (gen_ai.request.*, gen_ai.prompt.<i>.*, gen_ai.completion.<i>.*,
// gen_ai.request.tools.<i>.*, gen_ai.usage.*), plus the
// gen_ai.client.operation.duration and gen_ai.client.token.usage histograms.
// Other operations pass through untraced.
//
// # Installing
//
// Any client built from an aws.Config can be traced:
//
//	cfg, _ := config.LoadDefaultConfig(ctx)
//	bedrocktrace.AppendMiddlewares(&cfg.APIOptions) // every client of cfg
//	client := bedrockruntime.NewFromConfig(cfg)
//
// or per client:
//
//	client := bedrocktrace.NewFromConfig(cfg)                     // bedrockruntime
//	agents := bedrocktrace.NewAgentRuntimeFromConfig(cfg)         // bedrockagentruntime
//	client = bedrockruntime.NewFromConfig(cfg, bedrocktrace.WithTracing())
//
// Installing twice (for example in cfg.APIOptions and again per client) is
// harmless: calls get one span, with the options of both installations, the
// later one's (a client's over its aws.Config's, a call's over its
// client's) overriding the earlier one's.
//
// # How calls are observed
//
// An Initialize middleware (outermost, once per call, outside the retry loop)
// reads the typed input, starts the span and, when the call returns, reads the
// typed output or the error. For InvokeModel the request and response bodies
// are parsed in one pass each (a single-pass scanner for Claude, gjson for
// the other families); the request body is copied once so that
// attribute strings never alias the caller's buffer (an image model's
// bodies, which may hold megabytes of images, are read in place, and what
// is kept of them is cloned; of a large body, the record keeps copies of
// the strings it read from it when they are less than half of it, one copy
// per stretch of the body, so that the span does not keep the body alive).
// The operations whose answer is whole in their typed output (Converse,
// InvokeModel, RetrieveAndGenerate, Retrieve, Rerank, ApplyGuardrail,
// InvokeGuardrailChecks) take what they need of the raw response (the
// request id as the response id, InvokeModel's
// X-Amzn-Bedrock-Input/Output-Token-Count headers) from the operation's
// metadata. For the streamed operations a Deserialize middleware
// (innermost) sees the raw HTTP response: it reads the request id and the
// token count headers, and wraps the response body in a pass-through tee. The tee hands every byte to
// the SDK unchanged and at once, and parses the complete event-stream frames
// it has seen (in the SDK's read buffer, or in its own copy of a frame that
// spans reads) to build the response, without allocating per frame; the
// SDK's stream reader is never replaced.
//
// A streamed call's span ends exactly once, on the first of: the terminal
// event (Converse metadata, Claude message_stop, the chunk that carries a stop
// reason for other model families), the SDK closing the body (at its end, on
// Close, or when its reader gives up), or cancellation of the call's context.
// AgenticRetrieveStream's SDK never closes the body, which it copies into a
// pipe its reader reads: its span ends when that reader stops (the
// caller's Close, the stream's end once every event is taken, or an error
// the reader recorded), with the SDK's outcome, or at the end of the call's
// context. A small goroutine waits for the reader, and returns with it.
// Its outcome is the one the SDK reports to the caller (the event stream's
// Err): an exception or error frame gives status Error with the SDK's error
// code as error.type; a read error, or a frame or payload the SDK rejects,
// EventStreamError. After the terminal event the call is complete: its span
// ends when the SDK next reads the body, so that ending it never delays that
// event, and a later failure of the connection is not the call's. A stream
// closed early records what arrived before the Close, which can be a little
// more than the caller took (the SDK's reader reads ahead). Tracing starts
// no goroutine of its own; a stream left unclosed keeps the SDK's reader
// goroutines, and its span, until Close, the end of its context, or
// export.Setup's shutdown (which ends it cut short, error.type=shutdown).
//
// # Bounds
//
// What a span buffers is bounded: the tee keeps at most one partial frame of at
// most 1 MiB (larger frames are passed through unobserved), the accumulated
// completion text and tool-call arguments of a stream are capped at 1 MiB in
// total, at 16 choices and at 128 tool calls per choice, and each identifier
// (id, model, tool name, finish reason) at 1 KiB (a longer one is not
// recorded); beyond the caps the text is cut. The call is not affected.
//
// # InvokeModel model families
//
// Request and response bodies (plain and streamed) are understood for
// Anthropic Claude (messages API), Meta Llama 2/3/4, Amazon Titan Text, Amazon
// Nova (messages-v1), Mistral (text and chat), Cohere Command R, AI21 Jamba,
// DeepSeek and OpenAI gpt-oss (chat completions); for the embedding models
// Amazon Titan Embeddings and Cohere Embed (an embeddings span), the rerank
// models Amazon Rerank and Cohere Rerank (a rerank span), and the image
// models Amazon Titan Image Generator, Amazon Nova Canvas and Stability AI's
// (an image generation: OTel GenAI's generate_content). The family is
// chosen from the model id, which may be a bare id, a cross-region inference profile
// ("us.", "eu.", "apac.", "global.", ...) or an ARN; when the id says nothing
// (an application inference profile ARN) the request body's shape decides. An
// unknown family still gets the base attributes and its span still ends.
// Token usage comes from the body, from amazon-bedrock-invocationMetrics or
// from the X-Amzn-Bedrock-Input-Token-Count / -Output-Token-Count headers.
//
// # Content
//
// Message content is recorded only when capture is on (WithCaptureContent or
// OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true). Header values,
// credentials and signatures are never recorded. A parse failure or a panic in
// tracing never reaches the caller: it is reported through otel.Handle and
// the call proceeds untouched.
package bedrocktrace
