package openaitrace

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/tracekit-go/tracekit/internal/schemacheck"
	"github.com/tracekit-go/tracekit/redact"
	"github.com/tracekit-go/tracekit/semconv"
)

// signedImageURL is a presigned S3 URL: its signature and credential must
// not reach a span.
const signedImageURL = "https://bucket.s3.amazonaws.com/cat.png?X-Amz-Algorithm=AWS4-HMAC-SHA256" +
	"&X-Amz-Credential=AKIAEXAMPLE%2F20261203%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Signature=deadbeefcafe&x-id=GetObject"

// multimodalParams asks about an image given by URL, an inline image, a
// recording and an uploaded file, around two text parts.
func multimodalParams() openai.ChatCompletionNewParams {
	return openai.ChatCompletionNewParams{
		Model: "gpt-4o-mini",
		Messages: []openai.ChatCompletionMessageParamUnion{
			openai.SystemMessage("You describe pictures."),
			openai.UserMessage([]openai.ChatCompletionContentPartUnionParam{
				openai.TextContentPart("What is in these? "),
				openai.ImageContentPart(openai.ChatCompletionContentPartImageImageURLParam{URL: signedImageURL}),
				openai.ImageContentPart(openai.ChatCompletionContentPartImageImageURLParam{URL: "data:image/png;base64,iVBORw0KGgo="}),
				openai.InputAudioContentPart(openai.ChatCompletionContentPartInputAudioInputAudioParam{Data: "UklGRiQAAABXQVZF", Format: "mp3"}),
				openai.FileContentPart(openai.ChatCompletionContentPartFileFileParam{FileID: openai.String("file-abc123")}),
				openai.TextContentPart("Answer briefly."),
			}),
		},
	}
}

// TestMultimodalPromptParts: a prompt message with images, audio and a file
// is recorded part by part under the OTel GenAI conventions (uri, blob and
// file parts, in order, with the text parts) and OpenInference (message
// contents); Tracekit records its text joined, as before. A signed URL's
// signature is redacted.
func TestMultimodalPromptParts(t *testing.T) {
	schemas := schemacheck.New(t)
	h := newHarnessWith(t, jsonHandler(200, chatResponseJSON), true,
		&harnessConfig{tracing: []Option{WithConventions(semconv.Tracekit, semconv.OTelGenAI, semconv.OpenInference)}, spanLimits: true})
	if _, err := h.client.Chat.Completions.New(context.Background(), multimodalParams()); err != nil {
		t.Fatal(err)
	}
	s := h.onlySpan()
	schemas.Check(s.Name(), s.Attributes())
	for _, err := range schemas.Errors() {
		t.Error(err)
	}
	a := attrs(s)

	if got := a["gen_ai.prompt.1.content"].AsString(); got != "What is in these? Answer briefly." {
		t.Errorf("gen_ai.prompt.1.content = %q", got)
	}
	redactedURL := strings.NewReplacer("AKIAEXAMPLE%2F20261203%2Fus-east-1%2Fs3%2Faws4_request", "REDACTED", "deadbeefcafe", "REDACTED").Replace(signedImageURL)
	wantIn := `[{"role":"system","parts":[{"type":"text","content":"You describe pictures."}]},` +
		`{"role":"user","parts":[{"type":"text","content":"What is in these? "},` +
		`{"type":"uri","modality":"image","uri":` + jsonString(redactedURL) + `},` +
		`{"type":"blob","modality":"image","mime_type":"image/png","content":"iVBORw0KGgo="},` +
		`{"type":"blob","modality":"audio","mime_type":"audio/mpeg","content":"UklGRiQAAABXQVZF"},` +
		`{"type":"file","modality":"document","file_id":"file-abc123"},` +
		`{"type":"text","content":"Answer briefly."}]}]`
	if got := a["gen_ai.input.messages"].AsString(); got != wantIn {
		t.Errorf("gen_ai.input.messages =\n%s\nwant\n%s", got, wantIn)
	}

	wantOI := map[string]string{
		"llm.input_messages.0.message.content":                                    "You describe pictures.",
		"llm.input_messages.1.message.contents.0.message_content.type":            "text",
		"llm.input_messages.1.message.contents.0.message_content.text":            "What is in these? ",
		"llm.input_messages.1.message.contents.1.message_content.type":            "image",
		"llm.input_messages.1.message.contents.1.message_content.image.image.url": redactedURL,
		"llm.input_messages.1.message.contents.2.message_content.type":            "image",
		"llm.input_messages.1.message.contents.2.message_content.image.image.url": "data:image/png;base64,iVBORw0KGgo=",
		"llm.input_messages.1.message.contents.3.message_content.type":            "audio",
		"llm.input_messages.1.message.contents.4.message_content.type":            "document",
		"llm.input_messages.1.message.contents.5.message_content.type":            "text",
		"llm.input_messages.1.message.contents.5.message_content.text":            "Answer briefly.",
	}
	for k, want := range wantOI {
		if got, ok := a[k]; !ok || got.AsString() != want {
			t.Errorf("%s = %q (set: %v), want %q", k, got.AsString(), ok, want)
		}
	}
	if _, ok := a["llm.input_messages.1.message.content"]; ok {
		t.Error("llm.input_messages.1.message.content is set beside its contents")
	}
	for k, v := range a {
		if strings.Contains(v.String(), "deadbeefcafe") || strings.Contains(v.String(), "AKIAEXAMPLE") {
			t.Errorf("%s carries the URL's signature or credential: %s", k, v.String())
		}
	}
}

