package bedrocktrace

import (
	"strings"

	"github.com/tracekit-go/tracekit/internal/genai"
)

// Bounds of what one stream's span buffers.
const (
	maxStreamContent = 1 << 20 // bytes of completion text and tool arguments, all choices together
	maxChoices       = 16
	maxToolCalls     = 128 // per choice
	// maxStreamIdent bounds each identifier a stream keeps (ids, model,
	// roles, tool-call ids and names, finish reasons): a longer one is not
	// recorded. With the bounds above, a stream keeps at most about 4 MiB
	// of them.
	maxStreamIdent = 1 << 10
)

// toolAcc accumulates one streamed tool call.
type toolAcc struct {
	block    int // content block index (or tool-call index) it arrives on
	id, name string
	args     []byte
}

// choiceAcc accumulates one streamed choice.
type choiceAcc struct {
	seen      bool
	role      string
	text      []byte
	hasText   bool
	reasoning []byte
	finish    string
	tools     []toolAcc
}

// streamAcc accumulates a streamed response into the pieces of a
// genai.Response. Strings it keeps are owned copies: frames are decoded into
// reused buffers.
type streamAcc struct {
	choices [1]choiceAcc // choice 0 without an allocation
	more    []choiceAcc  // choices 1..maxChoices-1
	id      string
	model   string
	usage   genai.Usage
	size    int // bytes buffered in text and args
	// docs are the retrieved references of a RetrieveAndGenerateStream
	// (at most maxDocuments; their strings owned).
	docs []genai.Document
	// guardrail is the verdict of a ConverseStream's guardrail, from its
	// trace (see guardrailTrace).
	guardrail *genai.GuardrailVerdict
}

func (a *streamAcc) choice(i int) *choiceAcc {
	if i <= 0 {
		a.choices[0].seen = true
		return &a.choices[0]
	}
	if i >= maxChoices {
		return nil
	}
	for len(a.more) < i {
		a.more = append(a.more, choiceAcc{})
	}
	a.more[i-1].seen = true
	return &a.more[i-1]
}

// appendText adds streamed text to a choice; when capture is off only the
// fact that there was text is kept.
func (a *streamAcc) appendText(ch *choiceAcc, s string, capture bool) {
	if ch == nil {
		return
	}
	ch.hasText = true
	if capture {
		ch.text = a.bounded(ch.text, s)
	}
}

// bounded appends s to dst, within what the stream may still buffer.
func (a *streamAcc) bounded(dst []byte, s string) []byte {
	if room := maxStreamContent - a.size; room < len(s) {
		s = s[:max(room, 0)]
	}
	a.size += len(s)
	if dst == nil && s != "" {
		// Streamed text (an answer, reasoning, tool-call arguments)
		// comes in many small deltas: start with room for a few hundred
		// bytes rather than growing from a few.
		dst = make([]byte, 0, max(256, len(s)))
	}
	return append(dst, s...)
}

// appendReasoning adds streamed reasoning (thinking) text to a choice; it is
// content: kept only when captured.
func (a *streamAcc) appendReasoning(ch *choiceAcc, s string, capture bool) {
	if ch != nil && capture {
		ch.reasoning = a.bounded(ch.reasoning, s)
	}
}

// tool returns the tool call of a choice that arrives on block, creating it.
func (a *streamAcc) tool(ch *choiceAcc, block int) *toolAcc {
	if ch == nil {
		return nil
	}
	for i := range ch.tools {
		if ch.tools[i].block == block {
			return &ch.tools[i]
		}
	}
	if len(ch.tools) >= maxToolCalls {
		return nil
	}
	ch.tools = append(ch.tools, toolAcc{block: block})
	return &ch.tools[len(ch.tools)-1]
}

// toolByID returns the tool call of a choice with the given id, creating it
// (keyed apart from indexed calls); an empty id means the last call.
func (a *streamAcc) toolByID(ch *choiceAcc, id string) *toolAcc {
	if ch == nil {
		return nil
	}
	if id == "" && len(ch.tools) > 0 {
		return &ch.tools[len(ch.tools)-1]
	}
	for i := range ch.tools {
		if id != "" && ch.tools[i].id == id {
			return &ch.tools[i]
		}
	}
	return a.tool(ch, -1-len(ch.tools))
}

// existingTool returns the tool call on block, or nil.
func (a *streamAcc) existingTool(ch *choiceAcc, block int) *toolAcc {
	if ch == nil {
		return nil
	}
	for i := range ch.tools {
		if ch.tools[i].block == block {
			return &ch.tools[i]
		}
	}
	return nil
}

// appendArgs adds a fragment of tool-call arguments (only when capturing).
func (a *streamAcc) appendArgs(t *toolAcc, s string, capture bool) {
	if t != nil && capture {
		t.args = a.bounded(t.args, s)
	}
}

// setIdent is setClone for an identifier of a stream: one longer than
// maxStreamIdent is not kept.
func (a *streamAcc) setIdent(dst *string, s string) {
	if len(s) <= maxStreamIdent {
		setClone(dst, s)
	}
}

func setClone(dst *string, s string) {
	if s != "" && *dst != s {
		*dst = strings.Clone(s)
	}
}

// into moves what was accumulated into the response of c.
func (a *streamAcc) into(c *genai.Call, capture bool) {
	r := &c.Response
	if a.id != "" {
		r.ID = a.id
	}
	if a.model != "" {
		r.Model = a.model
	} else if r.Model == "" {
		r.Model = c.Request.Model
	}
	mergeUsage(&r.Usage, &a.usage)
	r.Documents = append(r.Documents, a.docs...)
	if a.guardrail != nil {
		r.Guardrail = a.guardrail
	}
	n := 1 + len(a.more)
	for i := 0; i < n; i++ {
		ch := &a.choices[0]
		if i > 0 {
			ch = &a.more[i-1]
		}
		if !ch.seen {
			continue
		}
		out := genai.Choice{Role: ch.role, FinishReason: ch.finish}
		if out.Role == "" {
			out.Role = "assistant"
		}
		if ch.hasText {
			out.HasContent = capture
			if capture {
				out.Content = string(ch.text)
			}
		}
		if capture {
			out.Reasoning = string(ch.reasoning)
		}
		for _, t := range ch.tools {
			tc := genai.ToolCall{ID: t.id, Type: "function", Name: t.name}
			if capture {
				tc.Arguments = string(t.args)
			}
			out.ToolCalls = append(out.ToolCalls, tc)
		}
		r.Choices = append(r.Choices, out)
		if ch.finish != "" {
			r.FinishReasons = append(r.FinishReasons, ch.finish)
		}
	}
}

// mergeUsage copies the counts set in src into dst.
func mergeUsage(dst, src *genai.Usage) {
	if src.InputTokens.Set {
		dst.InputTokens = src.InputTokens
	}
	if src.OutputTokens.Set {
		dst.OutputTokens = src.OutputTokens
	}
	if src.CacheReadInputTokens.Set {
		dst.CacheReadInputTokens = src.CacheReadInputTokens
	}
	if src.CacheWriteInputTokens.Set {
		dst.CacheWriteInputTokens = src.CacheWriteInputTokens
	}
	if src.ReasoningTokens.Set {
		dst.ReasoningTokens = src.ReasoningTokens
	}
}
