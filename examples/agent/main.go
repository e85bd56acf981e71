// Command agent runs a small support agent and prints its trace as a tree:
// a workflow span, an agent span below it, and the agent's retriever, LLM
// and tool spans below that. It runs offline against an in-process fake
// model server.
//
//	go run ./examples/agent
package main

import (
	"context"
	"fmt"
	"log"
	"strings"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/tracekit-go/tracekit/export"
	"github.com/tracekit-go/tracekit/observe"
	"github.com/tracekit-go/tracekit/openaitrace"
	"github.com/tracekit-go/tracekit/redact"
)

func main() {
	if err := run(); err != nil {
		log.Fatal(err)
	}
}

func run() error {
	ctx := context.Background()
	// Traces go to standard error as trees (set OTEL_EXPORTER_OTLP_ENDPOINT
	// to send them to a collector instead).
	shutdown, err := export.Setup(ctx, export.WithServiceName("agent-example"))
	if err != nil {
		return err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := shutdown(sctx); err != nil {
			log.Print(err)
		}
	}()

	// Content is captured, with e-mails, phone numbers, cards and keys
	// redacted before they become attributes; calls are priced.
	red := redact.New()
	observe.Instrument(observe.WithCaptureContent(true), observe.WithRedactor(red))
	openaitrace.Instrument(openaitrace.WithCaptureContent(true), openaitrace.WithRedactor(red),
		openaitrace.WithPricing(openaitrace.Pricing{
			"gpt-4o-mini*": {Input: 0.15, CachedInput: 0.075, Output: 0.60, Currency: "USD"}, // example prices
		}))

	fake := newFakeModel()
	defer fake.Close()
	client := openaitrace.NewClient(option.WithBaseURL(fake.URL+"/v1/"), option.WithAPIKey("offline"))

	// Who the request is for: every span below carries it.
	ctx = observe.WithUser(ctx, "customer-1138")
	ctx = observe.WithSession(ctx, "chat-2024-06-01-17")
	ctx = observe.WithTags(ctx, "support", "example")

	answer, err := observe.Run(ctx, observe.Workflow, "support_request", question,
		func(ctx context.Context) (string, error) { return supportAgent(ctx, client, question) })
	if err != nil {
		return err
	}
	fmt.Println("answer:", answer)
	return nil
}

const question = "Where is order A-1001? You can reach me at jane.doe@example.com."

// supportAgent retrieves policy documents, asks the model, runs the tool the
// model asks for and asks the model again.
func supportAgent(ctx context.Context, client openai.Client, q string) (string, error) {
	ctx, agent := observe.Start(ctx, observe.Agent, "support_agent",
		observe.WithTools(observe.ToolDefinition{Name: "order_status", Description: "Look up the status of an order"}),
		observe.WithHandoffs("billing_agent"))
	defer agent.End()
	agent.SetInput(q)

	docs, err := observe.Run(ctx, observe.Retriever, "policy_kb", q, retrieve)
	if err != nil {
		agent.RecordError(err)
		return "", err
	}
	var kb strings.Builder
	for _, d := range docs {
		kb.WriteString(d.Content + "\n")
	}

	tool := openai.ChatCompletionFunctionTool(openai.FunctionDefinitionParam{
		Name:        "order_status",
		Description: openai.String("Look up the status of an order"),
		Parameters:  openai.FunctionParameters{"type": "object", "properties": map[string]any{"order_id": map[string]any{"type": "string"}}},
	})
	msgs := []openai.ChatCompletionMessageParamUnion{
		openai.SystemMessage("You are a support agent. Policies:\n" + kb.String()),
		openai.UserMessage(q),
	}
	first, err := client.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
		Model: "gpt-4o-mini", Messages: msgs, Tools: []openai.ChatCompletionToolUnionParam{tool},
	})
	if err != nil {
		agent.RecordError(err)
		return "", err
	}
	msg := first.Choices[0].Message
	msgs = append(msgs, msg.ToParam())
	for _, tc := range msg.ToolCalls {
		result, err := observe.Run(ctx, observe.Tool, tc.Function.Name, tc.Function.Arguments,
			func(ctx context.Context) (string, error) {
				observe.SpanFromContext(ctx).SetToolCallID(tc.ID)
				return orderStatus(tc.Function.Arguments), nil
			})
		if err != nil {
			agent.RecordError(err)
			return "", err
		}
		msgs = append(msgs, openai.ToolMessage(result, tc.ID))
	}
	second, err := client.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "gpt-4o-mini", Messages: msgs})
	if err != nil {
		agent.RecordError(err)
		return "", err
	}
	answer := second.Choices[0].Message.Content
	agent.SetOutput(answer)
	return answer, nil
}

// retrieve is a stand-in for a vector store query.
func retrieve(ctx context.Context) ([]observe.Document, error) {
	docs := []observe.Document{
		{ID: "policy-12", Content: "Orders ship within 2 business days.", Score: 0.91, Metadata: map[string]any{"source": "faq"}},
		{ID: "policy-7", Content: "Support line: +1 (415) 555-0132.", Score: 0.62},
	}
	observe.SpanFromContext(ctx).SetDocuments(docs...)
	return docs, nil
}

// orderStatus is the tool.
func orderStatus(args string) string {
	if strings.Contains(args, "A-1001") {
		return `{"order_id":"A-1001","status":"shipped","carrier":"UPS"}`
	}
	return `{"status":"unknown"}`
}
