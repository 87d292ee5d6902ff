// Package app wires the payment service: config, database, order client,
// payment provider, RocketMQ producer and consumer, the sweeper of stuck
// payments, handler and Kitex server. Build and DefaultConfig are exported
// so other services' tests can start a real payment service in-process.
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
	"github.com/kitemall/platform/pkg/failpoint"
	"github.com/kitemall/platform/pkg/kitexsuite"
	"github.com/kitemall/platform/pkg/mq"
	"github.com/kitemall/platform/pkg/mysqlx"
	"github.com/kitemall/platform/pkg/observability"
	"github.com/kitemall/platform/pkg/periodic"
	orderevents "github.com/kitemall/platform/rpc/order/events"
	"github.com/kitemall/platform/rpc/payment/dal"
	"github.com/kitemall/platform/rpc/payment/events"
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
	SettleTimeout time.Duration        `yaml:"settle_timeout" env:"SETTLE_TIMEOUT"`
	Messaging     mq.FlowConfig        `yaml:"messaging"`
	Sweeper       SweeperConfig        `yaml:"sweeper"`
	Observability observability.Config `yaml:"observability"`
}

// SweeperConfig configures the re-drive of payments left PENDING by a
// crash or an unknown provider answer.
type SweeperConfig struct {
	// Interval is the time between two sweeps.
	Interval time.Duration `yaml:"interval" env:"SWEEP_INTERVAL"`
	// RedriveAfter is how long a payment stays PENDING before a sweep
	// settles it; it must outlast a Pay in flight (settle_timeout plus
	// messaging.local_tx_timeout).
	RedriveAfter time.Duration `yaml:"redrive_after" env:"REDRIVE_AFTER"`
	// Batch bounds the payments one sweep settles.
	Batch int `yaml:"batch"`
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
		Messaging: mq.FlowConfig{
			RocketMQ:       mq.DefaultConfig(),
			Consumer:       mq.ConsumerConfig{MaxReconsumes: 5},
			LocalTxTimeout: 4 * time.Second,
			LocalTxWindow:  10 * time.Second,
			// A week: well past the broker's 3-day message retention.
			ProcessedRetention: 7 * 24 * time.Hour,
		},
		Sweeper:       SweeperConfig{Interval: 5 * time.Second, RedriveAfter: 30 * time.Second, Batch: 100},
		Observability: observability.DefaultConfig("127.0.0.1:9184"),
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
	if err := c.Messaging.Validate("messaging"); err != nil {
		return err
	}
	switch inFlight := c.SettleTimeout + c.Messaging.LocalTxTimeout; {
	case c.Sweeper.Interval <= 0:
		return errors.New("sweeper.interval: must be positive")
	case c.Sweeper.RedriveAfter <= inFlight:
		return fmt.Errorf("sweeper.redrive_after: %v must exceed settle_timeout plus messaging.local_tx_timeout (%v)", c.Sweeper.RedriveAfter, inFlight)
	case c.Sweeper.Batch <= 0:
		return errors.New("sweeper.batch: must be positive")
	}
	return nil
}

// App is the built payment service.
type App struct {
	svr      server.Server
	db       *gorm.DB
	tx       *mq.TxProducer
	consumer *mq.Consumer
	sweeper  *periodic.Loop
	purger   *periodic.Loop
}

