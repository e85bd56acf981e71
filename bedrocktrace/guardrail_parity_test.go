package bedrocktrace

import (
	"context"
	"strings"
	"testing"
)

// bothInterventions returns the tracekit.guardrail.interventions (joined)
// and truncated flag of a Converse and of a ConverseStream whose guardrail
// trace is the given JSON.
func bothInterventions(t *testing.T, trace string) (converse, stream string) {
	t.Helper()
	e := newEnv(t)
	f := newFake(t, reply{body: `{"output":{"message":{"role":"assistant","content":[{"text":"Sorry."}]}},"stopReason":"guardrail_intervened",` +
		`"usage":{"inputTokens":9,"outputTokens":4,"totalTokens":13},"metrics":{"latencyMs":30},"trace":{"guardrail":` + trace + `}}`})
	if _, err := e.runtime(f.URL, false).Converse(context.Background(), converseInput()); err != nil {
		t.Fatal(err)
	}
	a := attrsOf(e.oneSpan())
	converse = strings.Join(a["tracekit.guardrail.interventions"].AsStringSlice(), ",") + " truncated=" + a["tracekit.guardrail.truncated"].String()

	e = newEnv(t)
	f = newFake(t, reply{frames: [][]byte{
		event(t, "messageStart", `{"role":"assistant"}`),
		event(t, "contentBlockDelta", `{"contentBlockIndex":0,"delta":{"text":"Sorry."}}`),
		event(t, "contentBlockStop", `{"contentBlockIndex":0}`),
		event(t, "messageStop", `{"stopReason":"guardrail_intervened"}`),
		event(t, "metadata", `{"usage":{"inputTokens":9,"outputTokens":4,"totalTokens":13},"metrics":{"latencyMs":30},"trace":{"guardrail":`+trace+`}}`),
	}})
	out, err := e.runtime(f.URL, false).ConverseStream(context.Background(), streamInput())
	if err != nil {
		t.Fatal(err)
	}
	for range out.GetStream().Events() {
	}
	if err := out.GetStream().Close(); err != nil {
		t.Fatal(err)
	}
	a = attrsOf(e.oneSpan())
	stream = strings.Join(a["tracekit.guardrail.interventions"].AsStringSlice(), ",") + " truncated=" + a["tracekit.guardrail.truncated"].String()
	return
}

// TestStreamGuardrailDuplicateKeys: with a key repeated in the guardrail
// trace (an assessment id, or a member of an assessment), a ConverseStream
// reads the last value, as Converse (the SDK) does, automated reasoning
// findings included.
func TestStreamGuardrailDuplicateKeys(t *testing.T) {
	for _, tr := range []string{
		`{"outputAssessments":{"gr-a":[{"automatedReasoningPolicy":{"findings":[{"invalid":{}}]}}],"gr-a":[{"topicPolicy":{"topics":[{"name":"T","type":"DENY","action":"BLOCKED","detected":true}]}}]}}`,
		`{"inputAssessment":{"gr-a":{"automatedReasoningPolicy":{"findings":[{"invalid":{}}]}},"gr-a":{"topicPolicy":{"topics":[{"name":"T","type":"DENY","action":"BLOCKED","detected":true}]}}}}`,
		`{"inputAssessment":{"gr-a":{"automatedReasoningPolicy":{"findings":[{"invalid":{}}]},"automatedReasoningPolicy":{"findings":[{"impossible":{}}]}}}}`,
	} {
		if c, s := bothInterventions(t, tr); c != s {
			t.Errorf("%s\n  Converse:       %s\n  ConverseStream: %s", tr, c, s)
		}
	}
}

// TestStreamARFindingUnionMembers: a finding's kind is its first member
// the SDK (Converse) knows and that is not null: a "__type" tag (which
// Smithy's JSON protocols tell clients to ignore in a union) and a kind
// newer than the SDK are skipped, on both paths.
func TestStreamARFindingUnionMembers(t *testing.T) {
	for _, tr := range []string{
		`{"inputAssessment":{"gr-a":{"automatedReasoningPolicy":{"findings":[{"__type":"com.amazonaws.bedrockruntime#GuardrailAutomatedReasoningFinding","invalid":{}}]}}}}`,
		`{"inputAssessment":{"gr-a":{"automatedReasoningPolicy":{"findings":[{"futureKind":{},"invalid":{}}]}}}}`,
		`{"inputAssessment":{"gr-a":{"automatedReasoningPolicy":{"findings":[{"invalid":null}]}}}}`,
	} {
		if c, s := bothInterventions(t, tr); c != s {
			t.Errorf("%s\n  Converse:       %s\n  ConverseStream: %s", tr, c, s)
		}
	}
}

// TestGuardrailTraceStreamMatchesConverse: the same guardrail trace gives
// the same verdict in a ConverseStream (read from the metadata event's JSON)
// as in a Converse (decoded by the SDK): automated reasoning findings of
// the input and of the outputs, each kind once, "valid" left out.
func TestGuardrailTraceStreamMatchesConverse(t *testing.T) {
	const trace = `{"inputAssessment":{"gr-a":{"automatedReasoningPolicy":{"findings":[` +
		`{"valid":{}},{"invalid":{"contradictingRules":[{"identifier":"r1"}]}},{"invalid":{}},{"tooComplex":{}}]}}},` +
		`"outputAssessments":{"gr-a":[{"automatedReasoningPolicy":{"findings":[{"satisfiable":{}},{"noTranslations":{}},{"impossible":{}},{"translationAmbiguous":{}}]}}]}}`
	const want = "automated_reasoning:invalid,automated_reasoning:too_complex,automated_reasoning:satisfiable," +
		"automated_reasoning:no_translations,automated_reasoning:impossible,automated_reasoning:translation_ambiguous truncated="
	c, s := bothInterventions(t, trace)
	if c != want || s != want {
		t.Fatalf("interventions:\n  Converse:       %s\n  ConverseStream: %s\n  want:           %s", c, s, want)
	}
}
