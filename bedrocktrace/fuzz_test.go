package bedrocktrace

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
	"github.com/tidwall/gjson"

	"github.com/tracekit-go/tracekit/internal/genai"
	"github.com/tracekit-go/tracekit/semconv"
)

// fuzzFamily runs the request, response and stream-chunk parsers of one
// family over arbitrary bytes: they must not panic, and a stream must stay
// within its bounds.
func fuzzFamily(f *testing.F, fam family, model string) {
	for _, tc := range familyCases {
		if familyOf(tc.model) != fam && !(fam == famLlama && tc.name == "opaque-arn-sniffed") {
			continue
		}
		f.Add([]byte(tc.request))
		f.Add([]byte(tc.response))
		for _, c := range tc.chunks {
			f.Add([]byte(c))
		}
	}
	f.Add([]byte(`{`))
	f.Add([]byte(`null`))
	for _, seed := range mediaSeeds[fam] {
		f.Add([]byte(seed))
	}
	for _, seed := range embedSeeds[fam] {
		f.Add([]byte(seed))
	}
	for _, seed := range rerankSeeds[fam] {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, capture := range []bool{true, false} {
			c := genai.Call{Request: genai.Request{Model: model}}
			if got := invokeRequest(&c, body, capture); got != fam && got != famUnknown {
				// the model id decides; the body is only sniffed for
				// opaque ids
				t.Fatalf("family %d, want %d", got, fam)
			}
			invokeResponse(&c, fam, body, capture)
			var a streamAcc
			for i := 0; i < 3; i++ {
				invokeStreamChunk(fam, &a, string(body), capture)
			}
			a.into(&c, capture)
			if a.size > maxStreamContent {
				t.Fatalf("stream buffered %d bytes", a.size)
			}
			all := semconv.Renderer{Conventions: semconv.Tracekit | semconv.OTelGenAI | semconv.OpenInference, Capture: capture}
			all.Request(nil, &c)
			all.Response(nil, &c)
			if len(c.Response.Embeddings) > genai.MaxEmbeddingVectors {
				t.Fatalf("%d vectors", len(c.Response.Embeddings))
			}
			for _, e := range c.Response.Embeddings {
				if len(e.Vector) > genai.MaxEmbeddingDims || len(e.Vector) == 0 {
					t.Fatalf("a vector of %d values", len(e.Vector))
				}
			}
			if fam == famImage && len(c.Response.Choices) > maxImages {
				t.Fatalf("%d images", len(c.Response.Choices))
			}
			if len(c.Request.Documents) > maxDocuments || len(c.Response.Documents) > maxDocuments {
				t.Fatalf("%d documents given, %d results", len(c.Request.Documents), len(c.Response.Documents))
			}
			if !capture {
				if len(c.Response.Embeddings) > 0 {
					t.Fatal("vectors kept without capture")
				}
				if len(c.Request.Documents) > 0 || len(c.Response.Documents) > 0 {
					t.Fatal("documents kept without capture")
				}
				for _, m := range c.Request.Messages {
					if m.Parts != nil || m.Content != "" {
						t.Fatalf("prompt content kept without capture: %+v", m)
					}
				}
				for _, ch := range c.Response.Choices {
					if ch.Content != "" || ch.Media != nil {
						t.Fatal("content kept without capture")
					}
				}
			}
		}
	})
}

// FuzzRerank: the rerank body parsers (Amazon Rerank, Cohere Rerank).
func FuzzRerank(f *testing.F) { fuzzFamily(f, famRerank, "cohere.rerank-v3-5:0") }

// FuzzImage: the image model body parsers (Titan Image Generator, Nova
// Canvas, Stability, SDXL).
func FuzzImage(f *testing.F) { fuzzFamily(f, famImage, "amazon.nova-canvas-v1:0") }

