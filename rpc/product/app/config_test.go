package app_test

import (
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kitemall/platform/pkg/config"
	"github.com/kitemall/platform/rpc/product/app"
)

// overrides are the environment variables the service honours.
var overrides = []string{
	"LISTEN_ADDR", "KITEX_TRANSPORT", "EXIT_WAIT", "ETCD_ENDPOINTS", "MYSQL_ADDR", "MYSQL_USER", "MYSQL_PASSWORD",
	"MYSQL_DATABASE", "REDIS_ADDR", "REDIS_PASSWORD", "REDIS_DB", "REDIS_KEY_PREFIX", "METRICS_ADDR",
	"OTEL_EXPORTER_OTLP_ENDPOINT", "LOG_LEVEL", "SERVICE_NAMESPACE",
}

// clearEnv unsets every override for the test (the suite itself runs with
// KITEX_TRANSPORT set) and restores them afterwards.
func clearEnv(t *testing.T) {
	for _, name := range overrides {
		t.Setenv(name, "")
		os.Unsetenv(name)
	}
}

func TestConfig_FileSpellsOutTheDefaults(t *testing.T) {
	clearEnv(t)
	fromFile := app.DefaultConfig()
	// An empty default proves the file sets every key it should.
	*fromFile = app.Config{}
	if err := config.Load("../conf/product.yaml", fromFile); err != nil {
		t.Fatal(err)
	}
	defaults := app.DefaultConfig()
	if got, want := *fromFile, *defaults; got.Server != want.Server || got.MySQL != want.MySQL || got.Redis != want.Redis ||
		got.Cache != want.Cache || got.Observability != want.Observability || !slices.Equal(got.Registry.Endpoints, want.Registry.Endpoints) {
		t.Fatalf("conf/product.yaml = %+v\ndefaults          = %+v", got, want)
	}
}

func TestConfig_EnvironmentOverridesTheFile(t *testing.T) {
	clearEnv(t)
	env := map[string]string{
		"LISTEN_ADDR": "127.0.0.1:18882", "KITEX_TRANSPORT": "pool", "ETCD_ENDPOINTS": "e1:2379, e2:2379",
		"MYSQL_ADDR": "db:3306", "MYSQL_DATABASE": "product_ci", "REDIS_ADDR": "cache:6379",
		"METRICS_ADDR": "127.0.0.1:19182", "LOG_LEVEL": "debug", "EXIT_WAIT": "5s",
	}
	for k, v := range env {
		t.Setenv(k, v)
	}
	cfg := app.DefaultConfig()
	if err := config.Load("../conf/product.yaml", cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.Server.Listen != "127.0.0.1:18882" || cfg.Server.Transport != "pool" || cfg.Server.ExitWait != 5*time.Second ||
		!slices.Equal(cfg.Registry.Endpoints, []string{"e1:2379", "e2:2379"}) ||
		cfg.MySQL.Addr != "db:3306" || cfg.MySQL.Database != "product_ci" || cfg.Redis.Addr != "cache:6379" ||
		cfg.Observability.MetricsListen != "127.0.0.1:19182" || cfg.Observability.LogLevel != "debug" {
		t.Fatalf("env overrides not applied: %+v", cfg)
	}
}

func TestConfig_ValidateNamesTheBadKey(t *testing.T) {
	cases := []struct {
		name string
		edit func(c *app.Config)
		key  string
	}{
		{"unknown transport", func(c *app.Config) { c.Server.Transport = "tcp" }, "server.transport"},
		{"no etcd", func(c *app.Config) { c.Registry.Endpoints = nil }, "registry.endpoints"},
		{"bad database name", func(c *app.Config) { c.MySQL.Database = "product-db" }, "mysql.database"},
		{"no redis", func(c *app.Config) { c.Redis.Addr = "" }, "redis.addr"},
		{"invalidation shorter than a load", func(c *app.Config) { c.Cache.InvalidationTTL = time.Second }, "cache.invalidation_ttl"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := app.DefaultConfig()
			tc.edit(cfg)
			if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), tc.key) {
				t.Fatalf("err = %v, want it to name %s", err, tc.key)
			}
		})
	}
	if err := app.DefaultConfig().Validate(); err != nil {
		t.Fatalf("defaults are invalid: %v", err)
	}
}
