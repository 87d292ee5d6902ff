package dal

import (
	"context"
	"time"

	"github.com/kitemall/platform/pkg/mq"
	"github.com/kitemall/platform/rpc/order/service"
)

// Publisher is a service.Publisher over the process's plain RocketMQ
// producer.
type Publisher struct{ p *mq.Producer }

var _ service.Publisher = (*Publisher)(nil)

// NewPublisher returns the publisher over p.
func NewPublisher(p *mq.Producer) *Publisher { return &Publisher{p: p} }

// Publish implements service.Publisher; a deliverAt in the future makes a
// timer message.
func (p *Publisher) Publish(ctx context.Context, topic, key string, body []byte, deliverAt time.Time) error {
	if deliverAt.IsZero() {
		return p.p.Send(ctx, topic, key, body, nil)
	}
	return p.p.Send(ctx, topic, key, body, nil, mq.WithDelayTimestamp(deliverAt))
}
