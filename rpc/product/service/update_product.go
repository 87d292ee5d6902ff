package service

import (
	"context"
	"errors"
	"fmt"

	"github.com/kitemall/platform/kitex_gen/product"
	"github.com/kitemall/platform/pkg/errs"
)

// UpdateProduct changes the fields that are set and restocks with
// add_stock.
type UpdateProduct struct{ deps *Deps }

// NewUpdateProduct returns the UpdateProduct operation.
func NewUpdateProduct(d *Deps) *UpdateProduct { return &UpdateProduct{deps: d} }

// Run validates the change, applies it and returns the product as written.
// A request that sets no field is INVALID_ARGUMENT: it is a client bug,
// such as a misspelled field, more often than an intended no-op.
func (s *UpdateProduct) Run(ctx context.Context, req *product.UpdateProductRequest) (*product.UpdateProductResponse, error) {
	ch, err := validateUpdate(req)
	if err != nil {
		return nil, err
	}
	p, err := s.deps.Products.Update(ctx, req.ProductId, ch)
	if errors.Is(err, ErrNotFound) {
		return nil, errs.NotFound("product %d not found", req.ProductId)
	}
	if err != nil {
		return nil, fmt.Errorf("update product %d: %w", req.ProductId, err)
	}
	s.deps.invalidate(ctx, []RowVersion{{ID: p.ID, Version: p.Version}})
	return &product.UpdateProductResponse{Product: p.toRPC()}, nil
}

func validateUpdate(req *product.UpdateProductRequest) (ProductChange, error) {
	var ch ProductChange
	if err := checkProductID(req.ProductId); err != nil {
		return ch, err
	}
	if req.IsSetName() {
		if err := checkText("name", *req.Name, maxNameLen, false); err != nil {
			return ch, err
		}
		ch.Name = req.Name
	}
	if req.IsSetDescription() {
		if err := checkText("description", *req.Description, maxDescriptionLen, true); err != nil {
			return ch, err
		}
		ch.Description = req.Description
	}
	if req.IsSetCategory() {
		if err := checkText("category", *req.Category, maxCategoryLen, false); err != nil {
			return ch, err
		}
		ch.Category = req.Category
	}
	if req.IsSetPriceCents() {
		if err := checkPrice(*req.PriceCents); err != nil {
			return ch, err
		}
		ch.PriceCents = req.PriceCents
	}
	if req.IsSetStatus() {
		if err := checkStatus(*req.Status); err != nil {
			return ch, err
		}
		ch.Status = req.Status
	}
	if req.IsSetAddStock() {
		if *req.AddStock <= 0 || *req.AddStock > maxStockDelta {
			return ch, errs.InvalidArgument("add_stock must be in 1..%d", maxStockDelta)
		}
		ch.AddStock = *req.AddStock
	}
	if ch == (ProductChange{}) {
		return ch, errs.InvalidArgument("set at least one field to change")
	}
	return ch, nil
}
