package bedrocktrace

import (
	"context"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/tracekit-go/tracekit/semconv"
)

// reviewConventions are the convention sets the tests below compare: the
// default (llm-tracekit's, whose output must not change) and the others.
var reviewConventions = []struct {
	name string
	conv []semconv.Convention // nil: the default
}{
	{"default", nil},
	{"otel_oi", []semconv.Convention{semconv.OTelGenAI, semconv.OpenInference}},
	{"tracekit_otel_oi", []semconv.Convention{semconv.Tracekit, semconv.OTelGenAI, semconv.OpenInference}},
}

func reviewEnv(t *testing.T, conv []semconv.Convention) *env {
	e := newEnv(t)
	if conv != nil {
		e.extra = []Option{WithConventions(conv...)}
	}
	return e
}

func familyCaseNamed(t *testing.T, name string) familyCase {
	t.Helper()
	for _, tc := range familyCases {
		if tc.name == name {
			return tc
		}
	}
	t.Fatalf("no %s family case", name)
	return familyCase{}
}

// metricOperations returns the gen_ai.operation.name of every
// gen_ai.client.operation.duration point.
func metricOperations(e *env) []string { return durationAttr(e, semconv.KeyOperationName) }

// durationAttr returns the attribute key of every
// gen_ai.client.operation.duration point ("" when it has none).
func durationAttr(e *env, key attribute.Key) []string {
	var out []string
	for _, sm := range e.metrics().ScopeMetrics {
		for _, m := range sm.Metrics {
			if h, ok := m.Data.(metricdata.Histogram[float64]); ok && m.Name == semconv.MetricOperationDuration {
				for _, p := range h.DataPoints {
					v, _ := p.Attributes.Value(key)
					out = append(out, v.AsString())
				}
			}
		}
	}
	return out
}

// TestInvokeAgentOperationPerConvention: an InvokeAgent call is an
// invoke_agent span named "invoke_agent" in OTel GenAI (semconv.md §1.7)
// and an AGENT span in OpenInference (§3.9), on the span and the metrics;
// with Tracekit selected it keeps llm-tracekit's "chat" and its span name
// bedrock.invoke_agent (llm-tracekit.md §4.6).
func TestInvokeAgentOperationPerConvention(t *testing.T) {
	for _, cc := range reviewConventions {
		t.Run(cc.name, func(t *testing.T) {
			e := reviewEnv(t, cc.conv)
			f := newFake(t, reply{frames: agentFrames(t)})
			out, err := e.agents(f.URL, true).InvokeAgent(context.Background(), &bedrockagentruntime.InvokeAgentInput{
				AgentId: aws.String("AGENT1"), AgentAliasId: aws.String("ALIAS1"), SessionId: aws.String("s-1"),
				InputText: aws.String("what is the weather?"), EnableTrace: aws.Bool(true),
			})
			if err != nil {
				t.Fatal(err)
			}
			for range out.GetStream().Events() {
			}
			_ = out.GetStream().Close()
			s := e.oneSpan()
			a := attrsOf(s)
			wantOp, wantName, wantKind := "chat", "bedrock.invoke_agent", semconv.OISpanKindAgent
			switch cc.name {
			case "default":
				wantKind = ""
			case "otel_oi":
				wantOp, wantName = "invoke_agent", "invoke_agent"
			}
			if got := a["gen_ai.operation.name"].AsString(); got != wantOp {
				t.Errorf("gen_ai.operation.name = %q, want %q", got, wantOp)
			}
			if s.Name() != wantName {
				t.Errorf("span name %q, want %q", s.Name(), wantName)
			}
			if got := a["openinference.span.kind"].AsString(); got != wantKind {
				t.Errorf("openinference.span.kind = %q, want %q", got, wantKind)
			}
			if ops := metricOperations(e); len(ops) != 1 || ops[0] != wantOp {
				t.Errorf("metric operations %v, want [%s]", ops, wantOp)
			}
		})
	}
}

