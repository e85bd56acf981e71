// Package vcr loads the recorded HTTP exchanges ("cassettes") of the
// conformance corpus and replays them from a local httptest server. It is used
// by tests only.
//
// The corpus stays outside the repository: Dir finds it through
// TRACEKIT_CONFORMANCE_DIR, falling back to ../shared/conformance next to the
// module root.
package vcr

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"gopkg.in/yaml.v3"
)

// Cassette is one recorded test: its HTTP interactions in order.
type Cassette struct {
	Name         string
	Interactions []Interaction
}

// Interaction is one recorded request and its response.
type Interaction struct {
	Method         string
	URI            string
	RequestBody    []byte
	RequestHeaders http.Header
	Status         int
	Headers        http.Header
	Body           []byte
}

// Dir returns the conformance folder, or skips t (fails it when
// TRACEKIT_REQUIRE_CONFORMANCE=1) when there is none.
func Dir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("TRACEKIT_CONFORMANCE_DIR")
	if dir == "" {
		if root := moduleRoot(); root != "" {
			dir = filepath.Join(root, "..", "shared", "conformance")
		}
	}
	if st, err := os.Stat(dir); dir == "" || err != nil || !st.IsDir() {
		msg := fmt.Sprintf("conformance corpus not found (looked at %q); set TRACEKIT_CONFORMANCE_DIR", dir)
		if os.Getenv("TRACEKIT_REQUIRE_CONFORMANCE") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return dir
}

func moduleRoot() string {
	wd, err := os.Getwd()
	if err != nil {
		return ""
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			return ""
		}
	}
}

// Load reads the cassette file path.
func Load(path string) (*Cassette, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var doc struct {
		Interactions []struct {
			Request struct {
				Method  string               `yaml:"method"`
				URI     string               `yaml:"uri"`
				Body    yaml.Node            `yaml:"body"`
				Headers map[string]yaml.Node `yaml:"headers"`
			} `yaml:"request"`
			Response struct {
				Status struct {
					Code int `yaml:"code"`
				} `yaml:"status"`
				Headers map[string]yaml.Node `yaml:"headers"`
				Body    struct {
					String yaml.Node `yaml:"string"`
				} `yaml:"body"`
			} `yaml:"response"`
		} `yaml:"interactions"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	c := &Cassette{Name: strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))}
	for _, in := range doc.Interactions {
		it := Interaction{
			Method:         in.Request.Method,
			URI:            in.Request.URI,
			RequestBody:    nodeBytes(&in.Request.Body),
			RequestHeaders: headers(in.Request.Headers),
			Status:         in.Response.Status.Code,
			Headers:        headers(in.Response.Headers),
			Body:           nodeBytes(&in.Response.Body.String),
		}
		if strings.EqualFold(it.Headers.Get("x-vcr-base64"), "yes") {
			dec, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(string(it.Body)), ""))
			if err != nil {
				return nil, fmt.Errorf("%s: base64 body: %w", path, err)
			}
			it.Body = dec
			it.Headers.Del("x-vcr-base64")
		}
		c.Interactions = append(c.Interactions, it)
	}
	return c, nil
}

// nodeBytes returns the value of a scalar node, decoding !!binary.
func nodeBytes(n *yaml.Node) []byte {
	if n.Kind == 0 || n.Tag == "!!null" {
		return nil
	}
	if n.Tag == "!!binary" {
		b, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(n.Value), ""))
		if err == nil {
			return b
		}
	}
	return []byte(n.Value)
}

func headers(m map[string]yaml.Node) http.Header {
	h := http.Header{}
	for k, n := range m {
		if n.Kind == yaml.SequenceNode {
			for _, v := range n.Content {
				h.Add(k, string(nodeBytes(v)))
			}
			continue
		}
		h.Add(k, string(nodeBytes(&n)))
	}
	return h
}

// Received is a request the replay server got.
type Received struct {
	Method string
	Path   string
	Header http.Header
	Body   []byte
}

// Server replays a cassette's interactions in order.
type Server struct {
	*httptest.Server
	c *Cassette

	mu       sync.Mutex
	next     int
	received []Received
	hold     int
}

// HoldAfterEvents makes the server send only the first n events of a
// server-sent-event body, then hold the response open until the client goes
// away, as a slow stream that the client abandons would.
func (s *Server) HoldAfterEvents(n int) {
	s.mu.Lock()
	s.hold = n
	s.mu.Unlock()
}

// hopHeaders are recorded headers that must not be replayed as they were.
var hopHeaders = []string{"Content-Length", "Transfer-Encoding", "Connection", "Content-Encoding", "Set-Cookie"}

// NewServer starts a replay server for c; it is closed when t ends.
func NewServer(t testing.TB, c *Cassette) *Server {
	s := &Server{c: c}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	s.received = append(s.received, Received{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: body})
	i := s.next
	s.next++
	hold := s.hold
	s.mu.Unlock()
	if i >= len(s.c.Interactions) {
		http.Error(w, `{"error":{"message":"cassette exhausted","type":"vcr"}}`, http.StatusTeapot)
		return
	}
	in := s.c.Interactions[i]
	for k, vs := range in.Headers {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	for _, h := range hopHeaders {
		w.Header().Del(h)
	}
	if hold > 0 && strings.HasPrefix(in.Headers.Get("Content-Type"), "text/event-stream") {
		w.WriteHeader(in.Status)
		events := bytes.SplitAfter(in.Body, []byte("\n\n"))
		for _, e := range events[:min(hold, len(events))] {
			_, _ = w.Write(e)
		}
		w.(http.Flusher).Flush()
		<-r.Context().Done()
		return
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(in.Body)))
	w.WriteHeader(in.Status)
	_, _ = w.Write(in.Body)
}

// Received returns the requests the server got so far.
func (s *Server) Received() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Received(nil), s.received...)
}

// JSONEqual reports whether two JSON texts hold the same value.
func JSONEqual(a, b []byte) bool {
	var va, vb any
	if json.Unmarshal(a, &va) != nil || json.Unmarshal(b, &vb) != nil {
		return bytes.Equal(a, b)
	}
	ja, _ := json.Marshal(va)
	jb, _ := json.Marshal(vb)
	return bytes.Equal(ja, jb)
}
