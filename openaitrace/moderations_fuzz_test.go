package openaitrace

import (
	"testing"

	"github.com/tracekit-go/tracekit/internal/genai"
)

func FuzzModerationRequest(f *testing.F) {
	f.Add(`{"input":"I will hurt you","model":"omni-moderation-latest"}`)
	f.Add(`{"input":["a","b"]}`)
	f.Add(`{"input":[{"type":"text","text":"look at "},{"type":"image_url","image_url":{"url":"https://example.com/cat.png"}},{"type":"text","text":"this"}],"model":"omni-moderation-latest"}`)
	f.Add(`{"input":[{"type":"image_url","image_url":"x"},7,"s",null],"model":7}`)
	f.Fuzz(func(t *testing.T, body string) {
		var on, off genai.Call
		parseModerationRequest(body, &on, true)
		parseModerationRequest(body, &off, false)
		checkNoContent(t, &off)
		sameShape(t, &on, &off)
		on.Operation = genai.OpModeration
		render(&on, true)
	})
}

func FuzzModerationResponse(f *testing.F) {
	f.Add(moderationAnswer)
	f.Add(`{"id":"modr-2","model":"omni-moderation-2024-09-26","results":[{"flagged":false,"categories":{"violence":false},"category_scores":{"violence":0.02}}]}`)
	f.Add(`{"results":[{"flagged":true,"categories":{"a.b":true,"*":true,"x":"true"},"category_scores":{"a.b":"0.5","*":1e400}},null,7]}`)
	f.Fuzz(func(t *testing.T, body string) {
		var c genai.Call
		c.Operation = genai.OpModeration
		parseModerationResponse(body, &c, true)
		v := c.Response.Guardrail
		if v == nil || (v.Action != moderationFlagged && v.Action != moderationNone) || len(v.Findings) > maxInterventions ||
			v.Truncated && len(v.Findings) != maxInterventions {
			t.Fatalf("verdict %+v", v)
		}
		if len(c.Response.Choices) != 0 {
			t.Fatalf("%d choices", len(c.Response.Choices))
		}
		render(&c, true)
	})
}
