package mq_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"maps"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/kitemall/platform/pkg/mq"
	"github.com/kitemall/platform/pkg/testenv"
)

// broker returns the config of the real broker and a topic created for
// this test only.
func broker(t *testing.T, ctx context.Context, prefix string) (mq.Config, string) {
	t.Helper()
	cfg := mq.DefaultConfig()
	cfg.NameServers = []string{testenv.RocketMQNameServer(t)}
	cfg.BrokerAddr = testenv.RocketMQBroker(t)
	topic := prefix + "_" + testenv.Unique()
	if err := mq.CreateTopics(ctx, cfg, topic); err != nil {
		t.Fatal(err)
	}
	return cfg, topic
}

// sendWithRetry retries the first sends to a new topic, which can race the
// broker's route publication.
func sendWithRetry(t *testing.T, ctx context.Context, p *mq.Producer, topic, key string, body []byte, opts ...mq.SendOption) {
	t.Helper()
	var err error
	for range 20 {
		if err = p.Send(ctx, topic, key, body, nil, opts...); err == nil {
			return
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Fatalf("send %s: %v", key, err)
}

func newProducer(t *testing.T, cfg mq.Config, group string) *mq.Producer {
	t.Helper()
	p, err := mq.NewProducer(cfg, group)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Shutdown() })
	return p
}

type delivered struct {
	m      mq.Message
	at     time.Time
	traced trace.SpanContext
}

func consume(t *testing.T, cfg mq.Config, group, topic string, opts mq.ConsumerOptions, fail error) <-chan delivered {
	t.Helper()
	got := make(chan delivered, 16)
	c, err := mq.NewConsumer(cfg, group, topic, opts, func(ctx context.Context, m mq.Message) error {
		got <- delivered{m: m, at: time.Now(), traced: trace.SpanContextFromContext(ctx)}
		return fail
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Shutdown() })
	return got
}

func receive(t *testing.T, ctx context.Context, got <-chan delivered) delivered {
	t.Helper()
	select {
	case d := <-got:
		return d
	case <-ctx.Done():
		t.Fatal("no message arrived")
		return delivered{}
	}
}

// Proves the trace context crosses the broker: the consumer's span is in
// the sender's trace, a child of the producer span that Send started.
func TestTraceContextTravelsInMessageProperties(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	prevTP, prevProp := otel.GetTracerProvider(), otel.GetTextMapPropagator()
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagation.TraceContext{})
	t.Cleanup(func() { otel.SetTracerProvider(prevTP); otel.SetTextMapPropagator(prevProp) })

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cfg, topic := broker(t, ctx, "trace")
	got := consume(t, cfg, topic+"_c", topic, mq.ConsumerOptions{FromFirstOffset: true}, nil)
	p := newProducer(t, cfg, topic+"_p")

	parentCtx, parent := tp.Tracer("test").Start(ctx, "gateway request")
	sendWithRetry(t, parentCtx, p, topic, "k1", []byte("hello"))
	parent.End()

	d := receive(t, ctx, got)
	if !d.traced.IsValid() || d.traced.TraceID() != parent.SpanContext().TraceID() {
		t.Fatalf("consumer span context %v, want one in trace %v", d.traced, parent.SpanContext().TraceID())
	}
	var sendSpan sdktrace.ReadOnlySpan
	for _, s := range rec.Ended() {
		if s.Name() == topic+" send" && s.SpanContext().TraceID() == parent.SpanContext().TraceID() {
			sendSpan = s
		}
	}
	if sendSpan == nil || sendSpan.SpanKind() != trace.SpanKindProducer {
		t.Fatalf("no producer span %q in the trace among %d ended spans", topic+" send", len(rec.Ended()))
	}
	if err := tp.ForceFlush(ctx); err != nil {
		t.Fatal(err)
	}
	for _, s := range rec.Ended() {
		if s.SpanContext().SpanID() == d.traced.SpanID() {
			if s.Parent().SpanID() != sendSpan.SpanContext().SpanID() || s.SpanKind() != trace.SpanKindConsumer {
				t.Fatalf("consumer span %q has parent %v and kind %v, want the send span %v and consumer", s.Name(), s.Parent().SpanID(), s.SpanKind(), sendSpan.SpanContext().SpanID())
			}
			return
		}
	}
	t.Fatal("the consumer span was never ended")
}

