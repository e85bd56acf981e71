package bedrocktrace

// ConverseStream events (and the same events wrapped in Amazon Nova
// InvokeModel chunks) -> streamAcc.

import (
	"github.com/tidwall/gjson"

	"github.com/tracekit-go/tracekit/internal/genai"
)

// converseStreamEvent applies one ConverseStream event whose JSON payload is
// js. done reports the terminal event (metadata); content reports an event
// that carries model output.
func converseStreamEvent(a *streamAcc, eventType, js string, capture bool) (done, content bool) {
	switch eventType {
	case "messageStart":
		ch := a.choice(0)
		setClone(&ch.role, gjson.Get(js, "role").Str)
	case "contentBlockStart":
		idx := int(gjson.Get(js, "contentBlockIndex").Int())
		tu := gjson.Get(js, "start.toolUse")
		if tu.Exists() {
			t := a.tool(a.choice(0), idx)
			if t != nil {
				setClone(&t.id, tu.Get("toolUseId").Str)
				setClone(&t.name, tu.Get("name").Str)
			}
		}
		content = true
	case "contentBlockDelta":
		// The hot event: one pass over the payload, one over the delta.
		var d gjson.Result
		idx := 0
		gjson.Parse(js).ForEach(func(k, v gjson.Result) bool {
			switch k.Str {
			case "delta":
				d = v
			case "contentBlockIndex":
				idx = int(v.Int())
			}
			return true
		})
		ch := a.choice(0)
		d.ForEach(func(k, v gjson.Result) bool {
			switch k.Str {
			case "text":
				a.appendText(ch, v.Str, capture)
			case "toolUse":
				if in := v.Get("input"); in.Exists() {
					a.appendArgs(a.tool(ch, idx), in.Str, capture)
				}
			}
			return false // a delta has one member
		})
		content = true
	case "messageStop":
		setClone(&a.choice(0).finish, gjson.Get(js, "stopReason").Str)
	case "metadata":
		converseUsage(&a.usage, gjson.Get(js, "usage"))
		done = true
	}
	return done, content
}

// converseUsage reads a Converse-shaped usage object.
func converseUsage(u *genai.Usage, v gjson.Result) {
	if !v.Exists() {
		return
	}
	setInt(&u.InputTokens, v.Get("inputTokens"))
	setInt(&u.OutputTokens, v.Get("outputTokens"))
	setInt(&u.CacheReadInputTokens, v.Get("cacheReadInputTokens"))
	setInt(&u.CacheWriteInputTokens, v.Get("cacheWriteInputTokens"))
}

// setInt sets dst from a JSON number (null and absent leave it alone).
func setInt(dst *genai.Int, v gjson.Result) {
	if v.Type == gjson.Number {
		*dst = genai.SetInt(v.Int())
	}
}

// setFloat sets dst from a JSON number.
func setFloat(dst *genai.Float, v gjson.Result) {
	if v.Type == gjson.Number {
		*dst = genai.SetFloat(v.Float())
	}
}
