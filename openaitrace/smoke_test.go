package openaitrace

import (
	"context"
	"testing"

	"github.com/openai/openai-go/v3"
)

func TestSmoke(t *testing.T) {
	h := newHarness(t, jsonHandler(200, chatResponseJSON), true)
	res, err := h.client.Chat.Completions.New(context.Background(), chatParams())
	if err != nil {
		t.Fatal(err)
	}
	t.Log(res.Choices[0].Message.Content)
	s := h.onlySpan()
	t.Log(s.Name())
	for _, k := range keys(attrs(s)) {
		t.Log(k, attrs(s)[k].Emit())
	}
}

var _ = openai.ChatCompletionNewParams{}
