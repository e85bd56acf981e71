package openaitrace

import (
	"strings"

	"github.com/tidwall/gjson"

	"github.com/tracekit-go/tracekit/internal/genai"
)

// This file translates chat completions wire JSON into the neutral record.
// It names no attribute and starts no span.

// parseChatRequest fills c.Request from a POST /chat/completions body. Content
// (message text, tool-call arguments) is extracted only when content is true.
func parseChatRequest(body string, c *genai.Call, content bool) {
	r := &c.Request
	var user, safety string
	var maxTokens, maxCompletion genai.Int
	gjson.Parse(body).ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "model":
			r.Model = v.Str
		case "messages":
			eachElem(v, func(m gjson.Result) bool {
				r.Messages = append(r.Messages, parseChatMessage(m, content))
				return true
			})
		case "tools":
			eachElem(v, func(t gjson.Result) bool {
				r.Tools = append(r.Tools, parseChatTool(t))
				return true
			})
		case "temperature":
			r.Temperature = optFloat(v)
		case "top_p":
			r.TopP = optFloat(v)
		case "max_tokens":
			maxTokens = optInt(v)
		case "max_completion_tokens":
			maxCompletion = optInt(v)
		case "presence_penalty":
			r.PresencePenalty = optFloat(v)
		case "frequency_penalty":
			r.FrequencyPenalty = optFloat(v)
		case "seed":
			r.Seed = optInt(v)
		case "response_format":
			if v.IsObject() {
				r.ResponseFormat = v.Get("type").Str
			} else if v.Type == gjson.String {
				r.ResponseFormat = v.Str
			}
		case "service_tier":
			r.ServiceTier = v.Str
		case "n":
			r.ChoiceCount = optInt(v)
		case "stream":
			c.Streaming = v.Type == gjson.True
		case "stop":
			if v.Type == gjson.String {
				r.StopSequences = append(r.StopSequences, v.Str)
			} else {
				eachElem(v, func(s gjson.Result) bool {
					r.StopSequences = append(r.StopSequences, s.Str)
					return true
				})
			}
		case "user":
			user = v.Str
		case "safety_identifier":
			safety = v.Str
		}
		return true
	})
	r.User = user
	if r.User == "" {
		r.User = safety
	}
	r.MaxTokens = maxCompletion
	if !r.MaxTokens.Set {
		r.MaxTokens = maxTokens
	}
}

func parseChatMessage(m gjson.Result, content bool) genai.Message {
	var msg genai.Message
	m.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "role":
			msg.Role = v.Str
		case "content":
			if content {
				msg.Content, msg.HasContent = textContent(v, "text", "refusal")
			}
		case "tool_call_id":
			msg.ToolCallID = v.Str
		case "tool_calls":
			msg.ToolCalls = parseToolCalls(v, content)
		}
		return true
	})
	return msg
}

// textContent returns a string content as is, and the text of an array of
// parts joined; parts of other types (images, audio, files) are not text.
func textContent(v gjson.Result, partKeys ...string) (string, bool) {
	switch {
	case v.Type == gjson.String:
		return v.Str, true
	case v.IsArray():
		var b strings.Builder
		found := false
		eachElem(v, func(part gjson.Result) bool {
			if part.Type == gjson.String {
				b.WriteString(part.Str)
				found = true
				return true
			}
			typ := part.Get("type").Str
			for _, key := range partKeys {
				if typ == key {
					b.WriteString(part.Get(key).Str)
					found = true
					break
				}
			}
			return true
		})
		return b.String(), found
	}
	return "", false
}

func parseToolCalls(v gjson.Result, content bool) []genai.ToolCall {
	var calls []genai.ToolCall
	eachElem(v, func(tc gjson.Result) bool {
		var call genai.ToolCall
		tc.ForEach(func(k, v gjson.Result) bool {
			switch k.Str {
			case "id":
				call.ID = v.Str
			case "type":
				call.Type = v.Str
			case "function", "custom":
				v.ForEach(func(k, v gjson.Result) bool {
					switch k.Str {
					case "name":
						call.Name = v.Str
					case "arguments", "input":
						if content {
							call.Arguments = v.Str
						}
					}
					return true
				})
			}
			return true
		})
		calls = append(calls, call)
		return true
	})
	return calls
}

func parseChatTool(t gjson.Result) genai.Tool {
	var tool genai.Tool
	t.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "type":
			tool.Type = v.Str
		case "function", "custom":
			v.ForEach(func(k, v gjson.Result) bool {
				switch k.Str {
				case "name":
					tool.Name = v.Str
				case "description":
					tool.Description = v.Str
				case "parameters":
					tool.Parameters = v.Raw
				}
				return true
			})
		}
		return true
	})
	return tool
}

