package bedrocktrace

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/document"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"

	"github.com/tracekit-go/tracekit/redact"
	"github.com/tracekit-go/tracekit/semconv"
)

// realTrace is a realistic Converse guardrail trace (input and output
// assessments, invocation metrics, coverage, applied guardrail details, a
// FULL output scope listing what was not detected).
const realTrace = `{"actionReason":"Guardrail blocked.","modelOutput":["buy bitcoin now"],` +
	`"inputAssessment":{"gr-a":{"topicPolicy":{"topics":[{"name":"Investment advice","type":"DENY","action":"BLOCKED","detected":true}]},` +
	`"contentPolicy":{"filters":[{"type":"VIOLENCE","confidence":"NONE","filterStrength":"HIGH","action":"NONE","detected":false},{"type":"MISCONDUCT","confidence":"HIGH","filterStrength":"HIGH","action":"BLOCKED","detected":true}]},` +
	`"sensitiveInformationPolicy":{"piiEntities":[{"match":"ana@example.com","type":"EMAIL","action":"ANONYMIZED","detected":true}],"regexes":[{"name":"acct","match":"12-34","regex":"\\d+-\\d+","action":"BLOCKED","detected":true}]},` +
	`"invocationMetrics":{"guardrailProcessingLatency":321,"usage":{"topicPolicyUnits":1,"contentPolicyUnits":1,"wordPolicyUnits":1,"sensitiveInformationPolicyUnits":1,"sensitiveInformationPolicyFreeUnits":0,"contextualGroundingPolicyUnits":0},` +
	`"guardrailCoverage":{"textCharacters":{"guarded":12,"total":40},"images":{"guarded":0,"total":0}}},` +
	`"appliedGuardrailDetails":{"guardrailId":"gr-a","guardrailVersion":"1","guardrailArn":"arn:aws:bedrock:us-east-1:111122223333:guardrail/gr-a","guardrailOrigin":["REQUEST"],"guardrailOwnership":"SELF"}}},` +
	`"outputAssessments":{"gr-a":[{"wordPolicy":{"customWords":[{"match":"bitcoin","action":"BLOCKED","detected":true}],"managedWordLists":[{"match":"damn","type":"PROFANITY","action":"BLOCKED","detected":true}]},` +
	`"contextualGroundingPolicy":{"filters":[{"type":"GROUNDING","threshold":0.7,"score":0.2,"action":"BLOCKED","detected":true}]}}]}}`

// TestConverseStreamTraceMatchesConverse: the stream's trace, decoded with
// encoding/json into the SDK's type, gives the verdict the SDK's own
// deserializer gives Converse (differential).
func TestConverseStreamTraceMatchesConverse(t *testing.T) {
	e := newEnv(t)
	answer := `{"output":{"message":{"role":"assistant","content":[{"text":"Sorry."}]}},"stopReason":"guardrail_intervened",` +
		`"usage":{"inputTokens":9,"outputTokens":4,"totalTokens":13},"metrics":{"latencyMs":30},"trace":{"guardrail":` + realTrace + `}}`
	f := newFake(t, reply{body: answer}, reply{frames: [][]byte{
		event(t, "messageStart", `{"role":"assistant"}`),
		event(t, "contentBlockDelta", `{"contentBlockIndex":0,"delta":{"text":"Sorry."}}`),
		event(t, "contentBlockStop", `{"contentBlockIndex":0}`),
		event(t, "messageStop", `{"stopReason":"guardrail_intervened"}`),
		event(t, "metadata", `{"usage":{"inputTokens":9,"outputTokens":4,"totalTokens":13},"metrics":{"latencyMs":30},"trace":{"guardrail":`+realTrace+`}}`),
	}})
	c := e.runtime(f.URL, true)
	if _, err := c.Converse(context.Background(), converseInput()); err != nil {
		t.Fatal(err)
	}
	out, err := c.ConverseStream(context.Background(), streamInput())
	if err != nil {
		t.Fatal(err)
	}
	for range out.GetStream().Events() {
	}
	if err := out.GetStream().Close(); err != nil {
		t.Fatal(err)
	}
	spans := e.spans()
	if len(spans) != 2 {
		t.Fatalf("%d spans", len(spans))
	}
	a, b := attrsOf(spans[0]), attrsOf(spans[1])
	for _, k := range []string{"tracekit.guardrail.action", "tracekit.guardrail.action_reason", "tracekit.guardrail.interventions"} {
		if a[k].String() != b[k].String() {
			t.Errorf("%s: Converse %s, ConverseStream %s", k, a[k].String(), b[k].String())
		}
	}
	t.Logf("%s", a["tracekit.guardrail.interventions"].String())
}

