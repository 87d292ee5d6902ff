// Package handler adapts the payment service's operations to Kitex: one
// short method per RPC, and the single place where errors become
// ServiceErrors.
package handler

import (
	"context"
	"log/slog"

	"github.com/kitemall/platform/kitex_gen/base"
	"github.com/kitemall/platform/kitex_gen/payment"
	"github.com/kitemall/platform/pkg/errs"
	"github.com/kitemall/platform/rpc/payment/service"
)

// Handler implements payment.PaymentService.
type Handler struct {
	deps service.Deps
	log  *slog.Logger
}

var _ payment.PaymentService = (*Handler)(nil)

// New returns the handler over deps.
func New(deps service.Deps, log *slog.Logger) *Handler { return &Handler{deps: deps, log: log} }

// Ping implements payment.PaymentService.
func (h *Handler) Ping(ctx context.Context, req *base.PingRequest) (*base.PingResponse, error) {
	resp, err := service.NewPing(h.deps).Run(ctx, req)
	return resp, h.rpcErr(ctx, "Ping", err)
}

// Pay implements payment.PaymentService.
func (h *Handler) Pay(ctx context.Context, req *payment.PayRequest) (*payment.PayResponse, error) {
	resp, err := service.NewPay(h.deps).Run(ctx, req)
	return resp, h.rpcErr(ctx, "Pay", err)
}

// GetPayment implements payment.PaymentService.
func (h *Handler) GetPayment(ctx context.Context, req *payment.GetPaymentRequest) (*payment.GetPaymentResponse, error) {
	resp, err := service.NewGetPayment(h.deps).Run(ctx, req)
	return resp, h.rpcErr(ctx, "GetPayment", err)
}

// GetPaymentByOrder implements payment.PaymentService.
func (h *Handler) GetPaymentByOrder(ctx context.Context, req *payment.GetPaymentByOrderRequest) (*payment.GetPaymentByOrderResponse, error) {
	resp, err := service.NewGetPaymentByOrder(h.deps).Run(ctx, req)
	return resp, h.rpcErr(ctx, "GetPaymentByOrder", err)
}

// rpcErr maps err once for the wire and logs causes the caller will not see.
func (h *Handler) rpcErr(ctx context.Context, method string, err error) error {
	rpcErr, cause := errs.ForRPC(err)
	if cause != nil {
		h.log.ErrorContext(ctx, "rpc failed", "method", method, "err", cause)
	}
	return rpcErr
}
