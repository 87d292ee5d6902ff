package mq

import (
	"context"
	"fmt"
	"time"

	rocketmq "github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
)

// Producer sends plain (non-transactional) messages, immediately or at a
// set time. Create one per process and share it.
type Producer struct {
	p rocketmq.Producer
}

// SendOption adjusts one message.
type SendOption func(*primitive.Message)

// WithDelayTimestamp has the broker deliver the message at (not before)
// at, through its timer wheel (1 s precision, up to 3 days ahead); a time
// already past delivers at once. Never use it on a transactional message.
func WithDelayTimestamp(at time.Time) SendOption {
	return func(m *primitive.Message) { m.WithDelayTimestamp(at) }
}

// NewProducer creates and starts a producer in group.
func NewProducer(cfg Config, group string) (*Producer, error) {
	QuietClientLogs()
	p, err := rocketmq.NewProducer(
		producer.WithNameServer(cfg.NameServers),
		producer.WithGroupName(group),
		producer.WithInstanceName(instanceName(group)),
		producer.WithSendMsgTimeout(cfg.SendTimeout),
		producer.WithRetry(cfg.Retries),
	)
	if err != nil {
		return nil, fmt.Errorf("create producer %s: %w", group, err)
	}
	if err := p.Start(); err != nil {
		return nil, fmt.Errorf("start producer %s: %w", group, err)
	}
	return &Producer{p: p}, nil
}

// Send stores the message on the broker and returns once it is stored. The
// trace context of ctx travels in the message's properties.
func (p *Producer) Send(ctx context.Context, topic, key string, body []byte, props map[string]string, opts ...SendOption) (err error) {
	msg := newMessage(topic, key, body)
	ctx, span := startSend(ctx, msg, key)
	defer func() { endSpan(span, err) }()
	withProperties(msg, props)
	for _, o := range opts {
		o(msg)
	}
	res, err := p.p.SendSync(ctx, msg)
	if err != nil {
		return fmt.Errorf("send message %s/%s: %w", topic, key, err)
	}
	if res.Status != primitive.SendOK {
		return fmt.Errorf("send message %s/%s: broker status %d", topic, key, res.Status)
	}
	return nil
}

// Shutdown stops the producer; call it after everything that sends has
// stopped.
func (p *Producer) Shutdown() error {
	return p.p.Shutdown()
}
