package service

import (
	"context"
	"fmt"
	"unicode/utf8"

	"github.com/kitemall/platform/kitex_gen/order"
	"github.com/kitemall/platform/pkg/errs"
)

// MaxCancelReasonLen bounds the stored cancel reason.
const MaxCancelReasonLen = 255

// CancelOrder cancels one of the caller's orders and releases its stock.
//
// The state machine: PENDING_PAYMENT moves to CANCELLED with a conditional
// update, so a concurrent payment or a late request cannot move an order
// backwards. Cancelling a CANCELLED order succeeds and returns it unchanged
// (the first reason stays), so clients can retry freely. Cancelling a PAID
// order is FAILED_PRECONDITION: it needs a refund, not a cancel.
//
// The status changes before the stock is released: releasing first could
// free the stock of an order that a concurrent payment has just paid. Every
// successful cancel, repeated ones included, calls ReleaseStock, which the
// product service applies at most once per order; so the stock is released
// exactly once, and a release that failed is completed by the retry.
type CancelOrder struct{ d Deps }

// NewCancelOrder returns the operation.
func NewCancelOrder(d Deps) *CancelOrder { return &CancelOrder{d: d} }

// Run executes the operation.
func (s *CancelOrder) Run(ctx context.Context, req *order.CancelOrderRequest) (*order.CancelOrderResponse, error) {
	if err := validateOrderRef(req.GetOrderId(), req.GetUserId()); err != nil {
		return nil, err
	}
	if utf8.RuneCountInString(req.Reason) > MaxCancelReasonLen || !utf8.ValidString(req.Reason) {
		return nil, errs.InvalidArgument("reason must be valid UTF-8 of at most %d characters", MaxCancelReasonLen)
	}
	o, err := getOwned(ctx, s.d.Orders, req.UserId, req.OrderId)
	if err != nil {
		return nil, err
	}
	if o.Status == order.OrderStatus_PENDING_PAYMENT {
		if o, err = s.transition(ctx, o, req.Reason); err != nil {
			return nil, err
		}
	}
	if o.Status == order.OrderStatus_PAID {
		return nil, errs.FailedPrecondition("order %d is paid and cannot be cancelled", o.ID)
	}
	if err := s.d.Catalog.Release(ctx, o.ID); err != nil {
		return nil, fmt.Errorf("release stock of cancelled order %d: %w", o.ID, err)
	}
	return &order.CancelOrderResponse{Order: o.IDL()}, nil
}

// transition moves a pending order to CANCELLED and returns it as it now
// is. When the conditional update finds the order no longer pending, it
// returns the order as the concurrent change left it.
func (s *CancelOrder) transition(ctx context.Context, o *Order, reason string) (*Order, error) {
	now := s.d.now()
	moved, err := s.d.Orders.Cancel(ctx, o.UserID, o.ID, reason, now)
	if err != nil {
		return nil, fmt.Errorf("cancel order %d: %w", o.ID, err)
	}
	if !moved {
		return getOwned(ctx, s.d.Orders, o.UserID, o.ID)
	}
	cancelled := *o
	cancelled.Status, cancelled.CancelReason, cancelled.UpdatedAt = order.OrderStatus_CANCELLED, reason, now
	return &cancelled, nil
}
