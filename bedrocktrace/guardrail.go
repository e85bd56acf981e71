package bedrocktrace

// ApplyGuardrail: a check of content against a guardrail, with no model.
// Typed input and output -> a guardrail record: each content block is a
// message (a user's for the input source, the assistant's for the output
// source), each output the guardrail returned in the content's place an
// assistant's choice, the action and the policies that acted the verdict.

import (
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"

	"github.com/tracekit-go/tracekit/internal/genai"
)

// maxInterventions bounds the distinct interventions a span records.
const maxInterventions = 32

const guardrailNone = "NONE"

// guardrailRole is the role of the content a guardrail checks: a user's
// (the input source) or a model's (the output source).
func guardrailRole(src types.GuardrailContentSource) string {
	if src == types.GuardrailContentSourceOutput {
		return "assistant"
	}
	return "user"
}

// guardrailRequest fills the record of an ApplyGuardrail call: the
// guardrail, its version, the source, and each content block as a message
// (its text; with capture on, an image as a part).
func guardrailRequest(c *genai.Call, p *bedrockruntime.ApplyGuardrailInput, capture bool) {
	c.Operation = genai.OpApplyGuardrail
	r := &c.Request
	r.GuardrailID = aws.ToString(p.GuardrailIdentifier)
	r.GuardrailVersion = aws.ToString(p.GuardrailVersion)
	r.GuardrailSource = strings.ToLower(string(p.Source))
	role := guardrailRole(p.Source)
	for _, b := range p.Content {
		m := genai.Message{Role: role}
		switch v := b.(type) {
		case *types.GuardrailContentBlockMemberText:
			if v.Value.Text != nil {
				m.Content, m.HasContent = *v.Value.Text, true
			}
		case *types.GuardrailContentBlockMemberImage:
			if capture {
				part := genai.Part{Kind: genai.PartBlob, Modality: genai.ModalityImage, MimeType: formatMime(genai.ModalityImage, string(v.Value.Format))}
				if src, ok := v.Value.Source.(*types.GuardrailImageSourceMemberBytes); ok {
					part.Bytes = src.Value
				}
				m.Parts = []genai.Part{part}
			}
		}
		r.Messages = append(r.Messages, m)
	}
}

// guardrailResponse fills the verdict of an ApplyGuardrail call and, when
// the guardrail intervened, the content it returned in the checked
// content's place (its outputs: the blocked messaging to answer with, or
// the content with sensitive information masked) as the assistant's
// choices.
func guardrailResponse(c *genai.Call, out *bedrockruntime.ApplyGuardrailOutput) {
	v := &genai.GuardrailVerdict{Action: string(out.Action), ActionReason: aws.ToString(out.ActionReason)}
	c.Response.Guardrail = v
	finish := ""
	if out.Action == types.GuardrailActionGuardrailIntervened {
		finish = guardrailIntervened
		c.Response.FinishReasons = append(c.Response.FinishReasons, finish)
	}
	for i := range out.Outputs {
		ch := genai.Choice{Role: "assistant", FinishReason: finish}
		if t := out.Outputs[i].Text; t != nil {
			ch.Content, ch.HasContent = *t, true
		}
		c.Response.Choices = append(c.Response.Choices, ch)
	}
	for i := range out.Assessments {
		v.Interventions = appendInterventions(v.Interventions, &out.Assessments[i])
	}
	if out.Usage != nil {
		guardrailUsage(&v.Usage, out.Usage)
	}
}

