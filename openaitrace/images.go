package openaitrace

import (
	"strings"

	"github.com/tidwall/gjson"

	"github.com/tracekit-go/tracekit/internal/genai"
	"github.com/tracekit-go/tracekit/semconv"
)

// This file translates POST /images/generations (plain and streamed) into
// the neutral record: an image generation (generate_content), the prompt as
// the user message, each image a choice whose Media holds it (capture on).
// POST /images/edits (a multipart form) likewise, and POST
// /images/variations (DALL·E 2's: a form with an image and no prompt) as an
// edit.

var imagesEndpoint = &endpoint{
	operation:     genai.OpGenerateContent,
	api:           "images.generations",
	parseRequest:  parseImagesRequest,
	parseResponse: checked(parseImagesResponse),
	newStream:     newImagesStream,
}

var imageEditsEndpoint = &endpoint{
	operation:     genai.OpGenerateContent,
	api:           "images.edits",
	parseRequest:  parseImageEditRequest,
	parseResponse: checked(parseImagesResponse),
	newStream:     newImagesStream,
}

var imageVariationsEndpoint = &endpoint{
	operation:     genai.OpGenerateContent,
	api:           "images.variations",
	parseRequest:  parseImageEditRequest, // (an edit's form without its prompt and mask)
	parseResponse: checked(parseImagesResponse),
	newStream:     newNoStream, // (variations do not stream)
}

// maxImages bounds the generated images a record keeps (the API makes at
// most 10 per call).
const maxImages = 16

// parseImagesRequest fills c.Request from a POST /images/generations body:
// the model (none when the request names none: the API's default has
// changed over time, and an Azure deployment's is its own), the prompt (its
// text only when content is true), the number of images, the end user
// (user, else safety_identifier), the output format (for the images' media
// type) and whether it streams.
func parseImagesRequest(body string, c *genai.Call, content bool) {
	r := &c.Request
	r.OutputType = "image"
	var safety string
	gjson.Parse(body).ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "model":
			r.Model = v.Str
		case "prompt":
			m := genai.Message{Role: "user"}
			if content && v.Type == gjson.String {
				m.Content, m.HasContent = v.Str, true
			}
			r.Messages = append(r.Messages, m)
		case "n":
			r.ChoiceCount = optInt(v)
		case "user":
			r.User = v.Str
		case "safety_identifier":
			safety = v.Str
		case "output_format":
			if v.Type == gjson.String {
				r.OutputImageFormat = v.Str
			}
		case "stream":
			c.Streaming = v.Bool()
		}
		return true
	})
	if r.User == "" {
		r.User = safety
	}
}

// parseImageEditRequest fills c.Request from the multipart form of a POST
// /images/edits or /images/variations: as parseImagesRequest, and with
// capture on the images to edit (or to vary) and the mask as parts of the
// user message (their data not kept). A variation has no prompt: its
// message has only its image.
func parseImageEditRequest(body string, c *genai.Call, content bool) {
	r := &c.Request
	r.OutputType = "image"
	var prompt string
	var hasPrompt bool
	var images []genai.Part
	var safety string
	eachFormPart(body, func(name string, file *genai.Part, value string) {
		if file != nil {
			if file.Modality == "" || file.Modality == genai.ModalityDocument {
				file.Modality = genai.ModalityImage // (an image whose type its name does not tell)
			}
			if len(images) < maxImages {
				images = append(images, *file)
			}
			return
		}
		switch name {
		case "model":
			r.Model = value
		case "prompt":
			prompt, hasPrompt = value, true
		case "n":
			r.ChoiceCount = optInt(gjson.Parse(value))
		case "user":
			r.User = value
		case "safety_identifier":
			safety = value
		case "output_format":
			r.OutputImageFormat = value
		case "stream":
			c.Streaming = value == "true"
		}
	})
	if r.User == "" {
		r.User = safety
	}
	m := genai.Message{Role: "user"}
	if content {
		if hasPrompt {
			m.Content, m.HasContent = prompt, true
			m.Parts = append(m.Parts, genai.Part{Kind: genai.PartText, Text: prompt})
		}
		m.Parts = append(m.Parts, images...)
		if len(images) == 0 {
			m.Parts = nil
		}
	}
	r.Messages = append(r.Messages, m)
}

// imageMime returns the media type of an image in the format a request
// asked for (gpt-image: png, jpeg, webp; png when it named none, as DALL·E's
// images are).
func imageMime(format string) string {
	switch strings.ToLower(format) {
	case "", "png":
		return "image/png"
	case "jpeg", "jpg":
		return "image/jpeg"
	case "webp":
		return "image/webp"
	case "gif":
		return "image/gif"
	case "svg":
		return "image/svg+xml"
	}
	return ""
}

