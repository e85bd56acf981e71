package bedrocktrace

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"go.opentelemetry.io/otel/codes"

	"github.com/tracekit-go/tracekit/internal/schemacheck"
	"github.com/tracekit-go/tracekit/semconv"
)

// TestGuardrailChecksErrorQuotesOneBlock: with capture off, an
// InvokeGuardrailChecks error that quotes one text block of a message made
// of several (the record holds them joined) loses it: in the span status
// and in the exception event.
func TestGuardrailChecksErrorQuotesOneBlock(t *testing.T) {
	e := newEnv(t)
	e.extra = []Option{WithConventions(semconv.Tracekit, semconv.OTelGenAI, semconv.OpenInference)}
	f := newFake(t, reply{status: 400, headers: map[string]string{"X-Amzn-Errortype": "ValidationException"},
		body: `{"message":"content 'Mail ana@example.com and bo@example.com' is not allowed"}`})
	_, err := e.runtime(f.URL, false).InvokeGuardrailChecks(context.Background(), guardrailChecksInput())
	if err == nil || !strings.Contains(err.Error(), "ana@example.com") {
		t.Fatalf("caller got %v", err) // the caller's error is untouched
	}
	s := e.oneSpan()
	if d := s.Status().Description; s.Status().Code != codes.Error || strings.Contains(d, "ana@example.com") || !strings.Contains(d, "[REDACTED]") {
		t.Errorf("status %+v: quotes a block of the message checked with capture off", s.Status())
	}
	for _, ev := range s.Events() {
		for _, kv := range ev.Attributes {
			if strings.Contains(kv.Value.String(), "ana@example.com") {
				t.Errorf("event %s: %s = %s", ev.Name, kv.Key, kv.Value.String())
			}
		}
	}
}