// Proves WithDelayTimestamp holds a message until its time on the broker's
// timer wheel: a message due in 4 s is not delivered in the first 3 s
// (the wheel's precision is one second) and arrives soon after it is due.
func TestTimerMessageArrivesAtItsTime(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cfg, topic := broker(t, ctx, "timer")
	reg := prometheus.NewRegistry()
	metrics, err := mq.NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	got := consume(t, cfg, topic+"_c", topic, mq.ConsumerOptions{FromFirstOffset: true, Metrics: metrics}, nil)
	p := newProducer(t, cfg, topic+"_p")

	// A plain message first proves the consumer is live, so the timer's
	// lateness below is the broker's and not the consumer's start-up.
	sendWithRetry(t, ctx, p, topic, "now", []byte("now"))
	if d := receive(t, ctx, got); d.m.Key != "now" {
		t.Fatalf("got %q, want the plain message", d.m.Key)
	}
	due := time.Now().Add(4 * time.Second)
	sendWithRetry(t, ctx, p, topic, "later", []byte("later"), mq.WithDelayTimestamp(due))
	d := receive(t, ctx, got)
	early, late := due.Sub(d.at), d.at.Sub(due)
	t.Logf("timer message due in 4 s arrived %v after its time", late.Round(time.Millisecond))
	if d.m.Key != "later" || early > time.Second || late > 5*time.Second {
		t.Fatalf("got %q at %v from its due time, want it within (-1 s, +5 s)", d.m.Key, late)
	}
	// The lag counts from when the message became due, not from the send
	// 4 s before: a consumer keeping up shows no lag for timer messages.
	n, sum := histogram(t, reg, "mq_consume_lag_seconds", map[string]string{"group": topic + "_c", "topic": topic})
	t.Logf("consume lag of the 2 messages: %.3f s in all", sum)
	if n != 2 || sum > 2 {
		t.Fatalf("mq_consume_lag_seconds: %d observations summing to %.3f s, want 2 well under the timer's 4 s", n, sum)
	}
}

// Proves the retry policy: a message that keeps failing is redelivered
// after a growing delay, counted, and after its last allowed failure
// logged at ERROR, counted as dead-lettered and moved to %DLQ%<group>.
func TestFailingMessageIsRetriedWithBackoffThenDeadLettered(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cfg, topic := broker(t, ctx, "dlq")
	reg := prometheus.NewRegistry()
	metrics, err := mq.NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	if again, err := mq.NewMetrics(reg); err != nil || again == nil {
		t.Fatalf("second NewMetrics on one registry: %v", err)
	}
	var logs syncBuffer
	group := topic + "_c"
	got := consume(t, cfg, group, topic, mq.ConsumerOptions{
		FromFirstOffset: true, MaxReconsumes: 2, RetryDelayLevel: 1,
		Metrics: metrics, Logger: slog.New(slog.NewJSONHandler(&logs, nil)),
	}, errors.New("poison"))
	p := newProducer(t, cfg, topic+"_p")
	sendWithRetry(t, ctx, p, topic, "bad", []byte("poison"))

	var ds []delivered
	for range 3 {
		ds = append(ds, receive(t, ctx, got))
	}
	for i, d := range ds {
		if d.m.Key != "bad" || d.m.Reconsumes != int32(i) {
			t.Fatalf("delivery %d: key %q reconsumes %d, want bad and %d", i, d.m.Key, d.m.Reconsumes, i)
		}
	}
	// Level 1 is 1 s and level 2 is 5 s in the local broker's delay table.
	first, second := ds[1].at.Sub(ds[0].at), ds[2].at.Sub(ds[1].at)
	t.Logf("redelivered after %v, then after %v", first.Round(time.Millisecond), second.Round(time.Millisecond))
	if first < 500*time.Millisecond || second < 4*time.Second || second <= first {
		t.Fatalf("redelivery delays %v then %v, want about 1 s then 5 s", first, second)
	}
	if n := counter(t, reg, "mq_consumed_total", map[string]string{"group": group, "topic": topic, "result": "error"}); n != 3 {
		t.Fatalf("mq_consumed_total{result=error} = %v, want 3", n)
	}
	if n := counter(t, reg, "mq_dead_letter_total", map[string]string{"group": group, "topic": topic}); n != 1 {
		t.Fatalf("mq_dead_letter_total = %v, want 1", n)
	}
	if out := logs.String(); strings.Count(out, `"level":"ERROR"`) != 1 || strings.Count(out, `"level":"WARN"`) != 2 || !strings.Contains(out, "%DLQ%"+group) {
		t.Fatalf("logs = %s\nwant two warnings and one error naming %%DLQ%%%s", out, group)
	}
	dlq := consume(t, cfg, topic+"_dlq", mq.DeadLetterTopic(group), mq.ConsumerOptions{FromFirstOffset: true}, nil)
	if d := receive(t, ctx, dlq); d.m.Key != "bad" || string(d.m.Body) != "poison" {
		t.Fatalf("dead-letter queue holds %q %q, want the poison message", d.m.Key, d.m.Body)
	}
	select {
	case d := <-got:
		t.Fatalf("a fourth delivery (reconsumes %d) after the dead-letter queue", d.m.Reconsumes)
	case <-time.After(2 * time.Second):
	}
}

// counter returns the value of the counter name{labels} in reg, or -1
// when there is no such series.
func counter(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string) float64 {
	t.Helper()
	if m := series(t, reg, name, labels); m != nil {
		return m.GetCounter().GetValue()
	}
	return -1
}

// histogram returns the sample count and sum of the histogram
// name{labels} in reg (0, 0 when there is no such series).
func histogram(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string) (uint64, float64) {
	t.Helper()
	m := series(t, reg, name, labels)
	return m.GetHistogram().GetSampleCount(), m.GetHistogram().GetSampleSum()
}

// series returns the series name{labels} in reg, or nil.
func series(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string) *dto.Metric {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			got := map[string]string{}
			for _, l := range m.GetLabel() {
				got[l.GetName()] = l.GetValue()
			}
			if maps.Equal(got, labels) {
				return m
			}
		}
	}
	return nil
}

// syncBuffer is a bytes.Buffer safe for the consumer's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
