package handler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/kitemall/platform/pkg/mq"
	"github.com/kitemall/platform/rpc/order/events"
	"github.com/kitemall/platform/rpc/order/service"
	paymentevents "github.com/kitemall/platform/rpc/payment/events"
)

// This file adapts the order service's operations to RocketMQ: the
// check-back of order.created and one consumer per topic. A message that
// cannot be decoded fails every delivery and ends in the dead-letter queue,
// where the consumer logs it as an error.

// CheckOrderCreated answers the check-back of an order.created half message.
func (h *Handler) CheckOrderCreated(ctx context.Context, key string, sentAt time.Time) (bool, error) {
	commit, err := service.NewCheckOrderCreated(h.deps).Run(ctx, key, sentAt)
	switch {
	case errors.Is(err, service.ErrLocalTxOpen):
		h.log.DebugContext(ctx, "order.created check-back undecided", "key", key, "err", err)
	case err != nil:
		h.log.WarnContext(ctx, "order.created check-back failed; the broker will ask again", "key", key, "err", err)
	}
	return commit, err
}

// OnOrderCreated consumes order.created.
func (h *Handler) OnOrderCreated(ctx context.Context, m mq.Message) error {
	var ev events.OrderCreated
	if err := decode(m, &ev); err != nil {
		return err
	}
	return service.NewScheduleTimeout(h.deps).Run(ctx, ev)
}

// OnOrderTimeout consumes order.timeout.
func (h *Handler) OnOrderTimeout(ctx context.Context, m mq.Message) error {
	var ev events.OrderTimeout
	if err := decode(m, &ev); err != nil {
		return err
	}
	return service.NewExpireOrder(h.deps).Run(ctx, m.Key, ev)
}

// OnPaymentSucceeded consumes payment.succeeded.
func (h *Handler) OnPaymentSucceeded(ctx context.Context, m mq.Message) error {
	var ev paymentevents.PaymentSucceeded
	if err := decode(m, &ev); err != nil {
		return err
	}
	return service.NewApplyPayment(h.deps).Run(ctx, m.Key, ev)
}

func decode(m mq.Message, v any) error {
	if err := json.Unmarshal(m.Body, v); err != nil {
		return fmt.Errorf("decode %s message %s (key %s): %w", m.Topic, m.MsgID, m.Key, err)
	}
	return nil
}
