// Package config is the gateway's one typed configuration: the HTTP server,
// etcd, the Kitex clients of the four services, JWT auth, rate limits and
// observability. It is loaded with pkg/config (YAML file, then `env` tags).
package config

import (
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/kitemall/platform/gateway/internal/productcache"
	"github.com/kitemall/platform/pkg/kitexsuite"
	"github.com/kitemall/platform/pkg/observability"
)

// Config is the whole gateway configuration.
type Config struct {
	HTTP     HTTPConfig                `yaml:"http"`
	Registry kitexsuite.RegistryConfig `yaml:"registry"`
	// Transport, when set, overrides every client's connection model: the
	// services of one run all serve mux or all serve pool (KITEX_TRANSPORT),
	// and a client must speak what its server serves.
	Transport     string               `yaml:"transport" env:"KITEX_TRANSPORT"`
	Clients       ClientsConfig        `yaml:"clients"`
	Auth          AuthConfig           `yaml:"auth"`
	RateLimit     RateLimitConfig      `yaml:"rate_limit"`
	ProductCache  productcache.Config  `yaml:"product_cache"`
	Observability observability.Config `yaml:"observability"`
}

// HTTPConfig is the gateway's HTTP server.
type HTTPConfig struct {
	// Listen is host:port; port 0 picks a free port (tests).
	Listen string `yaml:"listen" env:"LISTEN_ADDR"`
	// MaxBodyBytes bounds a request body; a larger one is answered 413.
	MaxBodyBytes int           `yaml:"max_body_bytes"`
	ReadTimeout  time.Duration `yaml:"read_timeout"`
	WriteTimeout time.Duration `yaml:"write_timeout"`
	IdleTimeout  time.Duration `yaml:"idle_timeout"`
	// ExitWait bounds how long a stopping gateway waits for in-flight requests.
	ExitWait time.Duration `yaml:"exit_wait"`
	// ReadyTimeout bounds each downstream Ping made by /readyz.
	ReadyTimeout time.Duration `yaml:"ready_timeout"`
	// TrustedProxies lists the CIDRs whose X-Forwarded-For / X-Real-IP
	// headers are believed. Empty means the peer address is the client IP,
	// so a client cannot dodge the per-IP rate limit by forging a header.
	TrustedProxies []string `yaml:"trusted_proxies"`
}

// ClientsConfig holds one Kitex client config per downstream service.
type ClientsConfig struct {
	User    kitexsuite.ClientConfig `yaml:"user"`
	Product kitexsuite.ClientConfig `yaml:"product"`
	Order   kitexsuite.ClientConfig `yaml:"order"`
	Payment kitexsuite.ClientConfig `yaml:"payment"`
}

// WithTransport returns the clients with every transport set to t; an
// empty t keeps each client's own.
func (c ClientsConfig) WithTransport(t string) ClientsConfig {
	if t == "" {
		return c
	}
	c.User.Transport, c.Product.Transport, c.Order.Transport, c.Payment.Transport = t, t, t, t
	return c
}

// AuthConfig configures the HS256 bearer tokens the gateway issues at login
// and checks on every protected route.
type AuthConfig struct {
	// Secret is the HMAC key; at least 32 bytes.
	Secret string `yaml:"secret" env:"JWT_SECRET"`
	// PreviousSecret, during a rotation, is the key the secret replaced:
	// tokens it signed are still accepted until they expire, and none are
	// signed with it. Empty outside a rotation.
	PreviousSecret string        `yaml:"previous_secret" env:"JWT_PREVIOUS_SECRET"`
	Issuer         string        `yaml:"issuer" env:"JWT_ISSUER"`
	TokenTTL       time.Duration `yaml:"token_ttl" env:"JWT_TTL"`
	// Admins are the usernames whose tokens carry the admin role, which may
	// create and update products.
	Admins []string `yaml:"admins" env:"ADMIN_USERNAMES"`
}

// RateLimitConfig sets the token buckets kept per client IP and per user.
type RateLimitConfig struct {
	PerIP   BucketConfig `yaml:"per_ip"`
	PerUser BucketConfig `yaml:"per_user"`
	// MaxKeys bounds how many buckets each limiter keeps; idle ones are
	// evicted first, so memory cannot grow with the number of clients.
	MaxKeys int `yaml:"max_keys"`
	// IdleTTL is how long an unused bucket is kept. A bucket idle this long
	// has refilled anyway, so dropping it changes no decision.
	IdleTTL time.Duration `yaml:"idle_ttl"`
}

// BucketConfig is one token bucket: RPS tokens per second, up to Burst.
type BucketConfig struct {
	RPS   float64 `yaml:"rps"`
	Burst int     `yaml:"burst"`
}

