package mq

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	rocketmq "github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// Message is what a handler sees of a delivered message.
type Message struct {
	Topic      string
	Key        string
	Body       []byte
	Properties map[string]string
	MsgID      string
	// Reconsumes counts earlier failed deliveries of this message.
	Reconsumes int32
}

// Handler processes one message. Delivery is at least once, so a handler
// must be idempotent; a returned error asks the broker to redeliver later
// (after MaxReconsumes failures the broker moves it to the group's DLQ).
// Its ctx continues the trace of the code that sent the message.
type Handler func(ctx context.Context, m Message) error

// Consumer is a started push consumer of one group.
type Consumer struct {
	c rocketmq.PushConsumer
	// Handlers run under the read lock; Shutdown takes the write lock to
	// wait for them, and marks the consumer closed so that a callback the
	// client still makes afterwards hands its message back untouched.
	mu     sync.RWMutex
	closed bool
}

// ConsumerConfig is the retry policy of a service's consumers, as config.
type ConsumerConfig struct {
	// MaxReconsumes is how many redeliveries a failing message gets before
	// the broker moves it to the group's dead-letter queue %DLQ%<group>.
	MaxReconsumes int32 `yaml:"max_reconsumes" env:"MQ_MAX_RECONSUMES"`
	// RetryDelayLevel is the broker delay level of the first redelivery;
	// each later one waits one level longer. 0 keeps the broker's default
	// (level 3: 10 s, then 30 s, 1 m, 2 m, ...).
	RetryDelayLevel int `yaml:"retry_delay_level" env:"MQ_RETRY_DELAY_LEVEL"`
}

// RetryTopic is where the broker keeps group's messages waiting for a
// redelivery.
func RetryTopic(group string) string { return "%RETRY%" + group }

// DeadLetterTopic is where the broker moves group's messages that failed
// their last allowed delivery.
func DeadLetterTopic(group string) string { return "%DLQ%" + group }

// maxDelayLevel is the last of the broker's 18 delay levels.
const maxDelayLevel = 18

// Validate checks the config; key is the config key prefix for messages.
func (c ConsumerConfig) Validate(key string) error {
	if c.MaxReconsumes < 1 || c.MaxReconsumes > 16 {
		return fmt.Errorf("%s.max_reconsumes: %d is not in 1..16", key, c.MaxReconsumes)
	}
	if c.RetryDelayLevel < 0 || c.RetryDelayLevel > maxDelayLevel {
		return fmt.Errorf("%s.retry_delay_level: %d is not in 0..%d", key, c.RetryDelayLevel, maxDelayLevel)
	}
	return nil
}

// ConsumerOptions tune a consumer.
type ConsumerOptions struct {
	// FromFirstOffset makes a brand-new group start at the oldest message.
	FromFirstOffset bool
	// MaxReconsumes bounds redeliveries before the dead-letter queue; 0
	// means the client's default of 16.
	MaxReconsumes int32
	// RetryDelayLevel sets the backoff as in ConsumerConfig.
	RetryDelayLevel int
	// Metrics, when set, counts every handled message and every message
	// sent to the dead-letter queue.
	Metrics *Metrics
	// Logger, when set, logs failed deliveries (a warning while retries
	// remain, an error when the message goes to the dead-letter queue).
	Logger *slog.Logger
}

// WithConfig returns the options with cfg's retry policy.
func (o ConsumerOptions) WithConfig(cfg ConsumerConfig) ConsumerOptions {
	o.MaxReconsumes, o.RetryDelayLevel = cfg.MaxReconsumes, cfg.RetryDelayLevel
	return o
}

