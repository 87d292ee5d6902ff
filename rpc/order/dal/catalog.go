package dal

import (
	"context"
	"fmt"

	"github.com/kitemall/platform/kitex_gen/product"
	"github.com/kitemall/platform/kitex_gen/product/productservice"
	"github.com/kitemall/platform/rpc/order/service"
)

// Catalog is the product service seen through its Kitex client. It
// implements service.Catalog; the client's suite gives every call its
// timeout, and retries only the idempotent methods.
type Catalog struct{ client productservice.Client }

var _ service.Catalog = (*Catalog)(nil)

// NewCatalog returns the catalog over client.
func NewCatalog(client productservice.Client) *Catalog { return &Catalog{client: client} }

// Products implements service.Catalog.
func (c *Catalog) Products(ctx context.Context, ids []int64) ([]service.Product, error) {
	resp, err := c.client.BatchGetProducts(ctx, &product.BatchGetProductsRequest{ProductIds: ids})
	if err != nil {
		return nil, fmt.Errorf("BatchGetProducts: %w", err)
	}
	out := make([]service.Product, 0, len(resp.GetProducts()))
	for _, p := range resp.GetProducts() {
		out = append(out, service.Product{
			ID: p.ProductId, Name: p.Name, PriceCents: p.PriceCents,
			Active: p.Status == product.ProductStatus_ACTIVE,
		})
	}
	return out, nil
}

// Reserve implements service.Catalog.
func (c *Catalog) Reserve(ctx context.Context, orderID int64, items []service.StockItem) error {
	req := &product.ReserveStockRequest{OrderId: orderID, Items: make([]*product.StockItem, len(items))}
	for i, it := range items {
		req.Items[i] = &product.StockItem{ProductId: it.ProductID, Quantity: it.Quantity}
	}
	if _, err := c.client.ReserveStock(ctx, req); err != nil {
		return fmt.Errorf("ReserveStock: %w", err)
	}
	return nil
}

// Release implements service.Catalog.
func (c *Catalog) Release(ctx context.Context, orderID int64) error {
	if _, err := c.client.ReleaseStock(ctx, &product.ReleaseStockRequest{OrderId: orderID}); err != nil {
		return fmt.Errorf("ReleaseStock: %w", err)
	}
	return nil
}

// Confirm implements service.Catalog.
func (c *Catalog) Confirm(ctx context.Context, orderID int64) error {
	if _, err := c.client.ConfirmStock(ctx, &product.ConfirmStockRequest{OrderId: orderID}); err != nil {
		return fmt.Errorf("ConfirmStock: %w", err)
	}
	return nil
}
