package service

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kitemall/platform/kitex_gen/order"
	"github.com/kitemall/platform/rpc/order/events"
)

// ExpireReason is the cancel reason of an order whose window ran out.
const ExpireReason = "payment window expired"

// timerPrecision is the broker's timer-wheel precision: a timer message
// may arrive up to this much before its due time.
const timerPrecision = time.Second

// ExpireOrder consumes order.timeout: it cancels the order if it still
// awaits payment and releases its stock.
//
// The cancel is the conditional PENDING_PAYMENT -> CANCELLED update, in one
// transaction with the processed-message record, so a paid order is left
// alone and a repeated delivery changes nothing. The release follows the
// status change (releasing first could free the stock of an order a
// concurrent payment has just paid) and runs on every delivery that finds
// the order CANCELLED: ReleaseStock applies at most once per order, so the
// stock is released exactly once and a failed release is completed by the
// redelivery.
type ExpireOrder struct{ d Deps }

// NewExpireOrder returns the operation.
func NewExpireOrder(d Deps) *ExpireOrder { return &ExpireOrder{d: d} }

// Run handles the order.timeout message with key.
func (s *ExpireOrder) Run(ctx context.Context, key string, ev events.OrderTimeout) error {
	o, err := s.d.Orders.ByID(ctx, ev.OrderID)
	if errors.Is(err, ErrNotFound) {
		return fmt.Errorf("order.timeout for order %d, which is not stored", ev.OrderID)
	}
	if err != nil {
		return fmt.Errorf("get order %d: %w", ev.OrderID, err)
	}
	now := s.d.now()
	if o.Status == order.OrderStatus_PENDING_PAYMENT && now.Add(timerPrecision).Before(o.CreatedAt.Add(s.d.PaymentWindow)) {
		// Early (a clock ahead, or the window was lengthened since the
		// timer was set): set a new timer rather than cancel too soon.
		return publishTimeout(ctx, s.d, o)
	}
	status, err := s.d.Orders.Expire(ctx, ConsumerTimeout, key, o.ID, ExpireReason, now)
	if err != nil {
		return fmt.Errorf("expire order %d: %w", o.ID, err)
	}
	if status == order.OrderStatus_CANCELLED {
		if err := s.d.Catalog.Release(ctx, o.ID); err != nil {
			return fmt.Errorf("release stock of expired order %d: %w", o.ID, err)
		}
	}
	s.d.Failpoints.Crash(FailpointConsumerBeforeAck)
	return nil
}
