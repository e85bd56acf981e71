package semconv

import (
	"go.opentelemetry.io/otel/attribute"

	"github.com/tracekit-go/tracekit/internal/genai"
)

// A guardrail check (genai.OpApplyGuardrail) in every convention: its
// messages and choices as any call's, and tracekit.guardrail.* for what no
// convention names (rendered once, whatever the conventions).

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
// reason it gives, the policies that detected something, the scores of
// checks, the units used.
func guardrailResponse(dst []attribute.KeyValue, c *genai.Call) []attribute.KeyValue {
	v := c.Response.Guardrail
	if v == nil {
		return dst
	}
	dst = appendString(dst, KeyGuardrailAction, v.Action)
	dst = appendString(dst, KeyGuardrailActionReason, v.ActionReason)
	if len(v.Interventions) > 0 {
		dst = append(dst, KeyGuardrailInterventions.StringSlice(v.Interventions))
	}
	if len(v.Findings) > 0 {
		dst = append(dst, KeyGuardrailFindings.StringSlice(v.Findings))
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
	dst = appendInt(dst, KeyGuardrailUnitsPromptAttack, u.PromptAttack)
	return appendInt(dst, KeyGuardrailAutomatedReasoningPolicies, u.AutomatedReasoningPolicies)
}
