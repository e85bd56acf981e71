package semconv

import (
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Small append-style JSON writers for the JSON-valued attributes. They build
// the value in one buffer, without reflection.

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string. Invalid UTF-8 becomes U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendJSONValue appends raw when it is a valid JSON text (compacted as
// sent), else raw as a JSON string.
func appendJSONValue(b []byte, raw string) []byte {
	if raw != "" && json.Valid([]byte(raw)) {
		return append(b, raw...)
	}
	return appendJSONString(b, raw)
}

// appendJSONObjectValue appends raw when it is a JSON object, else raw as a
// JSON string (the conventions expect tool arguments to be objects).
func appendJSONObjectValue(b []byte, raw string) []byte {
	for i := 0; i < len(raw); i++ {
		switch raw[i] {
		case ' ', '\t', '\n', '\r':
			continue
		case '{':
			if json.Valid([]byte(raw)) {
				return append(b, raw...)
			}
		}
		break
	}
	return appendJSONString(b, raw)
}

// objectMembers returns the members of the JSON object raw, as sent and
// without its braces ("" for an empty object); ok is false when raw is no
// JSON object.
func objectMembers(raw string) (members string, ok bool) {
	s := strings.TrimSpace(raw)
	if len(s) < 2 || s[0] != '{' || !json.Valid([]byte(s)) {
		return "", false
	}
	return strings.TrimSpace(s[1 : len(s)-1]), true
}

// jsonObject writes the members of one JSON object.
type jsonObject struct {
	b     []byte
	first bool
}

func (o *jsonObject) open(b []byte) { o.b, o.first = append(b, '{'), true }

func (o *jsonObject) key(k string) {
	if !o.first {
		o.b = append(o.b, ',')
	}
	o.first = false
	o.b = appendJSONString(o.b, k)
	o.b = append(o.b, ':')
}

func (o *jsonObject) str(k, v string) {
	o.key(k)
	o.b = appendJSONString(o.b, v)
}

func (o *jsonObject) float(k string, v float64) {
	o.key(k)
	o.b = strconv.AppendFloat(o.b, v, 'g', -1, 64)
}

func (o *jsonObject) int(k string, v int64) {
	o.key(k)
	o.b = strconv.AppendInt(o.b, v, 10)
}

func (o *jsonObject) close() []byte { return append(o.b, '}') }

// hasMember reports whether the JSON object raw has a top-level member key.
func hasMember(raw, key string) bool {
	var m map[string]json.RawMessage
	if json.Unmarshal([]byte(raw), &m) != nil {
		return false
	}
	_, ok := m[key]
	return ok
}