// TestTitanTextOperationPerConvention: a Titan Text InvokeModel (and its
// stream) is a text_completion in OTel GenAI (semconv.md §1.5), and stays
// "chat" with Tracekit (llm-tracekit names every Bedrock call chat). Other
// families stay chat.
func TestTitanTextOperationPerConvention(t *testing.T) {
	titan := familyCaseNamed(t, "titan")
	claude := familyCaseNamed(t, "claude")
	for _, cc := range reviewConventions {
		t.Run(cc.name, func(t *testing.T) {
			e := reviewEnv(t, cc.conv)
			var frames [][]byte
			for _, c := range titan.chunks {
				frames = append(frames, chunk(t, c))
			}
			f := newFake(t, reply{body: titan.response}, reply{frames: frames}, reply{body: claude.response})
			c := e.runtime(f.URL, true)
			if _, err := c.InvokeModel(context.Background(), &bedrockruntime.InvokeModelInput{
				ModelId: aws.String(titan.model), Body: []byte(titan.request)}); err != nil {
				t.Fatal(err)
			}
			out, err := c.InvokeModelWithResponseStream(context.Background(), &bedrockruntime.InvokeModelWithResponseStreamInput{
				ModelId: aws.String(titan.model), Body: []byte(titan.request)})
			if err != nil {
				t.Fatal(err)
			}
			for range out.GetStream().Events() {
			}
			_ = out.GetStream().Close()
			if _, err := c.InvokeModel(context.Background(), &bedrockruntime.InvokeModelInput{
				ModelId: aws.String(claude.model), Body: []byte(claude.request)}); err != nil {
				t.Fatal(err)
			}
			spans := e.spans()
			if len(spans) != 3 {
				t.Fatalf("%d spans", len(spans))
			}
			titanOp, titanName := "chat", "bedrock.invoke_model"
			if cc.name == "otel_oi" {
				titanOp, titanName = "text_completion", "text_completion "+titan.model
			}
			for i, want := range []string{titanOp, titanOp, "chat"} {
				if got := attrsOf(spans[i]).get("gen_ai.operation.name"); got != want {
					t.Errorf("span %d (%s): gen_ai.operation.name %q, want %q", i, spans[i].Name(), got, want)
				}
			}
			if spans[0].Name() != titanName {
				t.Errorf("Titan span name %q, want %q", spans[0].Name(), titanName)
			}
		})
	}
}

func (a attrs) get(k string) string { return a[k].AsString() }

// TestFailedCallExceptionEventPerConvention: a failed Converse call's span
// has an exception event carrying the error type and the status message
// when OTel GenAI or OpenInference is selected (semconv.md §4 Error row),
// none with the default Tracekit convention; content the message quotes is
// withheld from the event as from the status when content is not captured.
func TestFailedCallExceptionEventPerConvention(t *testing.T) {
	for _, cc := range reviewConventions {
		t.Run(cc.name, func(t *testing.T) {
			e := reviewEnv(t, cc.conv)
			in := converseInput()
			quoted := `Value 'weather in Paris?' at 'messages.1.member.content' failed`
			f := newFake(t, reply{status: 400, headers: map[string]string{"X-Amzn-Errortype": "ValidationException"},
				body: `{"message":"` + quoted + `"}`})
			if _, err := e.runtime(f.URL, false).Converse(context.Background(), in); err == nil {
				t.Fatal("no error")
			}
			s := e.oneSpan()
			if s.Status().Code != codes.Error {
				t.Fatalf("status %v", s.Status())
			}
			ev := s.Events()
			if cc.name == "default" {
				if len(ev) != 0 {
					t.Errorf("Tracekit span has events %v", ev)
				}
				return
			}
			if len(ev) != 1 || ev[0].Name != "exception" {
				t.Fatalf("events %v, want one exception event", ev)
			}
			var typ, msg string
			for _, kv := range ev[0].Attributes {
				switch kv.Key {
				case "exception.type":
					typ = kv.Value.AsString()
				case "exception.message":
					msg = kv.Value.AsString()
				}
			}
			if typ != "ValidationException" || typ != attrsOf(s).get("error.type") {
				t.Errorf("exception.type %q, error.type %q", typ, attrsOf(s).get("error.type"))
			}
			if msg != s.Status().Description || msg == "" {
				t.Errorf("exception.message %q, status %q", msg, s.Status().Description)
			}
			if msg == quoted {
				t.Errorf("the event quotes the prompt with capture off: %q", msg)
			}
		})
	}
}

