package service

import (
	"context"
	"errors"
	"fmt"

	"github.com/kitemall/platform/kitex_gen/order"
	"github.com/kitemall/platform/pkg/errs"
)

// GetOrder returns one of the caller's orders; another user's order is
// NOT_FOUND, so order IDs reveal nothing about other users.
type GetOrder struct{ d Deps }

// NewGetOrder returns the operation.
func NewGetOrder(d Deps) *GetOrder { return &GetOrder{d: d} }

// Run executes the operation.
func (s *GetOrder) Run(ctx context.Context, req *order.GetOrderRequest) (*order.GetOrderResponse, error) {
	if err := validateOrderRef(req.GetOrderId(), req.GetUserId()); err != nil {
		return nil, err
	}
	o, err := getOwned(ctx, s.d.Orders, req.UserId, req.OrderId)
	if err != nil {
		return nil, err
	}
	return &order.GetOrderResponse{Order: o.IDL()}, nil
}

func validateOrderRef(orderID, userID int64) error {
	switch {
	case orderID <= 0:
		return errs.InvalidArgument("order_id must be positive")
	case userID <= 0:
		return errs.InvalidArgument("user_id must be positive")
	}
	return nil
}

// getOwned loads the user's order, mapping absence to NOT_FOUND.
func getOwned(ctx context.Context, orders Orders, userID, orderID int64) (*Order, error) {
	o, err := orders.Get(ctx, userID, orderID)
	if errors.Is(err, ErrNotFound) {
		return nil, errs.NotFound("order %d not found", orderID)
	}
	if err != nil {
		return nil, fmt.Errorf("get order %d: %w", orderID, err)
	}
	return o, nil
}
