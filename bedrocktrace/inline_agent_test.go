package bedrocktrace

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentruntime"
	agtypes "github.com/aws/aws-sdk-go-v2/service/bedrockagentruntime/types"
	"go.opentelemetry.io/otel/codes"

	"github.com/tracekit-go/tracekit/internal/schemacheck"
	"github.com/tracekit-go/tracekit/semconv"
)

const inlineModel = "anthropic.claude-3-5-sonnet-20240620-v1:0"

func inlineAgentInput() *bedrockagentruntime.InvokeInlineAgentInput {
	return &bedrockagentruntime.InvokeInlineAgentInput{
		FoundationModel: aws.String(inlineModel),
		AgentName:       aws.String("travel-helper"),
		Instruction:     aws.String("You help travellers. Use the weather tool."),
		InputText:       aws.String("what is the weather in Paris?"),
		SessionId:       aws.String("s-9"),
		EnableTrace:     aws.Bool(true),
		InlineSessionState: &agtypes.InlineSessionState{
			SessionAttributes: map[string]string{"userId": "u-9"},
		},
		GuardrailConfiguration: &agtypes.GuardrailConfigurationWithArn{
			GuardrailIdentifier: aws.String("gr-7"), GuardrailVersion: aws.String("1"),
		},
		ActionGroups: []agtypes.AgentActionGroup{{
			ActionGroupName: aws.String("weather"),
			FunctionSchema: &agtypes.FunctionSchemaMemberFunctions{Value: []agtypes.FunctionDefinition{
				{Name: aws.String("get_weather"), Description: aws.String("Weather of a city")},
			}},
		}},
	}
}

// inlineFrames are an inline agent's stream: an orchestration step (its
// usage and stop reason) and the answer in two chunks.
func inlineFrames(t testing.TB) [][]byte {
	return [][]byte{
		agentTrace(t, "orchestrationTrace", modelOutput(120, 12, "end_turn")),
		chunk(t, "Sunny, "),
		chunk(t, "21°C."),
	}
}

// TestInvokeInlineAgent: an inline agent (defined in the call) is traced
// like a stored one: span bedrock.invoke_inline_agent, its foundation model
// as the request model, its instruction as the system prompt, its action
// groups' functions as tools, its name, guardrail, session and user, the
// answer, summed usage and the stop reasons.
func TestInvokeInlineAgent(t *testing.T) {
	e := newEnv(t)
	f := newFake(t, reply{frames: inlineFrames(t)})
	out, err := e.agents(f.URL, true).InvokeInlineAgent(context.Background(), inlineAgentInput())
	if err != nil {
		t.Fatal(err)
	}
	var text string
	for ev := range out.GetStream().Events() {
		if c, ok := ev.(*agtypes.InlineAgentResponseStreamMemberChunk); ok {
			text += string(c.Value.Bytes)
		}
	}
	if err := out.GetStream().Err(); err != nil {
		t.Fatal(err)
	}
	_ = out.GetStream().Close()
	if text != "Sunny, 21°C." {
		t.Fatalf("caller got %q", text)
	}
	s := e.oneSpan()
	if s.Name() != "bedrock.invoke_inline_agent" || s.Status().Code != codes.Unset {
		t.Errorf("span %s %+v", s.Name(), s.Status())
	}
	attrsOf(s).want(t, map[string]any{
		"gen_ai.operation.name":                       "chat",
		"gen_ai.system":                               "aws.bedrock",
		"gen_ai.agent.name":                           "travel-helper",
		"gen_ai.agent.id":                             nil,
		"gen_ai.conversation.id":                      "s-9",
		"gen_ai.request.user":                         "u-9",
		"aws.bedrock.guardrail.id":                    "gr-7",
		"gen_ai.request.model":                        inlineModel,
		"gen_ai.prompt.0.role":                        "system",
		"gen_ai.prompt.0.content":                     "You help travellers. Use the weather tool.",
		"gen_ai.prompt.1.role":                        "user",
		"gen_ai.prompt.1.content":                     "what is the weather in Paris?",
		"gen_ai.request.tools.0.type":                 "function",
		"gen_ai.request.tools.0.function.name":        "get_weather",
		"gen_ai.request.tools.0.function.description": "Weather of a city",
		"gen_ai.usage.input_tokens":                   120,
		"gen_ai.usage.output_tokens":                  12,
		"gen_ai.response.finish_reasons":              []string{"end_turn"},
		"gen_ai.completion.0.role":                    "assistant",
		"gen_ai.completion.0.content":                 "Sunny, 21°C.",
	})
	checkMetrics(t, e, map[string]string{"gen_ai.request.model": inlineModel}, "", 120, 12)
	e.leakCheck(t, f)
}

