package semconv

import (
	"go.opentelemetry.io/otel/attribute"

	"github.com/tracekit-go/tracekit/internal/genai"
)

// BedrockAgentAttrs appends the attributes of a Bedrock agent call that the
// shared renderer does not cover to dst: the agent session id, as
// gen_ai.conversation.id (the GenAI semantic conventions' session/thread id).
func BedrockAgentAttrs(dst []attribute.KeyValue, c *genai.Call) []attribute.KeyValue {
	return appendString(dst, KeyConversationID, c.Request.SessionID)
}
