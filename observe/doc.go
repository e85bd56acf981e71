// Package observe records application spans around LLM calls: workflows,
// tasks, agents, tools, retrievers, rerankers, embedders, guardrails and
// evaluators, so that the LLM spans of openaitrace and bedrocktrace sit
// inside a tree that explains them.
//
//	ctx, span := observe.Start(ctx, observe.Agent, "research_agent")
//	defer span.End()
//	docs, err := observe.Run(ctx, observe.Retriever, "kb", query, func(ctx context.Context) ([]Doc, error) {
//		...
//	})
//
// Start returns a context carrying the span; spans started from it, by this
// package or by the LLM instrumentations, are its children, on any goroutine.
// SpanFromContext reaches the current span to record what is learnt at run
// time (input, output, documents, available tools, hand-offs, tool
// arguments, arbitrary attributes).
//
// Inputs, outputs, tool arguments and documents are content: they are
// recorded only when content capture is on (WithCaptureContent, or the
// OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT environment variable),
// after the redactor in force (WithRedactor, or redact.SetDefault) has run
// over them.
//
// The request context (WithUser, WithSession, WithOrganization, WithProject,
// WithMetadata, WithTags) travels in ctx only: every span started below it
// carries it, LLM spans included.
//
// Attributes follow the conventions chosen with WithConventions (see
// semconv.ObservationEndAttrs): Tracekit by default (tracekit.span.kind,
// tracekit.input.value, gen_ai.agent.name, gen_ai.tool.name, ...), the
// OpenTelemetry GenAI conventions (invoke_agent, execute_tool,
// invoke_workflow, retrieval) or OpenInference (openinference.span.kind,
// input.value, retrieval.documents.<i>.document.*).
package observe