// TestInvokeInlineAgentConventions: under OTel GenAI the span is
// "invoke_agent <name>" with the instruction as system instructions;
// under OpenInference an AGENT span.
func TestInvokeInlineAgentConventions(t *testing.T) {
	schemas := schemacheck.New(t)
	e := newEnv(t, schemas)
	e.extra = []Option{WithConventions(semconv.OTelGenAI, semconv.OpenInference)}
	f := newFake(t, reply{frames: inlineFrames(t)})
	out, err := e.agents(f.URL, true).InvokeInlineAgent(context.Background(), inlineAgentInput())
	if err != nil {
		t.Fatal(err)
	}
	for range out.GetStream().Events() {
	}
	_ = out.GetStream().Close()
	for _, err := range schemas.Errors() {
		t.Error(err)
	}
	s := e.oneSpan()
	if s.Name() != "invoke_agent travel-helper" {
		t.Errorf("span name %q", s.Name())
	}
	attrsOf(s).want(t, map[string]any{
		"gen_ai.operation.name":      "invoke_agent",
		"gen_ai.agent.name":          "travel-helper",
		"gen_ai.system_instructions": `[{"type":"text","content":"You help travellers. Use the weather tool."}]`,
		"gen_ai.input.messages":      `[{"role":"user","parts":[{"type":"text","content":"what is the weather in Paris?"}]}]`,
		"openinference.span.kind":    "AGENT",
		"llm.model_name":             inlineModel,
	})
}

// TestInvokeInlineAgentCaptureOffAndError: with capture off neither the
// instruction nor the question is recorded, and an API error that quotes
// the instruction loses it; the span fails with the exception's type.
func TestInvokeInlineAgentCaptureOffAndError(t *testing.T) {
	e := newEnv(t)
	f := newFake(t, reply{status: 400, headers: map[string]string{"X-Amzn-Errortype": "ValidationException"},
		body: `{"message":"instruction 'You help travellers. Use the weather tool.' is too short"}`})
	_, err := e.agents(f.URL, false).InvokeInlineAgent(context.Background(), inlineAgentInput())
	var ae interface{ ErrorCode() string }
	if !errors.As(err, &ae) || ae.ErrorCode() != "ValidationException" {
		t.Fatalf("err %v", err)
	}
	s := e.oneSpan()
	if s.Status().Code != codes.Error || strings.Contains(s.Status().Description, "travellers") {
		t.Errorf("status %+v", s.Status())
	}
	a := attrsOf(s)
	a.want(t, map[string]any{"error.type": "ValidationException", "gen_ai.prompt.0.role": "system", "gen_ai.request.model": inlineModel})
	a.none(t, "*.content")
}

