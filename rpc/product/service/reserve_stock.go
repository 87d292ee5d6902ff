package service

import (
	"context"
	"errors"
	"fmt"
	"maps"

	"github.com/kitemall/platform/kitex_gen/base"
	"github.com/kitemall/platform/kitex_gen/product"
	"github.com/kitemall/platform/pkg/errs"
)

// ReserveStock holds stock for an order: all items or none, at most once
// per order_id.
type ReserveStock struct{ deps *Deps }

// NewReserveStock returns the ReserveStock operation.
func NewReserveStock(d *Deps) *ReserveStock { return &ReserveStock{deps: d} }

// Run reserves the items. A repeated order_id with the same items returns
// newly_reserved=false and changes nothing; with other items it is
// IDEMPOTENCY_CONFLICT. A short item is INSUFFICIENT_STOCK, an unknown one
// NOT_FOUND, an inactive one FAILED_PRECONDITION, and nothing is held then.
func (s *ReserveStock) Run(ctx context.Context, req *product.ReserveStockRequest) (*product.ReserveStockResponse, error) {
	lines, err := validateReserve(req)
	if err != nil {
		return nil, err
	}
	res, err := s.deps.Inventory.Reserve(ctx, req.OrderId, lines)
	if rej, ok := errors.AsType[*RejectionError](err); ok {
		return nil, rejection(rej)
	}
	if err != nil {
		return nil, fmt.Errorf("reserve stock for order %d: %w", req.OrderId, err)
	}
	if res.Tombstoned {
		return &product.ReserveStockResponse{NewlyReserved_: false}, nil
	}
	if res.Replayed {
		if !sameLines(res.Existing, lines) {
			return nil, errs.New(base.ErrorCode_IDEMPOTENCY_CONFLICT,
				"order %d already holds a reservation of other items", req.OrderId)
		}
		return &product.ReserveStockResponse{NewlyReserved_: false}, nil
	}
	s.deps.invalidate(ctx, res.Changed)
	return &product.ReserveStockResponse{NewlyReserved_: true}, nil
}

func validateReserve(req *product.ReserveStockRequest) ([]StockLine, error) {
	if err := checkOrderID(req.OrderId); err != nil {
		return nil, err
	}
	if n := len(req.Items); n == 0 || n > maxReserveLine {
		return nil, errs.InvalidArgument("items: 1..%d required, got %d", maxReserveLine, n)
	}
	lines := make([]StockLine, len(req.Items))
	seen := make(map[int64]bool, len(req.Items))
	for i, it := range req.Items {
		if it == nil {
			return nil, errs.InvalidArgument("items[%d] is empty", i)
		}
		if err := checkProductID(it.ProductId); err != nil {
			return nil, err
		}
		if it.Quantity <= 0 {
			return nil, errs.InvalidArgument("items[%d].quantity must be positive", i)
		}
		if seen[it.ProductId] {
			return nil, errs.InvalidArgument("items: product %d appears twice", it.ProductId)
		}
		seen[it.ProductId] = true
		lines[i] = StockLine{ProductID: it.ProductId, Quantity: int64(it.Quantity)}
	}
	return lines, nil
}

func rejection(r *RejectionError) error {
	switch r.Reason {
	case RejectUnknownProduct:
		return errs.NotFound("product %d not found", r.ProductID)
	case RejectInactiveProduct:
		return errs.FailedPrecondition("product %d is not active", r.ProductID)
	default:
		return errs.New(base.ErrorCode_INSUFFICIENT_STOCK, "product %d: %d requested, %d available",
			r.ProductID, r.Requested, r.Available)
	}
}

// sameLines compares two reservations as sets of (product, quantity).
func sameLines(a, b []StockLine) bool {
	return maps.Equal(lineSet(a), lineSet(b))
}

func lineSet(lines []StockLine) map[int64]int64 {
	m := make(map[int64]int64, len(lines))
	for _, l := range lines {
		m[l.ProductID] = l.Quantity
	}
	return m
}
