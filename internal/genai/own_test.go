package genai

import (
	"reflect"
	"strconv"
	"testing"
)

// fill sets every string reachable from v (a pointer) to a distinct value,
// giving each slice one element, and returns how many it set.
func fill(v reflect.Value, n *int) {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		fill(v.Elem(), n)
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i), n)
			}
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 || v.Type().Elem().Kind() == reflect.Float64 {
			return
		}
		v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		fill(v.Index(0), n)
	case reflect.String:
		*n++
		v.SetString("s" + strconv.Itoa(*n))
	}
}

// parts counts the Parts reachable from v (whose Data the walks leave out).
func parts(v reflect.Value) int {
	n := 0
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			n += parts(v.Elem())
		}
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[Part]() {
			return 1
		}
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				n += parts(v.Field(i))
			}
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			n += parts(v.Index(i))
		}
	}
	return n
}

// TestEachStringVisitsEveryString: the walks Own uses reach every string
// of a request and a response but the parts' inline data (a field added to
// the record and not to the walk would leave a large body alive).
func TestEachStringVisitsEveryString(t *testing.T) {
	var r Request
	n := 0
	fill(reflect.ValueOf(&r), &n)
	seen := map[string]bool{}
	eachRequestString(&r, func(s *string) { seen[*s] = true })
	if n -= parts(reflect.ValueOf(&r)); len(seen) != n {
		t.Errorf("request: %d of %d strings visited", len(seen), n)
	}
	var resp Response
	n = 0
	fill(reflect.ValueOf(&resp), &n)
	seen = map[string]bool{}
	eachResponseString(&resp, func(s *string) { seen[*s] = true })
	if n -= parts(reflect.ValueOf(&resp)); len(seen) != n {
		t.Errorf("response: %d of %d strings visited", len(seen), n)
	}
}
