package bedrocktrace

// Agent Runtime InvokeAgent: typed input, then chunk and trace events ->
// genai.Call.

import (
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentruntime/types"
	"github.com/tidwall/gjson"

	"github.com/tracekit-go/tracekit/internal/genai"
	"github.com/tracekit-go/tracekit/internal/instr"
)

func agentRequest(c *genai.Call, p *bedrockagentruntime.InvokeAgentInput) {
	c.Operation = genai.OpInvokeAgent
	r := &c.Request
	r.AgentID = aws.ToString(p.AgentId)
	r.AgentAliasID = aws.ToString(p.AgentAliasId)
	r.SessionID = aws.ToString(p.SessionId)
	if p.SessionState != nil {
		r.User = sessionUser(p.SessionState.SessionAttributes)
	}
	m := genai.Message{Role: "user"}
	if p.InputText != nil {
		m.Content, m.HasContent = *p.InputText, true
	}
	r.Messages = []genai.Message{m}
}

// sessionUser is the end user named by an agent session's attributes:
// userId, else user.
func sessionUser(attrs map[string]string) string {
	if u := attrs["userId"]; u != "" {
		return u
	}
	return attrs["user"]
}

// inlineAgentRequest fills the record of an InvokeInlineAgent call: the
// agent is defined in the call (its foundation model, its instruction as
// the system prompt, its action groups' functions as tools, its guardrail).
func inlineAgentRequest(c *genai.Call, p *bedrockagentruntime.InvokeInlineAgentInput) {
	c.Operation = genai.OpInvokeAgent
	r := &c.Request
	r.Model = aws.ToString(p.FoundationModel)
	r.AgentName = aws.ToString(p.AgentName)
	r.SessionID = aws.ToString(p.SessionId)
	if p.InlineSessionState != nil {
		r.User = sessionUser(p.InlineSessionState.SessionAttributes)
	}
	if g := p.GuardrailConfiguration; g != nil {
		r.GuardrailID = aws.ToString(g.GuardrailIdentifier)
	}
	msgs := make([]genai.Message, 0, 2)
	if p.Instruction != nil {
		msgs = append(msgs, genai.Message{Role: "system", Instructions: true, Content: *p.Instruction, HasContent: true})
	}
	m := genai.Message{Role: "user"}
	if p.InputText != nil {
		m.Content, m.HasContent = *p.InputText, true
	}
	r.Messages = append(msgs, m)
	for _, g := range p.ActionGroups {
		fs, ok := g.FunctionSchema.(*types.FunctionSchemaMemberFunctions)
		if !ok {
			continue
		}
		for _, f := range fs.Value {
			r.Tools = append(r.Tools, genai.Tool{Type: "function", Name: aws.ToString(f.Name), Description: aws.ToString(f.Description)})
		}
	}
}

// appendSessionContent appends to dst the content of an agent call's
// session state: its conversation history's text, its prompt session
// attributes, the tool results it returns and the names and S3 URIs of its
// files (withheld from error messages when content is not captured).
func appendSessionContent(dst []string, hist *types.ConversationHistory, promptAttrs map[string]string,
	results []types.InvocationResultMember, files []types.InputFile) []string {
	for _, r := range results {
		var body map[string]types.ContentBody
		switch r := r.(type) {
		case *types.InvocationResultMemberMemberApiResult:
			body = r.Value.ResponseBody
		case *types.InvocationResultMemberMemberFunctionResult:
			body = r.Value.ResponseBody
		}
		for _, b := range body {
			if b.Body != nil {
				dst = instr.AppendContent(dst, *b.Body)
			}
		}
	}
	for _, f := range files {
		if f.Name != nil {
			dst = instr.AppendContent(dst, *f.Name)
		}
		if f.Source != nil && f.Source.S3Location != nil && f.Source.S3Location.Uri != nil {
			dst = instr.AppendContent(dst, *f.Source.S3Location.Uri)
		}
	}
	if hist != nil {
		for _, m := range hist.Messages {
			for _, b := range m.Content {
				if t, ok := b.(*types.ContentBlockMemberText); ok {
					dst = instr.AppendContent(dst, t.Value)
				}
			}
		}
	}
	for _, v := range promptAttrs {
		dst = instr.AppendContent(dst, v)
	}
	return dst
}

