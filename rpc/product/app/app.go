// Package app is the product service's ServiceContext: its typed config and
// Build, which wires the database, cache and Kitex server. Other services'
// tests start the product service in-process with DefaultConfig and Build.
package app

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/cloudwego/kitex/server"
	"github.com/redis/go-redis/v9"

	"github.com/kitemall/platform/kitex_gen/product/productservice"
	"github.com/kitemall/platform/pkg/bootstrap"
	"github.com/kitemall/platform/pkg/kitexsuite"
	"github.com/kitemall/platform/pkg/mysqlx"
	"github.com/kitemall/platform/pkg/observability"
	"github.com/kitemall/platform/pkg/redisx"
	"github.com/kitemall/platform/rpc/product/dal"
	"github.com/kitemall/platform/rpc/product/handler"
	"github.com/kitemall/platform/rpc/product/service"
)

// Config is the product service's whole configuration.
type Config struct {
	Server        kitexsuite.ServerConfig   `yaml:"server"`
	Registry      kitexsuite.RegistryConfig `yaml:"registry"`
	MySQL         mysqlx.Config             `yaml:"mysql"`
	Redis         redisx.Config             `yaml:"redis"`
	Cache         dal.CacheConfig           `yaml:"cache"`
	Observability observability.Config      `yaml:"observability"`
}

// DefaultConfig returns the local-stack defaults (conf/product.yaml spells
// them out).
func DefaultConfig() *Config {
	return &Config{
		Server:        kitexsuite.DefaultServerConfig("product", "127.0.0.1:8882"),
		Registry:      kitexsuite.RegistryConfig{Endpoints: []string{"127.0.0.1:2379"}},
		MySQL:         mysqlx.DefaultConfig("product_db"),
		Redis:         redisx.DefaultConfig("product:"),
		Cache:         dal.DefaultCacheConfig(),
		Observability: observability.DefaultConfig("127.0.0.1:9182"),
	}
}

// ObservabilityConfig implements bootstrap.Config.
func (c *Config) ObservabilityConfig() observability.Config { return c.Observability }

// Validate checks every section; the error names the bad key.
func (c *Config) Validate() error {
	return errors.Join(
		c.Server.Validate(),
		c.Registry.Validate(),
		c.MySQL.Validate("mysql"),
		c.Redis.Validate("redis"),
		c.Cache.Validate("cache"),
	)
}

// IdempotentMethods lists the methods a client may retry on a timeout or a
// connection failure: the reads, and the stock operations, which apply at
// most once per order_id (a retried ReserveStock whose first attempt
// succeeded answers newly_reserved=false: the stock is held either way).
func IdempotentMethods() []string {
	return []string{"Ping", "GetProduct", "BatchGetProducts", "ListProducts", "ReserveStock", "ReleaseStock", "ConfirmStock"}
}

// App is a built product service.
type App struct {
	server server.Server
	db     *sql.DB
	rdb    *redis.Client
}

var _ bootstrap.App = (*App)(nil)

// Build opens and migrates the database, opens the cache (Redis may be
// down: reads then go to the database) and builds the Kitex server, which
// registers in etcd once it serves.
func Build(ctx context.Context, cfg *Config, tel *observability.Telemetry) (bootstrap.App, error) {
	gdb, err := mysqlx.Open(ctx, cfg.MySQL)
	if err != nil {
		return nil, err
	}
	db, err := gdb.DB()
	if err != nil {
		return nil, fmt.Errorf("database handle: %w", err)
	}
	a := &App{db: db}
	if err := mysqlx.ExportPoolMetrics(tel.Registry(), db, cfg.MySQL.Database); err != nil {
		return nil, errors.Join(err, a.close())
	}
	lookups, err := observability.NewCacheLookups(tel.Registry(), "product")
	if err != nil {
		return nil, errors.Join(err, a.close())
	}
	if err := dal.Migrate(ctx, db); err != nil {
		return nil, errors.Join(err, a.close())
	}
	if a.rdb, err = redisx.Open(cfg.Redis); err != nil {
		return nil, errors.Join(err, a.close())
	}
	reg, err := kitexsuite.NewRegistry(cfg.Registry)
	if err != nil {
		return nil, errors.Join(err, a.close())
	}
	deps := &service.Deps{
		Service:     cfg.Server.Service,
		Instance:    cfg.Server.Listen,
		Products:    dal.NewProducts(gdb),
		Inventory:   dal.NewInventory(gdb),
		Cache:       dal.NewCache(a.rdb, cfg.Redis.KeyPrefix, cfg.Cache, lookups),
		LoadTimeout: cfg.Cache.LoadTimeout,
		Logger:      tel.Logger(),
	}
	a.server = productservice.NewServer(handler.New(deps),
		server.WithSuite(kitexsuite.NewServerSuite(cfg.Server, reg, tel)))
	return a, nil
}

// Run serves until Stop.
func (a *App) Run() error {
	if err := a.server.Run(); err != nil {
		return fmt.Errorf("product server: %w", err)
	}
	return nil
}

// Stop leaves etcd, drains in-flight calls (up to the server's exit wait),
// then closes the cache and the database.
func (a *App) Stop() error {
	var err error
	if e := a.server.Stop(); e != nil {
		err = fmt.Errorf("stop product server: %w", e)
	}
	return errors.Join(err, a.close())
}

func (a *App) close() error {
	var errs []error
	if a.rdb != nil {
		if err := a.rdb.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close redis: %w", err))
		}
	}
	if err := a.db.Close(); err != nil {
		errs = append(errs, fmt.Errorf("close database: %w", err))
	}
	return errors.Join(errs...)
}
