package openaitrace

import (
	"io"
	"mime"
	"mime/multipart"
	"strings"

	"github.com/tidwall/gjson"

	"github.com/tracekit-go/tracekit/internal/genai"
)

// This file translates the audio endpoints into the neutral record:
// POST /audio/speech (text to speech: generate_content with
// gen_ai.output.type=speech) and POST /audio/transcriptions and
// /audio/translations (speech to text: generate_content, its audio the
// user message's part, its text the answer).

var speechEndpoint = &endpoint{
	operation:     genai.OpGenerateContent,
	api:           "audio.speech",
	parseRequest:  parseSpeechRequest,
	parseResponse: func(string, *genai.Call, bool) bool { return true }, // (see parseRaw)
	newStream:     newSpeechStream,
	parseRaw:      parseSpeechAudio,
}

var transcriptionEndpoint = &endpoint{
	operation:     genai.OpGenerateContent,
	api:           "audio.transcriptions",
	parseRequest:  parseTranscriptionRequest,
	parseResponse: checked(parseTranscriptionResponse),
	newStream:     newTranscriptionStream,
	parseText:     parseTranscriptionText,
}

var translationEndpoint = &endpoint{
	operation:     genai.OpGenerateContent,
	api:           "audio.translations",
	parseRequest:  parseTranscriptionRequest,
	parseResponse: checked(parseTranscriptionResponse),
	newStream:     newNoStream,
	parseText:     parseTranscriptionText,
}

// parseSpeechRequest fills c.Request from a POST /audio/speech body: the
// model, the text to speak (a user message) and the instructions on how to
// speak it (a system one), their text only when content is true; the audio
// format asked for; whether the answer streams (stream_format "sse").
func parseSpeechRequest(body string, c *genai.Call, content bool) {
	r := &c.Request
	r.OutputType = "speech"
	var input, instructions gjson.Result
	gjson.Parse(body).ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "model":
			r.Model = v.Str
		case "input":
			input = v
		case "instructions":
			instructions = v
		case "response_format":
			r.OutputAudioFormat = v.Str
		case "stream_format":
			c.Streaming = v.Str == "sse"
		}
		return true
	})
	if instructions.Type == gjson.String && instructions.Str != "" {
		m := genai.Message{Role: "system", Instructions: true}
		if content {
			m.Content, m.HasContent = instructions.Str, true
		}
		r.Messages = append(r.Messages, m)
	}
	if input.Exists() {
		m := genai.Message{Role: "user"}
		if content && input.Type == gjson.String {
			m.Content, m.HasContent = input.Str, true
		}
		r.Messages = append(r.Messages, m)
	}
}

// speechMime returns the media type of speech: the response's, when it is
// an audio type, else that of the format asked for (mp3 by default).
func speechMime(contentType, format string) string {
	if mt, _, err := mime.ParseMediaType(contentType); err == nil && strings.HasPrefix(mt, "audio/") {
		return mt
	}
	if format == "" {
		format = "mp3"
	}
	return audioMime(format)
}

// parseSpeechAudio fills c.Response from a speech answer, which is the audio
// itself: one choice whose media (with content on) is the audio, not kept.
func parseSpeechAudio(contentType string, c *genai.Call, content bool) {
	r := &c.Response
	r.Model = c.Request.Model
	ch := genai.Choice{Role: "assistant", FinishReason: "stop"}
	if content {
		ch.Media = []genai.Part{{Kind: genai.PartBlob, Modality: genai.ModalityAudio, MimeType: speechMime(contentType, c.Request.OutputAudioFormat), Unkept: true}}
	}
	r.Choices = append(r.Choices, ch)
	r.FinishReasons = append(r.FinishReasons, "stop")
}

// speechStream reads a streamed speech answer (stream_format "sse"): its
// audio deltas are not kept; the done event gives the usage.
type speechStream struct {
	content bool
	done    bool
	usage   genai.Usage
	err     *genai.Error
}

func newSpeechStream(content bool) streamAccumulator { return &speechStream{content: content} }

func (s *speechStream) consume(_, data []byte) bool {
	ev, stop, err := mediaEvent(data)
	if stop {
		s.err = err
		return true
	}
	if ev.Get("type").Str != "speech.audio.done" {
		return false
	}
	s.done = true
	audioUsage(&s.usage, ev.Get("usage"))
	return true
}

