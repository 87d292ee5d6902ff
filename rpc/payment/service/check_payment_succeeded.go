package service

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/kitemall/platform/kitex_gen/payment"
)

// ErrLocalTxOpen asks the broker to check again later: the half message's
// local transaction may still be running.
var ErrLocalTxOpen = errors.New("payment still pending and its local transaction may still be running")

// CheckPaymentSucceeded answers the broker's check-back for a
// payment.succeeded half message (key = payment ID) from the payments
// table: SUCCEEDED commits; PENDING within LocalTxWindow of the send is
// asked again; anything else rolls back. A payment left PENDING is settled
// later by the sweeper, with a new message of its own.
//
// A REFUNDED payment rolls back too: a refund that follows a success
// happens only after this very message was committed and consumed, so the
// check-back asks about it only for a second half message of the same
// payment (two settlements racing), which must not be delivered.
type CheckPaymentSucceeded struct{ deps Deps }

// NewCheckPaymentSucceeded returns the operation.
func NewCheckPaymentSucceeded(deps Deps) *CheckPaymentSucceeded {
	return &CheckPaymentSucceeded{deps: deps}
}

// Run decides the half message with key, sent at sentAt.
func (s *CheckPaymentSucceeded) Run(ctx context.Context, key string, sentAt time.Time) (commit bool, err error) {
	id, err := strconv.ParseInt(key, 10, 64)
	if err != nil || id <= 0 {
		s.deps.Logger.ErrorContext(ctx, "payment.succeeded check-back for a malformed key", "key", key)
		return false, nil
	}
	p, err := s.deps.Payments.Get(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("look up payment %d: %w", id, err)
	}
	switch p.Status {
	case payment.PaymentStatus_SUCCEEDED:
		return true, nil
	case payment.PaymentStatus_PENDING:
		if age := s.deps.Clock().Sub(sentAt); age < s.deps.LocalTxWindow {
			return false, fmt.Errorf("payment %d, half message sent %v ago: %w", id, age.Round(time.Millisecond), ErrLocalTxOpen)
		}
	}
	return false, nil
}