// NewConsumer subscribes group to topic with h and starts it. It creates the
// group's retry and dead-letter topics first: the broker would create them
// with the first failure, but a consumer learns a new topic's route only
// at its next name-server poll (30 s), which would delay the first retry
// of every new group by that long.
func NewConsumer(cfg Config, group, topic string, opts ConsumerOptions, h Handler) (*Consumer, error) {
	QuietClientLogs()
	ctx, cancel := context.WithTimeout(context.Background(), 2*cfg.SendTimeout)
	err := CreateTopics(ctx, cfg, RetryTopic(group), DeadLetterTopic(group))
	cancel()
	if err != nil {
		return nil, fmt.Errorf("create the retry topics of consumer %s: %w", group, err)
	}
	from := consumer.ConsumeFromLastOffset
	if opts.FromFirstOffset {
		from = consumer.ConsumeFromFirstOffset
	}
	maxReconsumes := opts.MaxReconsumes
	if maxReconsumes <= 0 {
		maxReconsumes = 16
	}
	c, err := rocketmq.NewPushConsumer(
		consumer.WithNameServer(cfg.NameServers),
		consumer.WithGroupName(group),
		consumer.WithInstance(instanceName(group)),
		consumer.WithConsumeFromWhere(from),
		consumer.WithMaxReconsumeTimes(maxReconsumes),
		// One message per call, so one failure redelivers only itself.
		consumer.WithConsumeMessageBatchMaxSize(1),
	)
	if err != nil {
		return nil, fmt.Errorf("create consumer %s: %w", group, err)
	}
	out := &Consumer{c: c}
	d := delivery{group: group, maxReconsumes: maxReconsumes, opts: opts, h: h}
	err = c.Subscribe(topic, consumer.MessageSelector{}, func(ctx context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
		out.mu.RLock()
		defer out.mu.RUnlock()
		if out.closed {
			return consumer.ConsumeRetryLater, nil
		}
		for _, m := range msgs {
			if err := d.handle(ctx, m); err != nil {
				if cc, ok := primitive.GetConcurrentlyCtx(ctx); ok {
					cc.DelayLevelWhenNextConsume = d.retryDelayLevel(m.ReconsumeTimes)
				}
				// The error is logged and counted already; returning it
				// would only make the client log it again.
				return consumer.ConsumeRetryLater, nil
			}
		}
		return consumer.ConsumeSuccess, nil
	})
	if err != nil {
		return nil, fmt.Errorf("subscribe %s to %s: %w", group, topic, err)
	}
	if err := c.Start(); err != nil {
		return nil, fmt.Errorf("start consumer %s: %w", group, err)
	}
	return out, nil
}

// delivery handles one group's messages: trace, handler, metrics, logs.
type delivery struct {
	group         string
	maxReconsumes int32
	opts          ConsumerOptions
	h             Handler
}

func (d delivery) handle(ctx context.Context, m *primitive.MessageExt) error {
	if m.StoreTimestamp > 0 {
		d.opts.Metrics.observeLag(d.group, m.Topic, time.UnixMilli(m.StoreTimestamp), time.Now())
	}
	key := m.GetKeys()
	props := m.GetProperties()
	attrs := append(messageAttrs(m.Topic, key),
		attribute.String("messaging.message.id", m.MsgId),
		attribute.String("messaging.consumer.group.name", d.group),
		reconsumeAttr(m.ReconsumeTimes))
	ctx, span := startReceive(ctx, m.Topic+" process", props, trace.SpanKindConsumer, attrs...)
	err := d.h(ctx, Message{Topic: m.Topic, Key: key, Body: m.Body, Properties: props, MsgID: m.MsgId, Reconsumes: m.ReconsumeTimes})
	endSpan(span, err)

	// The broker moves a message to the DLQ when a delivery that already
	// had maxReconsumes redeliveries fails.
	dead := err != nil && m.ReconsumeTimes >= d.maxReconsumes
	d.opts.Metrics.observe(d.group, m.Topic, err, dead)
	if err != nil && d.opts.Logger != nil {
		fields := []any{"group", d.group, "topic", m.Topic, "key", key, "msg_id", m.MsgId, "reconsumes", m.ReconsumeTimes, "err", err}
		if dead {
			d.opts.Logger.ErrorContext(ctx, "message failed its last delivery and goes to the dead-letter queue",
				append(fields, "dlq_topic", DeadLetterTopic(d.group))...)
		} else {
			d.opts.Logger.WarnContext(ctx, "message failed and will be redelivered", fields...)
		}
	}
	return err
}

// retryDelayLevel grows the wait by one delay level per failed delivery.
// Zero leaves the choice to the broker.
func (d delivery) retryDelayLevel(reconsumes int32) int {
	if d.opts.RetryDelayLevel <= 0 {
		return 0
	}
	return min(d.opts.RetryDelayLevel+int(reconsumes), maxDelayLevel)
}

// Shutdown stops the consumer, then waits for the handlers still running:
// the client itself does not wait for them.
func (c *Consumer) Shutdown() error {
	err := c.c.Shutdown()
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	return err
}
