// Package app wires the payment service: config, database, order client,
// payment provider, handler and Kitex server. Build and DefaultConfig are
// exported so other services' tests can start a real payment service
// in-process.
package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cloudwego/kitex/client"
	"github.com/cloudwego/kitex/server"
	"gorm.io/gorm"

	"github.com/kitemall/platform/kitex_gen/order/orderservice"
	"github.com/kitemall/platform/kitex_gen/payment/paymentservice"
	"github.com/kitemall/platform/pkg/bootstrap"
	"github.com/kitemall/platform/pkg/kitexsuite"
	"github.com/kitemall/platform/pkg/mysqlx"
	"github.com/kitemall/platform/pkg/observability"
	"github.com/kitemall/platform/rpc/payment/dal"
	"github.com/kitemall/platform/rpc/payment/handler"
	"github.com/kitemall/platform/rpc/payment/provider"
	"github.com/kitemall/platform/rpc/payment/service"
)

// Config is the payment service's whole configuration.
type Config struct {
	Server   kitexsuite.ServerConfig   `yaml:"server"`
	Registry kitexsuite.RegistryConfig `yaml:"registry"`
	MySQL    mysqlx.Config             `yaml:"mysql"`
	Clients  ClientsConfig             `yaml:"clients"`
	Sandbox  provider.SandboxConfig    `yaml:"sandbox"`
	// SettleTimeout bounds one charge plus recording its outcome.
	SettleTimeout time.Duration        `yaml:"settle_timeout"`
	Observability observability.Config `yaml:"observability"`
}

// ClientsConfig configures the downstream clients.
type ClientsConfig struct {
	// Transport, when set, replaces every client's transport. The same
	// KITEX_TRANSPORT sets server.transport, so one variable switches the
	// whole process, as a mux server answers only mux clients.
	Transport string                  `yaml:"transport" env:"KITEX_TRANSPORT"`
	Order     kitexsuite.ClientConfig `yaml:"order"`
}

// orderClient returns the effective order client config.
func (c ClientsConfig) orderClient() kitexsuite.ClientConfig {
	o := c.Order
	if c.Transport != "" {
		o.Transport = c.Transport
	}
	return o
}

// DefaultConfig returns the local-stack defaults.
func DefaultConfig() *Config {
	return &Config{
		Server:   kitexsuite.DefaultServerConfig("payment", "127.0.0.1:8884"),
		Registry: kitexsuite.RegistryConfig{Endpoints: []string{"127.0.0.1:2379"}},
		MySQL:    mysqlx.DefaultConfig("payment_db"),
		Clients: ClientsConfig{
			// Only reads may be retried: a retried write could apply twice.
			Order: kitexsuite.DefaultClientConfig("order", "GetOrder", "ListOrders"),
		},
		Sandbox:       provider.SandboxConfig{Latency: 20 * time.Millisecond, DeclineRate: 0.05, Seed: "local"},
		SettleTimeout: 10 * time.Second,
		Observability: observability.Config{MetricsListen: "127.0.0.1:9184", LogLevel: "info"},
	}
}

// ObservabilityConfig implements bootstrap.Config.
func (c *Config) ObservabilityConfig() observability.Config { return c.Observability }

// Validate implements config.Validator.
func (c *Config) Validate() error {
	if err := c.Server.Validate(); err != nil {
		return err
	}
	if err := c.Registry.Validate(); err != nil {
		return err
	}
	if err := c.MySQL.Validate("mysql"); err != nil {
		return err
	}
	if t := c.Clients.Transport; t != "" && t != kitexsuite.TransportMux && t != kitexsuite.TransportPool {
		return fmt.Errorf("clients.transport: %q is not %q or %q", t, kitexsuite.TransportMux, kitexsuite.TransportPool)
	}
	if err := c.Clients.orderClient().Validate("clients.order"); err != nil {
		return err
	}
	if err := c.Sandbox.Validate("sandbox"); err != nil {
		return err
	}
	if c.SettleTimeout <= 0 {
		return errors.New("settle_timeout: must be positive")
	}
	return nil
}

// App is the built payment service.
type App struct {
	svr server.Server
	db  *gorm.DB
}

// Build opens and migrates the database, builds the order client (resolved
// through etcd) and the provider, and builds the Kitex server, registered
// in etcd once it runs.
func Build(ctx context.Context, cfg *Config, tel *observability.Telemetry) (bootstrap.App, error) {
	gateway, err := provider.NewSandbox(cfg.Sandbox)
	if err != nil {
		return nil, err
	}
	db, err := mysqlx.Open(ctx, cfg.MySQL)
	if err != nil {
		return nil, err
	}
	a := &App{db: db}
	if err := dal.Migrate(ctx, db); err != nil {
		return nil, errors.Join(err, a.closeDB())
	}
	resolver, err := kitexsuite.NewResolver(cfg.Registry)
	if err != nil {
		return nil, errors.Join(err, a.closeDB())
	}
	orderCfg := cfg.Clients.orderClient()
	orders, err := orderservice.NewClient(orderCfg.Service,
		client.WithSuite(kitexsuite.NewClientSuite(cfg.Server.Service, orderCfg, resolver, tel)))
	if err != nil {
		return nil, errors.Join(fmt.Errorf("order client: %w", err), a.closeDB())
	}
	reg, err := kitexsuite.NewRegistry(cfg.Registry)
	if err != nil {
		return nil, errors.Join(err, a.closeDB())
	}
	deps := service.Deps{
		Service:       cfg.Server.Service,
		Instance:      cfg.Server.Listen,
		Payments:      dal.NewPayments(db),
		Orders:        orders,
		Gateway:       gateway,
		SettleTimeout: cfg.SettleTimeout,
		Logger:        tel.Logger(),
	}
	a.svr = paymentservice.NewServer(handler.New(deps, tel.Logger()),
		server.WithSuite(kitexsuite.NewServerSuite(cfg.Server, reg, tel)))
	return a, nil
}

// Run serves until Stop.
func (a *App) Run() error { return a.svr.Run() }

// Stop leaves etcd, drains in-flight calls, then closes the database. The
// generated Kitex client exposes no Close; its finalizer releases it.
func (a *App) Stop() error {
	return errors.Join(a.svr.Stop(), a.closeDB())
}

func (a *App) closeDB() error {
	sqlDB, err := a.db.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}
