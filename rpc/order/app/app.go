// Package app wires the order service: config, database, idempotency lock,
// product client, RocketMQ producers and consumers, handler and Kitex
// server. Build and DefaultConfig are exported so other services' tests can
// start a real order service in-process.
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
	"github.com/kitemall/platform/pkg/failpoint"
	"github.com/kitemall/platform/pkg/idgen"
	"github.com/kitemall/platform/pkg/kitexsuite"
	"github.com/kitemall/platform/pkg/mq"
	"github.com/kitemall/platform/pkg/mysqlx"
	"github.com/kitemall/platform/pkg/observability"
	"github.com/kitemall/platform/pkg/periodic"
	"github.com/kitemall/platform/pkg/redisx"
	"github.com/kitemall/platform/rpc/order/dal"
	"github.com/kitemall/platform/rpc/order/events"
	"github.com/kitemall/platform/rpc/order/handler"
	"github.com/kitemall/platform/rpc/order/service"
	paymentevents "github.com/kitemall/platform/rpc/payment/events"
)

// Config is the order service's whole configuration.
type Config struct {
	Server   kitexsuite.ServerConfig   `yaml:"server"`
	Registry kitexsuite.RegistryConfig `yaml:"registry"`
	MySQL    mysqlx.Config             `yaml:"mysql"`
	Redis    redisx.Config             `yaml:"redis"`
	// IDGen.Node must be unique among the running order instances.
	IDGen           idgen.Config  `yaml:"idgen"`
	IdempotencyLock LockConfig    `yaml:"idempotency_lock"`
	Clients         ClientsConfig `yaml:"clients"`
	Messaging       mq.FlowConfig `yaml:"messaging"`
	// PaymentWindow is how long a new order waits for its payment before
	// its order.timeout message cancels it.
	PaymentWindow time.Duration        `yaml:"payment_window" env:"PAYMENT_WINDOW"`
	Observability observability.Config `yaml:"observability"`
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
		Messaging: mq.FlowConfig{
			RocketMQ:       mq.DefaultConfig(),
			Consumer:       mq.ConsumerConfig{MaxReconsumes: 5},
			LocalTxTimeout: 4 * time.Second,
			LocalTxWindow:  10 * time.Second,
			// A week: well past the broker's 3-day message retention.
			ProcessedRetention: 7 * 24 * time.Hour,
		},
		PaymentWindow: 15 * time.Minute,
		Observability: observability.DefaultConfig("127.0.0.1:9183"),
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
	if err := c.Clients.product().Validate("clients.product"); err != nil {
		return err
	}
	if err := c.Messaging.Validate("messaging"); err != nil {
		return err
	}
	if c.PaymentWindow <= 0 {
		return errors.New("payment_window: must be positive")
	}
	return nil
}

// App is the built order service.
type App struct {
	svr       server.Server
	db        *gorm.DB
	rdb       *redis.Client
	tx        *mq.TxProducer
	pub       *mq.Producer
	consumers []*mq.Consumer
	purger    *periodic.Loop
}

