package bedrocktrace

// Agent Runtime InvokeAgent: typed input, then chunk and trace events ->
// genai.Call.

import (
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentruntime"
	"github.com/tidwall/gjson"

	"github.com/tracekit-go/tracekit/internal/genai"
)

func agentRequest(c *genai.Call, p *bedrockagentruntime.InvokeAgentInput) {
	r := &c.Request
	r.AgentID = aws.ToString(p.AgentId)
	r.AgentAliasID = aws.ToString(p.AgentAliasId)
	r.SessionID = aws.ToString(p.SessionId)
	if p.SessionState != nil {
		if u := p.SessionState.SessionAttributes["userId"]; u != "" {
			r.User = u
		} else {
			r.User = p.SessionState.SessionAttributes["user"]
		}
	}
	m := genai.Message{Role: "user"}
	if p.InputText != nil {
		m.Content, m.HasContent = *p.InputText, true
	}
	r.Messages = []genai.Message{m}
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
		content := m.Get("content").Str
		dst = append(dst, agentMessage(role, content, capture))
		return true
	})
	return dst
}

// agentMessage reads one history message.
func agentMessage(role, content string, capture bool) genai.Message {
	msg := genai.Message{Role: role}
	if strings.Contains(content, "type=tool_result") {
		msg.Role = "tool"
		msg.ToolCallID = strings.Clone(javaField(content, "tool_use_id="))
		if capture {
			if c := javaField(content, "content="); c != "" {
				msg.Content, msg.HasContent = strings.Clone(c), true
			}
		}
		return msg
	}
	if strings.Contains(content, "type=tool_use") {
		tc := genai.ToolCall{Type: "function",
			ID:   strings.Clone(javaField(content, "id=")),
			Name: strings.Clone(javaField(content, "name="))}
		if capture {
			if i := strings.Index(content, "input={"); i >= 0 {
				tc.Arguments = strings.Clone(balanced(content[i+len("input="):]))
			}
		}
		msg.ToolCalls = []genai.ToolCall{tc}
	}
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
	if role == "assistant" {
		if i := strings.Index(text, "<answer>"); i >= 0 {
			text = text[i+len("<answer>"):]
			if j := strings.Index(text, "</answer>"); j >= 0 {
				text = text[:j]
			}
		}
	}
	if text != "" {
		msg.Content, msg.HasContent = strings.Clone(text), true
	}
	return msg
}

// javaField returns the value after key up to the next ", " or "}".
func javaField(s, key string) string {
	i := strings.Index(s, key)
	if i < 0 {
		return ""
	}
	s = s[i+len(key):]
	if j := strings.IndexAny(s, ",}"); j >= 0 {
		s = s[:j]
	}
	return strings.TrimSpace(s)
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
	}
	if a.model != "" {
		c.Request.Model = a.model
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
