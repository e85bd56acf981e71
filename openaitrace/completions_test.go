package openaitrace

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/responses"
)

const completionsJSON = `{"id":"cmpl-fixture1","object":"text_completion","created":1731368630,"model":"gpt-3.5-turbo-instruct-0914",` +
	`"choices":[{"text":"\n\nThis is a test.","index":0,"logprobs":null,"finish_reason":"stop"},{"text":"\n\nA test","index":1,"logprobs":null,"finish_reason":"length"}],` +
	`"usage":{"prompt_tokens":5,"completion_tokens":9,"total_tokens":14},"system_fingerprint":"fp_c"}`

func TestCompletions(t *testing.T) {
	for _, capture := range []bool{true, false} {
		t.Run(map[bool]string{true: "capture", false: "no_capture"}[capture], func(t *testing.T) {
			h := newHarness(t, jsonHandler(200, completionsJSON), capture)
			res, err := h.client.Completions.New(context.Background(), openai.CompletionNewParams{
				Model:       openai.CompletionNewParamsModelGPT3_5TurboInstruct,
				Prompt:      openai.CompletionNewParamsPromptUnion{OfArrayOfStrings: []string{"Say this is a test", "Say it again"}},
				MaxTokens:   openai.Int(7),
				Temperature: openai.Float(0),
				N:           openai.Int(2),
				User:        openai.String("u-9"),
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Choices) != 2 {
				t.Fatalf("caller got %d choices", len(res.Choices))
			}
			s := h.onlySpan()
			if s.Name() != "text_completion gpt-3.5-turbo-instruct" {
				t.Errorf("span name %q", s.Name())
			}
			c := func(v string) any {
				if capture {
					return v
				}
				return nil
			}
			wantAttrs(t, attrs(s), map[string]any{
				"gen_ai.operation.name":             "text_completion",
				"gen_ai.request.model":              "gpt-3.5-turbo-instruct",
				"gen_ai.request.max_tokens":         7,
				"gen_ai.request.temperature":        0.0,
				"gen_ai.request.user":               "u-9",
				"gen_ai.prompt.0.role":              "user",
				"gen_ai.prompt.0.content":           c("Say this is a test"),
				"gen_ai.prompt.1.role":              "user",
				"gen_ai.prompt.1.content":           c("Say it again"),
				"gen_ai.response.id":                "cmpl-fixture1",
				"gen_ai.response.model":             "gpt-3.5-turbo-instruct-0914",
				"gen_ai.response.finish_reasons":    []string{"stop", "length"},
				"gen_ai.usage.input_tokens":         5,
				"gen_ai.usage.output_tokens":        9,
				"gen_ai.completion.0.role":          "assistant",
				"gen_ai.completion.0.finish_reason": "stop",
				"gen_ai.completion.0.content":       c("\n\nThis is a test."),
				"gen_ai.completion.1.finish_reason": "length",
				"gen_ai.completion.1.content":       c("\n\nA test"),
			})
		})
	}
}

func TestCompletionsStream(t *testing.T) {
	head := `{"id":"cmpl-s1","object":"text_completion","created":1731368639,"model":"gpt-3.5-turbo-instruct","choices":[`
	events := dataEvents(
		head+`{"text":"This","index":0,"logprobs":null,"finish_reason":null}]}`,
		head+`{"text":" is","index":1,"logprobs":null,"finish_reason":null}]}`,
		head+`{"text":" a test.","index":0,"logprobs":null,"finish_reason":"stop"}]}`,
		head+`{"text":"","index":1,"logprobs":null,"finish_reason":"length"}]}`,
		head+`],"usage":{"prompt_tokens":5,"completion_tokens":4,"total_tokens":9}}`,
		"[DONE]",
	)
	h := newHarness(t, sseHandler(events...), true)
	stream := h.client.Completions.NewStreaming(context.Background(), openai.CompletionNewParams{
		Model:  openai.CompletionNewParamsModelGPT3_5TurboInstruct,
		Prompt: openai.CompletionNewParamsPromptUnion{OfString: openai.String("Say this is a test")},
	})
	n := 0
	for stream.Next() {
		n++
	}
	if err := stream.Err(); err != nil || n != 5 {
		t.Fatalf("caller got %d chunks, err %v", n, err)
	}
	_ = stream.Close()
	wantAttrs(t, attrs(h.onlySpan()), map[string]any{
		"gen_ai.operation.name":             "text_completion",
		"gen_ai.prompt.0.content":           "Say this is a test",
		"gen_ai.response.id":                "cmpl-s1",
		"gen_ai.response.finish_reasons":    []string{"stop", "length"},
		"gen_ai.completion.0.content":       "This a test.",
		"gen_ai.completion.1.content":       " is",
		"gen_ai.completion.1.finish_reason": "length",
		"gen_ai.usage.input_tokens":         5,
		"gen_ai.usage.output_tokens":        4,
	})
}

// TestNonInferencePassThrough calls endpoints that are not model inference:
// they reach the server untouched and make no span.
func TestNonInferencePassThrough(t *testing.T) {
	type got struct{ method, path, body string }
	var seen []got
	h := newHarness(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		seen = append(seen, got{r.Method, r.URL.Path, string(b)})
		w.Header().Set("Content-Type", "application/json")
		switch {
		case strings.HasPrefix(r.URL.Path, "/v1/responses/"):
			_, _ = io.WriteString(w, responseJSON("resp_old", "completed", outputMessageJSON, ""))
		case r.URL.Path == "/v1/models/gpt-4o-mini":
			_, _ = io.WriteString(w, `{"id":"gpt-4o-mini","object":"model","created":1,"owned_by":"system"}`)
		case r.URL.Path == "/v1/audio/speech":
			w.Header().Set("Content-Type", "audio/mpeg")
			_, _ = io.WriteString(w, "ID3")
		default:
			_, _ = io.WriteString(w, `{"object":"list","data":[]}`)
		}
	}), true)
	ctx := context.Background()
	calls := map[string]func() error{
		"models.get": func() error { _, err := h.client.Models.Get(ctx, "gpt-4o-mini"); return err },
		"models.list": func() error {
			p, err := h.client.Models.List(ctx)
			_ = p
			return err
		},
		"files.list": func() error { _, err := h.client.Files.List(ctx, openai.FileListParams{}); return err },
		"batches.list": func() error {
			_, err := h.client.Batches.List(ctx, openai.BatchListParams{})
			return err
		},
		"videos": func() error {
			var out map[string]any
			return h.client.Post(ctx, "videos", map[string]any{"prompt": "a fox", "model": "sora-2"}, &out)
		},
		"audio.voices": func() error {
			_, err := h.client.Audio.Voices.Delete(ctx, "voice_1")
			return err
		},
		"responses.get": func() error {
			_, err := h.client.Responses.Get(ctx, "resp_old", responses.ResponseGetParams{})
			return err
		},
		"responses.cancel": func() error { _, err := h.client.Responses.Cancel(ctx, "resp_old"); return err },
		"responses.input_tokens": func() error {
			_, err := h.client.Responses.InputTokens.Count(ctx, responses.InputTokenCountParams{}, option.WithJSONSet("model", "gpt-4o-mini"))
			return err
		},
	}
	for name, call := range calls {
		seen = seen[:0]
		if err := call(); err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if len(seen) != 1 {
			t.Errorf("%s: server saw %d requests", name, len(seen))
			continue
		}
		if n := len(h.rec.Started()); n != 0 {
			t.Errorf("%s (%s %s): %d spans", name, seen[0].method, seen[0].path, n)
		}
	}
	// The same harness does trace a model call.
	if _, err := h.client.Responses.New(ctx, responsesParams()); err != nil {
		t.Fatal(err)
	}
	if n := len(h.rec.Ended()); n != 1 {
		t.Errorf("the Responses call made %d spans, want 1", n)
	}
}