// TestOpenInferencePromptTokensCountCache: a Converse answer with cached
// tokens has llm.token_count.prompt = inputTokens + cacheRead + cacheWrite
// (semconv.md §3.3: the prompt count includes cached tokens), the count
// gen_ai.usage.input_tokens has in OTel GenAI, and total = prompt +
// completion.
func TestOpenInferencePromptTokensCountCache(t *testing.T) {
	e := reviewEnv(t, []semconv.Convention{semconv.OTelGenAI, semconv.OpenInference})
	f := newFake(t, reply{body: converseReply})
	if _, err := e.runtime(f.URL, true).Converse(context.Background(), converseInput()); err != nil {
		t.Fatal(err)
	}
	a := attrsOf(e.oneSpan())
	prompt, read, write := a["llm.token_count.prompt"].AsInt64(), a["llm.token_count.prompt_details.cache_read"].AsInt64(), a["llm.token_count.prompt_details.cache_write"].AsInt64()
	if read == 0 || write == 0 {
		t.Fatalf("the fixture has no cached tokens (read %d, write %d)", read, write)
	}
	if prompt != a["gen_ai.usage.input_tokens"].AsInt64() || prompt != 17+read+write {
		t.Errorf("llm.token_count.prompt %d, gen_ai.usage.input_tokens %d, want 17+%d+%d", prompt, a["gen_ai.usage.input_tokens"].AsInt64(), read, write)
	}
	if total := a["llm.token_count.total"].AsInt64(); total != prompt+a["llm.token_count.completion"].AsInt64() {
		t.Errorf("llm.token_count.total %d", total)
	}
}

// TestOpenInferenceSystemFromBody: InvokeModel with a model ARN that names
// no vendor (application inference profile, provisioned model) takes
// llm.system from the family its body was read as (Claude: anthropic,
// Llama: meta); a body of no known vendor leaves llm.system out rather than
// guess "amazon".
func TestOpenInferenceSystemFromBody(t *testing.T) {
	claude := familyCaseNamed(t, "claude")
	llama := familyCaseNamed(t, "llama3")
	for _, tc := range []struct {
		model, body, response, want string
	}{
		{"arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3d4", claude.request, claude.response, "anthropic"},
		{"arn:aws:bedrock:us-east-1:123456789012:provisioned-model/xyz", llama.request, llama.response, "meta"},
		{"arn:aws:bedrock:us-east-1:123456789012:imported-model/abc", `{"messages":[{"role":"user","content":"hi"}]}`,
			`{"choices":[{"message":{"role":"assistant","content":"hello"},"finish_reason":"stop"}]}`, ""},
	} {
		e := reviewEnv(t, []semconv.Convention{semconv.OpenInference})
		f := newFake(t, reply{body: tc.response})
		if _, err := e.runtime(f.URL, true).InvokeModel(context.Background(), &bedrockruntime.InvokeModelInput{
			ModelId: aws.String(tc.model), Body: []byte(tc.body)}); err != nil {
			t.Fatal(err)
		}
		a := attrsOf(e.oneSpan())
		got, ok := a["llm.system"]
		if ok != (tc.want != "") || got.AsString() != tc.want {
			t.Errorf("%s: llm.system %q (present %v), want %q", tc.model, got.AsString(), ok, tc.want)
		}
		if a.get("llm.provider") != "aws" {
			t.Errorf("%s: llm.provider %q", tc.model, a.get("llm.provider"))
		}
	}
}

// metricServers returns the server.address of every
// gen_ai.client.operation.duration point ("" when it has none).
func metricServers(e *env) []string { return durationAttr(e, semconv.KeyServerAddress) }

