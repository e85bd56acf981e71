package bedrocktrace

// Converse and ConverseStream: typed SDK values -> genai.Call.

import (
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unsafe"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/document"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"

	"github.com/tracekit-go/tracekit/internal/genai"
	"github.com/tracekit-go/tracekit/internal/instr"
)

// decimal32 returns the float64 that a float32 parameter's shortest decimal
// text means: the 0.2 a caller wrote as aws.Float32(0.2) (and the SDK sends
// as 0.2), not the 0.20000000298023224 a plain conversion gives.
func decimal32(v float32) float64 {
	var buf [32]byte
	b := strconv.AppendFloat(buf[:0], float64(v), 'g', -1, 32)
	f, err := strconv.ParseFloat(unsafe.String(&b[0], len(b)), 64)
	if err != nil {
		return float64(v) // NaN and infinities parse; nothing else fails
	}
	return f
}

// converseRequest fills the request part of c from a Converse or
// ConverseStream input.
func converseRequest(c *genai.Call, modelID *string, msgs []types.Message, system []types.SystemContentBlock,
	inf *types.InferenceConfiguration, tc *types.ToolConfiguration, md map[string]string, capture bool) {
	r := &c.Request
	r.Model = aws.ToString(modelID)
	if inf != nil {
		setInference(r, inf.Temperature, inf.TopP, inf.MaxTokens, inf.StopSequences)
	}
	// requestMetadata "user", else "userId".
	if u, ok := md["user"]; ok && u != "" {
		r.User = u
	} else if u, ok := md["userId"]; ok {
		r.User = u
	}
	for _, b := range system {
		switch b := b.(type) {
		case *types.SystemContentBlockMemberText:
			r.Messages = append(r.Messages, genai.Message{Role: "system", Content: b.Value, HasContent: true, Instructions: true})
		case *types.SystemContentBlockMemberGuardContent:
			// Fix: the reference records a content-less system prompt; the
			// guarded text is the system prompt.
			m := genai.Message{Role: "system", Instructions: true}
			if t, ok := b.Value.(*types.GuardrailConverseContentBlockMemberText); ok {
				m.Content, m.HasContent = aws.ToString(t.Value.Text), true
			}
			r.Messages = append(r.Messages, m)
		case *types.SystemContentBlockMemberCachePoint:
			// A cache marker, not a message (the reference records an
			// empty system prompt for it).
		}
	}
	for i := range msgs {
		r.Messages = appendConverseMessage(r.Messages, string(msgs[i].Role), msgs[i].Content, capture)
	}
	if tc != nil {
		for _, t := range tc.Tools {
			switch t := t.(type) {
			case *types.ToolMemberToolSpec:
				tool := genai.Tool{Type: "function", Name: aws.ToString(t.Value.Name), Description: aws.ToString(t.Value.Description)}
				if js, ok := t.Value.InputSchema.(*types.ToolInputSchemaMemberJson); ok {
					tool.Parameters = schemaJSON(js.Value)
				}
				r.Tools = append(r.Tools, tool)
			case *types.ToolMemberSystemTool:
				r.Tools = append(r.Tools, genai.Tool{Type: "system_tool", Name: aws.ToString(t.Value.Name)})
			}
		}
	}
}

// documentJSON returns the JSON text of a smithy document, or "".
func documentJSON(d interface{ MarshalSmithyDocument() ([]byte, error) }) string {
	if d == nil {
		return ""
	}
	b, err := d.MarshalSmithyDocument()
	if err != nil {
		return ""
	}
	return string(b)
}

// schemaCache keeps the JSON text of tool input schemas by document
// identity: tool definitions are usually built once and sent with every call,
// and marshalling a schema document costs ~50 allocations. The cache is
// bounded (schemaCacheMax entries, then cleared). A schema document mutated
// in place after a first call would be recorded as it first was.
var (
	schemaMu    sync.Mutex
	schemaCache = map[any]string{}
)

const schemaCacheMax = 256

