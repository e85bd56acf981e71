package openaitrace

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/tracekit-go/tracekit/internal/schemacheck"
	"github.com/tracekit-go/tracekit/semconv"
)

var conventionCases = []struct {
	name string
	conv semconv.Convention
}{
	{"tracekit", semconv.Tracekit},
	{"otel_genai", semconv.OTelGenAI},
	{"openinference", semconv.OpenInference},
}

// runConventionScenario runs a tool-call round trip (2 spans) and a stream
// (1 span) with the given conventions and returns the spans.
func runConventionScenario(t *testing.T, capture bool, opts ...Option) []sdktrace.ReadOnlySpan {
	t.Helper()
	var mu sync.Mutex
	n := 0
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		n++
		k := n
		mu.Unlock()
		switch k {
		case 1:
			jsonHandler(200, toolCallResponseJSON)(w, r)
		case 2:
			jsonHandler(200, chatResponseJSON)(w, r)
		default:
			sseHandler(dataEvents(streamChunks(3, true)...)...)(w, r)
		}
	}))
	client := openai.NewClient(option.WithBaseURL(srv+"/v1"), option.WithAPIKey("k"),
		WithTracing(append([]Option{WithTracerProvider(tp), WithCaptureContent(capture)}, opts...)...))
	ctx := context.Background()
	if _, err := client.Chat.Completions.New(ctx, chatParams()); err != nil {
		t.Fatal(err)
	}
	if _, err := client.Chat.Completions.New(ctx, toolRoundTripParams()); err != nil {
		t.Fatal(err)
	}
	p := chatParams()
	p.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
	st := client.Chat.Completions.NewStreaming(ctx, p)
	for st.Next() {
	}
	_ = st.Close()
	if len(rec.Ended()) != 3 {
		t.Fatalf("%d spans", len(rec.Ended()))
	}
	return rec.Ended()
}

// TestConventionsGolden pins the attributes of a chat tool-call round trip
// and a chat stream in each convention.
func TestConventionsGolden(t *testing.T) {
	for _, cc := range conventionCases {
		t.Run(cc.name, func(t *testing.T) {
			spans := runConventionScenario(t, true, WithConventions(cc.conv))
			var b strings.Builder
			for _, s := range spans {
				b.WriteString("# span " + s.Name() + "\n")
				a := attrs(s)
				for _, k := range keys(a) {
					v := a[k].String()
					switch k {
					case "server.port":
						v = "<port>"
					case "gen_ai.response.time_to_first_chunk":
						v = "<seconds>"
					}
					b.WriteString(k + "=" + v + "\n")
				}
			}
			checkGolden(t, filepath.Join("testdata", "golden", "conventions_"+cc.name+".txt"), b.String())
		})
	}
}

// TestConventionsCaptureOff: with capture off no convention carries content.
func TestConventionsCaptureOff(t *testing.T) {
	spans := runConventionScenario(t, false, WithConventions(semconv.Tracekit, semconv.OTelGenAI, semconv.OpenInference))
	for _, s := range spans {
		for k, v := range attrs(s) {
			switch {
			case k == "gen_ai.input.messages", k == "gen_ai.output.messages", k == "gen_ai.system_instructions",
				k == "input.value", k == "output.value",
				strings.HasSuffix(k, ".content"), strings.HasSuffix(k, ".arguments"):
				t.Errorf("%s recorded with capture off: %s", k, v.String())
			}
			if strings.Contains(v.String(), "Lisbon, Portugal") || strings.Contains(v.String(), "21 degrees") {
				t.Errorf("%s leaks content with capture off: %s", k, v.String())
			}
		}
	}
}

func TestConventionsFromEnvironment(t *testing.T) {
	t.Setenv("OTEL_SEMCONV_STABILITY_OPT_IN", "http, gen_ai_latest_experimental")
	spans := runConventionScenario(t, true)
	a := attrs(spans[0])
	wantAttrs(t, a, map[string]any{"gen_ai.system": "openai", "gen_ai.provider.name": "openai", "openai.api.type": "chat_completions"})
	if _, ok := a["gen_ai.prompt.0.role"]; !ok {
		t.Error("Tracekit keys missing")
	}
	// An explicit option wins over the environment.
	spans = runConventionScenario(t, true, WithConventions(semconv.OpenInference))
	wantAttrs(t, attrs(spans[0]), map[string]any{"gen_ai.system": nil, "gen_ai.provider.name": nil, "openinference.span.kind": "LLM"})
}

// TestConventionsGoldenEmbeddingsAndResponses pins an embeddings call and a
// Responses call (instructions, function calls and outputs) in each
// convention, and validates every JSON value against the official schemas.
func TestConventionsGoldenEmbeddingsAndResponses(t *testing.T) {
	schemas := schemacheck.New(t)
	for _, cc := range conventionCases {
		t.Run(cc.name, func(t *testing.T) {
			hc := &harnessConfig{tracing: []Option{WithConventions(cc.conv)}, processors: []sdktrace.SpanProcessor{schemas}}
			var b strings.Builder
			h := newHarnessWith(t, jsonHandler(200, embeddingsJSON(4, false, 1, 2)), true, hc)
			if _, err := h.client.Embeddings.New(context.Background(), openai.EmbeddingNewParams{
				Model: openai.EmbeddingModelTextEmbedding3Small,
				Input: openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: []string{"first", "second"}},
			}); err != nil {
				t.Fatal(err)
			}
			h2 := newHarnessWith(t, jsonHandler(200, responseJSON("resp_conv", "completed", outputMessageJSON, "")), true, hc)
			if _, err := h2.client.Responses.New(context.Background(), responsesParams()); err != nil {
				t.Fatal(err)
			}
			for _, s := range append(h.spans(), h2.spans()...) {
				b.WriteString("# span " + s.Name() + "\n")
				a := attrs(s)
				for _, k := range keys(a) {
					v := a[k].String()
					if k == "server.port" {
						v = "<port>"
					}
					b.WriteString(k + "=" + v + "\n")
				}
			}
			checkGolden(t, filepath.Join("testdata", "golden", "conventions_embeddings_responses_"+cc.name+".txt"), b.String())
		})
	}
	for _, e := range schemas.Errors() {
		t.Error(e)
	}
	if schemas.Checked["gen_ai.system_instructions"] == 0 || schemas.Checked["gen_ai.input.messages"] == 0 {
		t.Errorf("schemas checked %v", schemas.Checked)
	}
}
