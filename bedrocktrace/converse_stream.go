package bedrocktrace

// ConverseStream events (and the same events wrapped in Amazon Nova
// InvokeModel chunks) -> streamAcc.

import (
	"encoding/json"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/tidwall/gjson"

	"github.com/tracekit-go/tracekit/internal/genai"
	"github.com/tracekit-go/tracekit/internal/jscan"
)

// converseStreamEvent applies one ConverseStream event whose JSON payload is
// js. done reports the terminal event (metadata); content reports an event
// that carries model output.
func converseStreamEvent(a *streamAcc, eventType, js string, capture bool) (done, content bool) {
	switch eventType {
	case "messageStart":
		ch := a.choice(0)
		a.setIdent(&ch.role, gjson.Get(js, "role").Str)
	case "contentBlockStart":
		idx := int(gjson.Get(js, "contentBlockIndex").Int())
		tu := gjson.Get(js, "start.toolUse")
		if tu.Exists() {
			t := a.tool(a.choice(0), idx)
			if t != nil {
				a.setIdent(&t.id, tu.Get("toolUseId").Str)
				a.setIdent(&t.name, tu.Get("name").Str)
			}
		}
		content = true
	case "contentBlockDelta":
		// The hot event: one pass over the payload (jscan), then one over
		// its delta, which has one member.
		var delta string
		idx := 0
		d := jscan.New(js)
		if d.Obj() {
			for k, ok := d.Key(); ok; k, ok = d.Key() {
				switch k {
				case "delta":
					delta = d.Raw()
				case "contentBlockIndex":
					idx = int(d.Int())
				}
			}
		}
		ch := a.choice(0)
		dd := jscan.New(delta)
		if dd.Obj() {
			if k, ok := dd.Key(); ok {
				switch k {
				case "text":
					a.appendText(ch, dd.Str(), capture)
				case "toolUse":
					if in, ok := firstMember(&dd, "input"); ok {
						a.appendArgs(a.tool(ch, idx), in, capture)
					}
				case "reasoningContent":
					// {"text": ...} pieces of the model's reasoning (its
					// "signature" comes apart, and is no text).
					if t, ok := firstMember(&dd, "text"); ok {
						a.appendReasoning(ch, t, capture)
					}
				}
			}
		}
		content = true
	case "contentBlockStop":
		// A tool called without input streams one empty input fragment:
		// its input is {}, as the same call without streaming says.
		if t := a.existingTool(a.choice(0), int(gjson.Get(js, "contentBlockIndex").Int())); t != nil && len(t.args) == 0 {
			a.appendArgs(t, "{}", capture)
		}
	case "messageStop":
		a.setIdent(&a.choice(0).finish, gjson.Get(js, "stopReason").Str)
	case "metadata":
		converseUsage(&a.usage, gjson.Get(js, "usage"))
		if g := gjson.Get(js, "trace.guardrail"); g.IsObject() {
			a.guardrail = streamGuardrailTrace(g, a.choices[0].finish == guardrailIntervened)
		}
		done = true
	}
	return done, content
}

// streamGuardrailTrace is the verdict of a stream's guardrail trace (the
// metadata event's trace.guardrail; see guardrailTrace). It comes once, at
// the end of a stream whose guardrail trace is on: its assessments are
// decoded into the SDK's own types (their members named as the JSON's, but
// for their case), not read by hand; the model's output it may carry is not
// read. encoding/json cannot decode an automated reasoning finding (a
// union, an interface in the SDK's type): only its kind counts, which
// arFindings reads.
func streamGuardrailTrace(g gjson.Result, intervened bool) *genai.GuardrailVerdict {
	t := types.GuardrailTraceAssessment{ActionReason: aws.String(g.Get("actionReason").Str)}
	if in := g.Get("inputAssessment"); in.IsObject() {
		_ = json.Unmarshal([]byte(in.Raw), &t.InputAssessment) // (what it could not decode is left out)
		for id, a := range t.InputAssessment {
			arFindings(&a, lastMember(in, id))
			t.InputAssessment[id] = a
		}
	}
	if out := g.Get("outputAssessments"); out.IsObject() {
		_ = json.Unmarshal([]byte(out.Raw), &t.OutputAssessments)
		for id, as := range t.OutputAssessments {
			raw := lastMember(out, id).Array()
			for i := range as {
				if i < len(raw) {
					arFindings(&as[i], raw[i])
				}
			}
		}
	}
	return guardrailTrace(&t, intervened)
}

// arFindings sets the automated reasoning findings of an assessment that
// encoding/json decoded (which leaves them out) from its JSON: each kind
// once, with none of its content. A finding is a union: an object whose
// member named for its kind counts, the first known one that is not null
// (the SDK skips the others: a "__type" tag, a kind newer than it). A
// repeated key counts once, its last value, as encoding/json and the SDK
// read it.
func arFindings(a *types.GuardrailAssessment, raw gjson.Result) {
	fs := lastMember(lastMember(raw, "automatedReasoningPolicy"), "findings")
	if !fs.IsArray() {
		return
	}
	if a.AutomatedReasoningPolicy == nil {
		a.AutomatedReasoningPolicy = &types.GuardrailAutomatedReasoningPolicyAssessment{}
	}
	p := a.AutomatedReasoningPolicy
	p.Findings = nil
	var seen [8]bool
	fs.ForEach(func(_, f gjson.Result) bool {
		f.ForEach(func(k, v gjson.Result) bool {
			if v.Type == gjson.Null {
				return true
			}
			i, m := arFinding(k.Str)
			if m == nil {
				return true
			}
			if !seen[i] {
				seen[i] = true
				p.Findings = append(p.Findings, m)
			}
			return false
		})
		return true
	})
}

// lastMember is the member of obj named key: its last value when the key
// repeats (gjson's Get takes the first).
func lastMember(obj gjson.Result, key string) (v gjson.Result) {
	if !obj.IsObject() {
		return v
	}
	obj.ForEach(func(k, val gjson.Result) bool {
		if k.Str == key {
			v = val
		}
		return true
	})
	return v
}

// arFinding is an empty finding of the SDK's type for the kind a finding's
// JSON member names, and its index among the kinds; nil for another name.
func arFinding(member string) (int, types.GuardrailAutomatedReasoningFinding) {
	switch member {
	case "valid":
		return 0, &types.GuardrailAutomatedReasoningFindingMemberValid{}
	case "invalid":
		return 1, &types.GuardrailAutomatedReasoningFindingMemberInvalid{}
	case "satisfiable":
		return 2, &types.GuardrailAutomatedReasoningFindingMemberSatisfiable{}
	case "impossible":
		return 3, &types.GuardrailAutomatedReasoningFindingMemberImpossible{}
	case "translationAmbiguous":
		return 4, &types.GuardrailAutomatedReasoningFindingMemberTranslationAmbiguous{}
	case "tooComplex":
		return 5, &types.GuardrailAutomatedReasoningFindingMemberTooComplex{}
	case "noTranslations":
		return 6, &types.GuardrailAutomatedReasoningFindingMemberNoTranslations{}
	}
	return 0, nil
}

// firstMember reads the object at the cursor and returns its first member
// named key as a string ("" when it is not one); ok reports that it exists.
func firstMember(d *jscan.Scanner, key string) (v string, ok bool) {
	if !d.Obj() {
		return "", false
	}
	for k, more := d.Key(); more; k, more = d.Key() {
		if k == key && !ok {
			ok = true
			v = d.Str()
		}
	}
	return v, ok
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
