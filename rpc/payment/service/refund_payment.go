package service

import (
	"context"
	"errors"
	"fmt"

	"github.com/kitemall/platform/kitex_gen/payment"
	orderevents "github.com/kitemall/platform/rpc/order/events"
)

// RefundPayment consumes payment.refund: the order service could not take
// a succeeded payment (the order was cancelled meanwhile, or the amount
// differs), so the money goes back and the payment becomes REFUNDED.
//
// The provider refund comes first and is idempotent per charge (a repeated
// request is answered from the provider's memory), then one transaction
// records the message as processed and moves the payment from SUCCEEDED
// to REFUNDED. A failure in between is completed by the redelivery, which
// refunds nothing twice; a repeated message finds the payment REFUNDED and
// changes nothing.
type RefundPayment struct{ deps Deps }

// NewRefundPayment returns the operation.
func NewRefundPayment(deps Deps) *RefundPayment { return &RefundPayment{deps: deps} }

// Run handles the payment.refund message with key.
func (s *RefundPayment) Run(ctx context.Context, key string, cmd orderevents.PaymentRefund) error {
	p, err := s.deps.Payments.Get(ctx, cmd.PaymentID)
	if errors.Is(err, ErrNotFound) {
		return fmt.Errorf("refund of payment %d, which is not stored", cmd.PaymentID)
	}
	if err != nil {
		return fmt.Errorf("get payment %d: %w", cmd.PaymentID, err)
	}
	switch p.Status {
	case payment.PaymentStatus_REFUNDED:
		return nil
	case payment.PaymentStatus_SUCCEEDED:
	default:
		// Only a committed success is ever sent to the order service, so
		// this is a bug worth a look; there is no money to give back.
		s.deps.Logger.ErrorContext(ctx, "refund requested for a payment that did not succeed", "payment_id", p.ID, "status", p.Status.String())
		return nil
	}
	res, err := s.deps.Gateway.Refund(ctx, RefundRequest{ProviderRef: p.ProviderRef, AmountCents: p.AmountCents, IdempotencyKey: p.IdempotencyKey})
	if err != nil {
		return fmt.Errorf("refund payment %d at the provider: %w", p.ID, err)
	}
	moved, err := s.deps.Payments.Refund(ctx, ConsumerRefund, key, p.ID,
		Outcome{Status: payment.PaymentStatus_REFUNDED, ProviderRef: res.ProviderRef, FailureReason: cmd.Reason})
	if err != nil {
		return fmt.Errorf("record refund of payment %d: %w", p.ID, err)
	}
	if moved {
		s.deps.Logger.InfoContext(ctx, "refunded a payment the order did not take", "payment_id", p.ID, "order_id", p.OrderID, "reason", cmd.Reason)
	}
	return nil
}