// TestMultimodalPromptCaptureOff: with content capture off no part of a
// multimodal prompt (no URL, no data, no file id) is recorded by any
// convention.
func TestMultimodalPromptCaptureOff(t *testing.T) {
	h := newHarnessWith(t, jsonHandler(200, chatResponseJSON), false,
		&harnessConfig{tracing: []Option{WithConventions(semconv.Tracekit, semconv.OTelGenAI, semconv.OpenInference)}, spanLimits: true})
	if _, err := h.client.Chat.Completions.New(context.Background(), multimodalParams()); err != nil {
		t.Fatal(err)
	}
	for k, v := range attrs(h.onlySpan()) {
		for _, needle := range []string{"bucket.s3", "iVBORw0KGgo", "UklGR", "file-abc123", "What is in these", "message.contents"} {
			if strings.Contains(k, needle) || strings.Contains(v.String(), needle) {
				t.Errorf("capture off: %s = %s carries %q", k, v.String(), needle)
			}
		}
	}
}

// TestMultimodalLargeInlineData: inline data above semconv.MaxInlineData is
// left out of the span (the part stays, with its modality and type).
func TestMultimodalLargeInlineData(t *testing.T) {
	schemas := schemacheck.New(t)
	big := strings.Repeat("QUJD", semconv.MaxInlineData/4+1)
	params := openai.ChatCompletionNewParams{
		Model: "gpt-4o-mini",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage([]openai.ChatCompletionContentPartUnionParam{
			openai.TextContentPart("Describe."),
			openai.ImageContentPart(openai.ChatCompletionContentPartImageImageURLParam{URL: "data:image/jpeg;base64," + big}),
		})},
	}
	h := newHarnessWith(t, jsonHandler(200, chatResponseJSON), true,
		&harnessConfig{tracing: []Option{WithConventions(semconv.OTelGenAI, semconv.OpenInference)}, spanLimits: true})
	if _, err := h.client.Chat.Completions.New(context.Background(), params); err != nil {
		t.Fatal(err)
	}
	s := h.onlySpan()
	schemas.Check(s.Name(), s.Attributes())
	for _, err := range schemas.Errors() {
		t.Error(err)
	}
	a := attrs(s)
	want := `[{"role":"user","parts":[{"type":"text","content":"Describe."},{"type":"blob","modality":"image","mime_type":"image/jpeg"}]}]`
	if got := a["gen_ai.input.messages"].AsString(); got != want {
		t.Errorf("gen_ai.input.messages = %.300s\nwant %s", got, want)
	}
	if got := a["llm.input_messages.0.message.contents.1.message_content.type"].AsString(); got != "image" {
		t.Errorf("image content type = %q", got)
	}
	if v, ok := a["llm.input_messages.0.message.contents.1.message_content.image.image.url"]; ok {
		t.Errorf("image url recorded (%d bytes)", len(v.AsString()))
	}

	// A URL longer than the bound (bare base64 that a gateway takes as an
	// image URL) is left out too.
	params.Messages = []openai.ChatCompletionMessageParamUnion{openai.UserMessage([]openai.ChatCompletionContentPartUnionParam{
		openai.ImageContentPart(openai.ChatCompletionContentPartImageImageURLParam{URL: big}),
	})}
	if _, err := h.client.Chat.Completions.New(context.Background(), params); err != nil {
		t.Fatal(err)
	}
	a = attrs(h.spans()[1])
	if got, want := a["gen_ai.input.messages"].AsString(), `[{"role":"user","parts":[{"type":"uri","modality":"image"}]}]`; got != want {
		t.Errorf("gen_ai.input.messages = %.300s\nwant %s", got, want)
	}
	if v, ok := a["llm.input_messages.0.message.contents.0.message_content.image.image.url"]; ok {
		t.Errorf("long image url recorded (%d bytes)", len(v.AsString()))
	}
}

