package bedrocktrace

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/tracekit-go/tracekit/internal/schemacheck"
	"github.com/tracekit-go/tracekit/semconv"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestConventionsGolden pins the attributes of a Converse call and of a
// Claude InvokeModel stream in each convention, and validates every JSON
// value against the official OTel GenAI schemas.
func TestConventionsGolden(t *testing.T) {
	schemas := schemacheck.New(t)
	var claude familyCase
	for _, tc := range familyCases {
		if tc.name == "claude" {
			claude = tc
		}
	}
	if claude.name == "" {
		t.Fatal("no claude family case")
	}
	for _, cc := range []struct {
		name string
		conv semconv.Convention
	}{{"tracekit", semconv.Tracekit}, {"otel_genai", semconv.OTelGenAI}, {"openinference", semconv.OpenInference}} {
		t.Run(cc.name, func(t *testing.T) {
			e := newEnv(t, schemas)
			e.extra = []Option{WithConventions(cc.conv)}
			var frames [][]byte
			for _, c := range claude.chunks {
				frames = append(frames, chunk(t, c))
			}
			f := newFake(t, reply{body: converseReply, headers: map[string]string{"X-Amzn-Requestid": "req-1"}}, reply{frames: frames})
			c := e.runtime(f.URL, true)
			if _, err := c.Converse(context.Background(), converseInput()); err != nil {
				t.Fatal(err)
			}
			out, err := c.InvokeModelWithResponseStream(context.Background(), &bedrockruntime.InvokeModelWithResponseStreamInput{
				ModelId: aws.String(claude.model), Body: []byte(claude.request)})
			if err != nil {
				t.Fatal(err)
			}
			for range out.GetStream().Events() {
			}
			_ = out.GetStream().Close()
			spans := e.spans()
			if len(spans) != 2 {
				t.Fatalf("%d spans", len(spans))
			}
			var b strings.Builder
			for _, s := range spans {
				b.WriteString("# span " + s.Name() + "\n")
				a := attrsOf(s)
				ks := a.keys()
				sort.Strings(ks)
				for _, k := range ks {
					v := a[k].String()
					switch k {
					case "gen_ai.response.time_to_first_chunk":
						v = "<seconds>"
					case "server.port": // the fake server's
						v = "<port>"
					}
					b.WriteString(k + "=" + v + "\n")
				}
			}
			checkGolden(t, filepath.Join("testdata", "golden", "conventions_"+cc.name+".txt"), b.String())
		})
	}
	for _, e := range schemas.Errors() {
		t.Error(e)
	}
	for _, k := range []string{"gen_ai.input.messages", "gen_ai.output.messages", "gen_ai.system_instructions", "gen_ai.tool.definitions"} {
		if schemas.Checked[attribute.Key(k)] == 0 {
			t.Errorf("no %s validated (%v)", k, schemas.Checked)
		}
	}
}

func checkGolden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs (run go test -update after checking):\n--- want\n%s\n--- got\n%s", path, want, got)
	}
}

var _ sdktrace.SpanProcessor = (*schemacheck.Checker)(nil)
