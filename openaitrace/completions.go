package openaitrace

import (
	"github.com/tidwall/gjson"

	"github.com/tracekit-go/tracekit/internal/genai"
)

// This file translates the legacy POST /completions (plain and streamed)
// into the neutral record, as operation text_completion.

var completionsEndpoint = &endpoint{
	operation:     genai.OpTextCompletion,
	api:           "completions",
	parseRequest:  parseCompletionsRequest,
	parseResponse: checked(parseCompletionsResponse),
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
		case "n":
			r.ChoiceCount = optInt(v)
		case "stop":
			if v.Type == gjson.String {
				r.StopSequences = append(r.StopSequences, v.Str)
			} else {
				v.ForEach(func(_, s gjson.Result) bool {
					r.StopSequences = append(r.StopSequences, s.Str)
					return true
				})
			}
		case "stream":
			c.Streaming = v.Bool()
		}
		return true
	})
}

// parseCompletionsResponse fills c.Response from a completions response:
// one completion per choice, in the order of the choices array (the API's
// index order), with its text and finish reason.
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

// newCompletionsStream rebuilds a completion from its streamed chunks: a
// chat stream whose choices carry "text" instead of a delta.
func newCompletionsStream(content bool) streamAccumulator {
	return &chatStream{content: content, completions: true}
}