// TestServerAddressOTelOnly: with OTel GenAI selected, Bedrock spans and
// metric points carry server.address and server.port of the endpoint the
// SDK resolved (semconv.md §1.4: recommended; port required with it), for
// every operation, failed calls included; with the default Tracekit
// convention they carry none (llm-tracekit records no server on Bedrock).
func TestServerAddressOTelOnly(t *testing.T) {
	claude := familyCaseNamed(t, "claude")
	for _, cc := range reviewConventions {
		t.Run(cc.name, func(t *testing.T) {
			e := reviewEnv(t, cc.conv)
			var frames [][]byte
			for _, c := range claude.chunks {
				frames = append(frames, chunk(t, c))
			}
			f := newFake(t, reply{body: converseReply}, reply{body: claude.response}, reply{frames: frames},
				reply{status: 400, headers: map[string]string{"X-Amzn-Errortype": "ValidationException"}, body: `{"message":"bad"}`},
				reply{frames: agentFrames(t)})
			c := e.runtime(f.URL, true)
			if _, err := c.Converse(context.Background(), converseInput()); err != nil {
				t.Fatal(err)
			}
			if _, err := c.InvokeModel(context.Background(), &bedrockruntime.InvokeModelInput{
				ModelId: aws.String(claude.model), Body: []byte(claude.request)}); err != nil {
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
			if _, err := c.Converse(context.Background(), converseInput()); err == nil {
				t.Fatal("no error")
			}
			ag, err := e.agents(f.URL, true).InvokeAgent(context.Background(), &bedrockagentruntime.InvokeAgentInput{
				AgentId: aws.String("AGENT1"), AgentAliasId: aws.String("ALIAS1"), SessionId: aws.String("s-1"),
				InputText: aws.String("what is the weather?"), EnableTrace: aws.Bool(true)})
			if err != nil {
				t.Fatal(err)
			}
			for range ag.GetStream().Events() {
			}
			_ = ag.GetStream().Close()
			spans := e.spans()
			if len(spans) != 5 {
				t.Fatalf("%d spans", len(spans))
			}
			want := ""
			if cc.name != "default" {
				want = "127.0.0.1"
			}
			for _, s := range spans {
				a := attrsOf(s)
				if got := a.get("server.address"); got != want {
					t.Errorf("%s: server.address %q, want %q", s.Name(), got, want)
				}
				if _, ok := a["server.port"]; ok != (want != "") || ok && a["server.port"].AsInt64() == 0 {
					t.Errorf("%s: server.port %v (present %v)", s.Name(), a["server.port"].String(), ok)
				}
			}
			for _, got := range metricServers(e) {
				if got != want {
					t.Errorf("metric point server.address %q, want %q", got, want)
				}
			}
		})
	}
}

// TestNoteServerPorts: the server of a response is its request's host; a
// URL without a port has the scheme's default port as the implicit one (443
// for https, 80 for http), an explicit 443 too, another port is explicit.
func TestNoteServerPorts(t *testing.T) {
	for _, tc := range []struct {
		url            string
		port, implicit int
	}{
		{"https://bedrock-runtime.us-east-1.amazonaws.com/model/m/converse", 0, 443},
		{"https://bedrock-runtime.us-east-1.amazonaws.com:443/model/m/converse", 0, 443},
		{"http://localhost/model/m/converse", 0, 80},
		{"http://localhost:8080/model/m/converse", 8080, 0},
	} {
		req, err := http.NewRequest(http.MethodPost, tc.url, nil)
		if err != nil {
			t.Fatal(err)
		}
		var st callState
		st.noteServer(&http.Response{Request: req})
		if c := &st.call; c.ServerAddress != req.URL.Hostname() || c.ServerPort != tc.port || c.ImplicitPort != tc.implicit {
			t.Errorf("%s: %q %d %d", tc.url, c.ServerAddress, c.ServerPort, c.ImplicitPort)
		}
	}
	var st callState
	st.noteServer(&http.Response{})
	if st.call.ServerAddress != "" {
		t.Error("a server without a request")
	}
}
