// Package schemacheck validates the JSON-valued GenAI attributes of spans
// against the official OpenTelemetry GenAI v1.41.0 JSON schemas. It is used
// by tests only; the schemas are read in place from
// ../shared/reference/schemas (or TRACEKIT_SCHEMAS_DIR).
package schemacheck

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/tracekit-go/tracekit/semconv"
)

// files maps each JSON-valued attribute to its schema file.
var files = map[attribute.Key]string{
	semconv.KeyInputMessages:      "gen-ai-input-messages.json",
	semconv.KeyOutputMessages:     "gen-ai-output-messages.json",
	semconv.KeySystemInstructions: "gen-ai-system-instructions.json",
	semconv.KeyToolDefinitions:    "gen-ai-tool-definitions.json",
	semconv.KeyRetrievalDocuments: "gen-ai-retrieval-documents.json",
}

// Checker validates spans; it is a SpanProcessor, so it can sit in a test's
// TracerProvider and check every span that ends.
type Checker struct {
	schemas map[attribute.Key]*jsonschema.Schema

	mu      sync.Mutex
	errs    []string
	Checked map[attribute.Key]int
}

// New compiles the schemas, or skips t (fails it when
// TRACEKIT_REQUIRE_CONFORMANCE=1) when they cannot be found.
func New(t testing.TB) *Checker {
	t.Helper()
	dir := os.Getenv("TRACEKIT_SCHEMAS_DIR")
	if dir == "" {
		wd, _ := os.Getwd()
		for d := wd; ; d = filepath.Dir(d) {
			if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
				dir = filepath.Join(d, "..", "shared", "reference", "schemas")
				break
			}
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	if st, err := os.Stat(dir); dir == "" || err != nil || !st.IsDir() {
		msg := fmt.Sprintf("GenAI JSON schemas not found (looked at %q); set TRACEKIT_SCHEMAS_DIR", dir)
		if os.Getenv("TRACEKIT_REQUIRE_CONFORMANCE") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	c := &Checker{schemas: map[attribute.Key]*jsonschema.Schema{}, Checked: map[attribute.Key]int{}}
	comp := jsonschema.NewCompiler()
	for key, name := range files {
		path := filepath.Join(dir, name)
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if err := comp.AddResource(path, doc); err != nil {
			t.Fatal(err)
		}
		s, err := comp.Compile(path)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		c.schemas[key] = s
	}
	return c
}

// Check validates the JSON-valued attributes of one set of attributes.
func (c *Checker) Check(name string, attrs []attribute.KeyValue) {
	for _, kv := range attrs {
		s, ok := c.schemas[kv.Key]
		if !ok {
			continue
		}
		c.mu.Lock()
		c.Checked[kv.Key]++
		c.mu.Unlock()
		v, err := jsonschema.UnmarshalJSON(strings.NewReader(kv.Value.AsString()))
		if err == nil {
			err = s.Validate(v)
		}
		if err != nil {
			c.mu.Lock()
			c.errs = append(c.errs, fmt.Sprintf("span %q %s=%s: %v", name, kv.Key, kv.Value.AsString(), err))
			c.mu.Unlock()
		}
		var any any
		if json.Unmarshal([]byte(kv.Value.AsString()), &any) != nil {
			c.mu.Lock()
			c.errs = append(c.errs, fmt.Sprintf("span %q %s is not JSON", name, kv.Key))
			c.mu.Unlock()
		}
	}
}

// Errors returns what failed validation so far.
func (c *Checker) Errors() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.errs...)
}

// OnStart implements sdktrace.SpanProcessor.
func (c *Checker) OnStart(context.Context, sdktrace.ReadWriteSpan) {}

// OnEnd validates the span's JSON-valued attributes.
func (c *Checker) OnEnd(s sdktrace.ReadOnlySpan) { c.Check(s.Name(), s.Attributes()) }

// Shutdown implements sdktrace.SpanProcessor.
func (c *Checker) Shutdown(context.Context) error { return nil }

// ForceFlush implements sdktrace.SpanProcessor.
func (c *Checker) ForceFlush(context.Context) error { return nil }