func schemaJSON(d document.Interface) string {
	if d == nil {
		return ""
	}
	key, ok := comparableKey(d)
	if !ok {
		return documentJSON(d)
	}
	schemaMu.Lock()
	s, hit := schemaCache[key]
	schemaMu.Unlock()
	if hit {
		return s
	}
	s = documentJSON(d)
	schemaMu.Lock()
	if len(schemaCache) >= schemaCacheMax {
		clear(schemaCache)
	}
	schemaCache[key] = s
	schemaMu.Unlock()
	return s
}

// comparableKey returns d as a map key when its dynamic type is a pointer
// (the SDK's documents are), so that identity is what is compared.
func comparableKey(d document.Interface) (any, bool) {
	if reflect.TypeOf(d).Kind() != reflect.Pointer {
		return nil, false
	}
	return d, true
}

// setInference sets the inference parameters of a typed Bedrock input
// (Converse's inferenceConfig, a knowledge base's textInferenceConfig) that
// are given.
func setInference(r *genai.Request, temperature, topP *float32, maxTokens *int32, stop []string) {
	if temperature != nil {
		r.Temperature = genai.SetFloat(decimal32(*temperature))
	}
	if topP != nil {
		r.TopP = genai.SetFloat(decimal32(*topP))
	}
	if maxTokens != nil {
		r.MaxTokens = genai.SetInt(int64(*maxTokens))
	}
	r.StopSequences = stop
}

// textJoiner joins text blocks with "" and allocates only when there are
// several.
type textJoiner struct {
	first string
	n     int
	b     strings.Builder
}

func (j *textJoiner) add(s string) {
	switch j.n {
	case 0:
		j.first = s
	case 1:
		j.b.Grow(len(j.first) + len(s))
		j.b.WriteString(j.first)
		j.b.WriteString(s)
	default:
		j.b.WriteString(s)
	}
	j.n++
}

func (j *textJoiner) String() string {
	if j.n <= 1 {
		return j.first
	}
	return j.b.String()
}

// appendConverseMessage flattens one Converse message as llm-tracekit does:
// an assistant message becomes one message (text joined, toolUse blocks as
// tool calls); a user message becomes one "tool" message per toolResult, then
// one "user" message with the text blocks joined. Images, documents, videos
// and audio become parts (capture on): the message's, or a tool result's;
// reasoning blocks are ignored. A message with nothing usable keeps its
// role.
func appendConverseMessage(dst []genai.Message, role string, blocks []types.ContentBlock, capture bool) []genai.Message {
	start := len(dst)
	var text textJoiner
	var calls []genai.ToolCall
	media := false
	for _, b := range blocks {
		switch b := b.(type) {
		case *types.ContentBlockMemberImage, *types.ContentBlockMemberDocument,
			*types.ContentBlockMemberVideo, *types.ContentBlockMemberAudio:
			media = true
		case *types.ContentBlockMemberText:
			text.add(captured(b.Value, capture))
		case *types.ContentBlockMemberCitationsContent:
			// An answer with citations: its generated text, as a
			// stream gives it in text deltas.
			for _, g := range b.Value.Content {
				if t, ok := g.(*types.CitationGeneratedContentMemberText); ok {
					text.add(captured(t.Value, capture))
				}
			}
		case *types.ContentBlockMemberGuardContent:
			// Text the caller gave a guardrail to check (as a system
			// block's guardContent is read).
			if t, ok := b.Value.(*types.GuardrailConverseContentBlockMemberText); ok {
				text.add(captured(aws.ToString(t.Value.Text), capture))
			}
		case *types.ContentBlockMemberToolUse:
			tc := genai.ToolCall{ID: aws.ToString(b.Value.ToolUseId), Type: "function", Name: aws.ToString(b.Value.Name)}
			if capture {
				tc.Arguments = documentJSON(b.Value.Input)
			}
			calls = append(calls, tc)
		case *types.ContentBlockMemberToolResult:
			m := genai.Message{Role: "tool", ToolCallID: aws.ToString(b.Value.ToolUseId)}
			if capture {
				m.Content, m.HasContent = toolResultContent(b.Value.Content)
				m.Parts = genai.ToolParts(m.ToolCallID, toolResultParts(b.Value.Content))
			}
			dst = append(dst, m)
		}
	}
	var parts []genai.Part
	if media && capture {
		parts = converseMessageParts(blocks)
	}
	if role == "assistant" {
		m := genai.Message{Role: role, ToolCalls: calls, Parts: parts}
		if text.n > 0 {
			m.Content, m.HasContent = text.String(), capture
		}
		return append(dst, m)
	}
	if text.n > 0 || len(calls) > 0 || parts != nil {
		m := genai.Message{Role: role, ToolCalls: calls, Parts: parts}
		if text.n > 0 {
			m.Content, m.HasContent = text.String(), capture
		}
		dst = append(dst, m)
	}
	if len(dst) == start {
		dst = append(dst, genai.Message{Role: role})
	}
	return dst
}