// Default returns the local-stack defaults (see conf/gateway.yaml).
func Default() *Config {
	return &Config{
		HTTP: HTTPConfig{
			Listen:       "127.0.0.1:8080",
			MaxBodyBytes: 1 << 20,
			ReadTimeout:  10 * time.Second,
			WriteTimeout: 10 * time.Second,
			IdleTimeout:  60 * time.Second,
			ExitWait:     5 * time.Second,
			ReadyTimeout: time.Second,
		},
		Registry:  kitexsuite.RegistryConfig{Endpoints: []string{"127.0.0.1:2379"}},
		Transport: kitexsuite.TransportMux,
		Clients: ClientsConfig{
			// Only reads are retried: a retried write could apply twice.
			User:    kitexsuite.DefaultClientConfig("user", "Ping", "GetUser", "BatchGetUsers", "Login"),
			Product: kitexsuite.DefaultClientConfig("product", "Ping", "GetProduct", "BatchGetProducts", "ListProducts"),
			Order:   kitexsuite.DefaultClientConfig("order", "Ping", "GetOrder", "ListOrders"),
			Payment: kitexsuite.DefaultClientConfig("payment", "Ping", "GetPayment", "GetPaymentByOrder"),
		},
		Auth: AuthConfig{
			Issuer:   "kitemall-gateway",
			TokenTTL: 24 * time.Hour,
			Admins:   []string{"admin"},
		},
		RateLimit: RateLimitConfig{
			PerIP:   BucketConfig{RPS: 50, Burst: 100},
			PerUser: BucketConfig{RPS: 20, Burst: 40},
			MaxKeys: 100_000,
			IdleTTL: 10 * time.Minute,
		},
		ProductCache:  productcache.Config{TTL: time.Second, MaxEntries: 10_000},
		Observability: observability.DefaultConfig(""),
	}
}

// ObservabilityConfig implements bootstrap.Config.
func (c *Config) ObservabilityConfig() observability.Config { return c.Observability }

// ClientConfigs returns the client configs with the run's transport applied.
func (c *Config) ClientConfigs() ClientsConfig { return c.Clients.WithTransport(c.Transport) }

// Validate checks every key; the error names the bad one.
func (c *Config) Validate() error {
	if err := c.HTTP.validate(); err != nil {
		return err
	}
	if err := c.Registry.Validate(); err != nil {
		return err
	}
	if c.Transport != "" && c.Transport != kitexsuite.TransportMux && c.Transport != kitexsuite.TransportPool {
		return fmt.Errorf("transport: %q is not %q or %q", c.Transport, kitexsuite.TransportMux, kitexsuite.TransportPool)
	}
	clients := c.ClientConfigs()
	for key, cc := range map[string]kitexsuite.ClientConfig{
		"clients.user": clients.User, "clients.product": clients.Product,
		"clients.order": clients.Order, "clients.payment": clients.Payment,
	} {
		if err := cc.Validate(key); err != nil {
			return err
		}
	}
	if err := c.Auth.validate(); err != nil {
		return err
	}
	switch {
	case c.ProductCache.TTL < 0:
		return errors.New("product_cache.ttl: must not be negative (0 turns the cache off)")
	case c.ProductCache.TTL > 0 && c.ProductCache.MaxEntries <= 0:
		return errors.New("product_cache.max_entries: must be positive when product_cache.ttl is set")
	}
	return c.RateLimit.validate()
}

func (c HTTPConfig) validate() error {
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		return fmt.Errorf("http.listen: %q is not host:port", c.Listen)
	}
	switch {
	case c.MaxBodyBytes <= 0:
		return errors.New("http.max_body_bytes: must be positive")
	case c.ReadTimeout <= 0:
		return errors.New("http.read_timeout: must be positive")
	case c.WriteTimeout <= 0:
		return errors.New("http.write_timeout: must be positive")
	case c.IdleTimeout <= 0:
		return errors.New("http.idle_timeout: must be positive")
	case c.ExitWait < 0:
		return errors.New("http.exit_wait: must not be negative")
	case c.ReadyTimeout <= 0:
		return errors.New("http.ready_timeout: must be positive")
	}
	if _, err := c.TrustedCIDRs(); err != nil {
		return err
	}
	return nil
}

// TrustedCIDRs parses TrustedProxies.
func (c HTTPConfig) TrustedCIDRs() ([]*net.IPNet, error) {
	nets := make([]*net.IPNet, 0, len(c.TrustedProxies))
	for i, s := range c.TrustedProxies {
		_, n, err := net.ParseCIDR(s)
		if err != nil {
			return nil, fmt.Errorf("http.trusted_proxies[%d]: %q is not a CIDR", i, s)
		}
		nets = append(nets, n)
	}
	return nets, nil
}

func (c AuthConfig) validate() error {
	switch {
	case len(c.Secret) < 32:
		return errors.New("auth.secret: must be at least 32 bytes (set JWT_SECRET)")
	case c.PreviousSecret != "" && len(c.PreviousSecret) < 32:
		return errors.New("auth.previous_secret: must be at least 32 bytes, or empty outside a rotation")
	case c.PreviousSecret == c.Secret && c.PreviousSecret != "":
		return errors.New("auth.previous_secret: is the current secret; set it to the key being replaced")
	case c.Issuer == "":
		return errors.New("auth.issuer: must not be empty")
	case c.TokenTTL <= 0:
		return errors.New("auth.token_ttl: must be positive")
	}
	return nil
}

func (c RateLimitConfig) validate() error {
	if err := c.PerIP.validate("rate_limit.per_ip"); err != nil {
		return err
	}
	if err := c.PerUser.validate("rate_limit.per_user"); err != nil {
		return err
	}
	switch {
	case c.MaxKeys <= 0:
		return errors.New("rate_limit.max_keys: must be positive")
	case c.IdleTTL <= 0:
		return errors.New("rate_limit.idle_ttl: must be positive")
	}
	return nil
}

func (c BucketConfig) validate(key string) error {
	switch {
	case c.RPS <= 0:
		return fmt.Errorf("%s.rps: must be positive", key)
	case c.Burst < 1:
		return fmt.Errorf("%s.burst: must be at least 1", key)
	}
	return nil
}
