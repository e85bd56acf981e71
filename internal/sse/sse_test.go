package sse

import (
	"bytes"
	"fmt"
	"testing"
)

type ev struct{ event, data string }

func collect(chunks [][]byte) []ev {
	var s Splitter
	var out []ev
	for _, c := range chunks {
		buf := append([]byte(nil), c...)
		s.Feed(buf, func(e, d []byte) { out = append(out, ev{string(e), string(d)}) })
		for i := range buf { // the caller reuses its buffer: Feed must not keep it
			buf[i] = '#'
		}
	}
	return out
}

func split(b []byte, sizes ...int) [][]byte {
	var out [][]byte
	for i := 0; len(b) > 0; i++ {
		n := sizes[i%len(sizes)]
		if n > len(b) {
			n = len(b)
		}
		out = append(out, b[:n])
		b = b[n:]
	}
	return out
}

func TestSplitterEvents(t *testing.T) {
	stream := []byte("data: {\"a\":1}\n\n" +
		": comment\n" +
		"event: response.created\r\ndata: {\"b\":2}\r\n\r\n" +
		"data: line1\ndata: line2\n\n" +
		"data:nospace\n\n" +
		"data: [DONE]\n\n")
	want := []ev{{"", `{"a":1}`}, {"response.created", `{"b":2}`}, {"", "line1\nline2"}, {"", "nospace"}, {"", "[DONE]"}}
	for _, sizes := range [][]int{{len(stream)}, {1}, {2, 3}, {7}, {16, 1}} {
		got := collect(split(stream, sizes...))
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("sizes %v: got %q, want %q", sizes, got, want)
		}
	}
}

func TestSplitterIncompleteEventNotDispatched(t *testing.T) {
	if got := collect([][]byte{[]byte("data: {\"a\":1}\n")}); len(got) != 0 {
		t.Fatalf("dispatched an event without its blank line: %q", got)
	}
}

func TestSplitterOverflow(t *testing.T) {
	var s Splitter
	big := bytes.Repeat([]byte("x"), MaxEventSize/4)
	s.Feed([]byte("data: "), func(_, _ []byte) { t.Fatal("unexpected event") })
	for i := 0; i < 5; i++ {
		s.Feed(big, func(_, _ []byte) { t.Fatal("unexpected event") })
	}
	var got []ev
	s.Feed([]byte("\n\ndata: ok\n\n"), func(e, d []byte) { got = append(got, ev{string(e), string(d)}) })
	if !s.Overflowed {
		t.Error("Overflowed not set")
	}
	if len(got) != 1 || got[0].data != "ok" {
		t.Fatalf("after overflow got %q", got)
	}
	if cap(s.line) > MaxEventSize+len(big) {
		t.Errorf("carry buffer grew to %d", cap(s.line))
	}
}

// FuzzSplitter checks that any split of any input yields the same events as
// feeding it whole, and that Feed never panics.
func FuzzSplitter(f *testing.F) {
	f.Add([]byte("data: {\"id\":\"chatcmpl-1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"}}]}\n\ndata: [DONE]\n\n"), 3)
	f.Add([]byte("event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"delta\":\"x\"}\n\n"), 5)
	f.Add([]byte("data: a\r\ndata: b\r\n\r\n:c\n\n"), 1)
	f.Fuzz(func(t *testing.T, in []byte, n int) {
		if n <= 0 {
			n = 1
		}
		whole := collect([][]byte{in})
		parts := collect(split(in, n%64+1))
		if fmt.Sprint(whole) != fmt.Sprint(parts) {
			t.Fatalf("split %d changed the events:\nwhole %q\nparts %q", n%64+1, whole, parts)
		}
	})
}

// TestTooLong: a line of MaxLineSDK bytes or more (the longest openai-go's
// scanner reads) sets TooLong, whether it arrives in pieces or after a
// carried part; a line between MaxEventSize and it only overflows.
func TestTooLong(t *testing.T) {
	feed := func(n, piece int) *Splitter {
		var s Splitter
		line := append([]byte("data: "), bytes.Repeat([]byte("x"), n)...)
		line = append(line, "\n\n"...)
		for len(line) > 0 {
			k := min(piece, len(line))
			s.Feed(line[:k], func(_, _ []byte) {})
			line = line[k:]
		}
		return &s
	}
	for _, piece := range []int{4096, 1 << 20, 5 << 20} {
		if s := feed(MaxLineSDK, piece); !s.TooLong || !s.Overflowed {
			t.Errorf("piece %d: a %d-byte line: TooLong %v, Overflowed %v", piece, MaxLineSDK, s.TooLong, s.Overflowed)
		}
		if s := feed(20<<20, piece); s.TooLong || !s.Overflowed {
			t.Errorf("piece %d: a 20 MiB line: TooLong %v, Overflowed %v", piece, s.TooLong, s.Overflowed)
		}
	}
}