// appendInlineAgentContent appends to dst the content an inline agent's
// definition carries besides its instruction and question: its session's,
// its collaborators' instructions, prompt templates and knowledge base
// descriptions.
func appendInlineAgentContent(dst []string, p *bedrockagentruntime.InvokeInlineAgentInput) []string {
	if s := p.InlineSessionState; s != nil {
		dst = appendSessionContent(dst, s.ConversationHistory, s.PromptSessionAttributes, s.ReturnControlInvocationResults, s.Files)
	}
	str := func(v *string) {
		if v != nil {
			dst = instr.AppendContent(dst, *v)
		}
	}
	prompts := func(o *types.PromptOverrideConfiguration) {
		if o != nil {
			for _, c := range o.PromptConfigurations {
				str(c.BasePromptTemplate)
			}
		}
	}
	kbs := func(list []types.KnowledgeBase) {
		for _, kb := range list {
			str(kb.Description)
		}
	}
	collabConfigs := func(list []types.CollaboratorConfiguration) {
		for _, c := range list {
			str(c.CollaboratorInstruction)
		}
	}
	prompts(p.PromptOverrideConfiguration)
	kbs(p.KnowledgeBases)
	collabConfigs(p.CollaboratorConfigurations)
	for _, c := range p.Collaborators {
		str(c.Instruction)
		prompts(c.PromptOverrideConfiguration)
		kbs(c.KnowledgeBases)
		collabConfigs(c.CollaboratorConfigurations)
	}
	return dst
}

// agentAcc accumulates an InvokeAgent stream.
type agentAcc struct {
	text     []byte
	hasText  bool
	model    string
	params   bool // inference configuration seen
	maxLen   genai.Int
	temp     genai.Float
	topK     genai.Float
	topP     genai.Float
	usage    genai.Usage
	finish   []string
	history  []genai.Message
	historyN int // how many histories were seen
	// inputs are the request's messages as built, before the span's start
	// redacted them in place: the request is rendered (and redacted) again
	// at the end.
	inputs []genai.Message
}

func (a *agentAcc) chunk(b []byte, capture bool) {
	a.hasText = true
	if !capture {
		return
	}
	if room := maxStreamContent - len(a.text); room < len(b) {
		b = b[:max(room, 0)]
	}
	a.text = append(a.text, b...)
}

// agentSubTraces are the trace kinds that carry model invocations.
var agentSubTraces = [...]string{"preProcessingTrace", "orchestrationTrace", "postProcessingTrace", "routingClassifierTrace"}

// trace applies one trace event (§4.6 of the reference): the first foundation
// model and inference configuration win, usage is summed over steps, stop
// reasons are deduplicated, and the latest model input replaces the prompt
// history.
func (a *agentAcc) trace(js string, capture bool) {
	t := gjson.Get(js, "trace")
	for _, k := range agentSubTraces {
		sub := t.Get(k)
		if !sub.Exists() {
			continue
		}
		if in := sub.Get("modelInvocationInput"); in.Exists() {
			if a.model == "" {
				setClone(&a.model, in.Get("foundationModel").Str)
			}
			if cfg := in.Get("inferenceConfiguration"); cfg.Exists() && !a.params {
				a.params = true
				setInt(&a.maxLen, cfg.Get("maximumLength"))
				setFloat(&a.temp, cfg.Get("temperature"))
				setFloat(&a.topK, cfg.Get("topK"))
				setFloat(&a.topP, cfg.Get("topP"))
			}
			if txt := in.Get("text"); txt.Type == gjson.String {
				if msgs := gjson.Get(txt.Str, "messages"); msgs.IsArray() {
					a.history = agentHistory(a.history[:0], msgs, capture)
					a.historyN++
				}
			}
		}
		if out := sub.Get("modelInvocationOutput"); out.Exists() {
			u := out.Get("metadata.usage")
			addInt(&a.usage.InputTokens, u.Get("inputTokens"))
			addInt(&a.usage.OutputTokens, u.Get("outputTokens"))
			if raw := out.Get("rawResponse.content"); raw.Type == gjson.String {
				if sr := gjson.Get(raw.Str, "stop_reason"); sr.Type == gjson.String && sr.Str != "" {
					a.addFinish(sr.Str)
				}
			}
		}
	}
}

