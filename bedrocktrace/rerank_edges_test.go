package bedrocktrace

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentruntime/document"
	agtypes "github.com/aws/aws-sdk-go-v2/service/bedrockagentruntime/types"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"

	"github.com/tracekit-go/tracekit/redact"
)

// A non-idempotent redactor (pseudonymising, wrapping) must be applied once
// per content string: a result whose text is copied from an already
// redacted document given is redacted a second time.
func TestRerankRedactorAppliedTwice(t *testing.T) {
	e := newEnv(t)
	e.extra = []Option{WithRedactor(redact.Func(func(s string) string { return "<" + s + ">" }))}
	f := newFake(t, reply{body: rerankAnswer})
	if _, err := e.agents(f.URL, true).Rerank(context.Background(), rerankInput()); err != nil {
		t.Fatal(err)
	}
	a := attrsOf(e.oneSpan())
	a.want(t, map[string]any{
		"tracekit.input_documents.1.content": "<To reset, hold the button for 10 s.>",
		"tracekit.documents.0.content":       "<To reset, hold the button for 10 s.>",
	})
}

// With capture off, an error quoting a document given past the 32nd keeps
// it: withholdErr builds its content list with the same 32-document bound.
func TestRerankWithholdPast32(t *testing.T) {
	e := newEnv(t)
	f := newFake(t, reply{status: 400, headers: map[string]string{"X-Amzn-Errortype": "ValidationException"},
		body: `{"message":"Value 'secret document ob here' at 'sources.40.member.inlineDocumentSource.textDocument.text' failed to satisfy constraint"}`})
	in := rerankInput()
	in.Sources = nil
	for i := 0; i < 45; i++ {
		in.Sources = append(in.Sources, agtypes.RerankSource{Type: agtypes.RerankSourceTypeInline, InlineDocumentSource: &agtypes.RerankDocument{
			Type: agtypes.RerankDocumentTypeText, TextDocument: &agtypes.RerankTextDocument{Text: aws.String(fmt.Sprintf("secret document %c%c here", 'a'+i%26, 'a'+i/26))}}})
	}
	if _, err := e.agents(f.URL, false).Rerank(context.Background(), in); err == nil {
		t.Fatal("no error")
	}
	if d := e.oneSpan().Status().Description; strings.Contains(d, "secret document") {
		t.Errorf("status description leaks a document with capture off: %q", d)
	}

	// Same through InvokeModel.
	e2 := newEnv(t)
	var docs []string
	for i := 0; i < 45; i++ {
		docs = append(docs, fmt.Sprintf("%q", fmt.Sprintf("secret document %c%c here", 'a'+i%26, 'a'+i/26)))
	}
	body := `{"query":"reset","documents":[` + strings.Join(docs, ",") + `]}`
	if _, err := e2.runtime(f.URL, false).InvokeModel(context.Background(), &bedrockruntime.InvokeModelInput{
		ModelId: aws.String("cohere.rerank-v3-5:0"), Body: []byte(body)}); err == nil {
		t.Fatal("no error")
	}
	if d := e2.oneSpan().Status().Description; strings.Contains(d, "secret document") {
		t.Errorf("InvokeModel: status description leaks a document with capture off: %q", d)
	}
}

// With capture off, an error quoting a text field of a JSON document given
// keeps it: the withheld value is the whole JSON, never its strings (as
// InvokeFlow's appendFlowStrings does).
func TestRerankWithholdJSONDocument(t *testing.T) {
	e := newEnv(t)
	f := newFake(t, reply{status: 400, headers: map[string]string{"X-Amzn-Errortype": "ValidationException"},
		body: `{"message":"document field 'Unplug it and wait thirty seconds' is too long"}`})
	in := rerankInput()
	in.Sources[2].InlineDocumentSource.JsonDocument = document.NewLazyDocument(map[string]any{"title": "FAQ", "body": "Unplug it and wait thirty seconds"})
	if _, err := e.agents(f.URL, false).Rerank(context.Background(), in); err == nil {
		t.Fatal("no error")
	}
	if d := e.oneSpan().Status().Description; strings.Contains(d, "thirty seconds") {
		t.Errorf("Rerank: status description leaks a JSON document with capture off: %q", d)
	}

	e2 := newEnv(t)
	if _, err := e2.runtime(f.URL, false).InvokeModel(context.Background(), &bedrockruntime.InvokeModelInput{
		ModelId: aws.String("cohere.rerank-v3-5:0"),
		Body:    []byte(`{"query":"reset","documents":[{"title":"FAQ","text":"Unplug it and wait thirty seconds"}]}`)}); err == nil {
		t.Fatal("no error")
	}
	if d := e2.oneSpan().Status().Description; strings.Contains(d, "thirty seconds") {
		t.Errorf("InvokeModel: status description leaks a JSON document with capture off: %q", d)
	}
}
