package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/kitemall/platform/kitex_gen/order"
	"github.com/kitemall/platform/rpc/order/events"
	paymentevents "github.com/kitemall/platform/rpc/payment/events"
)

// ApplyPayment consumes payment.succeeded: the order becomes PAID and its
// stock sold, or, when the order cannot take the payment, the payment is
// refunded.
//
// One transaction records the message as processed and moves the order
// from PENDING_PAYMENT to PAID, if the amount is the order's total. What
// follows is decided from the order as that transaction left it, on every
// delivery, and is repeatable: an order PAID by this payment gets its stock
// confirmed (ConfirmStock applies at most once per order, and a PAID order
// can no longer be cancelled, so its reservation can only be confirmed);
// any other order (cancelled meanwhile, paid by another payment, or of
// another total) gets a payment.refund message for this payment, which the
// payment service applies at most once. So a failed confirm or refund
// request is completed by the redelivery, and a duplicate message changes
// nothing. No money is kept for an order that is not paid by it.
type ApplyPayment struct{ d Deps }

// NewApplyPayment returns the operation.
func NewApplyPayment(d Deps) *ApplyPayment { return &ApplyPayment{d: d} }

// Run handles the payment.succeeded message with key.
func (s *ApplyPayment) Run(ctx context.Context, key string, ev paymentevents.PaymentSucceeded) error {
	n := PaymentNotice{PaymentID: ev.PaymentID, OrderID: ev.OrderID, AmountCents: ev.AmountCents}
	o, err := s.d.Orders.ApplyPayment(ctx, ConsumerPayment, key, n, s.d.now())
	if errors.Is(err, ErrNotFound) {
		return fmt.Errorf("payment %d is for order %d, which is not stored", ev.PaymentID, ev.OrderID)
	}
	if err != nil {
		return fmt.Errorf("apply payment %d to order %d: %w", ev.PaymentID, ev.OrderID, err)
	}
	if o.Status == order.OrderStatus_PAID && o.PaidPaymentID == ev.PaymentID {
		if err := s.d.Catalog.Confirm(ctx, o.ID); err != nil {
			return fmt.Errorf("confirm stock of paid order %d: %w", o.ID, err)
		}
	} else if err := s.refund(ctx, o, ev); err != nil {
		return err
	}
	s.d.Failpoints.Crash(FailpointConsumerBeforeAck)
	return nil
}

// refund asks the payment service to give back a payment the order did
// not take.
func (s *ApplyPayment) refund(ctx context.Context, o *Order, ev paymentevents.PaymentSucceeded) error {
	reason := fmt.Sprintf("order %d is %s", o.ID, o.Status)
	switch {
	case o.TotalCents != ev.AmountCents:
		reason = fmt.Sprintf("paid %d cents for order %d of %d cents", ev.AmountCents, o.ID, o.TotalCents)
		// Pay charges the total it read from this service: a mismatch is a bug.
		s.d.Logger.ErrorContext(ctx, "payment amount differs from the order total; refunding it", "payment_id", ev.PaymentID, "order_id", o.ID,
			"amount_cents", ev.AmountCents, "total_cents", o.TotalCents)
	case o.Status == order.OrderStatus_PAID:
		reason = fmt.Sprintf("order %d is paid by payment %d", o.ID, o.PaidPaymentID)
	}
	body, err := json.Marshal(events.PaymentRefund{PaymentID: ev.PaymentID, OrderID: o.ID, Reason: reason})
	if err != nil {
		return fmt.Errorf("encode payment.refund of payment %d: %w", ev.PaymentID, err)
	}
	if err := s.d.Publisher.Publish(ctx, s.d.Topics.PaymentRefund, paymentevents.Key(ev.PaymentID), body, time.Time{}); err != nil {
		return fmt.Errorf("request refund of payment %d: %w", ev.PaymentID, err)
	}
	s.d.Logger.InfoContext(ctx, "refund requested for a payment the order did not take", "payment_id", ev.PaymentID, "order_id", o.ID, "reason", reason)
	return nil
}