func addInt(dst *genai.Int, v gjson.Result) {
	if v.Type == gjson.Number {
		dst.V += v.Int()
		dst.Set = true
	}
}

func (a *agentAcc) addFinish(s string) {
	for _, f := range a.finish {
		if f == s {
			return
		}
	}
	if len(a.finish) < maxChoices {
		a.finish = append(a.finish, strings.Clone(s))
	}
}

// agentHistory parses the messages of a model invocation input. Their content
// is a Java toString rendering such as
// "[{text=hello there, type=text}]", or plain text.
func agentHistory(dst []genai.Message, msgs gjson.Result, capture bool) []genai.Message {
	msgs.ForEach(func(_, m gjson.Result) bool {
		role := strings.Clone(m.Get("role").Str)
		dst = agentMessages(dst, role, m.Get("content").Str, capture)
		return true
	})
	return dst
}

// agentMessages appends what one history message holds, as llm-tracekit
// flattens a block list: a "tool" message per tool_result block, then the
// message itself with its text blocks joined and its tool_use blocks as tool
// calls (only if it has either, when it had tool blocks).
func agentMessages(dst []genai.Message, role, content string, capture bool) []genai.Message {
	if !strings.Contains(content, "type=tool_use") && !strings.Contains(content, "type=tool_result") {
		return append(dst, agentMessage(role, content, capture))
	}
	start := len(dst)
	msg := genai.Message{Role: role}
	var text textJoiner
	for _, b := range javaBlocks(content) {
		outer := withoutInput(b) // a tool's input may hold fields of any name
		switch {
		case javaField(outer, "type=") == "tool_result":
			if len(dst)-start >= maxToolCalls { // per history message
				continue
			}
			m := genai.Message{Role: "tool", ToolCallID: strings.Clone(javaField(outer, "tool_use_id="))}
			if capture {
				if c := javaRest(outer, "content="); c != "" {
					m.Content, m.HasContent = strings.Clone(c), true
				}
			}
			dst = append(dst, m)
		case javaField(outer, "type=") == "tool_use":
			if len(msg.ToolCalls) >= maxToolCalls {
				continue
			}
			tc := genai.ToolCall{Type: "function", ID: strings.Clone(javaField(outer, "id=")), Name: strings.Clone(javaField(outer, "name="))}
			if capture {
				if i := fieldIndex(b, "input="); i >= 0 && strings.HasPrefix(b[i:], "{") {
					tc.Arguments = strings.Clone(balanced(b[i:]))
				}
			}
			msg.ToolCalls = append(msg.ToolCalls, tc)
		case capture && javaField(outer, "type=") == "text":
			text.add(javaRest(outer, "text="))
		}
	}
	if len(msg.ToolCalls) > 0 || text.n > 0 {
		if text.n > 0 {
			msg.Content, msg.HasContent = strings.Clone(answerOf(role, text.String())), true
		}
		dst = append(dst, msg)
	}
	if len(dst) == start { // the markers were in text: read it as text
		dst = append(dst, agentMessage(role, content, capture))
	}
	return dst
}

// javaBlocks returns the top-level {...} groups of a Java list rendering
// "[{...}, {...}]" (the whole string when it has none).
func javaBlocks(s string) []string {
	var blocks []string
	for i := 0; i < len(s); i++ {
		if s[i] != '{' {
			continue
		}
		b := balanced(s[i:])
		blocks = append(blocks, b)
		i += len(b) - 1
	}
	if len(blocks) == 0 {
		blocks = append(blocks, s)
	}
	return blocks
}

// withoutInput returns a block with its input={...} group cut out.
func withoutInput(b string) string {
	i := fieldIndex(b, "input=")
	if i < 0 || !strings.HasPrefix(b[i:], "{") {
		return b
	}
	return b[:i] + b[i+len(balanced(b[i:])):]
}

