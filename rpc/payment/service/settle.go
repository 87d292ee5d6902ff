package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/kitemall/platform/kitex_gen/payment"
	"github.com/kitemall/platform/pkg/errs"
	"github.com/kitemall/platform/pkg/mq"
	"github.com/kitemall/platform/rpc/payment/events"
)

// settlement records the provider's answer to a charge on its PENDING
// payment; Pay and the sweeper (RedrivePayments) share it.
//
// A decline settles the payment FAILED, and nothing else needs to know. An
// approval settles it SUCCEEDED as the local transaction of a
// payment.succeeded half message (key = payment ID), so the order service
// hears of exactly the payments that succeeded: the message commits with
// the row, and when the process dies in between, the check-back
// (CheckPaymentSucceeded) decides from the payments table. A payment the
// local transaction leaves PENDING is charged again by the sweeper, which
// the provider answers from memory, and settled through this same path.
type settlement struct{ d Deps }

// record settles p with res and returns the payment as it now is.
func (s settlement) record(ctx context.Context, p Payment, res ChargeResult) (Payment, error) {
	if res.Approved {
		return s.succeed(ctx, p, res.ProviderRef)
	}
	failed, err := s.d.Payments.Settle(ctx, p.ID, Outcome{Status: payment.PaymentStatus_FAILED, ProviderRef: res.ProviderRef, FailureReason: res.DeclineReason})
	if errors.Is(err, ErrNotPending) {
		return s.current(ctx, p.ID)
	}
	if err != nil {
		return Payment{}, fmt.Errorf("settle payment %d of order %d as FAILED: %w", p.ID, p.OrderID, err)
	}
	return failed, nil
}

// succeed settles p SUCCEEDED together with its payment.succeeded message.
func (s settlement) succeed(ctx context.Context, p Payment, chargeRef string) (Payment, error) {
	body, err := json.Marshal(events.PaymentSucceeded{PaymentID: p.ID, OrderID: p.OrderID, UserID: p.UserID, AmountCents: p.AmountCents})
	if err != nil {
		return Payment{}, fmt.Errorf("encode payment.succeeded of payment %d: %w", p.ID, err)
	}
	var settled Payment
	ran := false
	err = s.d.Tx.Send(ctx, s.d.SucceededTopic, events.Key(p.ID), body, nil, func(ctx context.Context) error {
		ran = true
		var err error
		settled, err = s.local(ctx, p, chargeRef)
		return err
	})
	switch {
	case err == nil:
		return settled, nil
	case !ran:
		// Money has moved but the half message was not stored: the
		// payment stays PENDING until the sweeper settles it.
		s.d.Logger.WarnContext(ctx, "payment.succeeded half message not sent; the sweeper will settle the payment", "payment_id", p.ID, "err", err)
		return Payment{}, errs.Unavailable("payment %d is being processed; its outcome will be recorded shortly", p.ID)
	case errors.Is(err, ErrAlreadyPaid):
		return Payment{}, s.refund(ctx, p, chargeRef)
	case errors.Is(err, ErrNotPending):
		// A concurrent settlement (the sweeper, or Pay) got there first.
		return s.current(ctx, p.ID)
	default:
		return Payment{}, err
	}
}

// local is payment.succeeded's local transaction: the conditional
// PENDING -> SUCCEEDED update. It runs detached from the caller's
// cancellation, which could otherwise cut the commit in half, and within
// LocalTxTimeout, so that it is over before the check-back may roll it
// back.
func (s settlement) local(ctx context.Context, p Payment, chargeRef string) (Payment, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.d.LocalTxTimeout)
	defer cancel()
	s.d.Failpoints.Crash(FailpointAfterHalfSent)
	settled, err := s.d.Payments.Settle(ctx, p.ID, Outcome{Status: payment.PaymentStatus_SUCCEEDED, ProviderRef: chargeRef})
	switch {
	case err == nil:
		s.d.Failpoints.Crash(FailpointAfterLocalCommit)
		return settled, nil
	case errs.IsUnavailable(err):
		// The update may have committed: the check-back reads the row.
		return Payment{}, fmt.Errorf("%w: settle payment %d of order %d as SUCCEEDED: %w", mq.ErrUnknown, p.ID, p.OrderID, err)
	default:
		return Payment{}, fmt.Errorf("settle payment %d of order %d as SUCCEEDED: %w", p.ID, p.OrderID, err)
	}
}

// current reads the payment as another settlement left it.
func (s settlement) current(ctx context.Context, id int64) (Payment, error) {
	p, err := s.d.Payments.Get(ctx, id)
	if err != nil {
		return Payment{}, fmt.Errorf("read payment %d settled concurrently: %w", id, err)
	}
	return p, nil
}

// refund gives back a charge that lost the race to another key's success
// on the same order, and answers FAILED_PRECONDITION like a paid order.
func (s settlement) refund(ctx context.Context, p Payment, chargeRef string) error {
	res, err := s.d.Gateway.Refund(ctx, RefundRequest{ProviderRef: chargeRef, AmountCents: p.AmountCents, IdempotencyKey: p.IdempotencyKey})
	if err != nil {
		return fmt.Errorf("refund payment %d of already paid order %d: %w", p.ID, p.OrderID, err)
	}
	s.d.Logger.WarnContext(ctx, "refunded a charge for an order paid concurrently", "payment_id", p.ID, "order_id", p.OrderID)
	if _, err := s.d.Payments.Settle(ctx, p.ID, Outcome{
		Status:        payment.PaymentStatus_REFUNDED,
		ProviderRef:   res.ProviderRef,
		FailureReason: "order already paid by another payment",
	}); err != nil {
		return fmt.Errorf("settle payment %d of order %d as REFUNDED: %w", p.ID, p.OrderID, err)
	}
	return errs.FailedPrecondition("order %d is already paid", p.OrderID)
}
