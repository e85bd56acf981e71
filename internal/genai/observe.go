package genai

// Kinds of application spans (package observe).
const (
	KindWorkflow  = "workflow"
	KindTask      = "task"
	KindAgent     = "agent"
	KindTool      = "tool"
	KindRetriever = "retriever"
	KindReranker  = "reranker"
	KindEmbedding = "embedding"
	KindGuardrail = "guardrail"
	KindEvaluator = "evaluator"
)

// Observation is the neutral record of one application span: a workflow, an
// agent run, a tool call, a retrieval... Content fields (Input, Output,
// ToolArguments, Documents) are filled only when content is captured.
type Observation struct {
	Kind string
	Name string

	Input, Output Value
	// ToolArguments is the JSON text of a tool call's arguments.
	ToolArguments   Value
	ToolDescription string
	ToolCallID      string

	// Documents are retrieved (or reranked) documents.
	Documents []Document
	// Tools are the tools available to an agent; Handoffs the agents it may
	// hand off to.
	Tools    []Tool
	Handoffs []string

	Err *Error
}

// Value is a captured input or output: text, or JSON text when JSON is set.
type Value struct {
	Text string
	JSON bool
	Set  bool
}

// Document is one retrieved document.
type Document struct {
	ID      string
	Content string
	Score   Float
	// Metadata is a JSON object, as text ("" when none).
	Metadata string
	// Redacted is set when Content went through the redactor already (a
	// reranking's result whose text is the request's document, redacted
	// with the request).
	Redacted bool
}

// Cost is the price of one LLM call in Currency (ISO 4217 code or any unit
// the user's price table uses).
type Cost struct {
	Prompt, Completion, Total float64
	Currency                  string
}