// TestMultimodalPartsRedacted: the redactor applies to the text parts of a
// multimodal message as to any content.
func TestMultimodalPartsRedacted(t *testing.T) {
	params := openai.ChatCompletionNewParams{
		Model: "gpt-4o-mini",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage([]openai.ChatCompletionContentPartUnionParam{
			openai.TextContentPart("Mail ann@example.org this: "),
			openai.ImageContentPart(openai.ChatCompletionContentPartImageImageURLParam{URL: "https://example.com/a.png"}),
		})},
	}
	h := newHarnessWith(t, jsonHandler(200, chatResponseJSON), true,
		&harnessConfig{tracing: []Option{WithConventions(semconv.OTelGenAI, semconv.OpenInference), WithRedactor(redact.New())}, spanLimits: true})
	if _, err := h.client.Chat.Completions.New(context.Background(), params); err != nil {
		t.Fatal(err)
	}
	a := attrs(h.onlySpan())
	in := a["gen_ai.input.messages"].AsString()
	if strings.Contains(in, "ann@example.org") || !strings.Contains(in, `"uri":"https://example.com/a.png"`) {
		t.Errorf("gen_ai.input.messages = %s", in)
	}
	if got := a["llm.input_messages.0.message.contents.0.message_content.text"].AsString(); strings.Contains(got, "ann@example.org") || got == "" {
		t.Errorf("OpenInference text part = %q", got)
	}
}

// TestResponsesMultimodalInput: Responses input_image, input_file and
// input_audio parts are recorded as parts too.
func TestResponsesMultimodalInput(t *testing.T) {
	schemas := schemacheck.New(t)
	body := `{"model":"gpt-4.1","input":[{"role":"user","content":[` +
		`{"type":"input_text","text":"Compare "},` +
		`{"type":"input_image","image_url":"https://example.com/a.png","detail":"auto"},` +
		`{"type":"input_image","file_id":"file-img1"},` +
		`{"type":"input_file","file_data":"data:application/pdf;base64,JVBERi0=","filename":"a.pdf"},` +
		`{"type":"input_file","file_url":"https://example.com/b.pdf"},` +
		`{"type":"input_audio","input_audio":{"data":"UklGRg==","format":"wav"}}]}]}`
	h := newHarnessWith(t, jsonHandler(200, responseJSON("resp_m", "completed", outputMessageJSON, "")), true,
		&harnessConfig{tracing: []Option{WithConventions(semconv.OTelGenAI)}})
	if _, err := h.client.Responses.New(context.Background(), responsesParams(), option.WithRequestBody("application/json", []byte(body))); err != nil {
		t.Fatal(err)
	}
	s := h.onlySpan()
	schemas.Check(s.Name(), s.Attributes())
	for _, err := range schemas.Errors() {
		t.Error(err)
	}
	want := `[{"role":"user","parts":[{"type":"text","content":"Compare "},` +
		`{"type":"uri","modality":"image","uri":"https://example.com/a.png"},` +
		`{"type":"file","modality":"image","file_id":"file-img1"},` +
		`{"type":"blob","modality":"document","mime_type":"application/pdf","content":"JVBERi0="},` +
		`{"type":"uri","modality":"document","uri":"https://example.com/b.pdf"},` +
		`{"type":"blob","modality":"audio","mime_type":"audio/wav","content":"UklGRg=="}]}]`
	if got := attrs(s)["gen_ai.input.messages"].AsString(); got != want {
		t.Errorf("gen_ai.input.messages =\n%s\nwant\n%s", got, want)
	}
}

