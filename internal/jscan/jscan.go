// Package jscan is a single-pass JSON pull scanner over a string, for the
// hot wire parsers (a chat request, a chat response, a stream chunk).
//
// gjson, which the other parsers use, iterates an object by first finding the
// end of every member's value and then, when a parser descends into a nested
// value, scanning it again; and every member costs a Result and a closure
// call. jscan reads each byte once: the parser pulls keys and values in
// document order and descends where the cursor is. Strings without escapes
// are substrings of the input (no copy); strings with escapes are unescaped
// exactly as gjson unescapes them (one allocation where gjson makes two), so
// that both kinds of parser read the same text.
//
// A Scanner never panics and never loops on malformed input: it stops (every
// Key and Elem returns false from then on) and reports it through Bad. What
// it read before stays valid.
//
// Usage:
//
//	d := jscan.New(body)
//	if d.Obj() {
//		for k, ok := d.Key(); ok; k, ok = d.Key() {
//			switch k {
//			case "model":
//				model = d.Str()
//			} // a value the loop does not read is skipped by the next Key
//		}
//	}
//
// A nested object or array must be read to its end (its Key or Elem loop run
// until it returns false) before the enclosing loop goes on.
package jscan

import (
	"encoding/binary"
	"math/bits"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"

	"github.com/tidwall/gjson"
)

// Kinds of value, as returned by Kind.
const (
	KindNone   byte = 0 // end of input or malformed
	KindString byte = '"'
	KindObject byte = '{'
	KindArray  byte = '['
	KindNumber byte = '0'
	KindTrue   byte = 't'
	KindFalse  byte = 'f'
	KindNull   byte = 'n'
)

// Scanner reads one JSON text. The zero value is an empty input.
type Scanner struct {
	s       string
	i       int
	bad     bool
	pending bool // Key or Elem positioned the cursor at a value not yet read
}

// New returns a scanner at the start of s.
func New(s string) Scanner { return Scanner{s: s} }

// Bad reports whether the input was found malformed.
func (d *Scanner) Bad() bool { return d.bad }

// Offset is the cursor's position in the input, in bytes.
func (d *Scanner) Offset() int { return d.i }

// AtEnd reports whether nothing but whitespace is left after the cursor (and
// the input was not found malformed): after the last member of the top-level
// object has been read, that the text was one complete value.
func (d *Scanner) AtEnd() bool {
	d.ws()
	return !d.bad && d.i >= len(d.s)
}

func (d *Scanner) fail() {
	d.bad = true
	d.i = len(d.s)
}