// converseMessageParts returns the text and media blocks of a message as the
// record's parts, in order: text (as appendConverseMessage joins it),
// images, documents, videos and audio, inline (bytes or text) or in S3.
func converseMessageParts(blocks []types.ContentBlock) []genai.Part {
	var parts []genai.Part
	text := func(s string) { parts = append(parts, genai.Part{Kind: genai.PartText, Text: s}) }
	for _, b := range blocks {
		switch b := b.(type) {
		case *types.ContentBlockMemberText:
			text(b.Value)
		case *types.ContentBlockMemberCitationsContent:
			for _, g := range b.Value.Content {
				if t, ok := g.(*types.CitationGeneratedContentMemberText); ok {
					text(t.Value)
				}
			}
		case *types.ContentBlockMemberGuardContent:
			if t, ok := b.Value.(*types.GuardrailConverseContentBlockMemberText); ok {
				text(aws.ToString(t.Value.Text))
			}
		case *types.ContentBlockMemberImage:
			parts = genai.AppendPart(parts, imageBlockPart(b.Value))
		case *types.ContentBlockMemberDocument:
			parts = genai.AppendPart(parts, documentBlockPart(b.Value))
		case *types.ContentBlockMemberVideo:
			parts = genai.AppendPart(parts, videoBlockPart(b.Value))
		case *types.ContentBlockMemberAudio:
			p := genai.Part{Modality: genai.ModalityAudio, MimeType: formatMime(genai.ModalityAudio, string(b.Value.Format))}
			switch src := b.Value.Source.(type) {
			case *types.AudioSourceMemberBytes:
				p.Kind, p.Bytes = genai.PartBlob, src.Value
			case *types.AudioSourceMemberS3Location:
				p.Kind, p.URI = genai.PartURI, aws.ToString(src.Value.Uri)
			}
			parts = genai.AppendPart(parts, p)
		}
	}
	return parts
}

// imageBlockPart, documentBlockPart and videoBlockPart are a media block
// (of a message, or of a tool's result) as a part: inline (bytes or text)
// or in S3; a part without a Kind when its source is of no known type.
func imageBlockPart(v types.ImageBlock) genai.Part {
	p := genai.Part{Modality: genai.ModalityImage, MimeType: formatMime(genai.ModalityImage, string(v.Format))}
	switch src := v.Source.(type) {
	case *types.ImageSourceMemberBytes:
		p.Kind, p.Bytes = genai.PartBlob, src.Value
	case *types.ImageSourceMemberS3Location:
		p.Kind, p.URI = genai.PartURI, aws.ToString(src.Value.Uri)
	}
	return p
}

func documentBlockPart(v types.DocumentBlock) genai.Part {
	p := genai.Part{Modality: genai.ModalityDocument, MimeType: formatMime(genai.ModalityDocument, string(v.Format))}
	switch src := v.Source.(type) {
	case *types.DocumentSourceMemberBytes:
		p.Kind, p.Bytes = genai.PartBlob, src.Value
	case *types.DocumentSourceMemberS3Location:
		p.Kind, p.URI = genai.PartURI, aws.ToString(src.Value.Uri)
	case *types.DocumentSourceMemberText:
		p.Kind, p.Text = genai.PartBlob, src.Value
	}
	return p
}

func videoBlockPart(v types.VideoBlock) genai.Part {
	p := genai.Part{Modality: genai.ModalityVideo, MimeType: formatMime(genai.ModalityVideo, string(v.Format))}
	switch src := v.Source.(type) {
	case *types.VideoSourceMemberBytes:
		p.Kind, p.Bytes = genai.PartBlob, src.Value
	case *types.VideoSourceMemberS3Location:
		p.Kind, p.URI = genai.PartURI, aws.ToString(src.Value.Uri)
	}
	return p
}

