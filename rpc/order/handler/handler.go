// Package handler adapts the order service's operations to Kitex: one short
// method per RPC, and the single place where errors become ServiceErrors.
package handler

import (
	"context"
	"log/slog"

	"github.com/kitemall/platform/kitex_gen/base"
	"github.com/kitemall/platform/kitex_gen/order"
	"github.com/kitemall/platform/pkg/errs"
	"github.com/kitemall/platform/rpc/order/service"
)

// Handler implements order.OrderService.
type Handler struct {
	deps service.Deps
	log  *slog.Logger
}

var _ order.OrderService = (*Handler)(nil)

// New returns the handler over deps.
func New(deps service.Deps, log *slog.Logger) *Handler { return &Handler{deps: deps, log: log} }

// Ping implements order.OrderService.
func (h *Handler) Ping(ctx context.Context, req *base.PingRequest) (*base.PingResponse, error) {
	resp, err := service.NewPing(h.deps).Run(ctx, req)
	return resp, h.rpcErr(ctx, "Ping", err)
}

// CreateOrder implements order.OrderService.
func (h *Handler) CreateOrder(ctx context.Context, req *order.CreateOrderRequest) (*order.CreateOrderResponse, error) {
	resp, err := service.NewCreateOrder(h.deps).Run(ctx, req)
	return resp, h.rpcErr(ctx, "CreateOrder", err)
}

// GetOrder implements order.OrderService.
func (h *Handler) GetOrder(ctx context.Context, req *order.GetOrderRequest) (*order.GetOrderResponse, error) {
	resp, err := service.NewGetOrder(h.deps).Run(ctx, req)
	return resp, h.rpcErr(ctx, "GetOrder", err)
}

// ListOrders implements order.OrderService.
func (h *Handler) ListOrders(ctx context.Context, req *order.ListOrdersRequest) (*order.ListOrdersResponse, error) {
	resp, err := service.NewListOrders(h.deps).Run(ctx, req)
	return resp, h.rpcErr(ctx, "ListOrders", err)
}

// CancelOrder implements order.OrderService.
func (h *Handler) CancelOrder(ctx context.Context, req *order.CancelOrderRequest) (*order.CancelOrderResponse, error) {
	resp, err := service.NewCancelOrder(h.deps).Run(ctx, req)
	return resp, h.rpcErr(ctx, "CancelOrder", err)
}

// rpcErr maps err once for the wire and logs causes the caller will not see.
func (h *Handler) rpcErr(ctx context.Context, method string, err error) error {
	rpcErr, cause := errs.ForRPC(err)
	if cause != nil {
		h.log.ErrorContext(ctx, "rpc failed", "method", method, "err", cause)
	}
	return rpcErr
}