// TestGuardrailUnknownImageSource: an image block whose source is of a
// type the SDK does not know (a union member of unknown type) is no part
// (not a blob without data), as with Converse.
func TestGuardrailUnknownImageSource(t *testing.T) {
	schemas := schemacheck.New(t)
	e := newEnv(t, schemas)
	e.extra = []Option{WithConventions(semconv.OTelGenAI)}
	f := newFake(t, reply{body: `{"action":"NONE","outputs":[],"assessments":[],"usage":{"contentPolicyImageUnits":1}}`})
	in := &bedrockruntime.ApplyGuardrailInput{GuardrailIdentifier: aws.String("gr-7x2"), GuardrailVersion: aws.String("1"), Source: types.GuardrailContentSourceInput,
		Content: []types.GuardrailContentBlock{&types.GuardrailContentBlockMemberImage{Value: types.GuardrailImageBlock{
			Format: types.GuardrailImageFormatPng, Source: &types.UnknownUnionMember{Tag: "s3Location", Value: []byte(`{"uri":"s3://b/k.png"}`)}}}}}
	if _, err := e.runtime(f.URL, true).ApplyGuardrail(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	a := attrsOf(e.oneSpan())
	if v := a["gen_ai.input.messages"].AsString(); strings.Contains(v, `"type":"blob"`) {
		t.Errorf("gen_ai.input.messages = %s: an image of unknown source recorded as a blob with no data", v)
	}
}

// TestGuardrailOutputNotIntervened: the outputs of an answer where the
// guardrail did not intervene (action NONE) are no completion (a successful
// check never finishes with error).
func TestGuardrailOutputNotIntervened(t *testing.T) {
	e := newEnv(t)
	e.extra = []Option{WithConventions(semconv.Tracekit, semconv.OTelGenAI)}
	f := newFake(t, reply{body: `{"action":"NONE","outputs":[{"text":"What is the capital of France?"}],"assessments":[],"usage":{"topicPolicyUnits":1}}`})
	if _, err := e.runtime(f.URL, true).ApplyGuardrail(context.Background(), guardrailInput()); err != nil {
		t.Fatal(err)
	}
	s := e.oneSpan()
	if s.Status().Code == codes.Error {
		t.Fatalf("status %+v", s.Status())
	}
	a := attrsOf(s)
	if v, ok := a["gen_ai.output.messages"]; ok && strings.Contains(v.AsString(), `"finish_reason":"error"`) {
		t.Errorf("gen_ai.output.messages = %s: a successful check's output finishes with error", v.AsString())
	}
}

// TestGuardrailChecksMissingScore: a result without its score is recorded
// without one ("content:VIOLENCE", "pii:EMAIL"), not with a dangling
// separator or a score of zero the service never reported.
func TestGuardrailChecksMissingScore(t *testing.T) {
	e := newEnv(t)
	f := newFake(t, reply{body: `{"results":{"contentFilter":{"results":[{"category":"VIOLENCE"}]},` +
		`"sensitiveInformation":{"results":[{"type":"EMAIL","messageIndex":1,"contentIndex":1,"beginOffset":5,"endOffset":20}]}},"usage":{}}`})
	if _, err := e.runtime(f.URL, false).InvokeGuardrailChecks(context.Background(), guardrailChecksInput()); err != nil {
		t.Fatal(err)
	}
	a := attrsOf(e.oneSpan())
	for _, s := range a["tracekit.guardrail.findings"].AsStringSlice() {
		if strings.HasSuffix(s, ":") || s == "pii:EMAIL:0" {
			t.Errorf("finding %q: a score the service did not report", s)
		}
	}
}

// TestGuardrailQueryQualifierRole: ApplyGuardrail's contextual grounding
// check sends three kinds of text blocks, told apart by their qualifiers:
// the grounding source (a reference document), the query (the user's
// question) and the guarded content (the model's answer, source OUTPUT).
// The query is the user's whatever the source.
func TestGuardrailQueryQualifierRole(t *testing.T) {
	e := newEnv(t)
	f := newFake(t, reply{body: `{"action":"NONE","outputs":[],"assessments":[],"usage":{"contextualGroundingPolicyUnits":1}}`})
	txt := func(s string, q types.GuardrailContentQualifier) types.GuardrailContentBlock {
		return &types.GuardrailContentBlockMemberText{Value: types.GuardrailTextBlock{Text: aws.String(s), Qualifiers: []types.GuardrailContentQualifier{q}}}
	}
	in := &bedrockruntime.ApplyGuardrailInput{GuardrailIdentifier: aws.String("gr-7x2"), GuardrailVersion: aws.String("1"), Source: types.GuardrailContentSourceOutput,
		Content: []types.GuardrailContentBlock{
			txt("Paris is the capital of France.", types.GuardrailContentQualifierGroundingSource),
			txt("What is the capital of France?", types.GuardrailContentQualifierQuery),
			txt("The capital of France is Lyon.", types.GuardrailContentQualifierGuardContent),
		}}
	if _, err := e.runtime(f.URL, true).ApplyGuardrail(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	a := attrsOf(e.oneSpan())
	for i := 0; i < 3; i++ {
		k := "gen_ai.prompt." + string(rune('0'+i))
		if a[k+".content"].AsString() == "What is the capital of France?" && a[k+".role"].AsString() != "user" {
			t.Errorf("%s.role = %q: the user's query recorded as %s's", k, a[k+".role"].AsString(), a[k+".role"].AsString())
		}
	}
}

// TestGuardrailGroundingSource: with capture on, a contextual grounding
// check's grounding source is a document given (tracekit.input_documents,
// under Tracekit and under OTel GenAI alone), not a message; with capture
// off it is not recorded.
func TestGuardrailGroundingSource(t *testing.T) {
	in := func() *bedrockruntime.ApplyGuardrailInput {
		txt := func(s string, q types.GuardrailContentQualifier) types.GuardrailContentBlock {
			return &types.GuardrailContentBlockMemberText{Value: types.GuardrailTextBlock{Text: aws.String(s), Qualifiers: []types.GuardrailContentQualifier{q}}}
		}
		return &bedrockruntime.ApplyGuardrailInput{GuardrailIdentifier: aws.String("gr-7x2"), GuardrailVersion: aws.String("1"), Source: types.GuardrailContentSourceOutput,
			Content: []types.GuardrailContentBlock{
				txt("Paris is the capital of France.", types.GuardrailContentQualifierGroundingSource),
				txt("What is the capital of France?", types.GuardrailContentQualifierQuery),
				txt("The capital of France is Lyon.", types.GuardrailContentQualifierGuardContent),
			}}
	}
	for _, tc := range []struct {
		conv    []semconv.Convention
		capture bool
	}{{[]semconv.Convention{semconv.Tracekit}, true}, {[]semconv.Convention{semconv.OTelGenAI}, true}, {[]semconv.Convention{semconv.Tracekit, semconv.OTelGenAI}, false}} {
		e := newEnv(t)
		e.extra = []Option{WithConventions(tc.conv...)}
		f := newFake(t, reply{body: `{"action":"NONE","outputs":[],"assessments":[],"usage":{"contextualGroundingPolicyUnits":1}}`})
		if _, err := e.runtime(f.URL, tc.capture).ApplyGuardrail(context.Background(), in()); err != nil {
			t.Fatal(err)
		}
		a := attrsOf(e.oneSpan())
		if !tc.capture {
			a.none(t, "tracekit.input_documents.", "*.content")
			continue
		}
		a.want(t, map[string]any{
			"tracekit.input_documents.0.id":      "0",
			"tracekit.input_documents.0.content": "Paris is the capital of France.",
			"tracekit.input_documents.1.id":      nil,
		})
		if tc.conv[0] == semconv.Tracekit {
			a.want(t, map[string]any{
				"gen_ai.prompt.0.role": "user", "gen_ai.prompt.0.content": "What is the capital of France?",
				"gen_ai.prompt.1.role": "assistant", "gen_ai.prompt.1.content": "The capital of France is Lyon.",
				"gen_ai.prompt.2.role": nil,
			})
		} else {
			a.want(t, map[string]any{"gen_ai.input.messages": jsonValue(`[{"role":"user","parts":[{"type":"text","content":"What is the capital of France?"}]},` +
				`{"role":"assistant","parts":[{"type":"text","content":"The capital of France is Lyon."}]}]`)})
		}
	}
}

// TestGuardrailActionReason: a guardrail's action reason is free text that
// may quote the content checked: it is recorded with capture on only.
func TestGuardrailActionReason(t *testing.T) {
	for _, capture := range []bool{true, false} {
		e := newEnv(t)
		f := newFake(t, reply{body: `{"action":"GUARDRAIL_INTERVENED","actionReason":"Blocked: 'context: a bank's chat' is off topic.","outputs":[{"text":"Sorry."}],"assessments":[]}`})
		if _, err := e.runtime(f.URL, capture).ApplyGuardrail(context.Background(), guardrailInput()); err != nil {
			t.Fatal(err)
		}
		want := map[bool]any{true: "Blocked: 'context: a bank's chat' is off topic.", false: nil}[capture]
		attrsOf(e.oneSpan()).want(t, map[string]any{"tracekit.guardrail.action_reason": want, "tracekit.guardrail.action": "GUARDRAIL_INTERVENED"})
	}
}

// TestConverseGuardrailTrace: a Converse call whose guardrail trace is on
// records the guardrail's verdict: what its policies detected on the input
// and on the output (each once, the guardrails in the order of their ids,
// never what they matched), its action (GUARDRAIL_INTERVENED when it
// stopped the answer) and reason. Without a trace, no verdict.
func TestConverseGuardrailTrace(t *testing.T) {
	answer := `{"output":{"message":{"role":"assistant","content":[{"text":"Sorry, I can't help."}]}},"stopReason":"guardrail_intervened",` +
		`"usage":{"inputTokens":9,"outputTokens":4,"totalTokens":13},"metrics":{"latencyMs":30},` +
		`"trace":{"guardrail":{"actionReason":"Guardrail blocked.","modelOutput":["buy bitcoin now"],` +
		`"inputAssessment":{"gr-b":{"contentPolicy":{"filters":[{"type":"MISCONDUCT","confidence":"HIGH","action":"BLOCKED","detected":true}]}},` +
		`"gr-a":{"topicPolicy":{"topics":[{"name":"Investment advice","type":"DENY","action":"BLOCKED","detected":true}]},` +
		`"sensitiveInformationPolicy":{"piiEntities":[{"match":"ana@example.com","type":"EMAIL","action":"ANONYMIZED","detected":true}]}}},` +
		`"outputAssessments":{"gr-a":[{"topicPolicy":{"topics":[{"name":"Investment advice","type":"DENY","action":"BLOCKED","detected":true}]},` +
		`"wordPolicy":{"customWords":[{"match":"bitcoin","action":"BLOCKED","detected":true}]}}]}}}}`
	e := newEnv(t)
	f := newFake(t, reply{body: answer}, reply{body: converseReply})
	c := e.runtime(f.URL, false)
	if _, err := c.Converse(context.Background(), converseInput()); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Converse(context.Background(), converseInput()); err != nil {
		t.Fatal(err)
	}
	spans := e.spans()
	if len(spans) != 2 {
		t.Fatalf("%d spans", len(spans))
	}
	a := attrsOf(spans[0])
	a.want(t, map[string]any{
		"aws.bedrock.guardrail.id":         "gr-123",
		"gen_ai.response.finish_reasons":   []string{"guardrail_intervened"},
		"tracekit.guardrail.action":        "GUARDRAIL_INTERVENED",
		"tracekit.guardrail.action_reason": nil, // (content: capture is off)
		"tracekit.guardrail.interventions": []string{"topic:Investment advice:BLOCKED", "pii:EMAIL:ANONYMIZED", "content:MISCONDUCT:BLOCKED", "word:custom:BLOCKED"},
	})
	for _, k := range a.keys() {
		if v := a[k].String(); strings.Contains(v, "bitcoin") || strings.Contains(v, "ana@") {
			t.Errorf("%s records content: %s", k, v)
		}
	}
	attrsOf(spans[1]).none(t, "tracekit.guardrail.")
}

// TestConverseStreamGuardrailTrace: a ConverseStream's guardrail trace (in
// its metadata event) gives the same verdict as Converse's (here with
// capture on: the reason too), automated reasoning findings included
// (which the SDK's types cannot decode from JSON).
func TestConverseStreamGuardrailTrace(t *testing.T) {
	e := newEnv(t)
	f := newFake(t, reply{frames: [][]byte{
		event(t, "messageStart", `{"role":"assistant"}`),
		event(t, "contentBlockDelta", `{"contentBlockIndex":0,"delta":{"text":"Sorry."}}`),
		event(t, "contentBlockStop", `{"contentBlockIndex":0}`),
		event(t, "messageStop", `{"stopReason":"guardrail_intervened"}`),
		event(t, "metadata", `{"usage":{"inputTokens":9,"outputTokens":4,"totalTokens":13},"metrics":{"latencyMs":30},`+
			`"trace":{"guardrail":{"actionReason":"Guardrail blocked.","inputAssessment":{"gr-a":{"topicPolicy":{"topics":[{"name":"Investment advice","type":"DENY","action":"BLOCKED","detected":true}]},`+
			`"automatedReasoningPolicy":{"findings":[{"invalid":{}}]}}}}}}`),
	}})
	out, err := e.runtime(f.URL, true).ConverseStream(context.Background(), streamInput())
	if err != nil {
		t.Fatal(err)
	}
	for range out.GetStream().Events() {
	}
	if err := out.GetStream().Close(); err != nil {
		t.Fatal(err)
	}
	attrsOf(e.oneSpan()).want(t, map[string]any{
		"tracekit.guardrail.action":        "GUARDRAIL_INTERVENED",
		"tracekit.guardrail.action_reason": "Guardrail blocked.",
		"tracekit.guardrail.interventions": []string{"topic:Investment advice:BLOCKED", "automated_reasoning:invalid"},
		"gen_ai.response.finish_reasons":   []string{"guardrail_intervened"},
	})
}

// TestGuardrailVerdictTruncated: tracekit.guardrail.truncated tells that
// the verdict leaves findings or interventions out: when InvokeGuardrailChecks
// says it truncated its sensitive information, or when a check reports
// more distinct findings or interventions than a span keeps. A complete
// verdict has no such attribute.
func TestGuardrailVerdictTruncated(t *testing.T) {
	many := func(format string) string {
		var b strings.Builder
		for i := 0; i < maxInterventions+8; i++ {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, format, i)
		}
		return b.String()
	}
	checks := func(body string) attrs {
		e := newEnv(t)
		f := newFake(t, reply{body: body})
		if _, err := e.runtime(f.URL, false).InvokeGuardrailChecks(context.Background(), guardrailChecksInput()); err != nil {
			t.Fatal(err)
		}
		return attrsOf(e.oneSpan())
	}
	a := checks(guardrailChecksAnswer) // "truncated":false
	if v, ok := a["tracekit.guardrail.truncated"]; ok {
		t.Errorf("a complete verdict: truncated = %v", v.String())
	}
	a = checks(`{"results":{"sensitiveInformation":{"results":[{"type":"EMAIL","confidenceScore":0.9,"messageIndex":0,"contentIndex":0,"beginOffset":0,"endOffset":5}],"truncated":true}},"usage":{}}`)
	if !a["tracekit.guardrail.truncated"].AsBool() || len(a["tracekit.guardrail.findings"].AsStringSlice()) != 1 {
		t.Errorf("the service truncated its list: truncated %v, findings %v", a["tracekit.guardrail.truncated"].String(), a["tracekit.guardrail.findings"].String())
	}
	a = checks(`{"results":{"contentFilter":{"results":[` + many(`{"category":"C%d","severityScore":0.5}`) + `]}},"usage":{}}`)
	if !a["tracekit.guardrail.truncated"].AsBool() || len(a["tracekit.guardrail.findings"].AsStringSlice()) != maxInterventions {
		t.Errorf("past the bound: truncated %v, %d findings", a["tracekit.guardrail.truncated"].String(), len(a["tracekit.guardrail.findings"].AsStringSlice()))
	}

	e := newEnv(t)
	f := newFake(t, reply{body: `{"action":"GUARDRAIL_INTERVENED","outputs":[{"text":"Sorry."}],"assessments":[{"topicPolicy":{"topics":[` +
		many(`{"name":"topic %d","type":"DENY","action":"BLOCKED","detected":true}`) + `]}}],"usage":{}}`})
	if _, err := e.runtime(f.URL, false).ApplyGuardrail(context.Background(), guardrailInput()); err != nil {
		t.Fatal(err)
	}
	a = attrsOf(e.oneSpan())
	if !a["tracekit.guardrail.truncated"].AsBool() || len(a["tracekit.guardrail.interventions"].AsStringSlice()) != maxInterventions {
		t.Errorf("ApplyGuardrail past the bound: truncated %v, %d interventions", a["tracekit.guardrail.truncated"].String(), len(a["tracekit.guardrail.interventions"].AsStringSlice()))
	}
}
