package redact

import (
	"strings"
	"unsafe"
)

// Character classes, one bit each.
const (
	cDigit = 1 << iota
	cUpper
	cLower
	cLocal // may appear in the local part of an e-mail address
	cDomain
	cB64URL // base64url alphabet
	cKey    // OpenAI key body
	cToken  // bearer token body (RFC 6750 b64token, without '=')
)

var class [256]uint8

func init() {
	for c := 0; c < 256; c++ {
		var k uint8
		switch {
		case c >= '0' && c <= '9':
			k |= cDigit | cLocal | cDomain | cB64URL | cKey | cToken
		case c >= 'A' && c <= 'Z':
			k |= cUpper | cLocal | cDomain | cB64URL | cKey | cToken
		case c >= 'a' && c <= 'z':
			k |= cLower | cLocal | cDomain | cB64URL | cKey | cToken
		}
		switch c {
		case '.':
			k |= cLocal | cDomain | cToken
		case '-':
			k |= cLocal | cDomain | cB64URL | cKey | cToken
		case '_':
			k |= cLocal | cB64URL | cKey | cToken
		case '%', '+':
			k |= cLocal
		case '~', '/':
			k |= cToken
		}
		if c == '+' {
			k |= cToken
		}
		class[c] = k
	}
}

func is(c byte, k uint8) bool { return class[c]&k != 0 }

func isAlnum(c byte) bool { return class[c]&(cDigit|cUpper|cLower) != 0 }

// builtins runs the built-in detectors over s in one left-to-right pass. A
// detector is tried only where a match may start (a word boundary and a
// plausible first character), and every detector looks at a bounded window,
// so the pass is linear in len(s).
func (sc *Scanner) builtins(s string) string {
	nextAt := -1 // index of the next '@' at or after i, when e-mail is on
	if sc.kinds&Email != 0 {
		nextAt = indexByte(s, '@')
	}
	var out []byte
	last := 0
	for i := 0; i < len(s); {
		// Skip what cannot start a match. E-mail starts are only looked for
		// within 64 bytes (the longest local part) before an '@'.
		tab, lim := &startNoEmail, len(s)
		if nextAt >= 0 && nextAt < i {
			if k := indexByte(s[i:], '@'); k >= 0 {
				nextAt = i + k
			} else {
				nextAt = -1
			}
		}
		email := nextAt >= 0 && nextAt-i <= 64
		if email {
			tab = &startEmail
		} else if nextAt >= 0 {
			lim = nextAt - 64
		}
		for i < lim && !tab[s[i]] {
			i++
		}
		if i >= len(s) {
			break
		}
		if !tab[s[i]] {
			continue // reached the e-mail window: look again with e-mail on
		}
		c := s[i]
		var prev byte = ' '
		if i > 0 {
			prev = s[i-1]
		}
		from, to := -1, -1
		if email && !is(prev, cLocal) && is(c, cLocal) && c != '.' {
			if e := scanEmail(s, i); e > 0 {
				from, to = i, e
			}
		}
		if from < 0 && !isAlnum(prev) && prev != '_' {
			from, to = sc.at(s, i, c, prev)
		}
		if from < 0 {
			i++
			continue
		}
		if out == nil {
			out = make([]byte, 0, len(s)+len(sc.repl))
		}
		out = append(out, s[last:from]...)
		out = append(out, sc.repl...)
		last, i = to, to
	}
	if out == nil {
		return s
	}
	out = append(out, s[last:]...)
	return unsafe.String(unsafe.SliceData(out), len(out))
}

// startNoEmail and startEmail mark the bytes that may start a match, without
// and with e-mail detection.
var startNoEmail, startEmail [256]bool

func init() {
	for c := 0; c < 256; c++ {
		b := byte(c)
		startNoEmail[c] = is(b, cDigit|cUpper) || b == '+' || b == '(' || b == 'e' || b == 's' || b == 'b'
		startEmail[c] = startNoEmail[c] || is(b, cLocal)
	}
}

