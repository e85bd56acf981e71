package bedrocktrace

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"

	"github.com/tracekit-go/tracekit/internal/schemacheck"
	"github.com/tracekit-go/tracekit/redact"
	"github.com/tracekit-go/tracekit/semconv"
)

// mediaConverseInput asks about a document in S3, an inline document, a
// video in S3 and an inline recording, around two text blocks.
func mediaConverseInput() *bedrockruntime.ConverseInput {
	return &bedrockruntime.ConverseInput{
		ModelId: aws.String("us.amazon.nova-pro-v1:0"),
		Messages: []types.Message{{Role: types.ConversationRoleUser, Content: []types.ContentBlock{
			&types.ContentBlockMemberText{Value: "Summarise "},
			&types.ContentBlockMemberDocument{Value: types.DocumentBlock{Format: types.DocumentFormatPdf, Name: aws.String("report"),
				Source: &types.DocumentSourceMemberS3Location{Value: types.S3Location{Uri: aws.String("s3://reports/q3.pdf")}}}},
			&types.ContentBlockMemberDocument{Value: types.DocumentBlock{Format: types.DocumentFormatTxt, Name: aws.String("notes"),
				Source: &types.DocumentSourceMemberText{Value: "hi"}}},
			&types.ContentBlockMemberVideo{Value: types.VideoBlock{Format: types.VideoFormatMov,
				Source: &types.VideoSourceMemberS3Location{Value: types.S3Location{Uri: aws.String("s3://clips/a.mov")}}}},
			&types.ContentBlockMemberAudio{Value: types.AudioBlock{Format: types.AudioFormatMp3,
				Source: &types.AudioSourceMemberBytes{Value: []byte("ID3")}}},
			&types.ContentBlockMemberText{Value: "briefly."},
		}}},
	}
}

// TestConverseMediaParts: Converse documents, videos and audio, inline or in
// S3, are parts of the prompt message under OTel GenAI (in order, with the
// text blocks) and OpenInference; Tracekit keeps the text joined.
func TestConverseMediaParts(t *testing.T) {
	schemas := schemacheck.New(t)
	e := newEnv(t, schemas)
	e.extra = []Option{WithConventions(semconv.Tracekit, semconv.OTelGenAI, semconv.OpenInference)}
	f := newFake(t, reply{body: converseReply})
	if _, err := e.runtime(f.URL, true).Converse(context.Background(), mediaConverseInput()); err != nil {
		t.Fatal(err)
	}
	for _, err := range schemas.Errors() {
		t.Error(err)
	}
	a := attrsOf(e.oneSpan())
	a.want(t, map[string]any{
		"gen_ai.prompt.0.content": "Summarise briefly.",
		"gen_ai.input.messages": `[{"role":"user","parts":[{"type":"text","content":"Summarise "},` +
			`{"type":"uri","modality":"document","mime_type":"application/pdf","uri":"s3://reports/q3.pdf"},` +
			`{"type":"blob","modality":"document","mime_type":"text/plain","content":"aGk="},` +
			`{"type":"uri","modality":"video","mime_type":"video/quicktime","uri":"s3://clips/a.mov"},` +
			`{"type":"blob","modality":"audio","mime_type":"audio/mpeg","content":"SUQz"},` +
			`{"type":"text","content":"briefly."}]}]`,
		"llm.input_messages.0.message.contents.0.message_content.type": "text",
		"llm.input_messages.0.message.contents.0.message_content.text": "Summarise ",
		"llm.input_messages.0.message.contents.1.message_content.type": "document",
		"llm.input_messages.0.message.contents.3.message_content.type": "video",
		"llm.input_messages.0.message.contents.4.message_content.type": "audio",
		"llm.input_messages.0.message.contents.5.message_content.text": "briefly.",
		"llm.input_messages.0.message.content":                         nil,
	})
}

// TestConverseMediaPartsCaptureOff: with capture off nothing of the media
// is recorded.
func TestConverseMediaPartsCaptureOff(t *testing.T) {
	e := newEnv(t)
	e.extra = []Option{WithConventions(semconv.Tracekit, semconv.OTelGenAI, semconv.OpenInference)}
	f := newFake(t, reply{body: converseReply})
	if _, err := e.runtime(f.URL, false).Converse(context.Background(), mediaConverseInput()); err != nil {
		t.Fatal(err)
	}
	for k, v := range attrsOf(e.oneSpan()) {
		for _, needle := range []string{"s3://", "aGk=", "SUQz", "message.contents", "Summarise"} {
			if strings.Contains(k, needle) || strings.Contains(v.String(), needle) {
				t.Errorf("capture off: %s = %s carries %q", k, v.String(), needle)
			}
		}
	}
}