// jsonString is s as a JSON string, as the renderers write it (no HTML
// escaping).
func jsonString(s string) string {
	var b strings.Builder
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(false)
	_ = e.Encode(s)
	return strings.TrimSuffix(b.String(), "\n")
}

// TestMultimodalErrorWithheld: with capture off, an API error that quotes
// the image URL of the prompt loses it (the span's status and every
// attribute); with capture on, a signed URL quoted in the error keeps its
// address but not its signature.
func TestMultimodalErrorWithheld(t *testing.T) {
	const private = "https://example.com/private/scan-0042.png"
	for _, tc := range []struct {
		capture bool
		url     string
		gone    []string
	}{
		{false, private, []string{"scan-0042"}},
		{true, signedImageURL, []string{"deadbeefcafe", "AKIAEXAMPLE"}},
	} {
		body := `{"error":{"message":"Error while downloading ` + tc.url + `.","type":"invalid_request_error","param":null,"code":"invalid_image_url"}}`
		h := newHarnessWith(t, jsonHandler(400, body), tc.capture, &harnessConfig{tracing: []Option{WithConventions(semconv.Tracekit, semconv.OTelGenAI, semconv.OpenInference)}})
		params := openai.ChatCompletionNewParams{
			Model: "gpt-4o-mini",
			Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage([]openai.ChatCompletionContentPartUnionParam{
				openai.TextContentPart("Read this."),
				openai.ImageContentPart(openai.ChatCompletionContentPartImageImageURLParam{URL: tc.url}),
			})},
		}
		if _, err := h.client.Chat.Completions.New(context.Background(), params, option.WithMaxRetries(0)); err == nil {
			t.Fatal("no error")
		}
		s := h.onlySpan()
		texts := []string{s.Status().Description}
		for _, ev := range s.Events() {
			for _, kv := range ev.Attributes {
				texts = append(texts, kv.Value.String())
			}
		}
		for _, kv := range s.Attributes() {
			texts = append(texts, kv.Value.String())
		}
		for _, txt := range texts {
			for _, g := range tc.gone {
				if strings.Contains(txt, g) {
					t.Errorf("capture %v: %q kept %s", tc.capture, txt, g)
				}
			}
		}
		if !strings.Contains(s.Status().Description, "Error while downloading") {
			t.Errorf("capture %v: status %q", tc.capture, s.Status().Description)
		}
	}
}

// TestMultimodalURLShapes: an image URL without a scheme is a reference
// (its signature redacted), never inline data; a data URL that is not base64
// is inline text, encoded and redacted like any text; a repeated content
// member's last value counts, parts included.
func TestMultimodalURLShapes(t *testing.T) {
	body := `{"model":"gpt-4o-mini","messages":[` +
		`{"role":"user","content":[{"type":"image_url","image_url":{"url":"//b.s3.amazonaws.com/a.png?X-Amz-Signature=s3cr3t"}},` +
		`{"type":"file","file":{"file_data":"data:text/plain,mail%20ann@example.org"}}]},` +
		`{"role":"user","content":[{"type":"image_url","image_url":{"url":"https://x/a.png"}}],"content":"hi"}]}`
	h := newHarnessWith(t, jsonHandler(200, chatResponseJSON), true,
		&harnessConfig{tracing: []Option{WithConventions(semconv.OTelGenAI), WithRedactor(redact.New())}})
	if _, err := h.client.Chat.Completions.New(context.Background(), chatParams(), option.WithRequestBody("application/json", []byte(body))); err != nil {
		t.Fatal(err)
	}
	got := attrs(h.onlySpan())["gen_ai.input.messages"].AsString()
	redacted := base64.StdEncoding.EncodeToString([]byte("mail " + redact.DefaultReplacement))
	want := `[{"role":"user","parts":[{"type":"uri","modality":"image","uri":"//b.s3.amazonaws.com/a.png?X-Amz-Signature=REDACTED"},` +
		`{"type":"blob","modality":"document","mime_type":"text/plain","content":"` + redacted + `"}]},` +
		`{"role":"user","parts":[{"type":"text","content":"hi"}]}]`
	if got != want {
		t.Errorf("gen_ai.input.messages =\n%s\nwant\n%s", got, want)
	}
}

