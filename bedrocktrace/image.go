package bedrocktrace

// InvokeModel with an image model: Amazon Titan Image Generator, Amazon Nova
// Canvas, Stability AI (Stable Diffusion 3.5, Stable Image Ultra and Core,
// the Stable Image editing services, SDXL). Request and response bodies ->
// a generate_content record: the prompt (with its input images) is the user
// message, each generated image a choice whose Media holds it.
//
// Image bodies are large (a generated image is a megabyte or more of
// base64): they are read in place, never copied whole; what the record keeps
// of them is cloned, and an image's data only when a span may record it
// (within semconv.MaxInlineData).

import (
	"strings"

	"github.com/tidwall/gjson"

	"github.com/tracekit-go/tracekit/internal/genai"
	"github.com/tracekit-go/tracekit/internal/instr"
	"github.com/tracekit-go/tracekit/semconv"
)

// maxImages bounds the images (given or generated) a record keeps.
const maxImages = 16

// isImageInput reports whether a member of a Titan Image Generator or Nova
// Canvas task's parameters, or of a Stability body, holds an input image
// (base64).
func isImageInput(k string) bool {
	switch k {
	case "image", "conditionImage", "referenceImage", "maskImage", "sourceImage", "init_image", "mask", "mask_image", "style_image":
		return true
	}
	return false
}

// isPromptText reports whether a member of an image model's body (or of
// its task parameters, at any depth) holds prompt text: the prompt, the
// negative prompt, a mask or search prompt.
func isPromptText(k string) bool {
	switch k {
	case "text", "negativeText", "maskPrompt", "prompt", "negative_prompt", "search_prompt", "select_prompt":
		return true
	}
	return false
}

// appendImageBodyContent appends what an error message may quote of an
// image model's request: every prompt text (negative, mask and search
// prompts too, and each SDXL text prompt), at any depth.
func appendImageBodyContent(dst []string, js string) []string {
	var walk func(o gjson.Result)
	walk = func(o gjson.Result) {
		o.ForEach(func(k, v gjson.Result) bool {
			switch {
			case v.Type == gjson.String && isPromptText(k.Str):
				dst = instr.AppendContent(dst, v.Str)
			case k.Str == "text_prompts":
				eachArrayElem(v, func(p gjson.Result) {
					if t := p.Get("text"); t.Type == gjson.String {
						dst = instr.AppendContent(dst, t.Str)
					}
				})
			case v.IsObject():
				walk(v)
			}
			return true
		})
	}
	walk(gjson.Parse(js))
	return dst
}

// imageRequest reads an image model's request body (js may alias the
// caller's buffer: every string kept is cloned), each member once (an input
// image may be megabytes): the prompt text (Titan and Nova: the task
// parameters' text; Stability: prompt; SDXL: the text prompts of positive
// weight) and, with capture on, the input images as parts; the seed and
// the number of images asked for.
func imageRequest(c *genai.Call, js string, capture bool) {
	r := &c.Request
	r.OutputType = "image"
	var text []string
	var images []genai.Part
	addImage := func(v gjson.Result) {
		if capture && v.Type == gjson.String && v.Str != "" && len(images) < maxImages {
			images = append(images, imagePart(v.Str))
		}
	}
	// members reads the members of the body or of a task's parameters.
	var members func(o gjson.Result, top bool)
	members = func(o gjson.Result, top bool) {
		o.ForEach(func(k, v gjson.Result) bool {
			switch {
			case isImageInput(k.Str):
				addImage(v)
			case k.Str == "images":
				eachArrayElem(v, addImage)
			case k.Str == "text" && !top, k.Str == "prompt" && top: // Titan, Nova Canvas; Stability
				if v.Type == gjson.String {
					text = append(text, v.Str)
				}
			case !top:
				if v.IsObject() { // (virtual try-on's imageBasedMask, ...)
					members(v, false)
				}
			case k.Str == "imageGenerationConfig":
				setInt(&r.Seed, v.Get("seed"))
				setInt(&r.ChoiceCount, v.Get("numberOfImages"))
			case strings.HasSuffix(k.Str, "Params") && v.IsObject(): // Titan, Nova Canvas
				members(v, false)
			case k.Str == "text_prompts": // SDXL
				eachArrayElem(v, func(p gjson.Result) {
					if t := p.Get("text"); t.Type == gjson.String && p.Get("weight").Float() >= 0 {
						text = append(text, t.Str)
					}
				})
			case k.Str == "seed":
				setInt(&r.Seed, v)
			case k.Str == "samples":
				setInt(&r.ChoiceCount, v)
			}
			return true
		})
	}
	members(gjson.Parse(js), true)
	if len(text) == 0 && len(images) == 0 {
		return
	}
	m := genai.Message{Role: "user"}
	if capture {
		if len(text) > 0 {
			m.Content, m.HasContent = strings.Clone(strings.Join(text, "\n")), true // (SDXL's prompts, one per line)
		}
		if len(images) > 0 {
			if m.HasContent {
				m.Parts = append(m.Parts, genai.Part{Kind: genai.PartText, Text: m.Content})
			}
			m.Parts = append(m.Parts, images...)
		}
	}
	r.Messages = append(r.Messages, m)
}

