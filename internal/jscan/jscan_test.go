package jscan

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tidwall/gjson"
)

// walk reads the value at the cursor into the shapes encoding/json decodes
// to (map[string]any, []any, string, float64, bool, nil).
func walk(d *Scanner, depth int) any {
	if depth > 200 {
		d.Skip()
		return nil
	}
	switch d.Kind() {
	case KindObject:
		m := map[string]any{}
		d.Obj()
		for k, ok := d.Key(); ok; k, ok = d.Key() {
			m[k] = walk(d, depth+1)
		}
		return m
	case KindArray:
		a := []any{}
		d.Arr()
		for d.Elem() {
			a = append(a, walk(d, depth+1))
		}
		return a
	case KindString:
		return d.Str()
	case KindNumber:
		n, _ := d.Num()
		return n.Num
	case KindTrue, KindFalse:
		return d.Bool()
	default:
		d.Skip()
		return nil
	}
}

func seeds() []string {
	return []string{
		`{"model":"gpt-4o","messages":[{"role":"user","content":"hi \"there\"\n"}],"temperature":0.2,"stream":true,"x":null,"y":false}`,
		`[1,-2.5e3,"a\\b",{"":{}},[],[[]],{"a":[{"b":"}"}]}]`,
		`"\u00e9\ud83d\ude00\/"`, `  7  `, `{"a":1,"a":2}`, `{}`, `[]`, `null`,
		`{"choices":[{"index":0,"delta":{"content":"x"},"finish_reason":null}],"usage":null}`,
	}
}

// TestWalkMatchesEncodingJSON: walking valid JSON gives what encoding/json
// decodes, and unread values are skipped.
func TestWalkMatchesEncodingJSON(t *testing.T) {
	for _, s := range seeds() {
		check(t, s)
	}
	d := New(`{"skip":{"deep":[1,{"x":"}"}]},"keep":"v","n":3}`)
	var got []string
	if d.Obj() {
		for k, ok := d.Key(); ok; k, ok = d.Key() {
			if k == "keep" {
				got = append(got, d.Str())
			}
		}
	}
	if len(got) != 1 || got[0] != "v" || d.Bad() {
		t.Fatalf("got %v, bad %v", got, d.Bad())
	}
	// Raw is the value's exact text; a string without escapes is a
	// substring of the input (no copy).
	in := `{"p":{"type":"object", "a":[1, 2]},"s":"plain"}`
	d = New(in)
	d.Obj()
	d.Key()
	if raw := d.Raw(); raw != `{"type":"object", "a":[1, 2]}` {
		t.Errorf("Raw %q", raw)
	}
	d.Key()
	if s := d.Str(); s != "plain" || !strings.Contains(in, s) {
		t.Errorf("Str %q", s)
	}
}

func check(t *testing.T, s string) {
	t.Helper()
	var want any
	if err := json.Unmarshal([]byte(s), &want); err != nil {
		return
	}
	d := New(s)
	got := walk(&d, 0)
	if d.Bad() {
		t.Fatalf("valid JSON reported bad: %q", s)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%q:\njscan         %#v\nencoding/json %#v", s, got, want)
	}
}

// TestMalformed: malformed input stops the scanner without a panic or a
// hang, and it says so.
func TestMalformed(t *testing.T) {
	for _, s := range []string{`{`, `{"a"`, `{"a":`, `{"a":1`, `[1,`, `"abc`, `{"a" 1}`, `{1:2}`, `[}`, `{"a":"\"}`, `x`, `{"a":tru`} {
		d := New(s)
		walk(&d, 0)
		if !d.Bad() {
			t.Errorf("%q: not reported bad", s)
		}
	}
}

// FuzzScanner: any input is walked without a panic or a hang; valid UTF-8
// JSON walks to what encoding/json decodes.
func FuzzScanner(f *testing.F) {
	for _, s := range seeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d := New(s)
		walk(&d, 0)
		if !utf8.ValidString(s) || !json.Valid([]byte(s)) || strings.Contains(s, `\ud`) || strings.Contains(s, `\uD`) {
			return // (lone surrogates: the two decoders replace them differently)
		}
		check(t, s)
	})
}

// unescapeSeeds are string contents (between the quotes) with every kind of
// escape, well formed or not.
var unescapeSeeds = []string{
	`plain`, `18-24\u00b0C`, `q \"x\" \\ \/ \b\f\n\r\t`, `\u00e9\u4e2d\uD83D\uDE00`, `\ud83d\u0041`, `\ude00 lone`,
	`\ud83d`, `\u12`, `\u00zz after`, `\x bad escape`, "ctl \x01 stop", `end \`, `\\\"`, `\uFFFF\u0000`,
}

// TestUnescapeMatchesGjson: unescape gives what gjson gives as a string's
// Str, the text the gjson parsers it replaced recorded.
func TestUnescapeMatchesGjson(t *testing.T) {
	for _, s := range unescapeSeeds {
		checkUnescape(t, s)
	}
}

func checkUnescape(t *testing.T, s string) {
	t.Helper()
	q := `"` + s + `"`
	d := New(q)
	got, ok := d.StrOK()
	if !ok || d.i != len(q) {
		return // not one string: the quotes inside end it earlier
	}
	if want := gjson.Parse(q).Str; got != want {
		t.Fatalf("%q: jscan %q, gjson %q", q, got, want)
	}
}

// FuzzUnescape: any string contents unescape as gjson unescapes them.
func FuzzUnescape(f *testing.F) {
	for _, s := range unescapeSeeds {
		f.Add(s)
	}
	f.Fuzz(checkUnescape)
}
