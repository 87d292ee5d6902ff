package service

import (
	"context"
	"fmt"

	"github.com/kitemall/platform/kitex_gen/base"
	"github.com/kitemall/platform/kitex_gen/product"
	"github.com/kitemall/platform/pkg/errs"
)

// ListProducts pages through the ACTIVE products, newest first (by ID,
// which grows with creation, so pages are stable), read from the database
// so stock is current.
type ListProducts struct{ deps *Deps }

// NewListProducts returns the ListProducts operation.
func NewListProducts(d *Deps) *ListProducts { return &ListProducts{deps: d} }

// Run returns one page and the total number of matching products. An
// absent page means page 1 of 20; an empty category means every category.
func (s *ListProducts) Run(ctx context.Context, req *product.ListProductsRequest) (*product.ListProductsResponse, error) {
	page, size := int32(1), int32(20)
	if req.Page != nil {
		page, size = req.Page.Page, req.Page.PageSize
	}
	if page < 1 {
		return nil, errs.InvalidArgument("page must be at least 1")
	}
	if size < 1 || size > maxPageSize {
		return nil, errs.InvalidArgument("page_size must be in 1..%d", maxPageSize)
	}
	category := req.GetCategory()
	if err := checkText("category", category, maxCategoryLen, true); err != nil {
		return nil, err
	}
	items, total, err := s.deps.Products.ListActive(ctx, ListQuery{
		Category: category,
		Offset:   int(page-1) * int(size),
		Limit:    int(size),
	})
	if err != nil {
		return nil, fmt.Errorf("list products (category %q, page %d): %w", category, page, err)
	}
	out := make([]*product.Product, len(items))
	for i, p := range items {
		out[i] = p.toRPC()
	}
	return &product.ListProductsResponse{
		Items: out,
		Page:  &base.PageInfo{Page: page, PageSize: size, Total: total},
	}, nil
}