// guardrailUsage copies the units each policy used.
func guardrailUsage(dst *genai.GuardrailUsage, u *types.GuardrailUsage) {
	for _, f := range []struct {
		dst *genai.Int
		n   *int32
	}{
		{&dst.ContentPolicy, u.ContentPolicyUnits},
		{&dst.ContentPolicyImages, u.ContentPolicyImageUnits},
		{&dst.TopicPolicy, u.TopicPolicyUnits},
		{&dst.WordPolicy, u.WordPolicyUnits},
		{&dst.SensitiveInformationPolicy, u.SensitiveInformationPolicyUnits},
		{&dst.SensitiveInformationPolicyFree, u.SensitiveInformationPolicyFreeUnits},
		{&dst.ContextualGroundingPolicy, u.ContextualGroundingPolicyUnits},
		{&dst.AutomatedReasoningPolicy, u.AutomatedReasoningPolicyUnits},
		{&dst.AutomatedReasoningPolicies, u.AutomatedReasoningPolicies},
	} {
		if f.n != nil {
			*f.dst = genai.SetInt(int64(*f.n))
		}
	}
}

// appendInterventions appends to dst what the policies of one assessment
// detected, as "<policy>:<what>:<action>" (an automated reasoning finding
// other than valid as "automated_reasoning:<finding>"), never what they matched (a PII
// value, a custom word, a regex match: content), each once and at most
// maxInterventions in all. An entry counts when it says it was detected,
// or, saying nothing of it, when its action is not NONE (a FULL output
// scope lists what was not detected too).
func appendInterventions(dst []string, a *types.GuardrailAssessment) []string {
	add := func(policy, what, action string, detected *bool) {
		if detected != nil && !*detected || detected == nil && (action == "" || action == guardrailNone) {
			return
		}
		s := policy + ":" + what + ":" + action
		if len(dst) < maxInterventions && !slices.Contains(dst, s) {
			dst = append(dst, s)
		}
	}
	if p := a.TopicPolicy; p != nil {
		for _, t := range p.Topics {
			add("topic", aws.ToString(t.Name), string(t.Action), t.Detected)
		}
	}
	if p := a.ContentPolicy; p != nil {
		for _, f := range p.Filters {
			add("content", string(f.Type), string(f.Action), f.Detected)
		}
	}
	if p := a.WordPolicy; p != nil {
		for _, w := range p.CustomWords {
			add("word", "custom", string(w.Action), w.Detected)
		}
		for _, w := range p.ManagedWordLists {
			add("word", string(w.Type), string(w.Action), w.Detected)
		}
	}
	if p := a.SensitiveInformationPolicy; p != nil {
		for _, e := range p.PiiEntities {
			add("pii", string(e.Type), string(e.Action), e.Detected)
		}
		for _, r := range p.Regexes {
			add("regex", aws.ToString(r.Name), string(r.Action), r.Detected)
		}
	}
	if p := a.ContextualGroundingPolicy; p != nil {
		for _, f := range p.Filters {
			add("grounding", string(f.Type), string(f.Action), f.Detected)
		}
	}
	if p := a.AutomatedReasoningPolicy; p != nil {
		for _, f := range p.Findings {
			if k := findingKind(f); k != "" && len(dst) < maxInterventions && !slices.Contains(dst, k) {
				dst = append(dst, k)
			}
		}
	}
	return dst
}

// findingKind names an automated reasoning finding that is not valid
// ("automated_reasoning:invalid", ...); "" for a valid or unknown one.
func findingKind(f types.GuardrailAutomatedReasoningFinding) string {
	switch f.(type) {
	case *types.GuardrailAutomatedReasoningFindingMemberInvalid:
		return "automated_reasoning:invalid"
	case *types.GuardrailAutomatedReasoningFindingMemberImpossible:
		return "automated_reasoning:impossible"
	case *types.GuardrailAutomatedReasoningFindingMemberSatisfiable:
		return "automated_reasoning:satisfiable"
	case *types.GuardrailAutomatedReasoningFindingMemberTranslationAmbiguous:
		return "automated_reasoning:translation_ambiguous"
	case *types.GuardrailAutomatedReasoningFindingMemberTooComplex:
		return "automated_reasoning:too_complex"
	case *types.GuardrailAutomatedReasoningFindingMemberNoTranslations:
		return "automated_reasoning:no_translations"
	}
	return ""
}
