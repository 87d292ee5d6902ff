package app

import (
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/kitemall/platform/pkg/config"
	"github.com/kitemall/platform/pkg/kitexsuite"
)

func TestConfigFileMatchesDefaults(t *testing.T) {
	for _, env := range []string{"KITEX_TRANSPORT", "LISTEN_ADDR", "ETCD_ENDPOINTS", "MYSQL_ADDR", "MYSQL_USER", "MYSQL_PASSWORD",
		"MYSQL_DATABASE", "REDIS_ADDR", "METRICS_ADDR", "OTEL_EXPORTER_OTLP_ENDPOINT", "LOG_LEVEL", "IDGEN_NODE", "EXIT_WAIT",
		"REDIS_PASSWORD", "REDIS_DB", "REDIS_KEY_PREFIX"} {
		// Setenv restores the variable after the test; unset it until then.
		t.Setenv(env, "")
		os.Unsetenv(env)
	}
	var fromFile Config
	if err := config.Load("../conf/order.yaml", &fromFile); err != nil {
		t.Fatal(err)
	}
	if want := DefaultConfig(); !reflect.DeepEqual(&fromFile, want) {
		t.Fatalf("conf/order.yaml = %+v\nDefaultConfig = %+v\nkeep them in step", fromFile, *want)
	}
}

func TestKitexTransportSetsServerAndClients(t *testing.T) {
	t.Setenv("KITEX_TRANSPORT", kitexsuite.TransportPool)
	cfg := DefaultConfig()
	if err := config.Load("", cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.Server.Transport != kitexsuite.TransportPool || cfg.Clients.product().Transport != kitexsuite.TransportPool {
		t.Fatalf("server %q, product client %q; want both %q", cfg.Server.Transport, cfg.Clients.product().Transport, kitexsuite.TransportPool)
	}
}

func TestValidateNamesTheBadKey(t *testing.T) {
	tests := []struct {
		key string
		mut func(c *Config)
	}{
		{"server.listen", func(c *Config) { c.Server.Listen = "" }},
		{"registry.endpoints", func(c *Config) { c.Registry.Endpoints = nil }},
		{"mysql.database", func(c *Config) { c.MySQL.Database = "bad-name" }},
		{"redis.addr", func(c *Config) { c.Redis.Addr = "" }},
		{"idgen.node", func(c *Config) { c.IDGen.Node = 1024 }},
		{"idempotency_lock.ttl", func(c *Config) { c.IdempotencyLock.TTL = 0 }},
		{"idempotency_lock.wait", func(c *Config) { c.IdempotencyLock.Wait = 2 * c.IdempotencyLock.TTL }},
		{"clients.transport", func(c *Config) { c.Clients.Transport = "grpc" }},
		{"clients.product.rpc_timeout", func(c *Config) { c.Clients.Product.RPCTimeout = 0 }},
	}
	for _, tc := range tests {
		t.Run(tc.key, func(t *testing.T) {
			cfg := DefaultConfig()
			tc.mut(cfg)
			err := cfg.Validate()
			if err == nil || !strings.HasPrefix(err.Error(), tc.key+":") {
				t.Fatalf("Validate = %v, want an error naming %s", err, tc.key)
			}
		})
	}
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatalf("defaults do not validate: %v", err)
	}
}