// at tries the detectors (other than e-mail) that may start at s[i], a word
// boundary. It returns the range to replace, or -1, -1.
func (sc *Scanner) at(s string, i int, c, prev byte) (int, int) {
	k := sc.kinds
	switch {
	case c >= '0' && c <= '9':
		if k&Card != 0 {
			if e := scanCard(s, i); e > 0 {
				return i, e
			}
		}
		if k&SSN != 0 {
			if e := scanSSN(s, i); e > 0 {
				return i, e
			}
		}
		if k&Phone != 0 {
			if e := scanNANP(s, i); e > 0 {
				return i, e
			}
		}
	case c == '+':
		if k&Phone != 0 && prev != '+' {
			if e := scanIntlPhone(s, i); e > 0 {
				return i, e
			}
		}
	case c == '(':
		if k&Phone != 0 {
			if e := scanNANP(s, i); e > 0 {
				return i, e
			}
		}
	case c == 'e':
		if k&JWT != 0 && prev != '-' {
			if e := scanJWT(s, i); e > 0 {
				return i, e
			}
		}
	case c == 's':
		if k&OpenAIKey != 0 && prev != '-' {
			if e := scanOpenAIKey(s, i); e > 0 {
				return i, e
			}
		}
	case c == 'b' || c == 'B':
		if k&Bearer != 0 {
			if from, to := scanBearer(s, i); to > 0 {
				return from, to
			}
		}
	}
	if c >= 'A' && c <= 'Z' {
		if k&AWSKey != 0 && c == 'A' {
			if e := scanAWSKey(s, i); e > 0 {
				return i, e
			}
		}
		if k&IBAN != 0 {
			if e := scanIBAN(s, i); e > 0 {
				return i, e
			}
		}
	}
	return -1, -1
}

func indexByte(s string, b byte) int { return strings.IndexByte(s, b) }

// endsWord reports whether position e of s is not inside a word.
func endsWord(s string, e int) bool { return e >= len(s) || !isAlnum(s[e]) }

// scanEmail matches local@domain.tld at i and returns its end, or 0.
func scanEmail(s string, i int) int {
	j := i
	for j < len(s) && j-i <= 64 && is(s[j], cLocal) {
		j++
	}
	if j == i || j-i > 64 || j >= len(s) || s[j] != '@' || s[j-1] == '.' {
		return 0
	}
	d := j + 1
	e := d
	for e < len(s) && e-d <= 255 && is(s[e], cDomain) {
		e++
	}
	// Trim a trailing dot or dash (end of sentence).
	for e > d && (s[e-1] == '.' || s[e-1] == '-') {
		e--
	}
	// Labels are non-empty, there is at least one dot, the TLD is 2+ letters.
	dot := -1
	for k := d; k < e; k++ {
		if s[k] == '.' {
			if k == d || s[k-1] == '.' {
				return 0
			}
			dot = k
		}
	}
	if dot < 0 || e-dot-1 < 2 {
		return 0
	}
	for k := dot + 1; k < e; k++ {
		if !is(s[k], cUpper|cLower) {
			return 0
		}
	}
	return e
}

// scanCard matches 13 to 19 digits (single space or dash separators between
// digits allowed) passing the Luhn check; the longest such prefix ending at a
// group boundary wins.
func scanCard(s string, i int) int {
	var digits [19]byte
	n, best := 0, 0
	j := i
	for j < len(s) {
		c := s[j]
		if c >= '0' && c <= '9' {
			if n == len(digits) {
				if best > 0 {
					break
				}
				return 0
			}
			digits[n] = c - '0'
			n++
			j++
			continue
		}
		if (c == ' ' || c == '-') && j+1 < len(s) && s[j+1] >= '0' && s[j+1] <= '9' && n > 0 {
			if n >= 13 && luhn(digits[:n]) {
				best = j
			}
			j++
			continue
		}
		break
	}
	if j < len(s) && s[j] >= '0' && s[j] <= '9' {
		return best // more than 19 digits: only a grouped prefix can match
	}
	if n >= 13 && endsWord(s, j) && luhn(digits[:n]) {
		return j
	}
	return best
}

