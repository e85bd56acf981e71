package instr

import (
	"context"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/tracekit-go/tracekit/internal/genai"
	"github.com/tracekit-go/tracekit/semconv"
)

// TestFailedCallExceptionEvent: a failed call's span carries an exception
// event (exception.type = the error type, exception.message = the span
// status's scrubbed description) when OTel GenAI or OpenInference is
// selected (semconv.md §4 Error row), and none with Tracekit alone
// (llm-tracekit records no event). A call that ended in the past (EndAt)
// dates its event at its end.
func TestFailedCallExceptionEvent(t *testing.T) {
	const raw = "bad header x-amz-security-token:SESSIONTOKEN, retry"
	scrubbed := ScrubError(raw)
	for _, tc := range []struct {
		conv  semconv.Convention
		event bool
	}{
		{0, false},
		{semconv.Tracekit, false},
		{semconv.OTelGenAI, true},
		{semconv.OpenInference, true},
		{semconv.Tracekit | semconv.OTelGenAI, true},
		{semconv.Tracekit | semconv.OpenInference, true},
	} {
		for _, past := range []bool{false, true} {
			rec := tracetest.NewSpanRecorder()
			tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
			opts := []Option{WithTracerProvider(tp)}
			if tc.conv != 0 {
				opts = append(opts, WithConventions(tc.conv))
			}
			r := NewPackage("scope", "v").New(opts...).Resolved()
			call := &genai.Call{Operation: genai.OpChat, Provider: genai.ProviderBedrock, API: "converse",
				Request: genai.Request{Model: "m"}, TimeToFirstChunk: -1}
			_, s := r.Start(context.Background(), call)
			call.Err = &genai.Error{Type: "ValidationException", Message: raw}
			at := time.Time{}
			if past {
				at = s.StartTime().Add(time.Millisecond)
				s.EndAt(call, at)
			} else {
				s.End(call)
			}
			spans := rec.Ended()
			if len(spans) != 1 {
				t.Fatalf("%v: %d spans", tc.conv, len(spans))
			}
			sp := spans[0]
			if sp.Status().Code != codes.Error || sp.Status().Description != scrubbed {
				t.Errorf("%v: status %v", tc.conv, sp.Status())
			}
			ev := sp.Events()
			if !tc.event {
				if len(ev) != 0 {
					t.Errorf("%v: events %v, want none", tc.conv, ev)
				}
				continue
			}
			if len(ev) != 1 || ev[0].Name != semconv.EventException {
				t.Fatalf("%v: events %v, want one exception event", tc.conv, ev)
			}
			got := map[attribute.Key]string{}
			for _, kv := range ev[0].Attributes {
				got[kv.Key] = kv.Value.AsString()
			}
			if got[semconv.KeyExceptionType] != "ValidationException" || got[semconv.KeyExceptionMessage] != scrubbed || len(got) != 2 {
				t.Errorf("%v: event attributes %v", tc.conv, got)
			}
			if past && !ev[0].Time.Equal(at) {
				t.Errorf("%v: event at %v, want the call's end %v", tc.conv, ev[0].Time, at)
			}
		}
	}
}

// TestTracekitFailedCallAllocs: the exception event of the other
// conventions costs a failed call nothing with Tracekit alone (its
// attribute buffer, which escapes, is not even declared).
func TestTracekitFailedCallAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts vary under the race detector")
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(tracetest.NewSpanRecorder()), sdktrace.WithSampler(sdktrace.AlwaysSample()))
	r := NewPackage("scope", "v").New(WithTracerProvider(tp)).Resolved()
	ctx := context.Background()
	err := &genai.Error{Type: "ValidationException", Message: "bad input"}
	n := testing.AllocsPerRun(500, func() {
		call := &genai.Call{Operation: genai.OpChat, Provider: genai.ProviderBedrock, API: "converse",
			Request: genai.Request{Model: "m"}, TimeToFirstChunk: -1}
		_, s := r.Start(ctx, call)
		call.Err = err
		s.End(call)
	})
	if n > 9 {
		t.Errorf("allocs per failed call with Tracekit: %v, want 9 (as before the exception event)", n)
	}
}