// TestMultimodalFileDataShapes: file data given as a URL is a reference
// (its signature redacted), and with capture off an error quoting a data URL
// as sent (percent-encoded) loses it.
func TestMultimodalFileDataShapes(t *testing.T) {
	const dataURL = "data:text/plain,patient%20Jane%20Roe%20diagnosis%20X"
	body := `{"model":"gpt-4o-mini","messages":[{"role":"user","content":[{"type":"text","text":"Read."},` +
		`{"type":"file","file":{"file_data":"https://b.s3.amazonaws.com/doc.pdf?X-Amz-Signature=deadbeefcafe&token=t0psecret"}},` +
		`{"type":"file","file":{"file_data":"` + dataURL + `"}}]}]}`
	h := newHarnessWith(t, jsonHandler(200, chatResponseJSON), true, &harnessConfig{tracing: []Option{WithConventions(semconv.OTelGenAI)}})
	if _, err := h.client.Chat.Completions.New(context.Background(), chatParams(), option.WithRequestBody("application/json", []byte(body))); err != nil {
		t.Fatal(err)
	}
	got := attrs(h.onlySpan())["gen_ai.input.messages"].AsString()
	want := `[{"role":"user","parts":[{"type":"text","content":"Read."},` +
		`{"type":"uri","modality":"document","uri":"https://b.s3.amazonaws.com/doc.pdf?X-Amz-Signature=REDACTED&token=REDACTED"},` +
		`{"type":"blob","modality":"document","mime_type":"text/plain","content":"` + base64.StdEncoding.EncodeToString([]byte("patient Jane Roe diagnosis X")) + `"}]}]`
	if got != want {
		t.Errorf("gen_ai.input.messages =\n%s\nwant\n%s", got, want)
	}

	errBody := `{"error":{"message":"Invalid file data '` + dataURL + `'.","type":"invalid_request_error","param":null,"code":"invalid_file"}}`
	h = newHarnessWith(t, jsonHandler(400, errBody), false, nil)
	if _, err := h.client.Chat.Completions.New(context.Background(), chatParams(), option.WithRequestBody("application/json", []byte(body)), option.WithMaxRetries(0)); err == nil {
		t.Fatal("no error")
	}
	if desc := h.onlySpan().Status().Description; strings.Contains(desc, "Jane") || !strings.Contains(desc, "Invalid file data") {
		t.Errorf("capture off: status %q", desc)
	}
}

// TestTextPartErrorWithheld: with capture off, an API error that quotes one
// text part of a message made of several (the record holds them joined)
// loses it, in chat and in the Responses API.
func TestTextPartErrorWithheld(t *testing.T) {
	body := `{"error":{"message":"Content 'Mail ana@example.com now' is not allowed.","type":"invalid_request_error","param":null,"code":"content_policy"}}`
	h := newHarness(t, jsonHandler(400, body), false)
	params := openai.ChatCompletionNewParams{
		Model: "gpt-4o-mini",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage([]openai.ChatCompletionContentPartUnionParam{
			openai.TextContentPart("Hello. "), openai.TextContentPart("Mail ana@example.com now"),
		})},
	}
	if _, err := h.client.Chat.Completions.New(context.Background(), params); err == nil {
		t.Fatal("no error")
	}
	var out map[string]any
	if err := h.client.Post(context.Background(), "responses", map[string]any{"model": "gpt-4o-mini", "input": []any{map[string]any{
		"role": "user", "content": []any{map[string]any{"type": "input_text", "text": "Hello. "}, map[string]any{"type": "input_text", "text": "Mail ana@example.com now"}}}}}, &out); err == nil {
		t.Fatal("no error")
	}
	spans := h.spans()
	if len(spans) != 2 {
		t.Fatalf("%d spans", len(spans))
	}
	for _, s := range spans {
		if d := s.Status().Description; strings.Contains(d, "ana@") || !strings.Contains(d, "[REDACTED]") {
			t.Errorf("%s: status %q", s.Name(), d)
		}
	}
}