// imageMedia is a generated image as a part: its data (base64) kept only
// within semconv.MaxInlineData (a span records no more), or its URL.
func imageMedia(b64, url, mime string) genai.Part {
	p := genai.Part{Kind: genai.PartBlob, Modality: genai.ModalityImage, MimeType: mime}
	switch {
	case b64 != "" && len(b64) <= semconv.MaxInlineData:
		p.Data = b64
	case b64 != "":
		p.Unkept = true
	default:
		p.Kind, p.URI = genai.PartURI, url
	}
	return p
}

// parseImagesResponse fills c.Response from an images response: the usage
// (GPT Image models report tokens) and one choice per image (finish reason
// stop) with, when content is true, the image (its base64 data within the
// inline bound, or its URL).
func parseImagesResponse(body string, c *genai.Call, content bool) {
	r := &c.Response
	r.Model = c.Request.Model // (the response names none)
	mime := imageMime(c.Request.OutputImageFormat)
	gjson.Parse(body).ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "usage":
			imageUsage(&r.Usage, v)
		case "output_format":
			if f := imageMime(v.Str); v.Type == gjson.String && f != "" {
				mime = f
			}
		case "data":
			eachElem(v, func(d gjson.Result) bool {
				if len(r.Choices) >= maxImages {
					return false
				}
				ch := genai.Choice{Role: "assistant", FinishReason: "stop"}
				if content {
					b64, url := d.Get("b64_json"), d.Get("url")
					if b64.Type == gjson.String || url.Type == gjson.String {
						ch.Media = []genai.Part{imageMedia(b64.Str, url.Str, mime)}
					}
				}
				r.Choices = append(r.Choices, ch)
				r.FinishReasons = append(r.FinishReasons, "stop")
				return true
			})
		}
		return true
	})
	if mime != imageMime(c.Request.OutputImageFormat) { // (output_format came after data)
		for i := range r.Choices {
			for j := range r.Choices[i].Media {
				r.Choices[i].Media[j].MimeType = mime
			}
		}
	}
}

// imageUsage reads an images usage object: input and output tokens.
func imageUsage(u *genai.Usage, v gjson.Result) {
	u.InputTokens = optInt(v.Get("input_tokens"))
	u.OutputTokens = optInt(v.Get("output_tokens"))
}

// imagesStream rebuilds a streamed image generation: partial images are
// skipped; each completed event (one per image) gives an image and its
// usage, which add up. The stream ends at its end (or [DONE], or an error).
type imagesStream struct {
	content bool
	images  []streamImage
	usage   genai.Usage
	err     *genai.Error
}

// streamImage is a completed image of a stream.
type streamImage struct {
	b64    string // its data, within the inline bound (cloned)
	unkept bool
	format string
}

func newImagesStream(content bool) streamAccumulator { return &imagesStream{content: content} }

func (s *imagesStream) consume(_, data []byte) bool {
	ev, stop, err := mediaEvent(data) // (the stream's buffer: what is kept is cloned)
	if stop {
		s.err = err
		return true
	}
	switch ev.Get("type").Str {
	case "image_generation.completed", "image_edit.completed":
	default:
		return false
	}
	var u genai.Usage
	imageUsage(&u, ev.Get("usage"))
	addInt(&s.usage.InputTokens, u.InputTokens)
	addInt(&s.usage.OutputTokens, u.OutputTokens)
	if len(s.images) == maxImages {
		return false
	}
	var img streamImage
	if f := ev.Get("output_format"); f.Type == gjson.String {
		img.format = strings.Clone(f.Str)
	}
	if s.content {
		if b := ev.Get("b64_json"); b.Type == gjson.String && b.Str != "" {
			if len(b.Str) <= semconv.MaxInlineData {
				img.b64 = strings.Clone(b.Str)
			} else {
				img.unkept = true
			}
		}
	}
	s.images = append(s.images, img)
	return false
}

// addInt adds n to *dst when n is set.
func addInt(dst *genai.Int, n genai.Int) {
	if n.Set {
		*dst = genai.SetInt(dst.V + n.V)
	}
}

func (s *imagesStream) finish(c *genai.Call, _ bool) {
	r := &c.Response
	r.Model = c.Request.Model
	r.Usage = s.usage
	if s.err != nil {
		c.Err = s.err
		return
	}
	for _, img := range s.images {
		ch := genai.Choice{Role: "assistant", FinishReason: "stop"}
		if img.b64 != "" || img.unkept {
			format := img.format
			if format == "" {
				format = c.Request.OutputImageFormat
			}
			ch.Media = []genai.Part{{Kind: genai.PartBlob, Modality: genai.ModalityImage, MimeType: imageMime(format), Data: img.b64, Unkept: img.unkept}}
		}
		r.Choices = append(r.Choices, ch)
		r.FinishReasons = append(r.FinishReasons, "stop")
	}
}
