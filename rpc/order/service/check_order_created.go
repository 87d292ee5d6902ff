package service

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// ErrLocalTxOpen asks the broker to check again later: the half message's
// local transaction may still be running.
var ErrLocalTxOpen = errors.New("order not stored yet and its local transaction may still be running")

// CheckOrderCreated answers the broker's check-back for an order.created
// half message (key = order ID) from the order table: the order exists,
// commit; it is absent and the half message was sent less than
// LocalTxWindow ago, ask again later; it is absent for longer, the local
// transaction is over (it is bounded by the shorter LocalTxTimeout) and
// never stored the order, so release whatever it may have reserved, then
// roll back.
//
// The release comes first and the rollback only once it succeeded, so a
// failed release is retried by the next check-back. Releasing an order
// that reserved nothing makes a late reservation for it hold nothing, so
// no stock is held for an order that will never exist.
type CheckOrderCreated struct{ d Deps }

// NewCheckOrderCreated returns the operation.
func NewCheckOrderCreated(d Deps) *CheckOrderCreated { return &CheckOrderCreated{d: d} }

// Run decides the half message with key, sent at sentAt: commit or roll
// back, or an error to be asked again.
func (s *CheckOrderCreated) Run(ctx context.Context, key string, sentAt time.Time) (commit bool, err error) {
	id, err := strconv.ParseInt(key, 10, 64)
	if err != nil || id <= 0 {
		// Not an order ID: no order can ever match, so nothing to keep.
		s.d.Logger.ErrorContext(ctx, "order.created check-back for a malformed key", "key", key)
		return false, nil
	}
	exists, err := s.d.Orders.Exists(ctx, id)
	if err != nil {
		return false, fmt.Errorf("look up order %d: %w", id, err)
	}
	if exists {
		return true, nil
	}
	if age := s.d.Clock().Sub(sentAt); age < s.d.LocalTxWindow {
		return false, fmt.Errorf("order %d, half message sent %v ago: %w", id, age.Round(time.Millisecond), ErrLocalTxOpen)
	}
	if err := s.d.Catalog.Release(ctx, id); err != nil {
		return false, fmt.Errorf("release the stock of order %d before rolling it back: %w", id, err)
	}
	s.d.Logger.WarnContext(ctx, "order.created rolled back: the order was never stored", "order_id", id, "sent_at", sentAt)
	return false, nil
}
