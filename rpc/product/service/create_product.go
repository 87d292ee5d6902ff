package service

import (
	"context"
	"fmt"

	"github.com/kitemall/platform/kitex_gen/product"
	"github.com/kitemall/platform/pkg/errs"
)

// CreateProduct adds an ACTIVE product with its initial stock.
type CreateProduct struct{ deps *Deps }

// NewCreateProduct returns the CreateProduct operation.
func NewCreateProduct(d *Deps) *CreateProduct { return &CreateProduct{deps: d} }

// Run validates the request, stores the product and returns it.
func (s *CreateProduct) Run(ctx context.Context, req *product.CreateProductRequest) (*product.CreateProductResponse, error) {
	if err := validateCreate(req); err != nil {
		return nil, err
	}
	p, err := s.deps.Products.Create(ctx, NewProduct{
		Name:         req.Name,
		Description:  req.Description,
		Category:     req.Category,
		PriceCents:   req.PriceCents,
		InitialStock: req.InitialStock,
	})
	if err != nil {
		return nil, fmt.Errorf("create product %q: %w", req.Name, err)
	}
	// The new ID may have been asked for, and cached as absent, before.
	s.deps.invalidate(ctx, []RowVersion{{ID: p.ID, Version: p.Version}})
	return &product.CreateProductResponse{Product: p.toRPC()}, nil
}

func validateCreate(req *product.CreateProductRequest) error {
	if err := checkText("name", req.Name, maxNameLen, false); err != nil {
		return err
	}
	if err := checkText("description", req.Description, maxDescriptionLen, true); err != nil {
		return err
	}
	if err := checkText("category", req.Category, maxCategoryLen, false); err != nil {
		return err
	}
	if err := checkPrice(req.PriceCents); err != nil {
		return err
	}
	if req.InitialStock < 0 || req.InitialStock > maxStockDelta {
		return errs.InvalidArgument("initial_stock must be in 0..%d", maxStockDelta)
	}
	return nil
}