// fieldIndex returns where the value of the field key ("name=") starts in a
// Java map rendering, the key taken only at a field's start (after "{" or
// ", "), or -1.
func fieldIndex(s, key string) int {
	for from := 0; ; {
		i := strings.Index(s[from:], key)
		if i < 0 {
			return -1
		}
		i += from
		if i == 0 || s[i-1] == '{' || i >= 2 && s[i-2:i] == ", " {
			return i + len(key)
		}
		from = i + 1
	}
}

// javaField returns the value of the field key up to the next ", " or "}".
func javaField(s, key string) string {
	i := fieldIndex(s, key)
	if i < 0 {
		return ""
	}
	s = s[i:]
	if j := strings.IndexAny(s, ",}"); j >= 0 {
		s = s[:j]
	}
	return strings.TrimSpace(s)
}

// javaRest returns the value of the field key, which may hold commas: up to
// the next known field of a content block, or the block's closing brace.
func javaRest(s, key string) string {
	i := fieldIndex(s, key)
	if i < 0 {
		return ""
	}
	s = strings.TrimSuffix(s[i:], "}")
	end := len(s)
	for _, next := range []string{", type=", ", tool_use_id=", ", content=", ", text="} {
		if j := strings.Index(s, next); j >= 0 && j < end {
			end = j
		}
	}
	return s[:end]
}

// answerOf returns what an assistant's text holds between <answer> and
// </answer>, when it has them.
func answerOf(role, text string) string {
	if role != "assistant" {
		return text
	}
	if i := strings.Index(text, "<answer>"); i >= 0 {
		text = text[i+len("<answer>"):]
		if j := strings.Index(text, "</answer>"); j >= 0 {
			text = text[:j]
		}
	}
	return text
}

// agentMessage reads one history message without tool blocks.
func agentMessage(role, content string, capture bool) genai.Message {
	msg := genai.Message{Role: role}
	if !capture {
		return msg
	}
	text := content
	if strings.HasPrefix(content, "[{") {
		text = ""
		if i := strings.Index(content, "text="); i >= 0 {
			text = content[i+len("text="):]
			if j := strings.LastIndex(text, ", type=text}"); j >= 0 {
				text = text[:j]
			} else {
				text = strings.TrimSuffix(strings.TrimSuffix(text, "]"), "}")
			}
		}
	}
	if text = answerOf(role, text); text != "" {
		msg.Content, msg.HasContent = strings.Clone(text), true
	}
	return msg
}

// balanced returns the {...} group at the start of s.
func balanced(s string) string {
	depth := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 {
				return s[:i+1]
			}
		}
	}
	return s
}

// into moves what the stream told into c: the latest prompt history replaces
// the prompt, the completion is the concatenated chunks (no per-choice finish
// reason), and the foundation model and inference configuration become the
// request parameters.
func (a *agentAcc) into(c *genai.Call, capture bool) {
	if a.historyN > 0 && len(a.history) > 0 {
		c.Request.Messages = a.history
		if len(a.inputs) > 0 && a.inputs[0].Instructions {
			// An inline agent's instruction stays its system prompt (and
			// the history is never shorter than the prompt it replaces:
			// no prompt attribute of the start is left behind).
			c.Request.Messages = append([]genai.Message{a.inputs[0]}, a.history...)
		}
	} else if len(c.Request.Messages) == len(a.inputs) {
		copy(c.Request.Messages, a.inputs) // unredacted: UpdateRequest redacts them once, not twice
	}
	if a.model != "" {
		if c.Request.Model == "" || c.Request.ModelLearnt {
			c.Request.Model, c.Request.ModelLearnt = a.model, true
		}
		c.Response.Model = a.model
	}
	c.Request.MaxTokens = a.maxLen
	c.Request.Temperature = a.temp
	c.Request.TopK = a.topK
	c.Request.TopP = a.topP
	c.Response.Usage = a.usage
	if len(a.finish) > 0 {
		c.Response.FinishReasons = a.finish
	}
	ch := genai.Choice{Role: "assistant"}
	if a.hasText && capture {
		ch.Content, ch.HasContent = string(a.text), true
	}
	c.Response.Choices = append(c.Response.Choices, ch)
}