// parseChatResponse fills c.Response from a chat completions response body.
func parseChatResponse(body string, c *genai.Call, content bool) {
	r := &c.Response
	gjson.Parse(body).ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "id":
			r.ID = v.Str
		case "model":
			r.Model = v.Str
		case "service_tier":
			r.ServiceTier = v.Str
		case "system_fingerprint":
			r.SystemFingerprint = v.Str
		case "choices":
			eachElem(v, func(ch gjson.Result) bool {
				r.Choices = append(r.Choices, parseChatChoice(ch, content))
				return true
			})
		case "usage":
			parseUsage(v, &r.Usage, &chatUsageKeys)
		}
		return true
	})
	r.FinishReasons = finishReasons(r.FinishReasons[:0], r.Choices)
}

func parseChatChoice(ch gjson.Result, content bool) genai.Choice {
	var c genai.Choice
	ch.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "finish_reason":
			c.FinishReason = v.Str
		case "message":
			var refusal string
			v.ForEach(func(k, v gjson.Result) bool {
				switch k.Str {
				case "role":
					c.Role = v.Str
				case "content":
					if content {
						c.Content, c.HasContent = textContent(v, "text")
					}
				case "refusal":
					refusal = v.Str
				case "tool_calls":
					c.ToolCalls = parseToolCalls(v, content)
				}
				return true
			})
			if content && !c.HasContent && refusal != "" {
				c.Content, c.HasContent = refusal, true
			}
		}
		return true
	})
	if c.FinishReason == "" {
		c.FinishReason = "error"
	}
	return c
}

// usageKeys names the members of a usage object: chat and completions count
// prompt and completion tokens, the Responses API input and output tokens.
type usageKeys struct {
	input, output, inputDetails, outputDetails string
}

var (
	chatUsageKeys      = usageKeys{"prompt_tokens", "completion_tokens", "prompt_tokens_details", "completion_tokens_details"}
	responsesUsageKeys = usageKeys{"input_tokens", "output_tokens", "input_tokens_details", "output_tokens_details"}
)

// parseUsage fills u from a usage object whose members keys names: the input
// and output tokens, the cached input tokens and the reasoning tokens.
func parseUsage(v gjson.Result, u *genai.Usage, keys *usageKeys) {
	v.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case keys.input:
			u.InputTokens = optInt(v)
		case keys.output:
			u.OutputTokens = optInt(v)
		case keys.inputDetails:
			if d := v.Get("cached_tokens"); d.Exists() {
				u.CacheReadInputTokens = optInt(d)
			}
		case keys.outputDetails:
			if d := v.Get("reasoning_tokens"); d.Exists() {
				u.ReasoningTokens = optInt(d)
			}
		}
		return true
	})
}

func finishReasons(dst []string, choices []genai.Choice) []string {
	if cap(dst) < len(choices) {
		dst = make([]string, 0, len(choices))
	}
	for i := range choices {
		dst = append(dst, choices[i].FinishReason)
	}
	return dst
}

// parseError returns the error type and message of an OpenAI error body
// ({"error":{"message":..,"type":..,"code":..}}); ok is false when the body
// carries no error object.
func parseError(body string) (typ, msg string, ok bool) {
	e := gjson.Get(body, "error")
	if !e.IsObject() {
		return "", "", false
	}
	typ, msg = errorFields(e)
	return typ, msg, true
}

// errorFields returns the type (its code, when it has one) and the message of
// an OpenAI error object.
func errorFields(e gjson.Result) (typ, msg string) {
	if code := e.Get("code"); code.Type == gjson.String && code.Str != "" {
		typ = code.Str
	} else if code.Type == gjson.Number {
		typ = code.Raw
	}
	if typ == "" {
		typ = e.Get("type").Str
	}
	return typ, e.Get("message").Str
}

func optFloat(v gjson.Result) genai.Float {
	if v.Type != gjson.Number {
		return genai.Float{}
	}
	return genai.SetFloat(v.Num)
}

func optInt(v gjson.Result) genai.Int {
	if v.Type != gjson.Number {
		return genai.Int{}
	}
	return genai.SetInt(v.Int())
}

// eachElem calls fn for every element of v when v is an array (gjson's
// ForEach would call it once with v itself for a scalar).
func eachElem(v gjson.Result, fn func(gjson.Result) bool) {
	if !v.IsArray() {
		return
	}
	v.ForEach(func(_, e gjson.Result) bool { return fn(e) })
}