func (d *Scanner) ws() {
	for d.i < len(d.s) {
		switch d.s[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// Kind returns the kind of the value at the cursor without reading it.
func (d *Scanner) Kind() byte {
	d.ws()
	if d.i >= len(d.s) {
		return KindNone
	}
	switch c := d.s[d.i]; c {
	case '"', '{', '[', 't', 'f', 'n':
		return c
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return KindNumber
	}
	return KindNone
}

// Obj reads the start of the object at the cursor and reports whether it is
// one; any other value is skipped. Members are then read with Key.
func (d *Scanner) Obj() bool {
	d.pending = false
	if d.Kind() != KindObject {
		d.Skip()
		return false
	}
	d.i++
	return true
}

// Key returns the key of the next member of the object being read, with the
// cursor at its value; false at the end of the object (which it reads) or on
// malformed input. A value the caller did not read is skipped first.
func (d *Scanner) Key() (string, bool) {
	if !d.next('}') {
		return "", false
	}
	if d.s[d.i] != '"' {
		d.fail()
		return "", false
	}
	k, ok := d.str()
	if !ok {
		return "", false
	}
	d.ws()
	if d.i >= len(d.s) || d.s[d.i] != ':' {
		d.fail()
		return "", false
	}
	d.i++
	d.pending = true
	return k, true
}

// Arr reads the start of the array at the cursor and reports whether it is
// one; any other value is skipped. Elements are then read with Elem.
func (d *Scanner) Arr() bool {
	d.pending = false
	if d.Kind() != KindArray {
		d.Skip()
		return false
	}
	d.i++
	return true
}

// Elem reports whether the array being read has another element, with the
// cursor at it; false at the end of the array (which it reads) or on
// malformed input. An element the caller did not read is skipped first.
func (d *Scanner) Elem() bool {
	if !d.next(']') {
		return false
	}
	d.pending = true
	return true
}

// next skips a value the caller did not read and the comma after it; it
// reports whether another member or element follows, with the cursor at it.
// It reads the closing byte at the end; malformed input stops the scanner.
func (d *Scanner) next(closing byte) bool {
	if d.pending {
		d.Skip()
	}
	d.ws()
	if d.i < len(d.s) && d.s[d.i] == ',' {
		d.i++
		d.ws()
	}
	if d.i >= len(d.s) {
		d.fail()
		return false
	}
	if d.s[d.i] == closing {
		d.i++
		return false
	}
	return true
}

// Each calls f with the cursor at each value of the value at the cursor, as
// gjson's Result.ForEach visits them: the elements of an array, the values of
// an object's members, or any other value (null included) itself, once.
// Nothing is visited at the end of the input. A value f does not read is
// skipped.
func (d *Scanner) Each(f func()) {
	switch d.Kind() {
	case KindArray:
		d.Arr()
		for d.Elem() {
			f()
		}
	case KindObject:
		d.Obj()
		for _, ok := d.Key(); ok; _, ok = d.Key() {
			f()
		}
	case KindNone:
		if d.i < len(d.s) {
			d.fail()
		}
	default:
		d.pending = true
		f()
		if d.pending {
			d.Skip()
		}
	}
}

// Str reads the value at the cursor and returns it when it is a string
// ("" for any other kind, which is skipped).
func (d *Scanner) Str() string {
	s, _ := d.StrOK()
	return s
}

// StrOK is Str that also reports whether the value was a string.
func (d *Scanner) StrOK() (string, bool) {
	d.pending = false
	if d.Kind() != KindString {
		d.Skip()
		return "", false
	}
	return d.str()
}

// str reads the string at the cursor (d.s[d.i] == '"').
func (d *Scanner) str() (string, bool) {
	start := d.i + 1
	// Short strings (keys, ids, roles) end within the first 32 bytes: they
	// are scanned 8 bytes at a time for a quote or a backslash; longer ones
	// go on with IndexByte, which is faster per byte but costs a call.
	j, esc := start, false
	for end := min(start+32, len(d.s)); j+8 <= end; j += 8 {
		w := binary.LittleEndian.Uint64(unsafe.Slice(unsafe.StringData(d.s[j:]), 8))
		if m := hasByte(w, '"') | hasByte(w, '\\'); m != 0 {
			j += bits.TrailingZeros64(m) / 8
			if d.s[j] == '"' {
				d.i = j + 1
				return d.s[start:j], true
			}
			esc = true
			break // an escape: the general scan below handles it
		}
	}
	for end := min(start+32, len(d.s)); !esc && j < end; j++ {
		switch d.s[j] {
		case '"':
			d.i = j + 1
			return d.s[start:j], true
		case '\\':
			esc = true
		}
	}
	for {
		if j >= len(d.s) {
			d.fail()
			return "", false
		}
		k := strings.IndexByte(d.s[j:], '"')
		if k < 0 {
			d.fail()
			return "", false
		}
		if !esc && strings.IndexByte(d.s[j:j+k], '\\') >= 0 {
			esc = true
		}
		j += k
		// The quote is escaped when an odd number of backslashes precede it.
		n := 0
		for p := j - 1; p >= start && d.s[p] == '\\'; p-- {
			n++
		}
		if n%2 == 0 {
			break
		}
		j++
	}
	d.i = j + 1
	if !esc {
		return d.s[start:j], true
	}
	return unescape(d.s[start:j]), true
}

// unescape decodes the escapes of a JSON string's contents exactly as
// gjson's does (what gjson.Parse gives as Str): a control character or an
// unknown or truncated escape ends the string there; \u escapes that are not
// hexadecimal give U+0000; a surrogate followed by another \u escape is
// decoded as a pair (U+FFFD if they do not make one), a lone one is U+FFFD.
func unescape(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c < ' ':
			return unsafe.String(unsafe.SliceData(b), len(b))
		case c != '\\':
			b = append(b, c)
			continue
		}
		i++
		if i >= len(s) {
			break
		}
		switch s[i] {
		case '\\', '/', '"':
			b = append(b, s[i])
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			if i+5 > len(s) {
				return unsafe.String(unsafe.SliceData(b), len(b))
			}
			r := hex4(s[i+1:])
			i += 5
			if utf16.IsSurrogate(r) && len(s[i:]) >= 6 && s[i] == '\\' && s[i+1] == 'u' {
				r = utf16.DecodeRune(r, hex4(s[i+2:]))
				i += 6
			}
			b = utf8.AppendRune(b, r)
			i--
		default:
			return unsafe.String(unsafe.SliceData(b), len(b))
		}
	}
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// hex4 reads 4 hexadecimal digits as a rune; 0 if they are not all hex.
func hex4(s string) rune {
	var r rune
	for i := 0; i < 4; i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0
		}
		r = r<<4 | rune(c)
	}
	return r
}