// rerankSeeds are request and response bodies of rerank and image models.
var rerankSeeds = map[family][]string{
	famImage: {
		`{"taskType":"TEXT_IMAGE","textToImageParams":{"text":"a red fox","negativeText":"blurry"},"imageGenerationConfig":{"numberOfImages":2,"seed":42}}`,
		`{"taskType":"IMAGE_VARIATION","imageVariationParams":{"text":"in watercolor","images":["/9j/4AAQ",7]},"inPaintingParams":{"image":"iVBORw0KGgo","maskImage":"UklGR"}}`,
		`{"images":["iVBORw0KGgoAAAANSUhEUgAAAAE=","/9j/4AAQ"],"error":null}`,
		`{"prompt":"a castle","image":"R0lGOD","mode":"image-to-image","seed":7,"output_format":"jpeg"}`,
		`{"seeds":[7],"finish_reasons":["Filter reason: prompt",null],"images":["/9j/4AAQ",""]}`,
		`{"text_prompts":[{"text":"a cat","weight":1},{"text":"dogs","weight":-1},{"text":7}],"seed":3,"samples":1,"init_image":"iVBOR"}`,
		`{"result":"success","artifacts":[{"seed":3,"base64":"iVBOR","finishReason":"SUCCESS"},{"finishReason":"CONTENT_FILTERED"},{"base64":7,"finishReason":"ERROR"}]}`,
	},
	famRerank: {
		`{"query":"reset the router","documents":["Routers blink.",{"title":"FAQ","text":"Hold the button."}],"top_n":1,"api_version":2}`,
		`{"id":"rr-9","results":[{"index":1,"relevance_score":0.91},{"index":0,"relevance_score":0.1,"document":{"text":"Routers blink!"}}],"meta":{"billed_units":{"search_units":1}}}`,
		`{"query":7,"documents":[null,1,[],{"a":"\u00e9"}],"top_n":"x"}`,
		`{"results":[{"index":-1},{"index":1e30,"relevance_score":"x","document":7},3]}`,
	},
}

func FuzzTitanEmbed(f *testing.F)  { fuzzFamily(f, famTitanEmbed, "amazon.titan-embed-text-v2:0") }
func FuzzCohereEmbed(f *testing.F) { fuzzFamily(f, famCohereEmbed, "cohere.embed-english-v3") }

// embedSeeds are request and response bodies of the embedding families.
var embedSeeds = map[family][]string{
	famTitanEmbed: {
		`{"inputText":"Hello world","dimensions":256,"normalize":true,"embeddingTypes":["float","binary"]}`,
		`{"embedding":[0.1,-0.2,0.3],"embeddingsByType":{"float":[0.1,-0.2,0.3],"binary":[1,0,1]},"inputTextTokenCount":3}`,
		`{"inputText":"a","inputImage":"iVBO","embeddingConfig":{"outputEmbeddingLength":384}}`,
		`{"embedding":[1,"x"],"embeddingsByType":{"float":[]}}`,
	},
	famCohereEmbed: {
		`{"texts":["first doc","second doc"],"input_type":"search_document","embedding_types":["float","int8"]}`,
		`{"id":"emb-1","embeddings":{"float":[[0.5,0.25],[0.125,1]],"int8":[[1,2]]},"response_type":"embeddings_by_type"}`,
		`{"inputs":[{"content":[{"type":"text","text":"a cat"},{"type":"text","text":" sits"},{"type":"image_url","image_url":"data:image/png;base64,iVBO"}]},7],"output_dimension":512}`,
		`{"id":"emb-2","embeddings":[[0.1,0.2],[],"x",[null]],"texts":[1]}`,
	},
}

// mediaSeeds are request bodies with image, document and video blocks.
var mediaSeeds = map[family][]string{
	famClaude: {`{"messages":[{"role":"user","content":[{"type":"image","source":{"type":"url","url":"https://x/c.jpg"}},` +
		`{"type":"document","source":{"type":"base64","media_type":"application/pdf","data":"JVBERi0="}},{"type":"document","source":{"type":"text","data":"t"}},` +
		`{"type":"image","source":{"type":"file","file_id":"f"}},{"type":"image","source":7},{"type":"text","text":"What?"}]}]}`},
	famMistral: {`{"messages":[{"role":"user","content":[{"type":"text","text":"What?"},{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBO"}},` +
		`{"type":"image_url","image_url":"https://x/b.png"},{"type":"image_url"},{"type":"image_url","image_url":7}]}]}`},
	famNova: {`{"messages":[{"role":"user","content":[{"image":{"format":"jpeg","source":{"bytes":"/9j/4A=="}}},` +
		`{"video":{"format":"mp4","source":{"s3Location":{"uri":"s3://clips/b.mp4"}}}},{"document":{"format":"txt","source":{"text":"t"}}},{"audio":{}},{"text":"Describe."}]}]}`},
}