func (s *speechStream) finish(c *genai.Call, _ bool) {
	r := &c.Response
	r.Model = c.Request.Model
	r.Usage = s.usage
	if s.err != nil {
		c.Err = s.err
		return
	}
	if !s.done {
		return
	}
	ch := genai.Choice{Role: "assistant", FinishReason: "stop"}
	if s.content {
		ch.Media = []genai.Part{{Kind: genai.PartBlob, Modality: genai.ModalityAudio, MimeType: speechMime("", c.Request.OutputAudioFormat), Unkept: true}}
	}
	r.Choices = append(r.Choices, ch)
	r.FinishReasons = append(r.FinishReasons, "stop")
}

// mediaEvent reads one event of an image or audio stream: stop is set on
// an event that ends it ([DONE], an error member or an error event, data
// openai-go cannot decode), with its error. The event aliases data.
func mediaEvent(data []byte) (ev gjson.Result, stop bool, err *genai.Error) {
	if len(data) >= 6 && string(data[:6]) == "[DONE]" {
		return ev, true, nil
	}
	if ok, null := decodable(data); !ok || !null && !wholeValue(data) {
		return ev, true, undecodableEvent
	} else if null {
		return ev, false, nil
	}
	ev = gjson.Parse(bstr(data))
	if e := ev.Get("error"); e.Exists() {
		if e.IsObject() {
			return ev, true, streamError(e)
		}
		return ev, true, &genai.Error{Type: "stream_error", Message: strings.Clone(e.String())}
	}
	if ev.Get("type").Str == "error" {
		e := &genai.Error{Type: strings.Clone(ev.Get("code").Str), Message: strings.Clone(ev.Get("message").Str)}
		if e.Type == "" {
			e.Type = "stream_error"
		}
		if e.Message == "" {
			e.Message = "error event in the stream"
		}
		return ev, true, e
	}
	return ev, false, nil
}

// audioUsage reads the usage of an audio answer: its tokens (GPT-4o audio
// models); a Whisper answer's duration is no token count.
func audioUsage(u *genai.Usage, v gjson.Result) {
	if t := v.Get("type"); t.Exists() && t.Str != "tokens" {
		return
	}
	u.InputTokens = optInt(v.Get("input_tokens"))
	u.OutputTokens = optInt(v.Get("output_tokens"))
}

// maxFormField bounds what is read of a multipart form field.
const maxFormField = 1 << 20

// parseTranscriptionRequest fills c.Request from the multipart form of a
// POST /audio/transcriptions or /audio/translations: the model, the
// temperature, whether the answer streams, and one user message: the audio
// (a part, its data not kept, with capture on) and the prompt (its text
// only when content is true).
func parseTranscriptionRequest(body string, c *genai.Call, content bool) {
	r := &c.Request
	m := genai.Message{Role: "user"}
	var audio *genai.Part
	eachFormPart(body, func(name string, file *genai.Part, value string) {
		if file != nil {
			file.Modality = genai.ModalityAudio
			audio = file
			return
		}
		switch name {
		case "model":
			r.Model = value
		case "prompt":
			if content {
				m.Content, m.HasContent = value, true
			}
		case "temperature":
			r.Temperature = optFloat(gjson.Parse(value))
		case "response_format":
			r.ResponseFormat = value
		case "stream":
			c.Streaming = value == "true"
		}
	})
	if content && audio != nil {
		m.Parts = append(m.Parts, *audio)
		if m.HasContent {
			m.Parts = append(m.Parts, genai.Part{Kind: genai.PartText, Text: m.Content})
		}
	}
	r.Messages = append(r.Messages, m)
}

