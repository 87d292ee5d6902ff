package handler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/kitemall/platform/pkg/mq"
	orderevents "github.com/kitemall/platform/rpc/order/events"
	"github.com/kitemall/platform/rpc/payment/service"
)

// This file adapts the payment service's operations to RocketMQ: the
// check-back of payment.succeeded and the payment.refund consumer. A
// message that cannot be decoded fails every delivery and ends in the
// dead-letter queue, where the consumer logs it as an error.

// CheckPaymentSucceeded answers the check-back of a payment.succeeded half
// message.
func (h *Handler) CheckPaymentSucceeded(ctx context.Context, key string, sentAt time.Time) (bool, error) {
	commit, err := service.NewCheckPaymentSucceeded(h.deps).Run(ctx, key, sentAt)
	switch {
	case errors.Is(err, service.ErrLocalTxOpen):
		h.log.DebugContext(ctx, "payment.succeeded check-back undecided", "key", key, "err", err)
	case err != nil:
		h.log.WarnContext(ctx, "payment.succeeded check-back failed; the broker will ask again", "key", key, "err", err)
	}
	return commit, err
}

// OnPaymentRefund consumes payment.refund.
func (h *Handler) OnPaymentRefund(ctx context.Context, m mq.Message) error {
	var cmd orderevents.PaymentRefund
	if err := json.Unmarshal(m.Body, &cmd); err != nil {
		return fmt.Errorf("decode %s message %s (key %s): %w", m.Topic, m.MsgID, m.Key, err)
	}
	return service.NewRefundPayment(h.deps).Run(ctx, m.Key, cmd)
}