func luhn(d []byte) bool {
	sum := 0
	double := false
	for k := len(d) - 1; k >= 0; k-- {
		v := int(d[k])
		if double {
			v *= 2
			if v > 9 {
				v -= 9
			}
		}
		sum += v
		double = !double
	}
	return sum%10 == 0
}

func digitsAt(s string, i, n int) bool {
	if i+n > len(s) {
		return false
	}
	for k := i; k < i+n; k++ {
		if s[k] < '0' || s[k] > '9' {
			return false
		}
	}
	return true
}

// scanSSN matches ddd-dd-dddd with a valid area, group and serial.
func scanSSN(s string, i int) int {
	if !digitsAt(s, i, 3) || i+11 > len(s) || s[i+3] != '-' || !digitsAt(s, i+4, 2) || s[i+6] != '-' || !digitsAt(s, i+7, 4) {
		return 0
	}
	if e := i + 11; !endsWord(s, e) || (e+1 < len(s) && s[e] == '-' && s[e+1] >= '0' && s[e+1] <= '9') {
		return 0
	}
	area := s[i : i+3]
	if area == "000" || area == "666" || area[0] == '9' || s[i+4:i+6] == "00" || s[i+7:i+11] == "0000" {
		return 0
	}
	return i + 11
}

// scanIntlPhone matches "+" then 8 to 15 digits with at most two separators
// (space . - ( )) in a row.
func scanIntlPhone(s string, i int) int {
	j := i + 1
	if j >= len(s) || s[j] < '0' || s[j] > '9' {
		return 0
	}
	n, run, end := 0, 0, 0
	for ; j < len(s); j++ {
		c := s[j]
		switch {
		case c >= '0' && c <= '9':
			n++
			run = 0
			end = j + 1
			if n > 15 {
				return 0
			}
			continue
		case c == ' ' || c == '.' || c == '-' || c == '(' || c == ')':
			run++
			if run <= 2 {
				continue
			}
		}
		break
	}
	if n < 8 || !endsWord(s, end) {
		return 0
	}
	return end
}

// scanNANP matches North American numbers written with separators:
// [1 sep] (ddd) ddd-dddd, ddd-ddd-dddd, ddd.ddd.dddd, ddd ddd dddd.
func scanNANP(s string, i int) int {
	j := i
	if j+1 < len(s) && s[j] == '1' && (s[j+1] == '-' || s[j+1] == ' ' || s[j+1] == '.') {
		if e := nanpBody(s, j+2); e > 0 {
			return e
		}
	}
	return nanpBody(s, j)
}

func nanpBody(s string, j int) int {
	var sep byte
	switch {
	case j < len(s) && s[j] == '(':
		if !digitsAt(s, j+1, 3) || j+4 >= len(s) || s[j+4] != ')' {
			return 0
		}
		j += 5
		if j < len(s) && (s[j] == ' ' || s[j] == '-' || s[j] == '.') {
			j++
		}
	case digitsAt(s, j, 3) && j+3 < len(s) && (s[j+3] == '-' || s[j+3] == '.' || s[j+3] == ' '):
		sep = s[j+3]
		j += 4
	default:
		return 0
	}
	if !digitsAt(s, j, 3) || j+3 >= len(s) {
		return 0
	}
	c := s[j+3]
	if c != '-' && c != '.' && c != ' ' || (sep != 0 && c != sep) {
		return 0
	}
	if !digitsAt(s, j+4, 4) {
		return 0
	}
	e := j + 8
	if !endsWord(s, e) || (e+1 < len(s) && (s[e] == '-' || s[e] == '.') && s[e+1] >= '0' && s[e+1] <= '9') {
		return 0
	}
	return e
}

