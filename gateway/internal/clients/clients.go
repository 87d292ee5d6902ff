// Package clients builds the gateway's Kitex clients of the four services,
// each resolved from etcd and configured by pkg/kitexsuite (transport,
// timeouts, retries of reads, a circuit breaker per service, tracing and
// metrics).
package clients

import (
	"fmt"

	"github.com/cloudwego/kitex/client"
	"github.com/cloudwego/kitex/pkg/discovery"

	"github.com/kitemall/platform/gateway/internal/config"
	"github.com/kitemall/platform/gateway/internal/handler"
	"github.com/kitemall/platform/kitex_gen/order/orderservice"
	"github.com/kitemall/platform/kitex_gen/payment/paymentservice"
	"github.com/kitemall/platform/kitex_gen/product/productservice"
	"github.com/kitemall/platform/kitex_gen/user/userservice"
	"github.com/kitemall/platform/pkg/kitexsuite"
	"github.com/kitemall/platform/pkg/observability"
)

// Caller is the name the gateway calls the services under.
const Caller = "gateway"

// New returns the clients of cfg (already carrying the run's transport).
func New(cfg config.ClientsConfig, resolver discovery.Resolver, tel *observability.Telemetry) (handler.Clients, error) {
	suite := func(cc kitexsuite.ClientConfig) client.Option {
		return client.WithSuite(kitexsuite.NewClientSuite(Caller, cc, resolver, tel))
	}
	users, err := userservice.NewClient(cfg.User.Service, suite(cfg.User))
	if err != nil {
		return handler.Clients{}, fmt.Errorf("user client: %w", err)
	}
	products, err := productservice.NewClient(cfg.Product.Service, suite(cfg.Product))
	if err != nil {
		return handler.Clients{}, fmt.Errorf("product client: %w", err)
	}
	orders, err := orderservice.NewClient(cfg.Order.Service, suite(cfg.Order))
	if err != nil {
		return handler.Clients{}, fmt.Errorf("order client: %w", err)
	}
	payments, err := paymentservice.NewClient(cfg.Payment.Service, suite(cfg.Payment))
	if err != nil {
		return handler.Clients{}, fmt.Errorf("payment client: %w", err)
	}
	return handler.Clients{Users: users, Products: products, Orders: orders, Payments: payments}, nil
}
