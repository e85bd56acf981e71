// Package openaitrace traces github.com/openai/openai-go/v3 with
// OpenTelemetry.
//
// Install it on a client and every model call becomes a CLIENT span named
// "chat <model>" (or "embeddings <model>", "text_completion <model>",
// "generate_content <model>" for an image generation, speech, a
// transcription or a translation, and "moderation <model>" for a
// moderation, its verdict as tracekit.guardrail.*) with the
// request parameters, the prompt, the tool definitions, the end user, the
// completions (streamed ones too), the token usage and errors, plus the
// gen_ai.client.operation.duration and gen_ai.client.token.usage metrics:
//
//	client := openaitrace.NewClient(option.WithAPIKey(key))
//	// or: openai.NewClient(option.WithAPIKey(key), openaitrace.WithTracing())
//
// Attribute names follow Coralogix llm-tracekit (gen_ai.prompt.<i>.role,
// gen_ai.completion.<i>.content, gen_ai.request.tools.<i>.function.name,
// ...); see the semconv package.
//
// Message content (prompt and completion text, tool-call arguments) is
// recorded only when OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT is
// "true" ("span_only" and "span_and_event" also count, in any case) or
// WithCaptureContent(true) is given. Header values are never
// recorded.
//
// Streams: the span ends when the stream reaches its end, when it is closed,
// when reading it fails, or when the call's context is done, whichever comes
// first; never before the last chunk has been handed over (after the
// terminal event the span ends at the next read of the body). Always Close a
// stream (defer stream.Close()), as the SDK asks: one abandoned unclosed, on
// a context that never ends, keeps its connection, and its span ends when
// the garbage collector finds the stream unreachable (over HTTP/2, not
// before the server has ended it), dated at its last read, or when
// export.Setup's shutdown runs (cut short, error.type=shutdown, unless the
// answer was complete). A speech answer's body is held the same way.
//
// Tracing never changes what the caller sees: the same bytes, errors and
// retries. A failure or panic inside tracing is reported through otel.Handle
// and never reaches the caller. Uninstrument turns tracing off at run time
// and Instrument turns it back on.
package openaitrace
