package bedrocktrace

// ApplyGuardrail and InvokeGuardrailChecks: checks of content against a
// guardrail, or against checks configured in the call, with no model. Typed
// input and output -> a guardrail record: ApplyGuardrail's content blocks
// are messages (a user's for the input source, the assistant's for the
// output source; a query is the user's, a grounding source a document
// given), the outputs the guardrail returned in the content's place when it
// intervened the assistant's choices, the action and what the policies
// detected the verdict; InvokeGuardrailChecks' messages are messages, the
// scores of its checks and the sensitive information they found the
// verdict.

import (
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"

	"github.com/tracekit-go/tracekit/internal/genai"
	"github.com/tracekit-go/tracekit/internal/instr"
)

// maxInterventions bounds the distinct interventions (and findings) a span
// records.
const maxInterventions = 32

// guardrailRole is the role of the content a guardrail checks: a user's
// (the input source) or a model's (the output source).
func guardrailRole(src types.GuardrailContentSource) string {
	if src == types.GuardrailContentSourceOutput {
		return "assistant"
	}
	return "user"
}

// hasQualifier reports whether a text block carries qualifier q.
func hasQualifier(b *types.GuardrailTextBlock, q types.GuardrailContentQualifier) bool {
	return slices.Contains(b.Qualifiers, q)
}

