package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/kitemall/platform/kitex_gen/order"
	"github.com/kitemall/platform/rpc/order/events"
)

// ScheduleTimeout consumes order.created and sends the order's
// order.timeout timer message, due when its payment window ends.
//
// Scheduling from the committed message, rather than from CreateOrder,
// means an order whose process died after its local commit still gets its
// timer once the check-back commits the message. A repeated delivery sends
// the timer again; that is harmless, as ExpireOrder is repeatable, so this
// consumer keeps no processed-message record. An order already paid or
// cancelled needs no timer.
type ScheduleTimeout struct{ d Deps }

// NewScheduleTimeout returns the operation.
func NewScheduleTimeout(d Deps) *ScheduleTimeout { return &ScheduleTimeout{d: d} }

// Run schedules the timeout of the order in ev.
func (s *ScheduleTimeout) Run(ctx context.Context, ev events.OrderCreated) error {
	o, err := s.d.Orders.ByID(ctx, ev.OrderID)
	if errors.Is(err, ErrNotFound) {
		return fmt.Errorf("order.created committed for order %d, which is not stored", ev.OrderID)
	}
	if err != nil {
		return fmt.Errorf("get order %d: %w", ev.OrderID, err)
	}
	if o.Status != order.OrderStatus_PENDING_PAYMENT {
		return nil
	}
	return publishTimeout(ctx, s.d, o)
}

// publishTimeout sends o's timer message, due at the end of its window.
func publishTimeout(ctx context.Context, d Deps, o *Order) error {
	due := o.CreatedAt.Add(d.PaymentWindow)
	body, err := json.Marshal(events.OrderTimeout{OrderID: o.ID, DueAtUnixMs: due.UnixMilli()})
	if err != nil {
		return fmt.Errorf("encode order.timeout of order %d: %w", o.ID, err)
	}
	if err := d.Publisher.Publish(ctx, d.Topics.OrderTimeout, events.Key(o.ID), body, due); err != nil {
		return fmt.Errorf("schedule order.timeout of order %d at %v: %w", o.ID, due, err)
	}
	return nil
}
