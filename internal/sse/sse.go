// Package sse splits a server-sent-event byte stream into events
// incrementally, as the bytes pass through a tee, without copying complete
// lines that arrive in one read.
package sse

import "bytes"

// MaxEventSize bounds the bytes one event may hold (its data lines joined, or
// one line split across reads). A larger event is skipped and Overflowed is
// set; the stream itself is never affected.
const MaxEventSize = 16 << 20

// MaxLineSDK is the longest line openai-go's event-stream scanner reads (its
// bufio.Scanner's limit): a line of this length or more ends the caller's
// stream with bufio.ErrTooLong, and sets TooLong.
const MaxLineSDK = 64 << 10 << 9

// Splitter is an incremental SSE parser. The zero value is ready to use.
type Splitter struct {
	line  []byte // a partial line carried over from the previous Feed
	data  []byte // owned copy of the data of the pending event
	event []byte // owned copy of the event type of the pending event
	// pending data that still aliases the current Feed's input
	alias      []byte
	aliasEvent []byte
	hasData    bool
	skipLine   bool // the carried line overflowed: drop until its end
	skipped    int  // length so far of the line being dropped
	skipEvent  bool // the pending event overflowed: drop until dispatch
	Overflowed bool
	// TooLong is set once a line reaches MaxLineSDK bytes.
	TooLong bool
}

// longLine notes the length of a line too long to keep.
func (s *Splitter) longLine(n int) {
	if n >= MaxLineSDK {
		s.TooLong = true
	}
}

// Feed consumes p and calls fn for every complete event, with its type
// ("" when the stream named none) and its data. Both slices are valid only
// during the call. Feed never retains p after it returns.
func (s *Splitter) Feed(p []byte, fn func(event, data []byte)) {
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			if s.skipLine {
				s.skipped += len(p)
				s.longLine(s.skipped)
				break
			}
			if len(s.line)+len(p) > MaxEventSize {
				s.skipped = len(s.line) + len(p)
				s.longLine(s.skipped)
				s.line = s.line[:0]
				s.skipLine = true
				s.Overflowed = true
				break
			}
			s.line = append(s.line, p...)
			break
		}
		line := p[:i]
		p = p[i+1:]
		if s.skipLine {
			s.skipLine = false
			s.longLine(s.skipped + len(line))
			continue
		}
		if len(s.line) > 0 {
			if len(s.line)+len(line) > MaxEventSize {
				s.longLine(len(s.line) + len(line))
				s.line = s.line[:0]
				s.Overflowed = true
				continue
			}
			s.line = append(s.line, line...)
			line = s.line
			s.processLine(line, fn)
			s.own() // the line buffer is reused below
			s.line = s.line[:0]
			continue
		}
		s.processLine(line, fn)
	}
	s.own()
}

// own copies pending state that aliases the input before Feed returns.
func (s *Splitter) own() {
	if s.alias != nil {
		s.data = append(s.data[:0], s.alias...)
		s.alias = nil
	}
	if s.aliasEvent != nil {
		s.event = append(s.event[:0], s.aliasEvent...)
		s.aliasEvent = nil
	}
}

func (s *Splitter) processLine(line []byte, fn func(event, data []byte)) {
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	if len(line) == 0 {
		s.dispatch(fn)
		return
	}
	if line[0] == ':' {
		return // comment
	}
	field, value := line, []byte(nil)
	if c := bytes.IndexByte(line, ':'); c >= 0 {
		field, value = line[:c], line[c+1:]
		if len(value) > 0 && value[0] == ' ' {
			value = value[1:]
		}
	}
	switch string(field) {
	case "data":
		if s.skipEvent {
			return
		}
		if !s.hasData {
			s.hasData = true
			s.alias = value
			if s.alias == nil {
				s.alias = []byte{}
			}
			return
		}
		// A second data line: join with "\n" in the owned buffer.
		if s.alias != nil {
			s.data = append(s.data[:0], s.alias...)
			s.alias = nil
		}
		if len(s.data)+1+len(value) > MaxEventSize {
			s.skipEvent = true
			s.Overflowed = true
			s.data = s.data[:0]
			return
		}
		s.data = append(s.data, '\n')
		s.data = append(s.data, value...)
	case "event":
		s.aliasEvent = value
		if s.aliasEvent == nil {
			s.aliasEvent = []byte{}
		}
		s.event = s.event[:0]
	}
}

func (s *Splitter) dispatch(fn func(event, data []byte)) {
	event := s.event
	if s.aliasEvent != nil {
		event = s.aliasEvent
	}
	data := s.data
	if s.alias != nil {
		data = s.alias
	}
	if s.hasData && !s.skipEvent {
		fn(event, data)
	}
	s.hasData = false
	s.skipEvent = false
	s.alias = nil
	s.aliasEvent = nil
	s.data = s.data[:0]
	s.event = s.event[:0]
}