func FuzzClaude(f *testing.F)   { fuzzFamily(f, famClaude, "anthropic.claude-3-5-sonnet-20240620-v1:0") }
func FuzzLlama(f *testing.F)    { fuzzFamily(f, famLlama, "meta.llama3-8b-instruct-v1:0") }
func FuzzTitan(f *testing.F)    { fuzzFamily(f, famTitan, "amazon.titan-text-express-v1") }
func FuzzNova(f *testing.F)     { fuzzFamily(f, famNova, "amazon.nova-lite-v1:0") }
func FuzzMistral(f *testing.F)  { fuzzFamily(f, famMistral, "mistral.mistral-large-2407-v1:0") }
func FuzzCohere(f *testing.F)   { fuzzFamily(f, famCohere, "cohere.command-r-plus-v1:0") }
func FuzzJamba(f *testing.F)    { fuzzFamily(f, famJamba, "ai21.jamba-1-5-large-v1:0") }
func FuzzDeepSeek(f *testing.F) { fuzzFamily(f, famDeepSeek, "us.deepseek.r1-v1:0") }
func FuzzOpenAI(f *testing.F)   { fuzzFamily(f, famOpenAI, "openai.gpt-oss-20b-1:0") }

// FuzzFamilyOf: any model id maps to a family without panicking, and the
// inference-profile prefixes and ARNs of a known id keep its family.
func FuzzFamilyOf(f *testing.F) {
	for _, tc := range familyCases {
		f.Add(tc.model)
	}
	f.Fuzz(func(t *testing.T, model string) {
		fam := familyOf(model)
		if strings.ContainsRune(model, '/') {
			return // model ids have no '/'; ARNs are covered by the prefix below
		}
		for _, p := range []string{"us.", "eu.", "apac.", "global.", "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us."} {
			if fam != famUnknown && familyOf(p+model) != fam {
				t.Fatalf("%q: %d, %q: %d", model, fam, p+model, familyOf(p+model))
			}
		}
	})
}

// FuzzConverseStreamEvent feeds arbitrary payloads to every ConverseStream
// event type.
func FuzzConverseStreamEvent(f *testing.F) {
	for _, fr := range []string{
		`{"role":"assistant"}`,
		`{"contentBlockIndex":0,"delta":{"text":"Hel"}}`,
		`{"contentBlockIndex":1,"start":{"toolUse":{"name":"get_weather","toolUseId":"tu_9"}}}`,
		`{"contentBlockIndex":1,"delta":{"toolUse":{"input":"{\"city\": "}}}`,
		`{"stopReason":"tool_use"}`,
		`{"usage":{"inputTokens":9,"outputTokens":4,"totalTokens":13},"metrics":{"latencyMs":30}}`,
	} {
		f.Add(fr)
	}
	events := []string{"messageStart", "contentBlockStart", "contentBlockDelta", "contentBlockStop", "messageStop", "metadata", "other"}
	f.Fuzz(func(t *testing.T, js string) {
		var a streamAcc
		for _, ev := range events {
			converseStreamEvent(&a, ev, js, true)
		}
		var c genai.Call
		a.into(&c, true)
		if len(c.Response.Choices) > maxChoices || a.size > maxStreamContent {
			t.Fatal("unbounded")
		}
	})
}

