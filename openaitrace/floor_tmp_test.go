package openaitrace

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

func BenchmarkFloorTmp(b *testing.B) {
	ctx := context.Background()
	d := &fakeDoer{body: []byte(chatResponseJSON), contentType: "application/json"}
	p := chatParams()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample()),
		sdktrace.WithSpanProcessor(sdktrace.NewSimpleSpanProcessor(nopExporter{})))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	tr := tp.Tracer("x")
	m := mp.Meter("x")
	h, _ := m.Float64Histogram("d")
	th, _ := m.Int64Histogram("t")
	startAttrs := make([]attribute.KeyValue, 14)
	for i := range startAttrs {
		startAttrs[i] = attribute.String("gen_ai.request.k"+string(rune('a'+i)), "some value of a request")
	}
	endAttrs := make([]attribute.KeyValue, 12)
	for i := range endAttrs {
		endAttrs[i] = attribute.String("gen_ai.response.k"+string(rune('a'+i)), "some value of a response")
	}
	set := attribute.NewSet(startAttrs[:7]...)
	o1 := []metric.RecordOption{metric.WithAttributeSet(set)}
	o2 := []metric.RecordOption{metric.WithAttributeSet(attribute.NewSet(startAttrs[:8]...))}
	o3 := []metric.RecordOption{metric.WithAttributeSet(attribute.NewSet(startAttrs[1:9]...))}
	mw := option.WithMiddleware(func(r *http.Request, next option.MiddlewareNext) (*http.Response, error) {
		t0 := time.Now()
		c, s := tr.Start(r.Context(), "chat gpt", trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(startAttrs...))
		resp, err := next(r.WithContext(c))
		s.SetAttributes(endAttrs...)
		s.End()
		h.Record(c, time.Since(t0).Seconds(), o1...)
		th.Record(c, 10, o2...)
		th.Record(c, 20, o3...)
		return resp, err
	})
	plain := benchClient(d, false, false)
	calls := [2]func() error{
		func() error { _, err := plain.Chat.Completions.New(ctx, p); return err },
		func() error { _, err := plain.Chat.Completions.New(ctx, p, mw); return err },
	}
	_ = openai.Bool
	var sum [2]time.Duration
	for i := 0; i < b.N; i++ {
		for k := 0; k < 2; k++ {
			j := (i + k) % 2
			t0 := time.Now()
			if err := calls[j](); err != nil {
				b.Fatal(err)
			}
			sum[j] += time.Since(t0)
		}
	}
	u, tr2 := float64(sum[0].Nanoseconds())/float64(b.N), float64(sum[1].Nanoseconds())/float64(b.N)
	b.ReportMetric(u, "untraced-ns/op")
	b.ReportMetric(tr2-u, "added-ns/op")
	b.ReportMetric((tr2-u)/u*100, "added-%")
}