// imagePart is an image given or generated, in base64: its data kept (a
// clone) only when a span may record it, its media type told by its first
// bytes.
func imagePart(b64 string) genai.Part {
	p := genai.Part{Kind: genai.PartBlob, Modality: genai.ModalityImage, MimeType: imageMime(b64)}
	if len(b64) <= semconv.MaxInlineData {
		p.Data = strings.Clone(b64)
	} else {
		p.Unkept = true
	}
	return p
}

// imageMime returns the media type of a base64 image from its signature
// ("" when unknown).
func imageMime(b64 string) string {
	switch {
	case strings.HasPrefix(b64, "iVBORw0KGgo"):
		return "image/png"
	case strings.HasPrefix(b64, "/9j/"):
		return "image/jpeg"
	case strings.HasPrefix(b64, "UklGR"):
		return "image/webp"
	case strings.HasPrefix(b64, "R0lGOD"):
		return "image/gif"
	}
	return ""
}

// imageResponse reads an image model's answer (js may alias the caller's
// buffer): one choice per generated image (the first maxImages), with the
// image as Media when content is captured. Finish reasons: Stability's
// (null: stop; a filter reason: content_filter), SDXL's (SUCCESS: stop,
// CONTENT_FILTERED: content_filter, ERROR: error); Titan's and Nova
// Canvas's images stop.
func imageResponse(c *genai.Call, js string, capture bool) {
	var images, reasons, arts gjson.Result
	gjson.Parse(js).ForEach(func(k, v gjson.Result) bool { // (one pass over the images)
		switch k.Str {
		case "images":
			images = v
		case "finish_reasons":
			reasons = v
		case "artifacts":
			arts = v
		}
		return true
	})
	if arts.IsArray() { // SDXL
		eachArrayElem(arts, func(a gjson.Result) {
			finish := "stop"
			switch a.Get("finishReason").Str {
			case "CONTENT_FILTERED":
				finish = "content_filter"
			case "ERROR":
				finish = "error"
			}
			imageChoice(c, a.Get("base64"), finish, capture)
		})
		return
	}
	var why []gjson.Result
	if reasons.IsArray() {
		why = reasons.Array()
	}
	i := 0
	eachArrayElem(images, func(img gjson.Result) {
		finish := "stop"
		if i < len(why) && why[i].Type == gjson.String && why[i].Str != "" {
			finish = "content_filter" // "Filter reason: prompt", ...
		}
		imageChoice(c, img, finish, capture)
		i++
	})
}

// imageChoice records one generated image.
func imageChoice(c *genai.Call, img gjson.Result, finish string, capture bool) {
	r := &c.Response
	if len(r.Choices) >= maxImages {
		return
	}
	ch := genai.Choice{Role: "assistant", FinishReason: finish}
	if capture && img.Type == gjson.String && img.Str != "" {
		ch.Media = []genai.Part{imagePart(img.Str)}
	}
	r.Choices = append(r.Choices, ch)
	r.FinishReasons = append(r.FinishReasons, finish)
}