// FuzzRAGStreamEvent feeds arbitrary payloads to the RetrieveAndGenerateStream
// event reader as every event type: it never panics, text is kept only with
// capture on, and what it keeps stays bounded.
func FuzzRAGStreamEvent(f *testing.F) {
	for _, fr := range []string{
		`{"text":"Hold the reset button "}`,
		`{"text":"caf\u00e9 \"quoted\""}`,
		`{"action":"INTERVENED"}`,
		`{"action":"NONE"}`,
		`{"citation":{"retrievedReferences":[{"content":{"text":"hold 10 s"},"location":{"type":"S3","s3Location":{"uri":"s3://m/r.pdf"}}}]}}`,
		`{"text":7}`,
		`{"retrievedReferences":[{"content":{"text":"a"},"location":{"type":"WEB","webLocation":{"url":"https://u:p@x.example/a?X-Amz-Signature=s"}}},{"content":{"text":"b"},"location":{"type":"SQL","sqlLocation":{"query":"q"}}}]}`,
	} {
		f.Add(fr)
	}
	events := []string{"output", "citation", "guardrail", "other"}
	f.Fuzz(func(t *testing.T, js string) {
		for _, capture := range []bool{true, false} {
			var a streamAcc
			for _, ev := range events {
				ragStreamEvent(&a, ev, js, capture)
			}
			c := genai.Call{Operation: genai.OpChat, Provider: genai.ProviderBedrock}
			a.into(&c, capture)
			if a.size > maxStreamContent || len(c.Response.Documents) > maxDocuments {
				t.Fatal("unbounded")
			}
			if !capture && len(c.Response.Documents) > 0 {
				t.Fatalf("documents kept with capture off: %+v", c.Response.Documents)
			}
			for _, ch := range c.Response.Choices {
				if !capture && ch.Content != "" {
					t.Fatalf("content kept with capture off: %q", ch.Content)
				}
			}
			for _, conv := range []semconv.Convention{semconv.Tracekit, semconv.OTelGenAI, semconv.OpenInference} {
				_ = semconv.Renderer{Conventions: conv, Capture: capture}.Response(nil, &c)
			}
		}
	})
}

// FuzzAgenticStreamEvent feeds arbitrary payloads to the
// AgenticRetrieveStream event reader as every event type, for an answer and
// for a retrieval: it never panics, keeps no text nor document with capture
// off, no answer for a retrieval, and what it keeps stays bounded (document
// ids too); the rendering does not panic.
func FuzzAgenticStreamEvent(f *testing.F) {
	for _, fr := range []string{
		`{"text":"Hold the pin "}`,
		`{"text":"caf\u00e9 \"quoted\""}`,
		`{"text":7}`,
		`{"results":[{"content":{"mimeType":"text/plain","text":"The R2 resets with the pinhole."},"sourceRetriever":{"identifier":"KB2"},"metadata":{"x-amz-bedrock-kb-source-uri":"s3://manuals/r2.pdf","x-amz-bedrock-kb-chunk-id":"c-1"}}],` +
			`"generatedResponse":{"answer":"Hold the pin for 10 seconds.","citations":[{"startIndex":0,"endIndex":28,"references":[{"resultIndex":0}]}]},"nextToken":"n"}`,
		`{"results":[{"content":{"mimeType":"image/png","byteContent":"iVBORw0KGgo="},"sourceRetriever":{"identifier":"KB1"},"metadata":{"x-amz-bedrock-kb-source-uri":"https://u:p@x.example/a?X-Amz-Signature=s"}},{"content":{"text":"b"},"metadata":{"x-amz-bedrock-kb-source-uri":7}}]}`,
		`{"id":"t1","timestamp":1700000000,"attributes":{"message":"planning","status":"IN_PROGRESS","step":"Planning"}}`,
		`{"id":"t2","timestamp":1,"attributes":{"message":"m","status":"SUCCEEDED","step":"Retrieval","actions":[{"retrieve":{"inputQuery":{"text":"sub"},"sourceRetrievers":[{"identifier":"KB2"}]}},{"memoryRetrieve":{"inputQuery":{"text":"mq"},"memoryId":"mem-1"}}],` +
			`"warnings":[{"message":{"message":"note"}},{"guardrail":{"action":"INTERVENED","id":"gr-7","version":"1","message":"blocked"}}],"failures":[{"message":"kb down"}],"retrievalResponse":[{"content":{"text":"x"}}]}}`,
		`{"results":[{"content":{"text":"a"}}],"generatedResponse":{"answer":5}}`,
		`{"results":[{"content":{"text":"long id"},"metadata":{"x-amz-bedrock-kb-source-uri":"s3://b/` + strings.Repeat("k", maxStreamIdent) + `"}}]}`,
	} {
		f.Add(fr)
	}
	events := []string{"responseEvent", "result", "traceEvent", "other"}
	f.Fuzz(func(t *testing.T, js string) {
		for _, capture := range []bool{true, false} {
			for _, answer := range []bool{true, false} {
				var a streamAcc
				for _, ev := range events {
					agenticStreamEvent(&a, ev, js, answer, capture)
					agenticStreamEvent(&a, ev, js, answer, capture)
				}
				c := genai.Call{Operation: genai.OpChat, Provider: genai.ProviderBedrock}
				if !answer {
					c.Operation = genai.OpRetrieval
				}
				a.into(&c, capture)
				if a.size > maxStreamContent || len(c.Response.Documents) > maxDocuments {
					t.Fatal("unbounded")
				}
				for _, d := range c.Response.Documents {
					if len(d.ID) > maxStreamIdent {
						t.Fatalf("document id of %d bytes", len(d.ID))
					}
				}
				if !capture && len(c.Response.Documents) > 0 {
					t.Fatalf("documents kept with capture off: %+v", c.Response.Documents)
				}
				if !answer && len(c.Response.Choices) > 0 {
					t.Fatalf("an answer kept for a retrieval: %+v", c.Response.Choices)
				}
				for _, ch := range c.Response.Choices {
					if !capture && ch.Content != "" {
						t.Fatalf("content kept with capture off: %q", ch.Content)
					}
				}
				for _, conv := range []semconv.Convention{semconv.Tracekit, semconv.OTelGenAI, semconv.OpenInference} {
					_ = semconv.Renderer{Conventions: conv, Capture: capture}.Response(nil, &c)
				}
			}
		}
	})
}

