package service

import (
	"context"
	"errors"
	"fmt"

	"github.com/kitemall/platform/kitex_gen/product"
	"github.com/kitemall/platform/pkg/errs"
)

// GetProduct reads one product, of any status, through the cache.
type GetProduct struct{ deps *Deps }

// NewGetProduct returns the GetProduct operation.
func NewGetProduct(d *Deps) *GetProduct { return &GetProduct{deps: d} }

// Run returns the product or NOT_FOUND.
func (s *GetProduct) Run(ctx context.Context, req *product.GetProductRequest) (*product.GetProductResponse, error) {
	id := req.GetProductId()
	if err := checkProductID(id); err != nil {
		return nil, err
	}
	p, err := s.deps.product(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return nil, errs.NotFound("product %d not found", id)
	}
	if err != nil {
		return nil, fmt.Errorf("get product %d: %w", id, err)
	}
	return &product.GetProductResponse{Product: p.toRPC()}, nil
}