// TestInvokeModelMediaParts: image and document blocks of Claude (base64,
// URL and file sources) and Nova (bytes and S3) request bodies, and the
// image_url parts of Mistral chat bodies (Pixtral), are parts of the prompt
// message.
func TestInvokeModelMediaParts(t *testing.T) {
	schemas := schemacheck.New(t)
	for _, tc := range []struct {
		name, model, body, want string
	}{
		{"claude", "anthropic.claude-3-5-sonnet-20240620-v1:0",
			`{"anthropic_version":"bedrock-2023-05-31","max_tokens":10,"messages":[{"role":"user","content":[` +
				`{"type":"image","source":{"type":"url","url":"https://example.com/cat.jpg"}},` +
				`{"type":"document","source":{"type":"base64","media_type":"application/pdf","data":"JVBERi0="}},` +
				`{"type":"image","source":{"type":"file","file_id":"file_011"}},` +
				`{"type":"text","text":"What are these?"}]}]}`,
			`[{"role":"user","parts":[{"type":"uri","modality":"image","uri":"https://example.com/cat.jpg"},` +
				`{"type":"blob","modality":"document","mime_type":"application/pdf","content":"JVBERi0="},` +
				`{"type":"file","modality":"image","file_id":"file_011"},` +
				`{"type":"text","content":"What are these?"}]}]`},
		{"nova", "us.amazon.nova-lite-v1:0",
			`{"schemaVersion":"messages-v1","messages":[{"role":"user","content":[` +
				`{"image":{"format":"jpeg","source":{"bytes":"/9j/4A=="}}},` +
				`{"video":{"format":"mp4","source":{"s3Location":{"uri":"s3://clips/b.mp4"}}}},` +
				`{"text":"Describe."}]}],"inferenceConfig":{"maxTokens":10}}`,
			`[{"role":"user","parts":[{"type":"blob","modality":"image","mime_type":"image/jpeg","content":"/9j/4A=="},` +
				`{"type":"uri","modality":"video","mime_type":"video/mp4","uri":"s3://clips/b.mp4"},` +
				`{"type":"text","content":"Describe."}]}]`},
		{"mistral-chat", "us.mistral.pixtral-large-2502-v1:0",
			`{"messages":[{"role":"user","content":[{"type":"text","text":"What is this?"},` +
				`{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo="}},{"type":"image_url","image_url":"https://example.com/b.png?sig=x"}]}],"max_tokens":10}`,
			`[{"role":"user","parts":[{"type":"text","content":"What is this?"},` +
				`{"type":"blob","modality":"image","mime_type":"image/png","content":"iVBORw0KGgo="},` +
				`{"type":"uri","modality":"image","uri":"https://example.com/b.png?sig=REDACTED"}]}]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var response string
			for _, fc := range familyCases {
				if fc.name == tc.name {
					response = fc.response
				}
			}
			e := newEnv(t, schemas)
			e.extra = []Option{WithConventions(semconv.OTelGenAI)}
			f := newFake(t, reply{body: response})
			_, err := e.runtime(f.URL, true).InvokeModel(context.Background(), &bedrockruntime.InvokeModelInput{
				ModelId: aws.String(tc.model), Body: []byte(tc.body)})
			if err != nil {
				t.Fatal(err)
			}
			attrsOf(e.oneSpan()).want(t, map[string]any{"gen_ai.input.messages": tc.want})
		})
	}
	for _, err := range schemas.Errors() {
		t.Error(err)
	}
}

// TestMediaPartsRedacted: the redactor applies to the text parts of a
// multimodal message and to the text of a text document, before it is
// encoded as a blob.
func TestMediaPartsRedacted(t *testing.T) {
	e := newEnv(t)
	e.extra = []Option{WithConventions(semconv.OTelGenAI), WithRedactor(redact.New())}
	f := newFake(t, reply{body: converseReply})
	in := &bedrockruntime.ConverseInput{
		ModelId: aws.String("us.amazon.nova-pro-v1:0"),
		Messages: []types.Message{{Role: types.ConversationRoleUser, Content: []types.ContentBlock{
			&types.ContentBlockMemberText{Value: "mail bob@example.com: "},
			&types.ContentBlockMemberDocument{Value: types.DocumentBlock{Format: types.DocumentFormatTxt, Name: aws.String("n"),
				Source: &types.DocumentSourceMemberText{Value: "contact ann@example.org"}}},
		}}},
	}
	if _, err := e.runtime(f.URL, true).Converse(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	got := attrsOf(e.oneSpan())["gen_ai.input.messages"].AsString()
	doc := base64.StdEncoding.EncodeToString([]byte("contact " + redact.DefaultReplacement))
	want := `[{"role":"user","parts":[{"type":"text","content":"mail ` + redact.DefaultReplacement + `: "},` +
		`{"type":"blob","modality":"document","mime_type":"text/plain","content":"` + doc + `"}]}]`
	if got != want {
		t.Errorf("gen_ai.input.messages =\n%s\nwant\n%s", got, want)
	}
}