// FuzzFlowStreamEvent feeds arbitrary payloads to the InvokeFlow event reader
// as every event type: it never panics, buffers nothing with capture off, and
// stays bounded; the rendered answer is valid JSON in OTel GenAI.
func FuzzFlowStreamEvent(f *testing.F) {
	for _, fr := range []string{
		`{"nodeName":"FlowOutputNode","nodeType":"Output","content":{"document":"Morning: Alfama."}}`,
		`{"nodeName":"A","nodeType":"Output","content":{"document":{"plan":["Alfama","Belém"],"n":1.5}}}`,
		`{"nodeName":"Q","nodeType":"Input","content":{"document":"Which day?"}}`,
		`{"completionReason":"SUCCESS"}`,
		`{"completionReason":"INPUT_REQUIRED"}`,
		`{"content":{"document":[1,}}`,
	} {
		f.Add(fr)
	}
	events := []string{"flowOutputEvent", "flowMultiTurnInputRequestEvent", "flowCompletionEvent", "flowTraceEvent", "other"}
	f.Fuzz(func(t *testing.T, js string) {
		for _, capture := range []bool{true, false} {
			var a streamAcc
			for _, ev := range events {
				flowStreamEvent(&a, ev, js, capture)
			}
			if !capture && (a.size != 0 || len(a.choices[0].text) != 0) {
				t.Fatalf("buffered %d bytes with capture off", a.size)
			}
			if a.size > maxStreamContent {
				t.Fatal("unbounded")
			}
			c := genai.Call{Operation: genai.OpInvokeWorkflow, Provider: genai.ProviderBedrock}
			a.into(&c, capture)
			for _, kv := range (semconv.Renderer{Conventions: semconv.Tracekit | semconv.OTelGenAI | semconv.OpenInference, Capture: capture}).Response(nil, &c) {
				if kv.Key == semconv.KeyOutputMessages && !json.Valid([]byte(kv.Value.AsString())) {
					t.Fatalf("output messages are not JSON: %s", kv.Value.AsString())
				}
			}
		}
	})
}

