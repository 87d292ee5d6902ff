// Package app wires the user service: config, database, cache, handler and
// Kitex server. Build and DefaultConfig are exported so other services'
// tests can start a real user service in-process.
package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cloudwego/kitex/server"
	"github.com/redis/go-redis/v9"
	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"

	"github.com/kitemall/platform/kitex_gen/user/userservice"
	"github.com/kitemall/platform/pkg/bootstrap"
	"github.com/kitemall/platform/pkg/kitexsuite"
	"github.com/kitemall/platform/pkg/mysqlx"
	"github.com/kitemall/platform/pkg/observability"
	"github.com/kitemall/platform/pkg/redisx"
	"github.com/kitemall/platform/rpc/user/dal"
	"github.com/kitemall/platform/rpc/user/handler"
	"github.com/kitemall/platform/rpc/user/service"
)

// Config is the user service's whole configuration.
type Config struct {
	Server   kitexsuite.ServerConfig   `yaml:"server"`
	Registry kitexsuite.RegistryConfig `yaml:"registry"`
	MySQL    mysqlx.Config             `yaml:"mysql"`
	Redis    redisx.Config             `yaml:"redis"`
	// CacheTTL is how long a user stays in the Redis cache; 0 turns the
	// cache off.
	CacheTTL time.Duration `yaml:"cache_ttl" env:"USER_CACHE_TTL"`
	// BcryptCost trades login latency for resistance to offline guessing.
	BcryptCost    int                  `yaml:"bcrypt_cost" env:"BCRYPT_COST"`
	Observability observability.Config `yaml:"observability"`
}

// DefaultConfig returns the local-stack defaults.
func DefaultConfig() *Config {
	return &Config{
		Server:        kitexsuite.DefaultServerConfig("user", "127.0.0.1:8881"),
		Registry:      kitexsuite.RegistryConfig{Endpoints: []string{"127.0.0.1:2379"}},
		MySQL:         mysqlx.DefaultConfig("user_db"),
		Redis:         redisx.DefaultConfig("user:"),
		CacheTTL:      10 * time.Minute,
		BcryptCost:    bcrypt.DefaultCost,
		Observability: observability.DefaultConfig("127.0.0.1:9181"),
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
	if c.CacheTTL < 0 {
		return errors.New("cache_ttl: must not be negative")
	}
	if c.CacheTTL > 0 {
		if err := c.Redis.Validate("redis"); err != nil {
			return err
		}
	}
	if c.BcryptCost < bcrypt.MinCost || c.BcryptCost > bcrypt.MaxCost {
		return fmt.Errorf("bcrypt_cost: %d is outside %d..%d", c.BcryptCost, bcrypt.MinCost, bcrypt.MaxCost)
	}
	return nil
}

// App is the built user service.
type App struct {
	svr server.Server
	db  *gorm.DB
	rdb *redis.Client
}

// Build opens and migrates the database, sets up the cache and builds the
// Kitex server, registered in etcd once it runs.
func Build(ctx context.Context, cfg *Config, tel *observability.Telemetry) (bootstrap.App, error) {
	passwords, err := service.NewPasswords(cfg.BcryptCost)
	if err != nil {
		return nil, err
	}
	db, err := mysqlx.Open(ctx, cfg.MySQL)
	if err != nil {
		return nil, err
	}
	a := &App{db: db}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, errors.Join(fmt.Errorf("database handle: %w", err), a.closeStores())
	}
	if err := mysqlx.ExportPoolMetrics(tel.Registry(), sqlDB, cfg.MySQL.Database); err != nil {
		return nil, errors.Join(err, a.closeStores())
	}
	if err := dal.Migrate(ctx, sqlDB); err != nil {
		return nil, errors.Join(err, a.closeStores())
	}
	var users service.Users = dal.NewUsers(db)
	if cfg.CacheTTL > 0 {
		if a.rdb, err = redisx.Open(cfg.Redis); err != nil {
			return nil, errors.Join(err, a.closeStores())
		}
		lookups, err := observability.NewCacheLookups(tel.Registry(), "user")
		if err != nil {
			return nil, errors.Join(err, a.closeStores())
		}
		users = dal.NewCachedUsers(users, a.rdb, cfg.Redis.KeyPrefix, cfg.CacheTTL, tel.Logger(), lookups)
	}
	reg, err := kitexsuite.NewRegistry(cfg.Registry)
	if err != nil {
		return nil, errors.Join(err, a.closeStores())
	}
	deps := service.Deps{
		Service:   cfg.Server.Service,
		Instance:  cfg.Server.Listen,
		Users:     users,
		Passwords: passwords,
	}
	a.svr = userservice.NewServer(handler.New(deps, tel.Logger()),
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
