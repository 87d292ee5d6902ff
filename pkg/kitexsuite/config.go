// Package kitexsuite bundles the cross-cutting Kitex setup every service
// shares: etcd registration and resolution, the connection model (mux or
// pool), timeouts, retries for idempotent methods, circuit breakers, tracing
// and metrics. A server or client is configured with one suite.
package kitexsuite

import (
	"errors"
	"fmt"
	"time"
)

// Transport names the connection model between services.
const (
	// TransportMux multiplexes every call to one instance over a few
	// long-lived TTHeader connections. It is the platform default. Kitex marks
	// it deprecated since v0.16.1. A mux server answers only TTHeader
	// clients; every client built by this package speaks TTHeader, so each
	// client may pick its model independently of the server's.
	TransportMux = "mux"
	// TransportPool uses Kitex's long-connection pool: one call per
	// connection at a time, connections reused when idle.
	TransportPool = "pool"
)

// RegistryConfig locates etcd.
type RegistryConfig struct {
	Endpoints []string `yaml:"endpoints" env:"ETCD_ENDPOINTS"`
	// Namespace, when set, is appended to every registered and resolved
	// service name ("product" becomes "product.<ns>"), so several copies of
	// the platform (a test run beside `make run`) share one etcd unseen.
	Namespace string `yaml:"namespace" env:"SERVICE_NAMESPACE"`
	// DeregisterWait is how long a stopping server keeps serving after it
	// left etcd, so callers drop it (their resolvers refresh every
	// refresh_interval) before its listener closes: Kitex closes the
	// listener right after deregistering. 0 stops at once (tests, make run);
	// the Kubernetes manifests set it above the callers' refresh interval.
	DeregisterWait time.Duration `yaml:"deregister_wait" env:"DEREGISTER_WAIT"`
}

// Validate checks the registry config.
func (c RegistryConfig) Validate() error {
	if len(c.Endpoints) == 0 {
		return errors.New("registry.endpoints: at least one etcd endpoint is required")
	}
	if c.DeregisterWait < 0 {
		return errors.New("registry.deregister_wait: must not be negative")
	}
	return nil
}

// ServerConfig is the server half of a service's config.
type ServerConfig struct {
	// Service is the name registered in etcd and resolved by clients.
	Service string `yaml:"service"`
	// Listen is host:port; port 0 picks a free port (tests).
	Listen    string `yaml:"listen" env:"LISTEN_ADDR"`
	Transport string `yaml:"transport" env:"KITEX_TRANSPORT"`
	// ExitWait bounds how long a stopping server waits for in-flight calls
	// after it has left etcd.
	ExitWait time.Duration `yaml:"exit_wait" env:"EXIT_WAIT"`
	// ReadWriteTimeout bounds one read or write on a server connection.
	ReadWriteTimeout time.Duration `yaml:"read_write_timeout"`
}

// DefaultServerConfig returns the defaults for a service named name.
func DefaultServerConfig(name, listen string) ServerConfig {
	return ServerConfig{
		Service:          name,
		Listen:           listen,
		Transport:        TransportMux,
		ExitWait:         3 * time.Second,
		ReadWriteTimeout: 5 * time.Second,
	}
}

// Validate checks the server config.
func (c ServerConfig) Validate() error {
	if c.Service == "" {
		return errors.New("server.service: must not be empty")
	}
	if c.Listen == "" {
		return errors.New("server.listen: must be host:port")
	}
	if err := validTransport("server.transport", c.Transport); err != nil {
		return err
	}
	if c.ExitWait < 0 {
		return errors.New("server.exit_wait: must not be negative")
	}
	return nil
}

// ClientConfig configures one client of one downstream service.
type ClientConfig struct {
	// Service is the downstream's registered name.
	Service   string `yaml:"service"`
	Transport string `yaml:"transport"`
	// MuxConns is the number of shared connections per instance in mux mode.
	MuxConns       int           `yaml:"mux_conns"`
	ConnectTimeout time.Duration `yaml:"connect_timeout"`
	RPCTimeout     time.Duration `yaml:"rpc_timeout"`
	// Retry applies only to the methods listed in IdempotentMethods: a retry
	// of anything else could apply a change twice.
	Retry             RetryConfig   `yaml:"retry"`
	IdempotentMethods []string      `yaml:"idempotent_methods"`
	Breaker           BreakerConfig `yaml:"breaker"`
	// RefreshInterval is how often the etcd resolution is refreshed.
	RefreshInterval time.Duration `yaml:"refresh_interval"`
}

// RetryConfig retries transport failures of idempotent methods with random
// backoff, within a budget.
type RetryConfig struct {
	MaxRetries int           `yaml:"max_retries"`
	BackoffMin time.Duration `yaml:"backoff_min"`
	BackoffMax time.Duration `yaml:"backoff_max"`
	// BudgetRatio is the retry tokens one successful call earns (each retry
	// spends one), so retries cannot multiply load on a failing service.
	BudgetRatio float64 `yaml:"budget_ratio"`
}

// BreakerConfig opens the circuit to a downstream method when its error rate
// over the window exceeds ErrRate with at least MinSample calls.
type BreakerConfig struct {
	ErrRate   float64 `yaml:"err_rate"`
	MinSample int64   `yaml:"min_sample"`
}

// DefaultClientConfig returns the defaults for calling service.
func DefaultClientConfig(service string, idempotent ...string) ClientConfig {
	return ClientConfig{
		Service:           service,
		Transport:         TransportMux,
		MuxConns:          2,
		ConnectTimeout:    200 * time.Millisecond,
		RPCTimeout:        2 * time.Second,
		IdempotentMethods: idempotent,
		Retry: RetryConfig{
			MaxRetries:  2,
			BackoffMin:  10 * time.Millisecond,
			BackoffMax:  50 * time.Millisecond,
			BudgetRatio: 0.1,
		},
		Breaker:         BreakerConfig{ErrRate: 0.5, MinSample: 200},
		RefreshInterval: time.Second,
	}
}

// Validate checks the client config; key prefixes the error with the
// config key of this client.
func (c ClientConfig) Validate(key string) error {
	switch {
	case c.Service == "":
		return fmt.Errorf("%s.service: must not be empty", key)
	case c.ConnectTimeout <= 0:
		return fmt.Errorf("%s.connect_timeout: must be positive", key)
	case c.RPCTimeout <= 0:
		return fmt.Errorf("%s.rpc_timeout: must be positive", key)
	case c.Transport == TransportMux && c.MuxConns <= 0:
		return fmt.Errorf("%s.mux_conns: must be positive in mux mode", key)
	case c.Retry.MaxRetries < 0 || c.Retry.MaxRetries > 5:
		return fmt.Errorf("%s.retry.max_retries: must be in 0..5", key)
	case c.Retry.BackoffMax < c.Retry.BackoffMin:
		return fmt.Errorf("%s.retry.backoff_max: must not be below backoff_min", key)
	case c.Retry.BudgetRatio < 0 || c.Retry.BudgetRatio > 1:
		return fmt.Errorf("%s.retry.budget_ratio: must be in [0, 1]", key)
	case c.Breaker.ErrRate <= 0 || c.Breaker.ErrRate > 1:
		return fmt.Errorf("%s.breaker.err_rate: must be in (0, 1]", key)
	}
	return validTransport(key+".transport", c.Transport)
}

func validTransport(key, t string) error {
	if t != TransportMux && t != TransportPool {
		return fmt.Errorf("%s: %q is not %q or %q", key, t, TransportMux, TransportPool)
	}
	return nil
}