func TestRoutes(t *testing.T) {
	cases := []struct {
		method, path string
		want         *endpoint
	}{
		{"POST", "/v1/chat/completions", chatEndpoint},
		{"POST", "/v1/completions", completionsEndpoint},
		{"POST", "/openai/deployments/gpt-35-instruct/completions", completionsEndpoint},
		{"POST", "/v1/responses", responsesEndpoint},
		{"POST", "/v1/responses/", responsesEndpoint},
		{"POST", "/v1/embeddings", embeddingsEndpoint},
		{"GET", "/v1/responses", nil},
		{"GET", "/v1/responses/resp_1", nil},
		{"DELETE", "/v1/responses/resp_1", nil},
		{"POST", "/v1/responses/resp_1/cancel", nil},
		{"POST", "/v1/responses/input_tokens", nil},
		{"POST", "/v1/responses/compact", nil},
		{"POST", "/v1/chat/completions/chatcmpl_1", nil},
		{"GET", "/v1/chat/completions", nil},
		{"POST", "/v1/moderations", moderationsEndpoint},
		{"POST", "/v1/videos", nil},
		{"POST", "/v1/images/generations", imagesEndpoint},
		{"POST", "/openai/deployments/gpt-image-1/images/generations", imagesEndpoint},
		{"POST", "/v1/images/edits", imageEditsEndpoint},
		{"POST", "/v1/images/variations", imageVariationsEndpoint},
		{"POST", "/v1/audio/transcriptions", transcriptionEndpoint},
		{"POST", "/v1/audio/translations", translationEndpoint},
		{"POST", "/v1/audio/speech", speechEndpoint},
		{"POST", "/v1/audio/voices", nil},
		{"POST", "/v1/files", nil},
		{"POST", "/v1/batches", nil},
	}
	for _, tc := range cases {
		if got := route(tc.method, tc.path); got != tc.want {
			t.Errorf("%s %s: got %v, want %v", tc.method, tc.path, got, tc.want)
		}
	}
}
