package instr

import (
	"slices"
	"strings"

	"github.com/tracekit-go/tracekit/internal/genai"
	"github.com/tracekit-go/tracekit/internal/jscan"
	"github.com/tracekit-go/tracekit/redact"
)

// ScrubError returns an error message fit for a span's status: an AWS
// signature-mismatch message loses the canonical request and string-to-sign
// it quotes (signed header values, the session token among them), and the
// value after any credential marker (a session token, an Authorization
// header, a SigV4 Credential= or Signature=, a presigned URL's
// X-Amz-Signature= or a SAS URL's sig=, a bearer token, an api-key header) is
// replaced by "[REDACTED]". Messages without any are returned as
// they are, without a copy.
func ScrubError(msg string) string {
	lower := asciiLower(msg) // same byte offsets as msg
	for _, cut := range []string{"the canonical string for this request", "the string-to-sign should have been", "string-to-sign"} {
		if i := strings.Index(lower, cut); i >= 0 {
			msg, lower = strings.TrimSpace(msg[:i]), lower[:i]
		}
	}
	for _, marker := range credentialMarkers {
		from := 0
		for {
			i := strings.Index(lower[from:], marker)
			if i < 0 {
				break
			}
			v := from + i + len(marker)
			for v < len(msg) && msg[v] == ' ' {
				v++
			}
			// A value ends at white space; an Authorization value (a
			// scheme and its credentials) at the end of its line or list
			// item.
			stops := " \t\r\n,;'\""
			if strings.HasPrefix(marker, "authorization") {
				stops = "\r\n,;'\""
			}
			end := v
			for end < len(msg) && !strings.ContainsRune(stops, rune(msg[end])) {
				end++
			}
			if end == v {
				from = v
				continue
			}
			msg = msg[:v] + "[REDACTED]" + msg[end:]
			lower = lower[:v] + "[redacted]" + lower[end:]
			from = v + len("[REDACTED]")
		}
	}
	return keyScanner.Redact(msg)
}

// credentialMarkers precede a secret value in error messages (lower case).
var credentialMarkers = []string{
	"x-amz-security-token:", "x-amz-security-token=",
	"authorization:", "authorization=",
	"credential=", "signature=",
	// signed and keyed URLs quoted in a message (as internal/safeurl
	// redacts them in span attributes); query forms only, so that
	// max_tokens= or a key= in prose stay readable
	"?sig=", "&sig=", "?token=", "&token=", "?access_token=", "&access_token=",
	"?key=", "&key=", "?api_key=", "&api_key=", "?apikey=", "&apikey=",
	"security-token=", "ossaccesskeyid=", "q-signature=", "__token__=",
	"bearer ",
	"api-key:", "api-key=", "x-api-key:",
}

// asciiLower lower-cases ASCII letters only, so that byte offsets in the
// result are those of s (strings.ToLower may change the length of other
// characters).
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if c := b[j]; c >= 'A' && c <= 'Z' {
					b[j] = c + 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// Withhold returns msg with every occurrence of the values (the request's
// credentials; its content when content is not captured) replaced by
// "[REDACTED]": an API's error message may quote the key it was sent or the
// prompt it rejected. Values shorter than four bytes are left alone (they
// would match ordinary words); longer values are replaced first.
func Withhold(msg string, values []string) string {
	if msg == "" || len(values) == 0 {
		return msg
	}
	sorted := make([]string, 0, len(values))
	for _, v := range values {
		if len(v) >= 4 && strings.Contains(msg, v) {
			sorted = append(sorted, v)
		}
	}
	if len(sorted) == 0 {
		return msg
	}
	slices.SortFunc(sorted, func(a, b string) int { return len(b) - len(a) })
	for _, v := range sorted {
		msg = strings.ReplaceAll(msg, v, "[REDACTED]")
	}
	return msg
}

// ContentStrings appends to dst the content c's request holds: message
// text, tool-call arguments, the documents given (a reranking's), and each
// line of a multi-line text.
func ContentStrings(dst []string, c *genai.Call) []string {
	for i := range c.Request.Messages {
		m := &c.Request.Messages[i]
		dst = AppendContent(dst, m.Content)
		for j := range m.ToolCalls {
			dst = AppendContent(dst, m.ToolCalls[j].Arguments)
		}
		// A multimodal message's parts: each text part apart (an error may
		// quote one), and the URLs, file ids and inline data it refers to
		// (a rejected image URL is quoted with its signature).
		for j := range m.Parts {
			p := &m.Parts[j]
			for _, s := range [...]string{p.Text, p.URI, p.FileID, p.Data} {
				if s != "" {
					dst = AppendContent(dst, s)
				}
			}
		}
	}
	for i := range c.Request.Documents {
		dst = AppendContent(dst, c.Request.Documents[i].Content)
	}
	return dst
}

// AppendJSONTexts appends to dst, as AppendContent does, every string
// member named "text" or "refusal" in the JSON request body: the text and
// refusal parts of a message (OpenAI's chat and Responses, Claude's,
// Nova's...), which the record holds joined, while an error message may
// quote one of them. One pass over the body.
func AppendJSONTexts(dst []string, body string) []string {
	d := jscan.New(body)
	var walk func(depth int)
	walk = func(depth int) {
		switch d.Kind() {
		case jscan.KindObject:
			if depth > 64 {
				d.Skip()
				return
			}
			d.Obj()
			for k, ok := d.Key(); ok; k, ok = d.Key() {
				if (k == "text" || k == "refusal") && d.Kind() == jscan.KindString {
					dst = AppendContent(dst, d.Str())
				} else {
					walk(depth + 1)
				}
			}
		case jscan.KindArray:
			if depth > 64 {
				d.Skip()
				return
			}
			d.Arr()
			for d.Elem() {
				walk(depth + 1)
			}
		default:
			d.Skip()
		}
	}
	walk(0)
	return dst
}

// AppendContent appends s to dst, and each line of s when it has several:
// what Withhold looks for when an error message may quote s.
func AppendContent(dst []string, s string) []string {
	dst = append(dst, s)
	if strings.Contains(s, "\n") {
		for line := range strings.Lines(s) {
			dst = append(dst, strings.TrimSpace(line))
		}
	}
	return dst
}

// keyScanner finds API keys and AWS access key ids in error messages.
var keyScanner = redact.New(redact.Only(redact.OpenAIKey, redact.AWSKey))