// TestConverseToolResultBlockErrorWithheld: with capture off, an error
// quoting one text block of a tool result made of several (the record joins
// them; a JSON block beside text leaves the text out of the record) loses
// it.
func TestConverseToolResultBlockErrorWithheld(t *testing.T) {
	const secret = "Mail ana@example.com now"
	cases := map[string][]types.ToolResultContentBlock{
		"two text blocks": {
			&types.ToolResultContentBlockMemberText{Value: "Result: "},
			&types.ToolResultContentBlockMemberText{Value: secret},
		},
		"json and text": {
			&types.ToolResultContentBlockMemberJson{Value: document.NewLazyDocument(map[string]any{"ok": true})},
			&types.ToolResultContentBlockMemberText{Value: secret},
		},
	}
	for name, blocks := range cases {
		e := newEnv(t)
		f := newFake(t, reply{status: 400, headers: map[string]string{"X-Amzn-Errortype": "ValidationException"},
			body: `{"message":"content '` + secret + `' is not allowed"}`})
		_, err := e.runtime(f.URL, false).Converse(context.Background(), &bedrockruntime.ConverseInput{
			ModelId: aws.String("anthropic.claude-3-haiku-20240307-v1:0"),
			Messages: []types.Message{
				{Role: types.ConversationRoleUser, Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: "look it up"}}},
				{Role: types.ConversationRoleAssistant, Content: []types.ContentBlock{&types.ContentBlockMemberToolUse{Value: types.ToolUseBlock{ToolUseId: aws.String("tu_1"), Name: aws.String("lookup"), Input: document.NewLazyDocument(map[string]any{"q": "x"})}}}},
				{Role: types.ConversationRoleUser, Content: []types.ContentBlock{&types.ContentBlockMemberToolResult{Value: types.ToolResultBlock{ToolUseId: aws.String("tu_1"), Content: blocks}}}},
			}})
		if err == nil {
			t.Fatalf("%s: want an error", name)
		}
		d := e.oneSpan().Status().Description
		t.Logf("status %q", d)
		if strings.Contains(d, "ana@") {
			t.Errorf("%s: capture off, the status quotes the tool result: %q", name, d)
		}
	}
}

// TestConverseActionReasonQuotingOutputWithheld: with capture off, a
// Converse guardrail's action reason (which may quote the model's output)
// is not recorded.
func TestConverseActionReasonQuotingOutputWithheld(t *testing.T) {
	answer := `{"output":{"message":{"role":"assistant","content":[{"text":"Sorry, I can't help."}]}},"stopReason":"guardrail_intervened",` +
		`"usage":{"inputTokens":9,"outputTokens":4,"totalTokens":13},"metrics":{"latencyMs":30},` +
		`"trace":{"guardrail":{"actionReason":"Blocked output: 'buy bitcoin now, ana@example.com'","modelOutput":["buy bitcoin now, ana@example.com"],` +
		`"outputAssessments":{"gr-a":[{"wordPolicy":{"customWords":[{"match":"bitcoin","action":"BLOCKED","detected":true}]}}]}}}}`
	e := newEnv(t)
	f := newFake(t, reply{body: answer})
	if _, err := e.runtime(f.URL, false).Converse(context.Background(), converseInput()); err != nil {
		t.Fatal(err)
	}
	a := attrsOf(e.oneSpan())
	if v := a["tracekit.guardrail.action_reason"].AsString(); strings.Contains(v, "bitcoin") || strings.Contains(v, "ana@") {
		t.Errorf("capture off: tracekit.guardrail.action_reason quotes the model's output: %q", v)
	}
}

// TestConverseActionReasonRedacted: with capture on and a redactor, a
// guardrail's action reason is redacted as the prompt it may quote is.
func TestConverseActionReasonRedacted(t *testing.T) {
	answer := `{"output":{"message":{"role":"assistant","content":[{"text":"Sorry."}]}},"stopReason":"guardrail_intervened",` +
		`"usage":{"inputTokens":9,"outputTokens":4,"totalTokens":13},"metrics":{"latencyMs":30},` +
		`"trace":{"guardrail":{"actionReason":"Blocked: 'mail ana@example.com'",` +
		`"inputAssessment":{"gr-a":{"sensitiveInformationPolicy":{"piiEntities":[{"match":"ana@example.com","type":"EMAIL","action":"BLOCKED","detected":true}]}}}}}}`
	e := newEnv(t)
	e.extra = []Option{WithRedactor(redact.New())}
	f := newFake(t, reply{body: answer})
	in := converseInput()
	in.Messages = []types.Message{{Role: types.ConversationRoleUser, Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: "mail ana@example.com"}}}}
	if _, err := e.runtime(f.URL, true).Converse(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	a := attrsOf(e.oneSpan())
	for _, k := range a.keys() {
		if strings.Contains(a[k].String(), "ana@example.com") {
			t.Errorf("redactor on: %s = %s", k, a[k].String())
		}
	}
}

