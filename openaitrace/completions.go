package openaitrace

import (
	"strings"

	"github.com/tidwall/gjson"

	"github.com/tracekit-go/tracekit/internal/genai"
)

// This file translates the legacy POST /completions (plain and streamed)
// into the neutral record, as operation text_completion.

var completionsEndpoint = &endpoint{
	operation:     genai.OpTextCompletion,
	api:           "completions",
	parseRequest:  parseCompletionsRequest,
	parseResponse: parseCompletionsResponse,
	newStream:     newCompletionsStream,
}

// parseCompletionsRequest fills c.Request from a POST /completions body: one
// user message per prompt (a string, a list of strings, a token array or a
// list of token arrays), with its text only for strings and only when
// content is true.
func parseCompletionsRequest(body string, c *genai.Call, content bool) {
	r := &c.Request
	gjson.Parse(body).ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "model":
			r.Model = v.Str
		case "prompt":
			r.Messages = appendEmbeddingInputs(r.Messages, v, content)
		case "temperature":
			r.Temperature = optFloat(v)
		case "top_p":
			r.TopP = optFloat(v)
		case "max_tokens":
			r.MaxTokens = optInt(v)
		case "presence_penalty":
			r.PresencePenalty = optFloat(v)
		case "frequency_penalty":
			r.FrequencyPenalty = optFloat(v)
		case "seed":
			r.Seed = optInt(v)
		case "user":
			r.User = v.Str
		}
		return true
	})
}

// parseCompletionsResponse fills c.Response from a completions response:
// one completion per choice, in index order, with its text and finish
// reason.
func parseCompletionsResponse(body string, c *genai.Call, content bool) {
	r := &c.Response
	gjson.Parse(body).ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "id":
			r.ID = v.Str
		case "model":
			r.Model = v.Str
		case "system_fingerprint":
			r.SystemFingerprint = v.Str
		case "choices":
			eachElem(v, func(ch gjson.Result) bool {
				choice := genai.Choice{Role: "assistant"}
				ch.ForEach(func(k, v gjson.Result) bool {
					switch k.Str {
					case "text":
						if content && v.Type == gjson.String {
							choice.Content, choice.HasContent = v.Str, true
						}
					case "finish_reason":
						choice.FinishReason = v.Str
					}
					return true
				})
				if choice.FinishReason == "" {
					choice.FinishReason = "error"
				}
				r.Choices = append(r.Choices, choice)
				return true
			})
		case "usage":
			parseUsage(v, &r.Usage, &chatUsageKeys)
		}
		return true
	})
	r.FinishReasons = finishReasons(r.FinishReasons[:0], r.Choices)
}

// completionsStream rebuilds a completion from its streamed chunks (choices
// carry "text" instead of a delta); it shares the chat stream's state and
// its finish.
type completionsStream struct {
	chatStream
}

func newCompletionsStream(content bool) streamAccumulator {
	return &completionsStream{chatStream{content: content}}
}

func (s *completionsStream) consume(_, data []byte) bool {
	if len(data) >= 6 && string(data[:6]) == "[DONE]" {
		return true
	}
	gjson.Parse(bstr(data)).ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "id":
			if s.id == "" {
				s.id = strings.Clone(v.Str)
			}
		case "model":
			if s.model == "" {
				s.model = strings.Clone(v.Str)
			}
		case "system_fingerprint":
			if s.fingerprint == "" {
				s.fingerprint = strings.Clone(v.Str)
			}
		case "choices":
			eachElem(v, func(ch gjson.Result) bool {
				var index int64
				var text, finish gjson.Result
				ch.ForEach(func(k, v gjson.Result) bool {
					switch k.Str {
					case "index":
						index = v.Int()
					case "text":
						text = v
					case "finish_reason":
						finish = v
					}
					return true
				})
				c := s.choiceAt(index)
				if c == nil {
					return true
				}
				if finish.Type == gjson.String && finish.Str != "" {
					c.finish = strings.Clone(finish.Str)
				}
				if s.content && text.Type == gjson.String {
					c.hasText = true
					c.text = s.appendBounded(c.text, text.Str)
				}
				return true
			})
		case "usage":
			if v.IsObject() {
				parseUsage(v, &s.usage, &chatUsageKeys)
			}
		case "error":
			if v.IsObject() {
				s.err = streamError(v)
			}
		}
		return true
	})
	return false
}
