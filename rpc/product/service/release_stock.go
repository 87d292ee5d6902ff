package service

import (
	"context"
	"fmt"

	"github.com/kitemall/platform/kitex_gen/product"
)

// ReleaseStock returns an order's held stock to available (the order was
// cancelled).
type ReleaseStock struct{ deps *Deps }

// NewReleaseStock returns the ReleaseStock operation.
func NewReleaseStock(d *Deps) *ReleaseStock { return &ReleaseStock{deps: d} }

// Run releases the reservation if it is still HELD; released=false means
// there was nothing held (never reserved, released or confirmed already),
// and nothing changed.
func (s *ReleaseStock) Run(ctx context.Context, req *product.ReleaseStockRequest) (*product.ReleaseStockResponse, error) {
	if err := checkOrderID(req.OrderId); err != nil {
		return nil, err
	}
	ch, err := s.deps.Inventory.Release(ctx, req.OrderId)
	if err != nil {
		return nil, fmt.Errorf("release stock of order %d: %w", req.OrderId, err)
	}
	s.deps.invalidate(ctx, ch.Changed)
	return &product.ReleaseStockResponse{Released: ch.Applied}, nil
}