// FuzzAgentTrace feeds arbitrary trace payloads and chunk bytes to the agent
// accumulator.
func FuzzAgentTrace(f *testing.F) {
	for _, fr := range agentFrames(f) {
		var m eventstream.Message
		var err error
		if m, err = eventstream.NewDecoder().Decode(bytes.NewReader(fr), nil); err != nil {
			f.Fatal(err)
		}
		f.Add(string(m.Payload))
	}
	f.Add(`{"trace":{"orchestrationTrace":{"modelInvocationInput":{"text":"{\"messages\":[{\"role\":\"assistant\",\"content\":\"[{input={a=1}, name=n, id=i, type=tool_use}]\"}]}"}}}}`)
	f.Fuzz(func(t *testing.T, js string) {
		a := &agentAcc{}
		a.trace(js, true)
		a.trace(js, false)
		a.chunk([]byte(js), true)
		agentMessages(nil, "assistant", js, true)
		agentMessages(nil, "user", js, false)
		var c genai.Call
		a.into(&c, true)
	})
}

// frameRecorder is a frameSink that keeps copies of the frames it sees.
type frameRecorder struct {
	frames []frame
	done   int // streamDone calls
	closes int // of which for a Close
}

func (r *frameRecorder) onFrame(f *frame) bool {
	cp := frame{messageType: strings.Clone(f.messageType), eventType: strings.Clone(f.eventType),
		exceptionType: strings.Clone(f.exceptionType), errorCode: strings.Clone(f.errorCode),
		errorMessage: strings.Clone(f.errorMessage), payload: bytes.Clone(f.payload)}
	r.frames = append(r.frames, cp)
	return false
}

func (r *frameRecorder) readEnded() {}

func (r *frameRecorder) streamDone(terminal bool) {
	r.done++
	if !terminal {
		r.closes++
	}
}

// chunkedReader returns at most n bytes per Read.
type chunkedReader struct {
	r io.Reader
	n int
}

func (c *chunkedReader) Read(p []byte) (int, error) {
	if len(p) > c.n {
		p = p[:c.n]
	}
	return c.r.Read(p)
}

// FuzzFrameTee: whatever the bytes and however they are split, the tee passes
// them through unchanged; for a valid stream it sees exactly the frames the
// SDK's decoder sees.
func FuzzFrameTee(f *testing.F) {
	var valid bytes.Buffer
	for _, fr := range converseStreamFrames(f, 3) {
		valid.Write(fr)
	}
	valid.Write(exception(f, "throttlingException", "slow down"))
	f.Add(valid.Bytes(), uint16(1))
	f.Add(valid.Bytes(), uint16(7))
	f.Add(valid.Bytes(), uint16(4096))
	f.Add([]byte{0, 0, 0, 3, 1, 2}, uint16(2))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 1, 2, 3}, uint16(3))
	f.Fuzz(func(t *testing.T, data []byte, split uint16) {
		n := int(split)%8192 + 1
		rec := &frameRecorder{}
		tee := newFrameTee(io.NopCloser(&chunkedReader{r: bytes.NewReader(data), n: n}), rec)
		got, err := io.ReadAll(tee)
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("tee changed the body: err %v", err)
		}
		_ = tee.Close()
		if rec.closes != 1 {
			t.Fatalf("the Close was reported %d times", rec.closes)
		}
		if len(tee.buf) > maxObservedFrame {
			t.Fatalf("buffered %d bytes", len(tee.buf))
		}
		// Reference decoding of the same bytes.
		var want []eventstream.Message
		r := bytes.NewReader(data)
		dec := eventstream.NewDecoder()
		for r.Len() > 0 {
			m, err := dec.Decode(r, nil)
			if err != nil {
				break
			}
			want = append(want, m)
		}
		if len(want) > len(rec.frames) {
			t.Fatalf("tee saw %d frames, decoder %d", len(rec.frames), len(want))
		}
		for i, m := range want {
			if !bytes.Equal(m.Payload, rec.frames[i].payload) {
				t.Fatalf("frame %d payload differs", i)
			}
		}
	})
}