// TestInvokeInlineAgentHistory: when a trace event gives the model's
// prompt history, it replaces the question, after the agent's instruction,
// and nothing of the prompt recorded at the start is left behind (the
// history may hold fewer messages than the start's prompt).
func TestInvokeInlineAgentHistory(t *testing.T) {
	e := newEnv(t)
	e.extra = []Option{WithConventions(semconv.Tracekit, semconv.OTelGenAI, semconv.OpenInference)}
	frames := append([][]byte{agentTrace(t, "orchestrationTrace", modelInput(t, map[string]string{"role": "user", "content": "hi"}))}, inlineFrames(t)...)
	f := newFake(t, reply{frames: frames})
	out, err := e.agents(f.URL, true).InvokeInlineAgent(context.Background(), inlineAgentInput())
	if err != nil {
		t.Fatal(err)
	}
	for range out.GetStream().Events() {
	}
	_ = out.GetStream().Close()
	a := attrsOf(e.oneSpan())
	a.want(t, map[string]any{
		"gen_ai.prompt.0.role":                 "system",
		"gen_ai.prompt.0.content":              "You help travellers. Use the weather tool.",
		"gen_ai.prompt.1.role":                 "user",
		"gen_ai.prompt.1.content":              "hi",
		"gen_ai.prompt.2.role":                 nil,
		"llm.input_messages.1.message.content": "hi",
		"llm.input_messages.2.message.role":    nil,
		"gen_ai.request.model":                 inlineModel,
		"gen_ai.input.messages":                `[{"role":"user","parts":[{"type":"text","content":"hi"}]}]`,
		"gen_ai.output.messages":               `[{"role":"assistant","parts":[{"type":"text","content":"Sunny, 21°C."}],"finish_reason":"stop"}]`,
	})
	for k, v := range a {
		if strings.Contains(v.String(), "what is the weather in Paris") {
			t.Errorf("%s keeps the replaced question: %s", k, v.String())
		}
	}
}

// TestInvokeInlineAgentErrorWithheld: with capture off, an error that
// quotes content of the agent's definition or session (a collaborator's
// instruction, the conversation history, a prompt template) loses it.
func TestInvokeInlineAgentErrorWithheld(t *testing.T) {
	e := newEnv(t)
	f := newFake(t, reply{status: 400, headers: map[string]string{"X-Amzn-Errortype": "ValidationException"},
		body: `{"message":"collaborator instruction 'Escalate refunds for customer 4417' is invalid; history message 'my card was charged twice' too long; template 'Answer as a pirate' bad; result 'balance is 1234.56' and file s3://private/ledger.csv rejected"}`})
	in := inlineAgentInput()
	in.Collaborators = []agtypes.Collaborator{{Instruction: aws.String("Escalate refunds for customer 4417"), FoundationModel: aws.String(inlineModel)}}
	in.InlineSessionState.ConversationHistory = &agtypes.ConversationHistory{Messages: []agtypes.Message{{
		Role: agtypes.ConversationRoleUser, Content: []agtypes.ContentBlock{&agtypes.ContentBlockMemberText{Value: "my card was charged twice"}}}}}
	in.PromptOverrideConfiguration = &agtypes.PromptOverrideConfiguration{PromptConfigurations: []agtypes.PromptConfiguration{{BasePromptTemplate: aws.String("Answer as a pirate")}}}
	in.InlineSessionState.ReturnControlInvocationResults = []agtypes.InvocationResultMember{&agtypes.InvocationResultMemberMemberFunctionResult{
		Value: agtypes.FunctionResult{ActionGroup: aws.String("weather"), ResponseBody: map[string]agtypes.ContentBody{"TEXT": {Body: aws.String("balance is 1234.56")}}}}}
	in.InlineSessionState.Files = []agtypes.InputFile{{Name: aws.String("ledger.csv"), UseCase: agtypes.FileUseCaseChat,
		Source: &agtypes.FileSource{SourceType: agtypes.FileSourceTypeS3, S3Location: &agtypes.S3ObjectFile{Uri: aws.String("s3://private/ledger.csv")}}}}
	if _, err := e.agents(f.URL, false).InvokeInlineAgent(context.Background(), in); err == nil {
		t.Fatal("no error")
	}
	desc := e.oneSpan().Status().Description
	for _, secret := range []string{"4417", "charged twice", "pirate", "1234.56", "private/ledger"} {
		if strings.Contains(desc, secret) {
			t.Errorf("status %q keeps %q", desc, secret)
		}
	}
	if !strings.Contains(desc, "collaborator instruction") {
		t.Errorf("status %q", desc)
	}
}
