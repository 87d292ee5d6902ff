package mq

import (
	"context"
	"fmt"

	rocketmq "github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
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
type Handler func(ctx context.Context, m Message) error

// Consumer is a started push consumer of one group.
type Consumer struct {
	c rocketmq.PushConsumer
}

// ConsumerOptions tune a consumer.
type ConsumerOptions struct {
	// FromFirstOffset makes a brand-new group start at the oldest message.
	FromFirstOffset bool
	// MaxReconsumes bounds redeliveries before the dead-letter queue.
	MaxReconsumes int32
}

// NewConsumer subscribes group to topic with h and starts it.
func NewConsumer(cfg Config, group, topic string, opts ConsumerOptions, h Handler) (*Consumer, error) {
	QuietClientLogs()
	from := consumer.ConsumeFromLastOffset
	if opts.FromFirstOffset {
		from = consumer.ConsumeFromFirstOffset
	}
	copts := []consumer.Option{
		consumer.WithNameServer(cfg.NameServers),
		consumer.WithGroupName(group),
		consumer.WithInstance(instanceName(group)),
		consumer.WithConsumeFromWhere(from),
	}
	if opts.MaxReconsumes > 0 {
		copts = append(copts, consumer.WithMaxReconsumeTimes(opts.MaxReconsumes))
	}
	c, err := rocketmq.NewPushConsumer(copts...)
	if err != nil {
		return nil, fmt.Errorf("create consumer %s: %w", group, err)
	}
	err = c.Subscribe(topic, consumer.MessageSelector{}, func(ctx context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
		for _, m := range msgs {
			msg := Message{Topic: m.Topic, Key: m.GetKeys(), Body: m.Body, Properties: m.GetProperties(), MsgID: m.MsgId, Reconsumes: m.ReconsumeTimes}
			if err := h(ctx, msg); err != nil {
				return consumer.ConsumeRetryLater, err
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
	return &Consumer{c: c}, nil
}

// Shutdown stops the consumer.
func (c *Consumer) Shutdown() error {
	return c.c.Shutdown()
}
