package exporttest

import (
	"bytes"
	"net/http"
	"testing"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

func TestHTTPReceiver(t *testing.T) {
	r := NewHTTPReceiver(t)
	req := &coltracepb.ExportTraceServiceRequest{ResourceSpans: []*tracepb.ResourceSpans{{
		ScopeSpans: []*tracepb.ScopeSpans{{Spans: []*tracepb.Span{{Name: "a"}, {Name: "b"}}}},
	}}}
	body, _ := proto.Marshal(req)
	post := func(path string, b []byte) int {
		t.Helper()
		hr, _ := http.NewRequest(http.MethodPost, r.Endpoint+path, bytes.NewReader(b))
		hr.Header.Set("X-Key", "v")
		resp, err := http.DefaultClient.Do(hr)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post("/v1/traces", body); code != http.StatusOK {
		t.Fatalf("status %d", code)
	}
	r.WaitFor(t, time.Second, func(reqs []Request) bool { return len(reqs) == 1 })
	if got := r.Requests()[0].Header("x-key"); got != "v" {
		t.Errorf("header = %q", got)
	}
	if n := len(r.Spans()); n != 2 {
		t.Errorf("%d spans, want 2", n)
	}
	if code := post("/v1/logs", body); code != http.StatusNotFound {
		t.Errorf("unknown path: status %d", code)
	}
	if code := post("/v1/traces", []byte{0xff, 0xff}); code != http.StatusBadRequest {
		t.Errorf("bad body: status %d", code)
	}
	r.SetFailing(true)
	if code := post("/v1/traces", body); code != http.StatusBadRequest {
		t.Errorf("failing: status %d", code)
	}
	if n := len(r.Requests()); n != 1 {
		t.Errorf("%d requests recorded, want 1", n)
	}
	resp, err := http.Get(r.Endpoint + "/v1/traces")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET: status %d", resp.StatusCode)
	}
}