// eachFormPart calls f for each part of a multipart form body: a file as a
// blob part not kept (its media type from its header, else its name's
// extension; its data skipped, not read), any other field with its value
// (at most maxFormField bytes).
func eachFormPart(body string, f func(name string, file *genai.Part, value string)) {
	boundary, ok := formBoundary(body)
	if !ok {
		return
	}
	mr := multipart.NewReader(strings.NewReader(body), boundary)
	for {
		p, err := mr.NextPart()
		if err != nil {
			return
		}
		if p.FileName() != "" {
			ct := p.Header.Get("Content-Type")
			if ct == "" || ct == "application/octet-stream" {
				ct = mime.TypeByExtension(extOf(p.FileName()))
			}
			f(p.FormName(), &genai.Part{Kind: genai.PartBlob, Modality: genai.ModalityOf(ct), MimeType: ct, Unkept: true}, "")
			continue
		}
		b, _ := io.ReadAll(io.LimitReader(p, maxFormField))
		f(p.FormName(), nil, string(b))
	}
}

// formBoundary returns the boundary of a multipart body from its first
// line ("--boundary").
func formBoundary(body string) (string, bool) {
	line, _, ok := strings.Cut(body, "\r\n")
	if !ok || !strings.HasPrefix(line, "--") || len(line) < 3 || len(line) > 72 {
		return "", false
	}
	return line[2:], true
}

// extOf returns the extension of a file name (".mp3").
func extOf(name string) string {
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		return strings.ToLower(name[i:])
	}
	return ""
}

// parseTranscriptionResponse fills c.Response from a transcription (or
// translation) in JSON: its text as the answer (content on), its usage.
func parseTranscriptionResponse(body string, c *genai.Call, content bool) {
	r := &c.Response
	r.Model = c.Request.Model
	ch := genai.Choice{Role: "assistant", FinishReason: "stop"}
	gjson.Parse(body).ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "text":
			if content && v.Type == gjson.String {
				ch.Content, ch.HasContent = v.Str, true
			}
		case "usage":
			audioUsage(&r.Usage, v)
		}
		return true
	})
	r.Choices = append(r.Choices, ch)
	r.FinishReasons = append(r.FinishReasons, "stop")
}

// parseTranscriptionText reads a transcription (or translation) asked for
// as text, srt or vtt: the text as the answer (content on). It reports
// false for an answer of any other format, which openai-go fails to decode.
func parseTranscriptionText(body string, c *genai.Call, content bool) bool {
	switch c.Request.ResponseFormat {
	case "text", "srt", "vtt":
	default:
		return false
	}
	r := &c.Response
	r.Model = c.Request.Model
	ch := genai.Choice{Role: "assistant", FinishReason: "stop"}
	if content {
		ch.Content, ch.HasContent = body, true
	}
	r.Choices = append(r.Choices, ch)
	r.FinishReasons = append(r.FinishReasons, "stop")
	return true
}

// transcriptionStream rebuilds a streamed transcription: the text of its
// deltas (bounded; the done event's text replaces them) and the done
// event's usage.
type transcriptionStream struct {
	content bool
	done    bool
	text    []byte
	usage   genai.Usage
	err     *genai.Error
}

func newTranscriptionStream(content bool) streamAccumulator {
	return &transcriptionStream{content: content}
}

func (s *transcriptionStream) consume(_, data []byte) bool {
	ev, stop, err := mediaEvent(data)
	if stop {
		s.err = err
		return true
	}
	switch ev.Get("type").Str {
	case "transcript.text.delta":
		if d := ev.Get("delta"); s.content && d.Type == gjson.String && len(s.text)+len(d.Str) <= maxStreamText {
			s.text = append(s.text, d.Str...)
		}
	case "transcript.text.done":
		s.done = true
		if t := ev.Get("text"); s.content && t.Type == gjson.String && len(t.Str) <= maxStreamText {
			s.text = append(s.text[:0], t.Str...)
		}
		audioUsage(&s.usage, ev.Get("usage"))
		return true
	}
	return false
}

func (s *transcriptionStream) finish(c *genai.Call, _ bool) {
	r := &c.Response
	r.Model = c.Request.Model
	r.Usage = s.usage
	if s.err != nil {
		c.Err = s.err
	}
	if !s.done && len(s.text) == 0 {
		return
	}
	ch := genai.Choice{Role: "assistant", FinishReason: "stop"}
	if !s.done {
		ch.FinishReason = "error"
	}
	if s.content {
		ch.Content, ch.HasContent = string(s.text), true
	}
	r.Choices = append(r.Choices, ch)
	r.FinishReasons = append(r.FinishReasons, ch.FinishReason)
}