// A read error reaches the reader untouched and does not end the call by
// itself: the SDK's reader records it and then closes the body, and the call
// ends then, once, with the SDK's outcome.
func TestFrameTeeReadError(t *testing.T) {
	rec := &frameRecorder{}
	boom := errors.New("boom")
	tee := newFrameTee(io.NopCloser(io.MultiReader(bytes.NewReader(event(t, "messageStart", `{}`)), &errReader{boom})), rec)
	_, err := io.ReadAll(tee)
	if !errors.Is(err, boom) || rec.done != 0 || len(rec.frames) != 1 {
		t.Fatalf("err %v, ended %d times, %d frames", err, rec.done, len(rec.frames))
	}
	_ = tee.Close()
	_ = tee.Close()
	if rec.done != 2 || rec.closes != 2 {
		t.Fatalf("after Close: ended %d times (%d closes)", rec.done, rec.closes)
	}
}

type errReader struct{ err error }

func (e *errReader) Read([]byte) (int, error) { return 0, e.err }

// Frames larger than the observation bound pass through unobserved and the
// tee resynchronises on the next frame.
func TestFrameTeeOversized(t *testing.T) {
	big := encodeFrame(t, "event", "chunk", bytes.Repeat([]byte("x"), maxObservedFrame+10))
	small := event(t, "metadata", `{"usage":{}}`)
	data := append(append(append([]byte{}, small...), big...), small...)
	for _, n := range []int{1, 3, 1000, len(data)} {
		rec := &frameRecorder{}
		tee := newFrameTee(io.NopCloser(&chunkedReader{r: bytes.NewReader(data), n: n}), rec)
		got, _ := io.ReadAll(tee)
		if !bytes.Equal(got, data) || len(rec.frames) != 2 || rec.frames[1].eventType != "metadata" || cap(tee.buf) > maxObservedFrame {
			t.Fatalf("n=%d: %d frames, buf cap %d", n, len(rec.frames), cap(tee.buf))
		}
	}
}

// FuzzStreamGuardrailTrace: a ConverseStream metadata event's guardrail
// trace, whatever its shape, gives a bounded verdict (that it holds nothing
// a policy matched, TestConverseStreamGuardrailTrace and
// TestConverseGuardrailTrace check).
func FuzzStreamGuardrailTrace(f *testing.F) {
	f.Add(`{"actionReason":"Guardrail blocked.","inputAssessment":{"gr-a":{"topicPolicy":{"topics":[{"name":"Investment advice","type":"DENY","action":"BLOCKED","detected":true}]},`+
		`"sensitiveInformationPolicy":{"piiEntities":[{"match":"ana@example.com","type":"EMAIL","action":"ANONYMIZED","detected":true}]},"automatedReasoningPolicy":{"findings":[{"invalid":{}}]}}},`+
		`"outputAssessments":{"gr-a":[{"wordPolicy":{"customWords":[{"match":"bitcoin","action":"BLOCKED"}]}}]}}`, true)
	f.Add(`{"inputAssessment":{"":null,"x":7},"outputAssessments":{"y":[null,{}]}}`, false)
	f.Add(`[1,2]`, false)
	f.Add(`{"inputAssessment":{"gr-a":{"automatedReasoningPolicy":{"findings":[{"valid":{}},{"invalid":{"x":1}},{"tooComplex":{}}]}}},`+
		`"outputAssessments":{"gr-a":[{"automatedReasoningPolicy":{"findings":[{"noTranslations":{}},{"":1},7]}},{"automatedReasoningPolicy":null}]}}`, true)
	f.Fuzz(func(t *testing.T, raw string, intervened bool) {
		v := streamGuardrailTrace(gjson.Parse(raw), intervened)
		if v == nil || len(v.Interventions) > maxInterventions || v.Truncated && len(v.Interventions) != maxInterventions {
			t.Fatalf("verdict %+v", v)
		}
		if want := map[bool]string{true: "GUARDRAIL_INTERVENED", false: "NONE"}[intervened]; v.Action != want {
			t.Fatalf("action %q, want %q", v.Action, want)
		}
	})
}
