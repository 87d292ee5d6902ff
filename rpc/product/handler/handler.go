// Package handler implements the Kitex ProductService: one short method per
// RPC that runs the service operation and maps its error once.
package handler

import (
	"context"

	"github.com/kitemall/platform/kitex_gen/base"
	"github.com/kitemall/platform/kitex_gen/product"
	"github.com/kitemall/platform/pkg/errs"
	"github.com/kitemall/platform/rpc/product/service"
)

// Handler implements product.ProductService.
type Handler struct{ deps *service.Deps }

// New returns the handler over deps; it logs with deps.Logger.
func New(deps *service.Deps) *Handler { return &Handler{deps: deps} }

var _ product.ProductService = (*Handler)(nil)

// Ping implements product.ProductService.
func (h *Handler) Ping(ctx context.Context, req *base.PingRequest) (*base.PingResponse, error) {
	resp, err := service.NewPing(h.deps).Run(ctx, req)
	return resp, h.rpcErr(ctx, "Ping", err)
}

// CreateProduct implements product.ProductService.
func (h *Handler) CreateProduct(ctx context.Context, req *product.CreateProductRequest) (*product.CreateProductResponse, error) {
	resp, err := service.NewCreateProduct(h.deps).Run(ctx, req)
	return resp, h.rpcErr(ctx, "CreateProduct", err)
}

// UpdateProduct implements product.ProductService.
func (h *Handler) UpdateProduct(ctx context.Context, req *product.UpdateProductRequest) (*product.UpdateProductResponse, error) {
	resp, err := service.NewUpdateProduct(h.deps).Run(ctx, req)
	return resp, h.rpcErr(ctx, "UpdateProduct", err)
}

// GetProduct implements product.ProductService.
func (h *Handler) GetProduct(ctx context.Context, req *product.GetProductRequest) (*product.GetProductResponse, error) {
	resp, err := service.NewGetProduct(h.deps).Run(ctx, req)
	return resp, h.rpcErr(ctx, "GetProduct", err)
}

// BatchGetProducts implements product.ProductService.
func (h *Handler) BatchGetProducts(ctx context.Context, req *product.BatchGetProductsRequest) (*product.BatchGetProductsResponse, error) {
	resp, err := service.NewBatchGetProducts(h.deps).Run(ctx, req)
	return resp, h.rpcErr(ctx, "BatchGetProducts", err)
}

// ListProducts implements product.ProductService.
func (h *Handler) ListProducts(ctx context.Context, req *product.ListProductsRequest) (*product.ListProductsResponse, error) {
	resp, err := service.NewListProducts(h.deps).Run(ctx, req)
	return resp, h.rpcErr(ctx, "ListProducts", err)
}

// ReserveStock implements product.ProductService.
func (h *Handler) ReserveStock(ctx context.Context, req *product.ReserveStockRequest) (*product.ReserveStockResponse, error) {
	resp, err := service.NewReserveStock(h.deps).Run(ctx, req)
	return resp, h.rpcErr(ctx, "ReserveStock", err)
}

// ReleaseStock implements product.ProductService.
func (h *Handler) ReleaseStock(ctx context.Context, req *product.ReleaseStockRequest) (*product.ReleaseStockResponse, error) {
	resp, err := service.NewReleaseStock(h.deps).Run(ctx, req)
	return resp, h.rpcErr(ctx, "ReleaseStock", err)
}

// ConfirmStock implements product.ProductService.
func (h *Handler) ConfirmStock(ctx context.Context, req *product.ConfirmStockRequest) (*product.ConfirmStockResponse, error) {
	resp, err := service.NewConfirmStock(h.deps).Run(ctx, req)
	return resp, h.rpcErr(ctx, "ConfirmStock", err)
}

// rpcErr is the one place where an operation's error becomes what the
// client sees; causes the client does not see are logged here.
func (h *Handler) rpcErr(ctx context.Context, method string, err error) error {
	rpcErr, cause := errs.ForRPC(err)
	if cause != nil {
		h.deps.Logger.ErrorContext(ctx, "rpc failed", "method", method, "err", cause)
	}
	return rpcErr
}