// guardrailRequest fills the record of an ApplyGuardrail call: the
// guardrail, its version, the source, each content block as a message (its
// text; with capture on, an image as a part): the user's when it is a
// query, the source's role otherwise; a grounding source (a reference for
// a contextual grounding check) is a document given (capture on).
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
			if hasQualifier(&v.Value, types.GuardrailContentQualifierGroundingSource) {
				if capture && len(r.Documents) < maxDocuments {
					r.Documents = append(r.Documents, genai.Document{ID: strconv.Itoa(len(r.Documents)), Content: aws.ToString(v.Value.Text)})
				}
				continue
			}
			if hasQualifier(&v.Value, types.GuardrailContentQualifierQuery) {
				m.Role = "user"
			}
			if v.Value.Text != nil {
				m.Content, m.HasContent = captured(*v.Value.Text, capture), true
			}
		case *types.GuardrailContentBlockMemberImage:
			if capture {
				part := genai.Part{Modality: genai.ModalityImage, MimeType: formatMime(genai.ModalityImage, string(v.Value.Format))}
				if src, ok := v.Value.Source.(*types.GuardrailImageSourceMemberBytes); ok {
					part.Kind, part.Bytes = genai.PartBlob, src.Value
				}
				m.Parts = genai.AppendPart(nil, part) // (none of a source of unknown type)
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
	if out.Action == types.GuardrailActionGuardrailIntervened {
		c.Response.FinishReasons = append(c.Response.FinishReasons, guardrailIntervened)
		for i := range out.Outputs {
			ch := genai.Choice{Role: "assistant", FinishReason: guardrailIntervened}
			if t := out.Outputs[i].Text; t != nil {
				ch.Content, ch.HasContent = *t, true
			}
			c.Response.Choices = append(c.Response.Choices, ch)
		}
	}
	for i := range out.Assessments {
		addInterventions(v, &out.Assessments[i])
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

// appendGuardrailChecksTexts appends to dst each text block of an
// InvokeGuardrailChecks call's messages, which the record holds joined,
// while an error message may quote one of them (see withholdErr).
func appendGuardrailChecksTexts(dst []string, p *bedrockruntime.InvokeGuardrailChecksInput) []string {
	for i := range p.Messages {
		for _, b := range p.Messages[i].Content {
			if t, ok := b.(*types.GuardrailChecksContentBlockMemberText); ok {
				dst = instr.AppendContent(dst, t.Value)
			}
		}
	}
	return dst
}

// guardrailChecksResponse fills the verdict of an InvokeGuardrailChecks
// call: each category its checks scored, with its score, each type of
// sensitive information found, with its highest confidence (never where it
// was, nor what), at most maxInterventions in all (Truncated past that, or
// when the service truncated its list), and the units each check used.
func guardrailChecksResponse(c *genai.Call, out *bedrockruntime.InvokeGuardrailChecksOutput) {
	v := &genai.GuardrailVerdict{}
	c.Response.Guardrail = v
	add := func(f genai.GuardrailFinding) {
		if len(v.Findings) == maxInterventions {
			v.Truncated = true
			return
		}
		v.Findings = append(v.Findings, f)
	}
	addScore := func(check, category string, score *float64) {
		f := genai.GuardrailFinding{Check: check, Category: category}
		if score != nil {
			f.Score = genai.SetFloat(*score)
		}
		add(f)
	}
	if r := out.Results; r != nil {
		if cf := r.ContentFilter; cf != nil {
			for _, e := range cf.Results {
				addScore("content", string(e.Category), e.SeverityScore)
			}
		}
		if pa := r.PromptAttack; pa != nil {
			for _, e := range pa.Results {
				addScore("prompt_attack", string(e.Category), e.SeverityScore)
			}
		}
		if si := r.SensitiveInformation; si != nil {
			// Each type once, in the order first found, with its highest
			// confidence (none when none was reported).
			var found []genai.GuardrailFinding
			for _, e := range si.Results {
				i := slices.IndexFunc(found, func(f genai.GuardrailFinding) bool { return f.Category == string(e.Type) })
				if i < 0 {
					found = append(found, genai.GuardrailFinding{Check: "pii", Category: string(e.Type)})
					i = len(found) - 1
				}
				if s := e.ConfidenceScore; s != nil && (!found[i].Score.Set || *s > found[i].Score.V) {
					found[i].Score = genai.SetFloat(*s)
				}
			}
			for _, f := range found {
				add(f)
			}
			if aws.ToBool(si.Truncated) { // (the service's own bound)
				v.Truncated = true
			}
		}
	}
	if u := out.Usage; u != nil {
		if u.ContentFilter != nil {
			setUnits(&v.Usage.ContentPolicy, u.ContentFilter.TextUnits)
		}
		if u.PromptAttack != nil {
			setUnits(&v.Usage.PromptAttackPolicy, u.PromptAttack.TextUnits)
		}
		if u.SensitiveInformation != nil {
			setUnits(&v.Usage.SensitiveInformationPolicy, u.SensitiveInformation.TextUnits)
		}
	}
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

// addInterventions adds to v what the policies of one assessment detected
// (an automated reasoning finding other than valid too), never what they
// matched (a PII value, a custom word, a regex match: content), each once
// and at most maxInterventions in all (v.Truncated past that). An entry
// counts when it says it was detected, or, saying nothing of it, when its
// action is not NONE (a FULL output scope lists what was not detected too).
func addInterventions(v *genai.GuardrailVerdict, a *types.GuardrailAssessment) {
	add := func(policy, name, action string, detected *bool) {
		if detected != nil && !*detected {
			return
		}
		if detected == nil && (action == "" || action == "NONE") {
			return
		}
		in := genai.GuardrailIntervention{Policy: policy, Name: name, Action: action}
		if slices.Contains(v.Interventions, in) {
			return
		}
		if len(v.Interventions) == maxInterventions {
			v.Truncated = true
			return
		}
		v.Interventions = append(v.Interventions, in)
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
			if k := findingKind(f); k != "" {
				detected := true
				add("automated_reasoning", k, "", &detected)
			}
		}
	}
}

// findingKind names an automated reasoning finding that is not valid
// (invalid, impossible, ...); "" for a valid or unknown one.
func findingKind(f types.GuardrailAutomatedReasoningFinding) string {
	switch f.(type) {
	case *types.GuardrailAutomatedReasoningFindingMemberInvalid:
		return "invalid"
	case *types.GuardrailAutomatedReasoningFindingMemberImpossible:
		return "impossible"
	case *types.GuardrailAutomatedReasoningFindingMemberSatisfiable:
		return "satisfiable"
	case *types.GuardrailAutomatedReasoningFindingMemberTranslationAmbiguous:
		return "translation_ambiguous"
	case *types.GuardrailAutomatedReasoningFindingMemberTooComplex:
		return "too_complex"
	case *types.GuardrailAutomatedReasoningFindingMemberNoTranslations:
		return "no_translations"
	}
	return ""
}
