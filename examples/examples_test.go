// Package examples_test runs every example the way the README tells users
// to: offline, with no API key or collector in the environment, and checks
// that each one exits cleanly and prints the spans it promises.
package examples_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	// The examples' dependencies are linked into this test so that a change
	// to any of them invalidates go test's cached result (the examples are
	// built by a subprocess, which the cache does not see).
	_ "github.com/tracekit-go/tracekit/bedrocktrace"
	_ "github.com/tracekit-go/tracekit/coralogix"
	_ "github.com/tracekit-go/tracekit/examples/internal/fakellm"
	_ "github.com/tracekit-go/tracekit/export"
	_ "github.com/tracekit-go/tracekit/observe"
	_ "github.com/tracekit-go/tracekit/openaitrace"
	_ "github.com/tracekit-go/tracekit/redact"
)

// expected lists, per example, strings its output must contain.
var expected = map[string][]string{
	"quickstart":       {"chat gpt-4o-mini", "tokens in=", "finish=stop"},
	"openai-chat":      {"chat gpt-4o-mini", "gen_ai.usage.input_tokens", "offline"},
	"openai-stream":    {"chat gpt-4o-mini", "first chunk", "finish=stop", "completion: [assistant] Light travels"},
	"bedrock-converse": {"bedrock.converse", "gen_ai.system", "aws.bedrock"},
	"agent":            {"support_request", "kind=workflow", "kind=agent", "kind=retriever", "kind=tool", "[REDACTED]"},
	"otlp":             {"chat gpt-4o-mini"},
	"coralogix":        {"chat gpt-4o-mini"},
}

// offlineEnv is the environment of the test without anything that would
// send an example online or elsewhere.
func offlineEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(k, "OTEL_"), strings.HasPrefix(k, "CX_"), strings.HasPrefix(k, "AWS_"),
			strings.HasPrefix(k, "OPENAI_"), k == "TRACEKIT_REQUIRE_CONFORMANCE":
			continue
		}
		env = append(env, kv)
	}
	return env
}

func TestExamplesRunOffline(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs every example")
	}
	// Read every file of the examples, for the same reason: go test
	// re-runs a cached test when a file it opened changed.
	if err := filepath.WalkDir(".", func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			_, err = os.ReadFile(path)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to build the examples: %v", err)
	}
	build := exec.Command(goTool, "build", "-o", bin+string(os.PathSeparator), "./...")
	build.Dir = "."
	build.Env = offlineEnv()
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./examples/...: %v\n%s", err, out)
	}
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, e := range entries {
		if !e.IsDir() || e.Name() == "internal" {
			continue
		}
		name := e.Name()
		want, ok := expected[name]
		if !ok {
			t.Errorf("example %s has no expectations in this test", name)
			continue
		}
		seen++
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, filepath.Join(bin, name))
			cmd.Env = append(offlineEnv(), "HOME="+t.TempDir())
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Run(); err != nil {
				t.Fatalf("%s: %v\n%s", name, err, out.String())
			}
			for _, w := range want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("%s: output lacks %q:\n%s", name, w, out.String())
				}
			}
			for _, secret := range []string{"Bearer ", "authorization", "x-amz-"} {
				if strings.Contains(strings.ToLower(out.String()), strings.ToLower(secret)) {
					t.Errorf("%s: output contains %q:\n%s", name, secret, out.String())
				}
			}
		})
	}
	if seen != len(expected) {
		t.Errorf("ran %d examples, expected %d", seen, len(expected))
	}
}