// scanIBAN matches CC dd + 11..30 alphanumerics (capital letters), plain or
// in space-separated groups of four, passing mod-97; the longest valid
// candidate ending at a group boundary wins.
func scanIBAN(s string, i int) int {
	if i+4 > len(s) || !is(s[i+1], cUpper) || !digitsAt(s, i+2, 2) {
		return 0
	}
	var buf [34]byte
	n := 0
	var ends [34]int // ends[k]: end offset in s after k+1 characters, at a boundary
	var lens [34]int
	nb := 0
	j := i
	grouped := false
	for j < len(s) && n < len(buf) {
		c := s[j]
		if is(c, cUpper|cDigit) {
			buf[n] = c
			n++
			j++
			if j == len(s) || s[j] == ' ' || !is(s[j], cUpper|cDigit) {
				ends[nb], lens[nb] = j, n
				nb++
			}
			continue
		}
		if c == ' ' && n%4 == 0 && j+1 < len(s) && is(s[j+1], cUpper|cDigit) {
			grouped = true
			j++
			continue
		}
		break
	}
	if !grouped && j < len(s) && isAlnum(s[j]) {
		return 0
	}
	for k := nb - 1; k >= 0; k-- {
		if lens[k] >= 15 && endsWord(s, ends[k]) && mod97(buf[:lens[k]]) {
			return ends[k]
		}
	}
	return 0
}

func mod97(b []byte) bool {
	r := 0
	add := func(c byte) {
		if c >= '0' && c <= '9' {
			r = (r*10 + int(c-'0')) % 97
		} else {
			r = (r*100 + int(c-'A'+10)) % 97
		}
	}
	for _, c := range b[4:] {
		add(c)
	}
	for _, c := range b[:4] {
		add(c)
	}
	return r == 1
}

// scanJWT matches eyJ<b64url>.<b64url>.<b64url> (each segment 8+ characters).
func scanJWT(s string, i int) int {
	if i+3 > len(s) || s[i:i+3] != "eyJ" {
		return 0
	}
	j := i
	for seg := 0; seg < 3; seg++ {
		start := j
		for j < len(s) && is(s[j], cB64URL) {
			j++
		}
		if j-start < 8 {
			return 0
		}
		if seg < 2 {
			if j >= len(s) || s[j] != '.' {
				return 0
			}
			j++
		}
	}
	return j
}

// scanOpenAIKey matches sk-<20+ key characters, with a digit and a letter>.
func scanOpenAIKey(s string, i int) int {
	if i+3 > len(s) || s[i:i+3] != "sk-" {
		return 0
	}
	j := i + 3
	digit, letter := false, false
	for j < len(s) && is(s[j], cKey) {
		digit = digit || is(s[j], cDigit)
		letter = letter || is(s[j], cUpper|cLower)
		j++
	}
	// Keys are random: a long hyphenated phrase without digits is not one.
	if j-i-3 < 20 || !digit || !letter {
		return 0
	}
	return j
}

// scanAWSKey matches AKIA or ASIA followed by 16 capital letters or digits.
func scanAWSKey(s string, i int) int {
	if i+20 > len(s) || (s[i:i+4] != "AKIA" && s[i:i+4] != "ASIA") {
		return 0
	}
	for k := i + 4; k < i+20; k++ {
		if !is(s[k], cUpper|cDigit) {
			return 0
		}
	}
	if !endsWord(s, i+20) {
		return 0
	}
	return i + 20
}

// scanBearer matches "bearer" (any case), blanks, then a token of 8+
// characters with a digit, or of 20+ characters; it returns the range of the
// token.
func scanBearer(s string, i int) (int, int) {
	const w = "bearer"
	if i+len(w)+1 >= len(s) {
		return -1, -1
	}
	for k := 0; k < len(w); k++ {
		if s[i+k]|0x20 != w[k] {
			return -1, -1
		}
	}
	j := i + len(w)
	if s[j] != ' ' && s[j] != '\t' {
		return -1, -1
	}
	for j < len(s) && (s[j] == ' ' || s[j] == '\t') {
		j++
	}
	from := j
	for j < len(s) && is(s[j], cToken) {
		j++
	}
	for j < len(s) && s[j] == '=' {
		j++
	}
	// A sentence-ending dot is not part of the token.
	for j > from && s[j-1] == '.' {
		j--
	}
	// A word after "bearer" is a token when it has a digit or is long:
	// "Bearer authentication" is prose.
	if n := j - from; n < 8 || (n < 20 && !hasDigit(s[from:j])) {
		return -1, -1
	}
	return from, j
}

func hasDigit(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			return true
		}
	}
	return false
}
