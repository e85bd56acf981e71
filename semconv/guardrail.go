package semconv

import (
	"strconv"
	"strings"

	"go.opentelemetry.io/otel/attribute"

	"github.com/tracekit-go/tracekit/internal/genai"
)

// A guardrail check (genai.OpApplyGuardrail) or a moderation
// (genai.OpModeration) in every convention: its messages and choices as
// any call's, and tracekit.guardrail.* for what no convention names
// (rendered once, whatever the conventions).

// guardrailRequest appends the guardrail's version and the source of the
// content checked.
func guardrailRequest(dst []attribute.KeyValue, c *genai.Call) []attribute.KeyValue {
	if c.Operation != genai.OpApplyGuardrail {
		return dst
	}
	dst = appendString(dst, KeyGuardrailVersion, c.Request.GuardrailVersion)
	return appendString(dst, KeyGuardrailSource, c.Request.GuardrailSource)
}

// guardrailResponse appends the guardrail's verdict: its action and the
// reason it gives (content: it may quote what was checked), the policies that detected something, the scores of
// checks, the units used.
func guardrailResponse(dst []attribute.KeyValue, c *genai.Call, capture bool) []attribute.KeyValue {
	v := c.Response.Guardrail
	if v == nil {
		return dst
	}
	dst = appendString(dst, KeyGuardrailAction, v.Action)
	if capture { // (free text: it may quote the content checked)
		dst = appendString(dst, KeyGuardrailActionReason, v.ActionReason)
	}
	if len(v.Interventions) > 0 {
		s := make([]string, len(v.Interventions))
		for i, in := range v.Interventions {
			s[i] = joinColon(in.Policy, in.Name, in.Action)
		}
		dst = append(dst, KeyGuardrailInterventions.StringSlice(s))
	}
	if len(v.Findings) > 0 {
		s := make([]string, len(v.Findings))
		for i, f := range v.Findings {
			score := ""
			if f.Score.Set {
				score = strconv.FormatFloat(f.Score.V, 'g', -1, 64)
			}
			s[i] = joinColon(f.Check, f.Category, score)
		}
		dst = append(dst, KeyGuardrailFindings.StringSlice(s))
	}
	if v.Truncated {
		dst = append(dst, KeyGuardrailTruncated.Bool(true))
	}
	u := &v.Usage
	dst = appendInt(dst, KeyGuardrailUnitsContent, u.ContentPolicy)
	dst = appendInt(dst, KeyGuardrailUnitsContentImages, u.ContentPolicyImages)
	dst = appendInt(dst, KeyGuardrailUnitsTopic, u.TopicPolicy)
	dst = appendInt(dst, KeyGuardrailUnitsWord, u.WordPolicy)
	dst = appendInt(dst, KeyGuardrailUnitsSensitiveInformation, u.SensitiveInformationPolicy)
	dst = appendInt(dst, KeyGuardrailUnitsSensitiveInformationFree, u.SensitiveInformationPolicyFree)
	dst = appendInt(dst, KeyGuardrailUnitsContextualGrounding, u.ContextualGroundingPolicy)
	dst = appendInt(dst, KeyGuardrailUnitsAutomatedReasoning, u.AutomatedReasoningPolicy)
	dst = appendInt(dst, KeyGuardrailUnitsPromptAttack, u.PromptAttackPolicy)
	return appendInt(dst, KeyGuardrailAutomatedReasoningPolicies, u.AutomatedReasoningPolicies)
}

// joinColon joins the parts that are not empty with ':'
// ("topic:Investment advice:BLOCKED", "pii:EMAIL:0.99", "pii:EMAIL" when no
// score was reported).
func joinColon(parts ...string) string {
	var b strings.Builder
	for _, p := range parts {
		if p == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(':')
		}
		b.WriteString(p)
	}
	return b.String()
}
