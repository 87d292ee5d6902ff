// Package app wires the order service: config, database, idempotency lock,
// product client, handler and Kitex server. Build and DefaultConfig are
// exported so other services' tests can start a real order service
// in-process.
package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cloudwego/kitex/client"
	"github.com/cloudwego/kitex/server"
	"github.com/redis/go-redis/v9"
	"gorm.io/gorm"

	"github.com/kitemall/platform/kitex_gen/order/orderservice"
	"github.com/kitemall/platform/kitex_gen/product/productservice"
	"github.com/kitemall/platform/pkg/bootstrap"
	"github.com/kitemall/platform/pkg/idgen"
	"github.com/kitemall/platform/pkg/kitexsuite"
	"github.com/kitemall/platform/pkg/mysqlx"
	"github.com/kitemall/platform/pkg/observability"
	"github.com/kitemall/platform/pkg/redisx"
	"github.com/kitemall/platform/rpc/order/dal"
	"github.com/kitemall/platform/rpc/order/handler"
	"github.com/kitemall/platform/rpc/order/service"
)

// Config is the order service's whole configuration.
type Config struct {
	Server   kitexsuite.ServerConfig   `yaml:"server"`
	Registry kitexsuite.RegistryConfig `yaml:"registry"`
	MySQL    mysqlx.Config             `yaml:"mysql"`
	Redis    redisx.Config             `yaml:"redis"`
	// IDGen.Node must be unique among the running order instances.
	IDGen           idgen.Config         `yaml:"idgen"`
	IdempotencyLock LockConfig           `yaml:"idempotency_lock"`
	Clients         ClientsConfig        `yaml:"clients"`
	Observability   observability.Config `yaml:"observability"`
}

// LockConfig tunes the Redis lock that makes concurrent CreateOrder calls
// with one idempotency key wait for each other.
type LockConfig struct {
	// TTL frees the lock of a crashed holder; it should outlast a slow
	// CreateOrder, but the database keeps the key unique even when it does not.
	TTL time.Duration `yaml:"ttl"`
	// Wait is how long a call waits for the holder before going ahead
	// without the lock.
	Wait time.Duration `yaml:"wait"`
}

// ClientsConfig holds the clients of downstream services.
type ClientsConfig struct {
	// Transport, when set, overrides the transport of every client. It
	// reads KITEX_TRANSPORT like server.transport, so one variable puts a
	// whole run on one connection model (a mux server answers only mux
	// clients).
	Transport string                  `yaml:"transport" env:"KITEX_TRANSPORT"`
	Product   kitexsuite.ClientConfig `yaml:"product"`
}

// product returns the product client's config with the override applied.
func (c ClientsConfig) product() kitexsuite.ClientConfig {
	p := c.Product
	if c.Transport != "" {
		p.Transport = c.Transport
	}
	return p
}

// DefaultConfig returns the local-stack defaults.
func DefaultConfig() *Config {
	return &Config{
		Server:          kitexsuite.DefaultServerConfig("order", "127.0.0.1:8883"),
		Registry:        kitexsuite.RegistryConfig{Endpoints: []string{"127.0.0.1:2379"}},
		MySQL:           mysqlx.DefaultConfig("order_db"),
		Redis:           redisx.DefaultConfig("order:"),
		IDGen:           idgen.Config{Node: 1},
		IdempotencyLock: LockConfig{TTL: 10 * time.Second, Wait: 2 * time.Second},
		Clients: ClientsConfig{
			// Reserve, Release and Confirm are idempotent per order ID, so a
			// retry after a broken connection cannot hold stock twice.
			Product: kitexsuite.DefaultClientConfig("product",
				"GetProduct", "BatchGetProducts", "ListProducts", "ReserveStock", "ReleaseStock", "ConfirmStock"),
		},
		Observability: observability.Config{MetricsListen: "127.0.0.1:9183", LogLevel: "info"},
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
	if err := c.Redis.Validate("redis"); err != nil {
		return err
	}
	if err := c.IDGen.Validate("idgen"); err != nil {
		return err
	}
	if c.IdempotencyLock.TTL <= 0 {
		return errors.New("idempotency_lock.ttl: must be positive")
	}
	if c.IdempotencyLock.Wait <= 0 || c.IdempotencyLock.Wait > c.IdempotencyLock.TTL {
		return errors.New("idempotency_lock.wait: must be positive and at most idempotency_lock.ttl")
	}
	if t := c.Clients.Transport; t != "" && t != kitexsuite.TransportMux && t != kitexsuite.TransportPool {
		return fmt.Errorf("clients.transport: %q is not %q or %q", t, kitexsuite.TransportMux, kitexsuite.TransportPool)
	}
	return c.Clients.product().Validate("clients.product")
}

// App is the built order service.
type App struct {
	svr server.Server
	db  *gorm.DB
	rdb *redis.Client
}

// Build opens and migrates the database, connects Redis and the product
// service, and builds the Kitex server, registered in etcd once it runs.
func Build(ctx context.Context, cfg *Config, tel *observability.Telemetry) (bootstrap.App, error) {
	ids, err := idgen.New(cfg.IDGen.Node)
	if err != nil {
		return nil, err
	}
	db, err := mysqlx.Open(ctx, cfg.MySQL)
	if err != nil {
		return nil, err
	}
	a := &App{db: db}
	if err := dal.Migrate(ctx, db); err != nil {
		return nil, errors.Join(err, a.closeStores())
	}
	if a.rdb, err = redisx.Open(cfg.Redis); err != nil {
		return nil, errors.Join(err, a.closeStores())
	}
	resolver, err := kitexsuite.NewResolver(cfg.Registry)
	if err != nil {
		return nil, errors.Join(err, a.closeStores())
	}
	productCfg := cfg.Clients.product()
	// Kitex closes a client's connections when it is garbage collected; the
	// generated interface has no Close.
	products, err := productservice.NewClient(productCfg.Service,
		client.WithSuite(kitexsuite.NewClientSuite(cfg.Server.Service, productCfg, resolver, tel)))
	if err != nil {
		return nil, errors.Join(fmt.Errorf("product client: %w", err), a.closeStores())
	}
	reg, err := kitexsuite.NewRegistry(cfg.Registry)
	if err != nil {
		return nil, errors.Join(err, a.closeStores())
	}
	deps := service.Deps{
		Orders:   dal.NewOrders(db),
		Catalog:  dal.NewCatalog(products),
		Locks:    dal.NewLocks(a.rdb, cfg.Redis.KeyPrefix, cfg.IdempotencyLock.TTL, cfg.IdempotencyLock.Wait),
		IDs:      ids,
		Clock:    time.Now,
		Logger:   tel.Logger(),
		Service:  cfg.Server.Service,
		Instance: cfg.Server.Listen,
	}
	a.svr = orderservice.NewServer(handler.New(deps, tel.Logger()),
		server.WithSuite(kitexsuite.NewServerSuite(cfg.Server, reg, tel)))
	return a, nil
}

// Run serves until Stop.
func (a *App) Run() error { return a.svr.Run() }

// Stop leaves etcd, drains in-flight calls, then closes the stores.
func (a *App) Stop() error {
	return errors.Join(a.svr.Stop(), a.closeStores())
}

func (a *App) closeStores() error {
	var errList []error
	if sqlDB, err := a.db.DB(); err == nil {
		errList = append(errList, sqlDB.Close())
	} else {
		errList = append(errList, err)
	}
	if a.rdb != nil {
		errList = append(errList, a.rdb.Close())
	}
	return errors.Join(errList...)
}
