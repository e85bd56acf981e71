package openaitrace

import (
	"strings"

	"github.com/tidwall/gjson"

	"github.com/tracekit-go/tracekit/internal/genai"
)

// This file translates POST /moderations into the neutral record: a
// moderation (a guardrail check by a model), each input a user message, the
// verdict (flagged or not, and the categories flagged with their scores)
// the record's guardrail verdict. There are no choices.

var moderationsEndpoint = &endpoint{
	operation:     genai.OpModeration,
	api:           "moderations",
	parseRequest:  parseModerationRequest,
	parseResponse: checked(parseModerationResponse),
	newStream:     newNoStream,
}

// parseModerationRequest fills c.Request from a POST /moderations body:
// the model, and one user message per input (a string, each string of a
// list, or a list of text and image parts as one message), with its text
// (and, for parts, the image parts) only when content is true.
func parseModerationRequest(body string, c *genai.Call, content bool) {
	r := &c.Request
	c.Response.FinishReasons = nil // no choices: no (empty) attribute
	gjson.Parse(body).ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "model":
			r.Model = v.Str
		case "input":
			r.Messages = appendModerationInputs(r.Messages, v, content)
		}
		return true
	})
}

// appendModerationInputs appends the user messages of a moderation's input.
func appendModerationInputs(msgs []genai.Message, v gjson.Result, content bool) []genai.Message {
	text := func(s gjson.Result) genai.Message {
		m := genai.Message{Role: "user"}
		if content && s.Type == gjson.String {
			m.Content, m.HasContent = s.Str, true
		}
		return m
	}
	if !v.IsArray() {
		return append(msgs, text(v))
	}
	arr := v.Array()
	if len(arr) > 0 && arr[0].IsObject() {
		// Multi-modal: the parts of one input.
		m := genai.Message{Role: "user"}
		if !content {
			return append(msgs, m)
		}
		var b strings.Builder
		media := false
		var parts []genai.Part
		for _, p := range arr {
			switch p.Get("type").Str {
			case "text":
				t := p.Get("text").Str
				b.WriteString(t)
				m.HasContent = true
				parts = append(parts, genai.Part{Kind: genai.PartText, Text: t})
			case "image_url":
				media = true
				parts = genai.AppendPart(parts, genai.URLPart(p.Get("image_url.url").Str, genai.ModalityImage))
			}
		}
		m.Content = b.String()
		if media {
			m.Parts = parts
		}
		return append(msgs, m)
	}
	for _, s := range arr {
		msgs = append(msgs, text(s))
	}
	return msgs
}

// Values of the verdict's action of a moderation.
const (
	moderationFlagged = "FLAGGED"
	moderationNone    = "NONE"
)

// parseModerationResponse fills c.Response from a POST /moderations answer:
// the id and the model; the verdict: FLAGGED when an input was flagged
// (NONE otherwise), and each category flagged, with its highest score over
// the inputs flagged in it ("moderation:violence:0.91"), in the order first
// met.
func parseModerationResponse(body string, c *genai.Call, _ bool) {
	r := &c.Response
	v := &genai.GuardrailVerdict{Action: moderationNone}
	gjson.Parse(body).ForEach(func(k, val gjson.Result) bool {
		switch k.Str {
		case "id":
			r.ID = val.Str
		case "model":
			r.Model = val.Str
		case "results":
			val.ForEach(func(_, res gjson.Result) bool {
				if res.Get("flagged").Type == gjson.True {
					v.Action = moderationFlagged
				}
				scores := res.Get("category_scores")
				res.Get("categories").ForEach(func(cat, flagged gjson.Result) bool {
					if flagged.Type == gjson.True {
						addFinding(v, cat.Str, scores.Get(gjson.Escape(cat.Str)))
					}
					return true
				})
				return true
			})
		}
		return true
	})
	r.Guardrail = v
}

// addFinding adds to a moderation's findings a category flagged with its
// score (none when the answer gives none, or not a number), or raises the
// score of one already there; past maxInterventions, it marks the verdict
// truncated.
func addFinding(v *genai.GuardrailVerdict, cat string, score gjson.Result) {
	var s genai.Float
	if score.Type == gjson.Number {
		s = genai.SetFloat(score.Num)
	}
	for i := range v.Findings {
		if f := &v.Findings[i]; f.Category == cat {
			if s.Set && (!f.Score.Set || s.V > f.Score.V) {
				f.Score = s
			}
			return
		}
	}
	if len(v.Findings) == maxInterventions {
		v.Truncated = true
		return
	}
	v.Findings = append(v.Findings, genai.GuardrailFinding{Check: "moderation", Category: cat, Score: s})
}

// maxInterventions bounds the categories a moderation's verdict lists.
const maxInterventions = 32
