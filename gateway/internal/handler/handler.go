// Package handler holds the gateway's HTTP handlers. Each one is thin:
// decode and validate the request at the door, make one call to a service,
// encode the answer. Errors are answered through apierr, the one place that
// maps them to HTTP.
package handler

import (
	"context"
	"time"

	"github.com/cloudwego/hertz/pkg/app"
	"github.com/cloudwego/kitex/client/callopt"

	"github.com/kitemall/platform/gateway/internal/apierr"
	"github.com/kitemall/platform/gateway/internal/auth"
	"github.com/kitemall/platform/gateway/internal/productcache"
	"github.com/kitemall/platform/kitex_gen/base"
	"github.com/kitemall/platform/kitex_gen/order"
	"github.com/kitemall/platform/kitex_gen/payment"
	"github.com/kitemall/platform/kitex_gen/product"
	"github.com/kitemall/platform/kitex_gen/user"
)

// Pinger is what /readyz asks of every downstream.
type Pinger interface {
	Ping(ctx context.Context, req *base.PingRequest, opts ...callopt.Option) (*base.PingResponse, error)
}

// UserClient is the part of the user service the gateway calls.
type UserClient interface {
	Pinger
	Register(ctx context.Context, req *user.RegisterRequest, opts ...callopt.Option) (*user.RegisterResponse, error)
	Login(ctx context.Context, req *user.LoginRequest, opts ...callopt.Option) (*user.LoginResponse, error)
	GetUser(ctx context.Context, req *user.GetUserRequest, opts ...callopt.Option) (*user.GetUserResponse, error)
}

// ProductClient is the part of the product service the gateway calls.
type ProductClient interface {
	Pinger
	ListProducts(ctx context.Context, req *product.ListProductsRequest, opts ...callopt.Option) (*product.ListProductsResponse, error)
	GetProduct(ctx context.Context, req *product.GetProductRequest, opts ...callopt.Option) (*product.GetProductResponse, error)
	CreateProduct(ctx context.Context, req *product.CreateProductRequest, opts ...callopt.Option) (*product.CreateProductResponse, error)
	UpdateProduct(ctx context.Context, req *product.UpdateProductRequest, opts ...callopt.Option) (*product.UpdateProductResponse, error)
}

// OrderClient is the part of the order service the gateway calls.
type OrderClient interface {
	Pinger
	CreateOrder(ctx context.Context, req *order.CreateOrderRequest, opts ...callopt.Option) (*order.CreateOrderResponse, error)
	GetOrder(ctx context.Context, req *order.GetOrderRequest, opts ...callopt.Option) (*order.GetOrderResponse, error)
	ListOrders(ctx context.Context, req *order.ListOrdersRequest, opts ...callopt.Option) (*order.ListOrdersResponse, error)
	CancelOrder(ctx context.Context, req *order.CancelOrderRequest, opts ...callopt.Option) (*order.CancelOrderResponse, error)
}

// PaymentClient is the part of the payment service the gateway calls.
type PaymentClient interface {
	Pinger
	Pay(ctx context.Context, req *payment.PayRequest, opts ...callopt.Option) (*payment.PayResponse, error)
	GetPayment(ctx context.Context, req *payment.GetPaymentRequest, opts ...callopt.Option) (*payment.GetPaymentResponse, error)
}

// Clients are the downstream services.
type Clients struct {
	Users    UserClient
	Products ProductClient
	Orders   OrderClient
	Payments PaymentClient
}

// Handler serves every route of the API.
type Handler struct {
	clients      Clients
	products     *productcache.Cache
	tokens       *auth.Tokens
	errs         *apierr.Responder
	readyTimeout time.Duration
}

// New returns the handlers. products may be nil (no micro-cache);
// readyTimeout bounds each Ping of /readyz.
func New(clients Clients, products *productcache.Cache, tokens *auth.Tokens, errs *apierr.Responder, readyTimeout time.Duration) *Handler {
	return &Handler{clients: clients, products: products, tokens: tokens, errs: errs, readyTimeout: readyTimeout}
}

// respond writes v with status, or the error answer for err.
func (h *Handler) respond(ctx context.Context, c *app.RequestContext, status int, v any, err error) {
	if err == nil {
		err = writeJSON(c, status, v)
	}
	if err != nil {
		h.errs.Abort(ctx, c, err)
	}
}

// caller returns the authenticated caller. The auth middleware guarantees
// one on every route that calls this; its absence is a wiring bug.
func caller(ctx context.Context) (auth.Principal, error) {
	p, ok := auth.FromContext(ctx)
	if !ok {
		return auth.Principal{}, apierr.Unauthenticated("a bearer token is required")
	}
	return p, nil
}

// errEmpty reports a service answer missing its entity, which the IDL
// never allows; it is a fault, answered 500.
type errEmpty string

func (e errEmpty) Error() string { return string(e) + " service returned an empty answer" }
