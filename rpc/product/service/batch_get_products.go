package service

import (
	"context"
	"fmt"

	"github.com/kitemall/platform/kitex_gen/product"
	"github.com/kitemall/platform/pkg/errs"
)

// BatchGetProducts reads up to 100 products, of any status, through the
// cache.
type BatchGetProducts struct{ deps *Deps }

// NewBatchGetProducts returns the BatchGetProducts operation.
func NewBatchGetProducts(d *Deps) *BatchGetProducts { return &BatchGetProducts{deps: d} }

// Run returns the products that exist, in the order first asked for;
// repeated IDs are answered once and unknown IDs are left out.
func (s *BatchGetProducts) Run(ctx context.Context, req *product.BatchGetProductsRequest) (*product.BatchGetProductsResponse, error) {
	ids := req.GetProductIds()
	if len(ids) > maxBatchIDs {
		return nil, errs.InvalidArgument("product_ids: at most %d, got %d", maxBatchIDs, len(ids))
	}
	distinct := make([]int64, 0, len(ids))
	seen := make(map[int64]bool, len(ids))
	for _, id := range ids {
		if err := checkProductID(id); err != nil {
			return nil, err
		}
		if !seen[id] {
			seen[id] = true
			distinct = append(distinct, id)
		}
	}
	found, err := s.deps.products(ctx, distinct)
	if err != nil {
		return nil, fmt.Errorf("batch get %d products: %w", len(distinct), err)
	}
	out := make([]*product.Product, 0, len(found))
	for _, id := range distinct {
		if p, ok := found[id]; ok {
			out = append(out, p.toRPC())
		}
	}
	return &product.BatchGetProductsResponse{Products: out}, nil
}
