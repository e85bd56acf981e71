// Package semconv owns every attribute key tracekit emits and renders the
// neutral record of an LLM call (internal/genai) into span and metric
// attributes.
//
// Provider packages never name an attribute: they fill a record and hand it
// here. The default convention, Tracekit, follows Coralogix llm-tracekit's
// indexed keys (gen_ai.prompt.<i>.role, gen_ai.completion.<i>.content,
// gen_ai.request.tools.<i>.function.name, ...) so that Coralogix AI Center and
// any OTLP backend read them.
//
// Content (prompt and completion text, tool-call arguments, embedding vectors)
// is rendered only when content capture is on; everything else (roles, tool
// call ids and names, finish reasons, tool definitions, the end user) is always
// rendered, as in the reference implementation (OTel GenAI's
// gen_ai.tool.definitions then holds each tool's type and name only).
//
// For users, the attribute keys (the Key* constants and the others), the
// metric names and the Convention values are the API. The render functions
// (Renderer, RequestAttrs, ResponseAttrs, MetricAttrs, ContextAttrs,
// CostAttrs, ...) take tracekit's internal record of a call and serve its own
// packages.
package semconv
