package bedrocktrace

// Reranking: the Agent Runtime's Rerank, and InvokeModel with a rerank model
// (Amazon Rerank, Cohere Rerank). Typed input and output, or request and
// response bodies -> a rerank record: the query is the user message, the
// documents given are the request's documents (their ids their positions),
// the results the response's, most relevant first, with their scores.

import (
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentruntime/types"
	"github.com/tidwall/gjson"

	"github.com/tracekit-go/tracekit/internal/genai"
	"github.com/tracekit-go/tracekit/internal/instr"
)

// rerankRequest fills the record of an Agent Runtime Rerank call: the
// reranking model (an ARN) and the number of results asked for (top_k),
// the query as the user message and, with capture on, the text (or JSON) of
// the first maxDocuments sources.
func rerankRequest(c *genai.Call, p *bedrockagentruntime.RerankInput, capture bool) {
	c.Operation = genai.OpRerank
	r := &c.Request
	if rc := p.RerankingConfiguration; rc != nil && rc.BedrockRerankingConfiguration != nil {
		b := rc.BedrockRerankingConfiguration
		if b.ModelConfiguration != nil {
			r.Model = aws.ToString(b.ModelConfiguration.ModelArn)
		}
		if b.NumberOfResults != nil {
			r.TopK = genai.SetFloat(float64(*b.NumberOfResults))
		}
	}
	for i := range p.Queries {
		m := genai.Message{Role: "user"}
		if q := p.Queries[i].TextQuery; q != nil && q.Text != nil {
			m.Content, m.HasContent = *q.Text, true
		}
		r.Messages = append(r.Messages, m)
	}
	if !capture {
		return
	}
	for i := range p.Sources {
		if i == maxDocuments {
			break
		}
		r.Documents = append(r.Documents, genai.Document{ID: strconv.Itoa(i), Content: rerankText(p.Sources[i].InlineDocumentSource)})
	}
}

// rerankText returns a rerank document's text, or its JSON.
func rerankText(d *types.RerankDocument) string {
	if d == nil {
		return ""
	}
	if d.TextDocument != nil && d.TextDocument.Text != nil {
		return *d.TextDocument.Text
	}
	if d.JsonDocument != nil {
		if b, err := d.JsonDocument.MarshalSmithyDocument(); err == nil {
			return string(b)
		}
	}
	return ""
}

// rerankResponse fills, with capture on, the results of a Rerank call: the
// position of the source as the id, its text (the result's document, else
// the source's), the relevance score; at most maxDocuments.
func rerankResponse(c *genai.Call, out *bedrockagentruntime.RerankOutput, capture bool) {
	if !capture {
		return
	}
	for i := range out.Results {
		if i == maxDocuments {
			break
		}
		res := &out.Results[i]
		d := genai.Document{Content: rerankText(res.Document)}
		if res.Index != nil {
			d.ID = strconv.Itoa(int(*res.Index))
			fromGiven(&d, c, int64(*res.Index))
		}
		if res.RelevanceScore != nil {
			// The shortest decimal of the float32 (0.82, not 0.8199999928474426).
			if f, err := strconv.ParseFloat(strconv.FormatFloat(float64(*res.RelevanceScore), 'g', -1, 32), 64); err == nil {
				d.Score = genai.SetFloat(f)
			}
		}
		c.Response.Documents = append(c.Response.Documents, d)
	}
}

// fromGiven gives a result without text of its own the text of the
// document given at position i, when that was recorded. That text went
// through the redactor already, when the span started: d says so.
func fromGiven(d *genai.Document, c *genai.Call, i int64) {
	if d.Content != "" || i < 0 || i >= int64(len(c.Request.Documents)) {
		return
	}
	if g := &c.Request.Documents[i]; g.ID == strconv.FormatInt(i, 10) {
		d.Content, d.Redacted = g.Content, true
	}
}

// appendRerankContent appends what an error message may quote of a Rerank
// call's sources, all of them (not only those a span records): each text,
// and each string of a JSON source.
func appendRerankContent(dst []string, p *bedrockagentruntime.RerankInput) []string {
	for i := range p.Sources {
		d := p.Sources[i].InlineDocumentSource
		if d == nil {
			continue
		}
		if d.TextDocument != nil && d.TextDocument.Text != nil {
			dst = instr.AppendContent(dst, *d.TextDocument.Text)
		}
		if d.JsonDocument != nil {
			if b, err := d.JsonDocument.MarshalSmithyDocument(); err == nil {
				dst = appendJSONStrings(dst, gjson.ParseBytes(b))
			}
		}
	}
	return dst
}

// appendRerankBodyContent appends what an error message may quote of a
// rerank model's documents, all of them: each string document, and each
// string of an object one.
func appendRerankBodyContent(dst []string, js string) []string {
	eachArrayElem(gjson.Get(js, "documents"), func(d gjson.Result) { dst = appendJSONStrings(dst, d) })
	return dst
}

// rerankBodyRequest reads the body of an InvokeModel call to a rerank model
// (Amazon Rerank, Cohere Rerank): the query (one user message), top_n (as
// top_k) and, with capture on, the first maxDocuments documents (a string
// as it is, an object as its JSON).
func rerankBodyRequest(c *genai.Call, js string, capture bool) {
	r := &c.Request
	gjson.Parse(js).ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "query":
			userPrompt(c, v, capture)
		case "top_n":
			setFloat(&r.TopK, v)
		case "documents":
			if !capture {
				return true
			}
			eachArrayElem(v, func(d gjson.Result) {
				if len(r.Documents) < maxDocuments {
					r.Documents = append(r.Documents, genai.Document{ID: strconv.Itoa(len(r.Documents)), Content: bodyDocument(d)})
				}
			})
		}
		return true
	})
}

// bodyDocument returns the text of a document of a rerank body: a string,
// or the JSON of anything else.
func bodyDocument(d gjson.Result) string {
	if d.Type == gjson.String {
		return d.Str
	}
	return d.Raw
}

// rerankBodyResponse reads the answer of a rerank model: its id (Cohere's)
// and, with capture on, the first maxDocuments results: the index of the
// document as the id, its text (the result's document when the model
// returns it, else the one given), the relevance score.
func rerankBodyResponse(c *genai.Call, js string, capture bool) {
	if id := gjson.Get(js, "id"); id.Type == gjson.String {
		c.Response.ID = id.Str
	}
	if !capture {
		return
	}
	eachArrayElem(gjson.Get(js, "results"), func(res gjson.Result) {
		if len(c.Response.Documents) == maxDocuments {
			return
		}
		var d genai.Document
		if doc := res.Get("document"); doc.Exists() {
			if t := doc.Get("text"); t.Type == gjson.String {
				d.Content = t.Str
			} else {
				d.Content = bodyDocument(doc)
			}
		}
		if ix := res.Get("index"); ix.Type == gjson.Number {
			d.ID = strconv.FormatInt(ix.Int(), 10)
			fromGiven(&d, c, ix.Int())
		}
		setFloat(&d.Score, res.Get("relevance_score"))
		c.Response.Documents = append(c.Response.Documents, d)
	})
}
