package mq

import (
	"context"
	"strconv"

	"github.com/apache/rocketmq-client-go/v2/primitive"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// instrumentation names the tracer of this package.
const instrumentation = "github.com/kitemall/platform/pkg/mq"

// The tracer and the propagator are read from the OpenTelemetry globals at
// each use, as observability.Setup installs them after packages load.
func tracer() trace.Tracer { return otel.Tracer(instrumentation) }

// startSend starts the producer span of one message and writes its trace
// context into the message's properties, so the consumer's span (and the
// check-back's) continues the sender's trace across the broker.
func startSend(ctx context.Context, msg *primitive.Message, key string) (context.Context, trace.Span) {
	ctx, span := tracer().Start(ctx, msg.Topic+" send",
		trace.WithSpanKind(trace.SpanKindProducer),
		trace.WithAttributes(messageAttrs(msg.Topic, key)...))
	carrier := propagation.MapCarrier{}
	otel.GetTextMapPropagator().Inject(ctx, carrier)
	for k, v := range carrier {
		msg.WithProperty(k, v)
	}
	return ctx, span
}

// startReceive continues the trace carried by a message's properties with
// a span of kind (consumer, or internal for a check-back).
func startReceive(ctx context.Context, name string, props map[string]string, kind trace.SpanKind, attrs ...attribute.KeyValue) (context.Context, trace.Span) {
	ctx = otel.GetTextMapPropagator().Extract(ctx, propagation.MapCarrier(props))
	return tracer().Start(ctx, name, trace.WithSpanKind(kind), trace.WithAttributes(attrs...))
}

func messageAttrs(topic, key string) []attribute.KeyValue {
	return []attribute.KeyValue{
		attribute.String("messaging.system", "rocketmq"),
		attribute.String("messaging.destination.name", topic),
		attribute.String("messaging.rocketmq.message.keys", key),
	}
}

func reconsumeAttr(n int32) attribute.KeyValue {
	return attribute.String("messaging.rocketmq.reconsume_times", strconv.Itoa(int(n)))
}

// endSpan records err on span and ends it.
func endSpan(span trace.Span, err error) {
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
}