// toolResultParts returns the media blocks of a tool's result (images,
// documents, videos) as parts; nil when it has none.
func toolResultParts(blocks []types.ToolResultContentBlock) []genai.Part {
	var parts []genai.Part
	for _, b := range blocks {
		switch b := b.(type) {
		case *types.ToolResultContentBlockMemberImage:
			parts = genai.AppendPart(parts, imageBlockPart(b.Value))
		case *types.ToolResultContentBlockMemberDocument:
			parts = genai.AppendPart(parts, documentBlockPart(b.Value))
		case *types.ToolResultContentBlockMemberVideo:
			parts = genai.AppendPart(parts, videoBlockPart(b.Value))
		}
	}
	return parts
}

// formatMime returns the media type of a Bedrock image, document, video or
// audio format name (as Converse and Nova name them); "" when unknown.
func formatMime(modality, format string) string {
	format = strings.ToLower(format)
	switch modality {
	case genai.ModalityImage:
		switch format {
		case "png", "jpeg", "gif", "webp":
			return "image/" + format
		case "jpg":
			return "image/jpeg"
		}
	case genai.ModalityDocument:
		switch format {
		case "pdf":
			return "application/pdf"
		case "csv":
			return "text/csv"
		case "doc":
			return "application/msword"
		case "docx":
			return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
		case "xls":
			return "application/vnd.ms-excel"
		case "xlsx":
			return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
		case "html":
			return "text/html"
		case "txt":
			return "text/plain"
		case "md":
			return "text/markdown"
		}
	case genai.ModalityVideo:
		switch format {
		case "mp4", "webm", "mpeg":
			return "video/" + format
		case "mpg":
			return "video/mpeg"
		case "mov":
			return "video/quicktime"
		case "mkv":
			return "video/x-matroska"
		case "flv":
			return "video/x-flv"
		case "wmv":
			return "video/x-ms-wmv"
		case "three_gp":
			return "video/3gpp"
		}
	case genai.ModalityAudio:
		switch format {
		case "mp3", "mpeg", "mpga":
			return "audio/mpeg"
		case "wav", "flac", "ogg", "opus", "aac", "webm":
			return "audio/" + format
		case "mp4", "m4a":
			return "audio/mp4"
		}
	}
	return ""
}

// captured is s when content is captured, else "" (the joiner still counts
// the block: a message with text but no captured content has no content
// attribute, yet it exists).
func captured(s string, capture bool) string {
	if capture {
		return s
	}
	return ""
}

// toolResultContent is the first json block as JSON, else the text blocks
// joined.
func toolResultContent(blocks []types.ToolResultContentBlock) (string, bool) {
	var text textJoiner
	for _, b := range blocks {
		if j, ok := b.(*types.ToolResultContentBlockMemberJson); ok {
			if s := documentJSON(j.Value); s != "" {
				return s, true
			}
		}
	}
	for _, b := range blocks {
		if t, ok := b.(*types.ToolResultContentBlockMemberText); ok {
			text.add(t.Value)
		}
	}
	return text.String(), text.n > 0
}

// converseResponse fills the response part of c from a Converse output.
func converseResponse(c *genai.Call, out *bedrockruntime.ConverseOutput, capture bool) {
	if out == nil {
		return
	}
	r := &c.Response
	r.Model = c.Request.Model // Converse returns no model
	if out.StopReason != "" {
		r.FinishReasons = append(r.FinishReasons[:0], string(out.StopReason))
	}
	if u := out.Usage; u != nil {
		r.Usage.InputTokens = int32p(u.InputTokens)
		r.Usage.OutputTokens = int32p(u.OutputTokens)
		r.Usage.CacheReadInputTokens = int32p(u.CacheReadInputTokens)
		r.Usage.CacheWriteInputTokens = int32p(u.CacheWriteInputTokens)
	}
	if m, ok := out.Output.(*types.ConverseOutputMemberMessage); ok {
		var one [1]genai.Message
		msgs := appendConverseMessage(one[:0], "assistant", m.Value.Content, capture)
		if len(msgs) > 0 {
			// The assistant's message comes last: tool results in an
			// answer (a server tool's) come before it.
			a := msgs[len(msgs)-1]
			ch := genai.Choice{Role: "assistant", FinishReason: string(out.StopReason),
				Content: a.Content, HasContent: a.HasContent, ToolCalls: a.ToolCalls}
			if capture {
				ch.Reasoning = converseReasoning(m.Value.Content)
			}
			r.Choices = append(r.Choices, ch)
		}
	}
	if out.Trace != nil {
		r.Guardrail = guardrailTrace(out.Trace.Guardrail, out.StopReason == types.StopReasonGuardrailIntervened)
	}
}