// TestConverseGuardrailConventions: a Converse call's verdict in each
// convention alone.
func TestConverseGuardrailConventions(t *testing.T) {
	answer := `{"output":{"message":{"role":"assistant","content":[{"text":"Sorry."}]}},"stopReason":"guardrail_intervened",` +
		`"usage":{"inputTokens":9,"outputTokens":4,"totalTokens":13},"metrics":{"latencyMs":30},"trace":{"guardrail":` + realTrace + `}}`
	for _, conv := range []semconv.Convention{semconv.Tracekit, semconv.OTelGenAI, semconv.OpenInference} {
		e := newEnv(t)
		e.extra = []Option{WithConventions(conv)}
		f := newFake(t, reply{body: answer})
		if _, err := e.runtime(f.URL, true).Converse(context.Background(), converseInput()); err != nil {
			t.Fatal(err)
		}
		a := attrsOf(e.oneSpan())
		a.want(t, map[string]any{"tracekit.guardrail.action": "GUARDRAIL_INTERVENED", "tracekit.guardrail.action_reason": "Guardrail blocked."})
		if _, ok := a["tracekit.guardrail.interventions"]; !ok {
			t.Errorf("%v: no interventions", conv)
		}
		for _, k := range a.keys() {
			if strings.HasPrefix(k, "tracekit.guardrail") {
				t.Logf("%v %s=%s", conv, k, a[k].String())
			}
		}
	}
}

// TestConverseStreamActionReasonReadsInputLate: with capture off, the end of
// a ConverseStream whose guardrail trace gives an action reason does not
// read the caller's typed input (which the caller may update once it has
// the last event). Run with -race.
func TestConverseStreamActionReasonReadsInputLate(t *testing.T) {
	e := newEnv(t)
	frames := [][]byte{
		event(t, "messageStart", `{"role":"assistant"}`),
		event(t, "contentBlockDelta", `{"contentBlockIndex":0,"delta":{"text":"Sorry."}}`),
		event(t, "contentBlockStop", `{"contentBlockIndex":0}`),
		event(t, "messageStop", `{"stopReason":"guardrail_intervened"}`),
		event(t, "metadata", `{"usage":{"inputTokens":9,"outputTokens":4,"totalTokens":13},"metrics":{"latencyMs":30},`+
			`"trace":{"guardrail":{"actionReason":"Guardrail blocked.","inputAssessment":{"gr-a":{"topicPolicy":{"topics":[{"name":"Investment advice","type":"DENY","action":"BLOCKED","detected":true}]}}}}}}`),
	}
	f := newFake(t, reply{frames: frames})
	c := e.runtime(f.URL, false)
	for i := 0; i < 100; i++ {
		in := streamInput()
		out, err := c.ConverseStream(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		for ev := range out.GetStream().Events() {
			if _, ok := ev.(*types.ConverseStreamOutputMemberMetadata); ok {
				// The turn is over: the history grows for the next one.
				in.Messages = append(in.Messages, types.Message{Role: types.ConversationRoleAssistant,
					Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: "Sorry."}}})
				in.Messages[0].Content[0] = &types.ContentBlockMemberText{Value: "next question"}
			}
		}
		_ = out.GetStream().Close()
	}
	if n := len(e.spans()); n != 100 {
		t.Fatalf("%d spans", n)
	}
}

// TestConverseStreamTraceAddsChoice: a stream that gave no message (only
// its metadata, with a guardrail trace) gets no empty completion.
func TestConverseStreamTraceAddsChoice(t *testing.T) {
	for _, trace := range []string{``, `,"trace":{"guardrail":{"actionReason":"Guardrail blocked."}}`} {
		e := newEnv(t)
		f := newFake(t, reply{frames: [][]byte{
			event(t, "metadata", `{"usage":{"inputTokens":9,"outputTokens":0,"totalTokens":9},"metrics":{"latencyMs":30}`+trace+`}`),
		}})
		out, err := e.runtime(f.URL, true).ConverseStream(context.Background(), streamInput())
		if err != nil {
			t.Fatal(err)
		}
		for range out.GetStream().Events() {
		}
		_ = out.GetStream().Close()
		a := attrsOf(e.oneSpan())
		if v, ok := a["gen_ai.completion.0.role"]; ok {
			t.Errorf("trace %q: a completion that was never streamed: role %s", trace, v.String())
		}
	}
}