// hasByte returns a word whose lowest set bit (if any) is the high bit of
// the first byte of w equal to c (higher bits may be false positives).
func hasByte(w uint64, c byte) uint64 {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	v := w ^ (lo * uint64(c))
	return (v - lo) &^ v & hi
}

// Raw reads the value at the cursor and returns its JSON text.
func (d *Scanner) Raw() string {
	d.pending = false
	d.ws()
	start := d.i
	d.Skip()
	return d.s[start:d.i]
}

// Num reads the value at the cursor and returns it as a gjson number result
// (whose Float and Int behave as gjson's); ok is false for any other kind.
func (d *Scanner) Num() (gjson.Result, bool) {
	d.pending = false
	if d.Kind() != KindNumber {
		d.Skip()
		return gjson.Result{}, false
	}
	start := d.i
	for d.i < len(d.s) && isNumByte(d.s[d.i]) {
		d.i++
	}
	raw := d.s[start:d.i]
	if i, ok := smallInt(raw); ok {
		// Exact: float64 rounds an int64 as ParseFloat rounds its text.
		return gjson.Result{Type: gjson.Number, Raw: raw, Num: float64(i)}, true
	}
	f, _ := strconv.ParseFloat(raw, 64)
	return gjson.Result{Type: gjson.Number, Raw: raw, Num: f}, true
}

// smallInt parses an integer of at most 18 digits (indexes, token counts)
// without strconv; ok is false for anything else.
func smallInt(raw string) (int64, bool) {
	neg := len(raw) > 0 && raw[0] == '-'
	digits := raw
	if neg {
		digits = raw[1:]
	}
	if len(digits) == 0 || len(digits) > 18 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(digits); i++ {
		c := digits[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

func isNumByte(c byte) bool {
	return c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E'
}

// Int reads the value at the cursor as gjson's Result.Int would: a number
// (truncated), a numeric string, true as 1, anything else 0.
func (d *Scanner) Int() int64 {
	if d.Kind() == KindNumber {
		n, _ := d.Num()
		return n.Int()
	}
	return gjson.Parse(d.Raw()).Int()
}

// Bool reads the value at the cursor: true for the literal true.
func (d *Scanner) Bool() bool {
	d.pending = false
	isTrue := d.Kind() == KindTrue
	d.Skip()
	return isTrue
}

// Skip reads the value at the cursor without looking at it.
func (d *Scanner) Skip() {
	d.pending = false
	switch d.Kind() {
	case KindString:
		d.str()
	case KindObject, KindArray:
		d.skipContainer()
	case KindNumber:
		for d.i < len(d.s) && isNumByte(d.s[d.i]) {
			d.i++
		}
	case KindTrue, KindNull:
		d.literal(4)
	case KindFalse:
		d.literal(5)
	default:
		d.fail()
	}
}

func (d *Scanner) literal(n int) {
	if d.i+n > len(d.s) {
		d.fail()
		return
	}
	d.i += n
}

// skipContainer skips the object or array at the cursor, strings included.
func (d *Scanner) skipContainer() {
	depth := 0
	for d.i < len(d.s) {
		switch d.s[d.i] {
		case '"':
			if _, ok := d.str(); !ok {
				return
			}
			continue
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				d.i++
				return
			}
		}
		d.i++
	}
	d.fail()
}
