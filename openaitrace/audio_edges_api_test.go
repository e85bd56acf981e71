package openaitrace

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/tracekit-go/tracekit/semconv"
	"go.opentelemetry.io/otel/codes"
)

// stallingAudio sends part of an audio answer and holds the connection.
func stallingAudio(release chan struct{}) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "audio/mpeg")
		w.WriteHeader(200)
		_, _ = w.Write(bytes.Repeat([]byte{0xff}, 64<<10))
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}
}

// a speech body the caller reads partly and drops (no Close, Background
// ctx): the span should end when the body is collected, like a stream's.
func TestSpeechAbandonedBodyEnds(t *testing.T) {
	release := make(chan struct{})
	h := newHarness(t, stallingAudio(release), true)
	t.Cleanup(func() { close(release) })
	func() {
		res, err := h.client.Audio.Speech.New(context.Background(), speechParams())
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.ReadFull(res.Body, make([]byte, 1024))
	}() // abandoned
	deadline := time.Now().Add(3 * time.Second)
	for len(h.rec.Ended()) == 0 && time.Now().Before(deadline) {
		runtime.GC()
		time.Sleep(5 * time.Millisecond)
	}
	if n := len(h.rec.Ended()); n != 1 {
		t.Fatalf("abandoned speech body: %d ended spans (started %d), want 1", n, len(h.rec.Started()))
	}
}

// cancellation mid-read of speech ends the span as canceled.
func TestSpeechCancelMidRead(t *testing.T) {
	release := make(chan struct{})
	h := newHarness(t, stallingAudio(release), true)
	t.Cleanup(func() { close(release) })
	ctx, cancel := context.WithCancel(context.Background())
	res, err := h.client.Audio.Speech.New(ctx, speechParams())
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.ReadFull(res.Body, make([]byte, 1024))
	cancel()
	_, rerr := io.ReadAll(res.Body)
	_ = res.Body.Close()
	s := h.onlySpan()
	if s.Status().Code != codes.Error || attrs(s)["error.type"].AsString() != "canceled" {
		t.Errorf("read err %v; span status %+v error.type %q", rerr, s.Status(), attrs(s)["error.type"].AsString())
	}
}

// a 4xx JSON answer to speech is the span's error.
func TestSpeechErrorParsed(t *testing.T) {
	h := newHarness(t, jsonHandler(400, `{"error":{"message":"bad voice","type":"invalid_request_error"}}`), true)
	if _, err := h.client.Audio.Speech.New(context.Background(), speechParams()); err == nil {
		t.Fatal("no error")
	}
	s := h.onlySpan()
	if s.Status().Code != codes.Error || !strings.Contains(s.Status().Description, "bad voice") {
		t.Errorf("status %+v", s.Status())
	}
}

// response_format text through the SDK's documented path for
// text/srt/vtt (Client.Post with a *string destination): the caller gets the
// transcript, no error; the span should not say the call failed.
func TestTranscriptionTextFormatViaPost(t *testing.T) {
	h := newHarness(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("Ana met Bruno.\n"))
	}), true)
	p := transcriptionParams()
	p.ResponseFormat = openai.AudioResponseFormatText
	var out string
	if err := h.client.Post(context.Background(), "audio/transcriptions", p, &out); err != nil || out != "Ana met Bruno.\n" {
		t.Fatalf("caller: %q, %v", out, err)
	}
	s := h.onlySpan()
	if s.Status().Code == codes.Error {
		t.Errorf("span says the call failed: %+v (error.type %s); the caller got %q without error",
			s.Status(), attrs(s)["error.type"].AsString(), out)
	}
}

// with capture off the call keeps its copy of the whole upload
// (c.reqBody) after the span has ended: a stream's call is never recycled, so
// the 20 MB copy lives as long as the caller holds the stream (its body).
func TestStreamRetainsUpload(t *testing.T) {
	const size = 4 << 20
	h := newHarness(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		sseHandler(dataEvents(`{"type":"transcript.text.done","text":"x"}`)...)(w, r)
	}), false)
	p := transcriptionParams()
	p.File = openai.File(bytes.NewReader(make([]byte, size)), "a.wav", "audio/wav")
	p.SetExtraFields(map[string]any{"stream": "true"})
	var raw *http.Response
	if _, err := h.client.Audio.Transcriptions.New(context.Background(), p, option.WithResponseBodyInto(&raw)); err != nil {
		t.Fatal(err)
	}
	_, _ = io.ReadAll(raw.Body)
	_ = raw.Body.Close()
	if len(h.rec.Ended()) != 1 {
		t.Fatal("span not ended")
	}
	if c := raw.Body.(*tee).c; c != nil && len(c.reqBody) > 0 {
		t.Errorf("ended stream call still references a %d MB copy of the upload", len(c.reqBody)>>20)
	}
}

// speech into bytes; speech error withheld; verbose_json usage.
func TestAudioChecks(t *testing.T) {
	h := newHarnessWith(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "audio/wav")
		_, _ = w.Write([]byte("RIFFxxxxWAVE"))
	}), true, &harnessConfig{tracing: []Option{WithConventions(semconv.OTelGenAI)}})
	var b []byte
	if _, err := h.client.Audio.Speech.New(context.Background(), speechParams(), option.WithResponseBodyInto(&b)); err != nil || string(b) != "RIFFxxxxWAVE" {
		t.Fatalf("%q %v", b, err)
	}
	wantAttrs(t, attrs(h.onlySpan()), map[string]any{
		"gen_ai.output.messages": `[{"role":"assistant","parts":[{"type":"blob","modality":"audio","mime_type":"audio/wav"}],"finish_reason":"stop"}]`,
	})

	h = newHarness(t, jsonHandler(400, `{"error":{"message":"input 'Today is a wonderful day.' rejected","type":"invalid_request_error"}}`), false)
	_, _ = h.client.Audio.Speech.New(context.Background(), speechParams())
	if d := h.onlySpan().Status().Description; strings.Contains(d, "wonderful") {
		t.Errorf("speech error not withheld: %s", d)
	}

	h = newHarness(t, jsonHandler(200, `{"task":"transcribe","language":"english","duration":8.47,"text":"Hi.","segments":[],"usage":{"type":"duration","seconds":9}}`), true)
	p := transcriptionParams()
	p.ResponseFormat = openai.AudioResponseFormatVerboseJSON
	if _, err := h.client.Audio.Transcriptions.New(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	wantAttrs(t, attrs(h.onlySpan()), map[string]any{"gen_ai.completion.0.content": "Hi.", "gen_ai.usage.input_tokens": nil})
}