// guardrailTrace is the verdict of the guardrail a Converse call applied,
// from its trace (the call's guardrailConfig asks for it): what its
// policies detected on the input and on the output, each once, its action
// (GUARDRAIL_INTERVENED when it stopped the answer, else NONE) and reason;
// nil without a trace.
func guardrailTrace(g *types.GuardrailTraceAssessment, intervened bool) *genai.GuardrailVerdict {
	if g == nil {
		return nil
	}
	v := &genai.GuardrailVerdict{Action: "NONE", ActionReason: aws.ToString(g.ActionReason)}
	if intervened {
		v.Action = string(types.GuardrailActionGuardrailIntervened)
	}
	// Map order is random: the guardrails in the order of their ids.
	for _, id := range slices.Sorted(maps.Keys(g.InputAssessment)) {
		a := g.InputAssessment[id]
		addInterventions(v, &a)
	}
	for _, id := range slices.Sorted(maps.Keys(g.OutputAssessments)) {
		for i := range g.OutputAssessments[id] {
			addInterventions(v, &g.OutputAssessments[id][i])
		}
	}
	return v
}

// converseReasoning joins the text of an answer's reasoning blocks (a
// redacted one has no text).
func converseReasoning(blocks []types.ContentBlock) string {
	var j textJoiner
	for _, b := range blocks {
		if r, ok := b.(*types.ContentBlockMemberReasoningContent); ok {
			if t, ok := r.Value.(*types.ReasoningContentBlockMemberReasoningText); ok && t.Value.Text != nil {
				j.add(*t.Value.Text)
			}
		}
	}
	return j.String()
}

func int32p(p *int32) genai.Int {
	if p == nil {
		return genai.Int{}
	}
	return genai.SetInt(int64(*p))
}

// appendConverseTexts appends to dst each text block (guarded text block,
// tool result block) of the messages and the system prompt, which the
// record holds joined (or, a tool result's, leaves out beside a JSON one), while an error
// message may quote one of them (see withholdErr).
func appendConverseTexts(dst []string, msgs []types.Message, system []types.SystemContentBlock) []string {
	for _, b := range system {
		switch b := b.(type) {
		case *types.SystemContentBlockMemberText:
			dst = instr.AppendContent(dst, b.Value)
		case *types.SystemContentBlockMemberGuardContent:
			if t, ok := b.Value.(*types.GuardrailConverseContentBlockMemberText); ok {
				dst = instr.AppendContent(dst, aws.ToString(t.Value.Text))
			}
		}
	}
	for i := range msgs {
		for _, b := range msgs[i].Content {
			switch b := b.(type) {
			case *types.ContentBlockMemberText:
				dst = instr.AppendContent(dst, b.Value)
			case *types.ContentBlockMemberGuardContent:
				if t, ok := b.Value.(*types.GuardrailConverseContentBlockMemberText); ok {
					dst = instr.AppendContent(dst, aws.ToString(t.Value.Text))
				}
			case *types.ContentBlockMemberToolResult:
				for _, rb := range b.Value.Content {
					switch rb := rb.(type) {
					case *types.ToolResultContentBlockMemberText:
						dst = instr.AppendContent(dst, rb.Value)
					case *types.ToolResultContentBlockMemberJson:
						dst = instr.AppendContent(dst, documentJSON(rb.Value))
					}
				}
			}
		}
	}
	return dst
}
