package config

import (
	"strings"
	"testing"
	"time"

	pkgconfig "github.com/kitemall/platform/pkg/config"
	"github.com/kitemall/platform/pkg/kitexsuite"
)

func TestShippedConfigLoadsAndValidates(t *testing.T) {
	cfg := Default()
	if err := pkgconfig.Load("../../conf/gateway.yaml", cfg); err != nil {
		t.Fatalf("load conf/gateway.yaml: %v", err)
	}
	if cfg.HTTP.Listen != "127.0.0.1:8080" || cfg.HTTP.MaxBodyBytes != 1<<20 {
		t.Fatalf("http = %+v", cfg.HTTP)
	}
	if cfg.Clients.Order.Service != "order" || cfg.Clients.Order.RPCTimeout != 3*time.Second {
		t.Fatalf("clients.order = %+v", cfg.Clients.Order)
	}
	// Keys the file leaves out keep the kitexsuite defaults.
	if cfg.Clients.Order.MuxConns != kitexsuite.DefaultClientConfig("order").MuxConns {
		t.Fatalf("clients.order.mux_conns = %d, want the default", cfg.Clients.Order.MuxConns)
	}
}

func TestEnvironmentOverridesTheFile(t *testing.T) {
	t.Setenv("LISTEN_ADDR", "127.0.0.1:0")
	t.Setenv("KITEX_TRANSPORT", "pool")
	t.Setenv("SERVICE_NAMESPACE", "e2e1")
	t.Setenv("JWT_SECRET", strings.Repeat("s", 40))
	t.Setenv("ADMIN_USERNAMES", "root, ops")
	cfg := Default()
	if err := pkgconfig.Load("../../conf/gateway.yaml", cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.HTTP.Listen != "127.0.0.1:0" || cfg.Registry.Namespace != "e2e1" || cfg.Auth.Secret != strings.Repeat("s", 40) {
		t.Fatalf("env not applied: %+v %+v", cfg.HTTP, cfg.Registry)
	}
	if strings.Join(cfg.Auth.Admins, ",") != "root,ops" {
		t.Fatalf("admins = %q", cfg.Auth.Admins)
	}
	// KITEX_TRANSPORT must reach every client: a mux client cannot talk to
	// the pool servers of a pool run, nor a pool client to mux servers.
	cc := cfg.ClientConfigs()
	for name, c := range map[string]kitexsuite.ClientConfig{"user": cc.User, "product": cc.Product, "order": cc.Order, "payment": cc.Payment} {
		if c.Transport != kitexsuite.TransportPool {
			t.Errorf("client %s transport = %q, want pool", name, c.Transport)
		}
	}
}

func TestValidateNamesTheBadKey(t *testing.T) {
	valid := func() *Config {
		c := Default()
		c.Auth.Secret = strings.Repeat("k", 32)
		return c
	}
	if err := valid().Validate(); err != nil {
		t.Fatalf("the baseline config is invalid: %v", err)
	}
	tests := []struct {
		key    string
		mutate func(*Config)
	}{
		{"http.listen", func(c *Config) { c.HTTP.Listen = "8080" }},
		{"http.max_body_bytes", func(c *Config) { c.HTTP.MaxBodyBytes = 0 }},
		{"http.ready_timeout", func(c *Config) { c.HTTP.ReadyTimeout = 0 }},
		{"http.trusted_proxies[1]", func(c *Config) { c.HTTP.TrustedProxies = []string{"10.0.0.0/8", "10.0.0.1"} }},
		{"registry.endpoints", func(c *Config) { c.Registry.Endpoints = nil }},
		{"transport", func(c *Config) { c.Transport = "grpc" }},
		{"clients.payment.rpc_timeout", func(c *Config) { c.Clients.Payment.RPCTimeout = 0 }},
		{"auth.secret", func(c *Config) { c.Auth.Secret = "short" }},
		{"auth.previous_secret", func(c *Config) { c.Auth.PreviousSecret = "short" }},
		{"auth.previous_secret", func(c *Config) { c.Auth.PreviousSecret = c.Auth.Secret }},
		{"auth.issuer", func(c *Config) { c.Auth.Issuer = "" }},
		{"product_cache.ttl", func(c *Config) { c.ProductCache.TTL = -time.Second }},
		{"product_cache.max_entries", func(c *Config) { c.ProductCache.MaxEntries = 0 }},
		{"auth.token_ttl", func(c *Config) { c.Auth.TokenTTL = -time.Second }},
		{"rate_limit.per_ip.rps", func(c *Config) { c.RateLimit.PerIP.RPS = 0 }},
		{"rate_limit.per_user.burst", func(c *Config) { c.RateLimit.PerUser.Burst = 0 }},
		{"rate_limit.max_keys", func(c *Config) { c.RateLimit.MaxKeys = 0 }},
		{"rate_limit.idle_ttl", func(c *Config) { c.RateLimit.IdleTTL = 0 }},
	}
	for _, tc := range tests {
		t.Run(tc.key, func(t *testing.T) {
			c := valid()
			tc.mutate(c)
			err := c.Validate()
			if err == nil || !strings.HasPrefix(err.Error(), tc.key+":") {
				t.Fatalf("Validate() = %v, want an error naming %s", err, tc.key)
			}
		})
	}
}