// Build opens and migrates the database, connects Redis and the product
// service, starts the RocketMQ producers (before the server can take a
// call) and consumers, and builds the Kitex server, registered in etcd once
// it runs.
func Build(ctx context.Context, cfg *Config, tel *observability.Telemetry) (bootstrap.App, error) {
	fp := failpoint.FromEnv()
	ids, err := idgen.New(cfg.IDGen.Node)
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
		return nil, errors.Join(fmt.Errorf("database handle: %w", err), a.close())
	}
	if err := mysqlx.ExportPoolMetrics(tel.Registry(), sqlDB, cfg.MySQL.Database); err != nil {
		return nil, errors.Join(err, a.close())
	}
	if err := dal.Migrate(ctx, sqlDB); err != nil {
		return nil, errors.Join(err, a.close())
	}
	if a.rdb, err = redisx.Open(cfg.Redis); err != nil {
		return nil, errors.Join(err, a.close())
	}
	resolver, err := kitexsuite.NewResolver(cfg.Registry)
	if err != nil {
		return nil, errors.Join(err, a.close())
	}
	productCfg := cfg.Clients.product()
	// Kitex closes a client's connections when it is garbage collected; the
	// generated interface has no Close.
	products, err := productservice.NewClient(productCfg.Service,
		client.WithSuite(kitexsuite.NewClientSuite(cfg.Server.Service, productCfg, resolver, tel)))
	if err != nil {
		return nil, errors.Join(fmt.Errorf("product client: %w", err), a.close())
	}
	reg, err := kitexsuite.NewRegistry(cfg.Registry)
	if err != nil {
		return nil, errors.Join(err, a.close())
	}

	msg := cfg.Messaging
	topics := service.Topics{
		OrderCreated:  msg.Name(events.TopicOrderCreated),
		OrderTimeout:  msg.Name(events.TopicOrderTimeout),
		PaymentRefund: msg.Name(events.TopicPaymentRefund),
	}
	paymentSucceeded := msg.Name(paymentevents.TopicPaymentSucceeded)
	if err := mq.CreateTopics(ctx, msg.RocketMQ, topics.OrderCreated, topics.OrderTimeout, topics.PaymentRefund, paymentSucceeded); err != nil {
		return nil, errors.Join(err, a.close())
	}
	if a.pub, err = mq.NewProducer(msg.RocketMQ, msg.Name("order-publisher")); err != nil {
		return nil, errors.Join(err, a.close())
	}
	deps := service.Deps{
		Orders:         dal.NewOrders(db),
		Catalog:        dal.NewCatalog(products),
		Locks:          dal.NewLocks(a.rdb, cfg.Redis.KeyPrefix, cfg.IdempotencyLock.TTL, cfg.IdempotencyLock.Wait),
		IDs:            ids,
		Clock:          time.Now,
		Logger:         tel.Logger(),
		Service:        cfg.Server.Service,
		Instance:       cfg.Server.Listen,
		Publisher:      dal.NewPublisher(a.pub),
		Topics:         topics,
		PaymentWindow:  cfg.PaymentWindow,
		LocalTxTimeout: msg.LocalTxTimeout,
		LocalTxWindow:  msg.LocalTxWindow,
		Failpoints:     fp,
	}
	// The check-back needs no producer: it gets a handler of its own, built
	// before the producer that calls it.
	checks := handler.New(deps, tel.Logger())
	if a.tx, err = mq.NewTxProducer(msg.RocketMQ, msg.Name("order-created-tx"), topics.OrderCreated, checks.CheckOrderCreated); err != nil {
		return nil, errors.Join(err, a.close())
	}
	deps.Tx = a.tx
	h := handler.New(deps, tel.Logger())

	metrics, err := mq.NewMetrics(tel.Registry())
	if err != nil {
		return nil, errors.Join(err, a.close())
	}
	// A new group starts at the oldest message: a deployment that adds a
	// consumer must not skip orders placed before it. Handlers are
	// idempotent, so reading a message twice costs nothing.
	opts := mq.ConsumerOptions{FromFirstOffset: true, Metrics: metrics, Logger: tel.Logger()}.WithConfig(msg.Consumer)
	for _, c := range []struct {
		group, topic string
		h            mq.Handler
	}{
		{service.ConsumerTimeoutScheduler, topics.OrderCreated, h.OnOrderCreated},
		{service.ConsumerTimeout, topics.OrderTimeout, h.OnOrderTimeout},
		{service.ConsumerPayment, paymentSucceeded, h.OnPaymentSucceeded},
	} {
		consumer, err := mq.NewConsumer(msg.RocketMQ, msg.Name(c.group), c.topic, opts, c.h)
		if err != nil {
			return nil, errors.Join(err, a.close())
		}
		a.consumers = append(a.consumers, consumer)
	}
	a.purger = mq.StartPurger(sqlDB, msg.ProcessedRetention, mq.PurgeInterval, tel.Logger())
	a.svr = orderservice.NewServer(h, server.WithSuite(kitexsuite.NewServerSuite(cfg.Server, reg, tel)))
	return a, nil
}

// Run serves until Stop.
func (a *App) Run() error { return a.svr.Run() }

// Stop leaves etcd and drains in-flight calls, then stops the consumers,
// then the producers (check-backs are answered until then), then closes
// the stores.
func (a *App) Stop() error {
	return errors.Join(a.svr.Stop(), a.close())
}

// close releases what Build opened, in the reverse order; it skips what
// Build did not get to.
func (a *App) close() error {
	var errList []error
	a.purger.Stop()
	for _, c := range a.consumers {
		errList = append(errList, c.Shutdown())
	}
	if a.tx != nil {
		errList = append(errList, a.tx.Shutdown())
	}
	if a.pub != nil {
		errList = append(errList, a.pub.Shutdown())
	}
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
