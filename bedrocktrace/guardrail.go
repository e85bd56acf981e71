package bedrocktrace

// ApplyGuardrail and InvokeGuardrailChecks: checks of content against a
// guardrail, or against checks configured in the call, with no model. Typed
// input and output -> a guardrail record: ApplyGuardrail's content blocks
// are messages (a user's for the input source, the assistant's for the
// output source), each output the guardrail returned in the content's place
// an assistant's choice, the action and the policies that acted the
// verdict; InvokeGuardrailChecks' messages are messages, the scores of its
// checks and the sensitive information they found the verdict.

import (
	"slices"
	"strconv"
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
				m.Content, m.HasContent = captured(*v.Value.Text, capture), true
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

// guardrailChecksRequest fills the record of an InvokeGuardrailChecks call:
// its messages, their text blocks joined.
func guardrailChecksRequest(c *genai.Call, p *bedrockruntime.InvokeGuardrailChecksInput, capture bool) {
	c.Operation = genai.OpApplyGuardrail
	for i := range p.Messages {
		var text textJoiner
		for _, b := range p.Messages[i].Content {
			if t, ok := b.(*types.GuardrailChecksContentBlockMemberText); ok {
				text.add(captured(t.Value, capture))
			}
		}
		m := genai.Message{Role: string(p.Messages[i].Role)}
		if text.n > 0 {
			m.Content, m.HasContent = text.String(), true
		}
		c.Request.Messages = append(c.Request.Messages, m)
	}
}

// guardrailChecksResponse fills the verdict of an InvokeGuardrailChecks
// call: each category its checks scored, with its score
// ("content:VIOLENCE:0.82", "prompt_attack:JAILBREAK:0.1"), each type of
// sensitive information found, with its highest confidence ("pii:EMAIL:0.99";
// never where it was, nor what), and the units each check used.
func guardrailChecksResponse(c *genai.Call, out *bedrockruntime.InvokeGuardrailChecksOutput) {
	v := &genai.GuardrailVerdict{}
	c.Response.Guardrail = v
	add := func(s string) {
		if len(v.Findings) < maxInterventions {
			v.Findings = append(v.Findings, s)
		}
	}
	if r := out.Results; r != nil {
		if cf := r.ContentFilter; cf != nil {
			for _, e := range cf.Results {
				add("content:" + string(e.Category) + ":" + score(e.SeverityScore))
			}
		}
		if pa := r.PromptAttack; pa != nil {
			for _, e := range pa.Results {
				add("prompt_attack:" + string(e.Category) + ":" + score(e.SeverityScore))
			}
		}
		if si := r.SensitiveInformation; si != nil {
			// The highest confidence of each type, in the order first found.
			var kinds []string
			best := map[string]float64{}
			for _, e := range si.Results {
				t := string(e.Type)
				f := aws.ToFloat64(e.ConfidenceScore)
				if old, ok := best[t]; !ok {
					kinds = append(kinds, t)
					best[t] = f
				} else if f > old {
					best[t] = f
				}
			}
			for _, t := range kinds {
				f := best[t]
				add("pii:" + t + ":" + score(&f))
			}
		}
	}
	if u := out.Usage; u != nil {
		if u.ContentFilter != nil {
			setUnits(&v.Usage.ContentPolicy, u.ContentFilter.TextUnits)
		}
		if u.PromptAttack != nil {
			setUnits(&v.Usage.PromptAttack, u.PromptAttack.TextUnits)
		}
		if u.SensitiveInformation != nil {
			setUnits(&v.Usage.SensitiveInformationPolicy, u.SensitiveInformation.TextUnits)
		}
	}
}

// score is a score as its shortest decimal; "" when absent.
func score(f *float64) string {
	if f == nil {
		return ""
	}
	return strconv.FormatFloat(*f, 'g', -1, 64)
}

// setUnits sets dst to n, when reported.
func setUnits(dst *genai.Int, n *int32) {
	if n != nil {
		*dst = genai.SetInt(int64(*n))
	}
}

// guardrailUsage copies the units each policy used.
func guardrailUsage(dst *genai.GuardrailUsage, u *types.GuardrailUsage) {
	setUnits(&dst.ContentPolicy, u.ContentPolicyUnits)
	setUnits(&dst.ContentPolicyImages, u.ContentPolicyImageUnits)
	setUnits(&dst.TopicPolicy, u.TopicPolicyUnits)
	setUnits(&dst.WordPolicy, u.WordPolicyUnits)
	setUnits(&dst.SensitiveInformationPolicy, u.SensitiveInformationPolicyUnits)
	setUnits(&dst.SensitiveInformationPolicyFree, u.SensitiveInformationPolicyFreeUnits)
	setUnits(&dst.ContextualGroundingPolicy, u.ContextualGroundingPolicyUnits)
	setUnits(&dst.AutomatedReasoningPolicy, u.AutomatedReasoningPolicyUnits)
	setUnits(&dst.AutomatedReasoningPolicies, u.AutomatedReasoningPolicies)
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