// Build opens and migrates the database, builds the order client (resolved
// through etcd) and the provider, starts the RocketMQ producer (before the
// server can take a call), the refund consumer and the sweeper, and builds
// the Kitex server, registered in etcd once it runs.
func Build(ctx context.Context, cfg *Config, tel *observability.Telemetry) (bootstrap.App, error) {
	fp := failpoint.FromEnv()
	gateway, err := provider.NewSandbox(cfg.Sandbox)
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
	resolver, err := kitexsuite.NewResolver(cfg.Registry)
	if err != nil {
		return nil, errors.Join(err, a.close())
	}
	orderCfg := cfg.Clients.orderClient()
	orders, err := orderservice.NewClient(orderCfg.Service,
		client.WithSuite(kitexsuite.NewClientSuite(cfg.Server.Service, orderCfg, resolver, tel)))
	if err != nil {
		return nil, errors.Join(fmt.Errorf("order client: %w", err), a.close())
	}
	reg, err := kitexsuite.NewRegistry(cfg.Registry)
	if err != nil {
		return nil, errors.Join(err, a.close())
	}

	msg := cfg.Messaging
	succeededTopic := msg.Name(events.TopicPaymentSucceeded)
	refundTopic := msg.Name(orderevents.TopicPaymentRefund)
	if err := mq.CreateTopics(ctx, msg.RocketMQ, succeededTopic, refundTopic); err != nil {
		return nil, errors.Join(err, a.close())
	}
	deps := service.Deps{
		Service:        cfg.Server.Service,
		Instance:       cfg.Server.Listen,
		Payments:       dal.NewPayments(db),
		Orders:         orders,
		Gateway:        gateway,
		SettleTimeout:  cfg.SettleTimeout,
		Logger:         tel.Logger(),
		Clock:          time.Now,
		SucceededTopic: succeededTopic,
		LocalTxTimeout: msg.LocalTxTimeout,
		LocalTxWindow:  msg.LocalTxWindow,
		RedriveAfter:   cfg.Sweeper.RedriveAfter,
		RedriveBatch:   cfg.Sweeper.Batch,
		Failpoints:     fp,
	}
	// The check-back needs no producer: it gets a handler of its own, built
	// before the producer that calls it.
	checks := handler.New(deps, tel.Logger())
	if a.tx, err = mq.NewTxProducer(msg.RocketMQ, msg.Name("payment-succeeded-tx"), succeededTopic, checks.CheckPaymentSucceeded); err != nil {
		return nil, errors.Join(err, a.close())
	}
	deps.Tx = a.tx
	h := handler.New(deps, tel.Logger())

	metrics, err := mq.NewMetrics(tel.Registry())
	if err != nil {
		return nil, errors.Join(err, a.close())
	}
	// A new group starts at the oldest message, so no refund requested
	// before it existed is skipped; the handler is idempotent.
	opts := mq.ConsumerOptions{FromFirstOffset: true, Metrics: metrics, Logger: tel.Logger()}.WithConfig(msg.Consumer)
	if a.consumer, err = mq.NewConsumer(msg.RocketMQ, msg.Name(service.ConsumerRefund), refundTopic, opts, h.OnPaymentRefund); err != nil {
		return nil, errors.Join(err, a.close())
	}
	a.sweeper = startSweeper(cfg.Sweeper.Interval, tel.Logger(), service.NewRedrivePayments(deps).Run)
	a.purger = mq.StartPurger(sqlDB, msg.ProcessedRetention, mq.PurgeInterval, tel.Logger())
	a.svr = paymentservice.NewServer(h, server.WithSuite(kitexsuite.NewServerSuite(cfg.Server, reg, tel)))
	return a, nil
}

// Run serves until Stop.
func (a *App) Run() error { return a.svr.Run() }

// Stop leaves etcd and drains in-flight calls, then stops the sweeper and
// the consumer, then the producer (check-backs are answered until then),
// then closes the database. The generated Kitex client exposes no Close;
// its finalizer releases it.
func (a *App) Stop() error {
	return errors.Join(a.svr.Stop(), a.close())
}

// close releases what Build opened, in the reverse order; it skips what
// Build did not get to.
func (a *App) close() error {
	var errList []error
	a.purger.Stop()
	a.sweeper.Stop()
	if a.consumer != nil {
		errList = append(errList, a.consumer.Shutdown())
	}
	if a.tx != nil {
		errList = append(errList, a.tx.Shutdown())
	}
	sqlDB, err := a.db.DB()
	if err == nil {
		err = sqlDB.Close()
	}
	return errors.Join(append(errList, err)...)
}
