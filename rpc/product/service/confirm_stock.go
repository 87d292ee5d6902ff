package service

import (
	"context"
	"fmt"

	"github.com/kitemall/platform/kitex_gen/product"
)

// ConfirmStock turns an order's held stock into sold stock (the order was
// paid).
type ConfirmStock struct{ deps *Deps }

// NewConfirmStock returns the ConfirmStock operation.
func NewConfirmStock(d *Deps) *ConfirmStock { return &ConfirmStock{deps: d} }

// Run confirms the reservation if it is still HELD; confirmed=false means
// there was nothing held (never reserved, released or confirmed already),
// and nothing changed.
func (s *ConfirmStock) Run(ctx context.Context, req *product.ConfirmStockRequest) (*product.ConfirmStockResponse, error) {
	if err := checkOrderID(req.OrderId); err != nil {
		return nil, err
	}
	ch, err := s.deps.Inventory.Confirm(ctx, req.OrderId)
	if err != nil {
		return nil, fmt.Errorf("confirm stock of order %d: %w", req.OrderId, err)
	}
	s.deps.invalidate(ctx, ch.Changed)
	return &product.ConfirmStockResponse{Confirmed: ch.Applied}, nil
}
