package app

import (
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kitemall/platform/pkg/config"
)

func TestConfigFileMatchesDefaults(t *testing.T) {
	for _, env := range []string{"KITEX_TRANSPORT", "LISTEN_ADDR", "ETCD_ENDPOINTS", "MYSQL_ADDR", "MYSQL_USER", "MYSQL_PASSWORD",
		"MYSQL_DATABASE", "REDIS_ADDR", "METRICS_ADDR", "OTEL_EXPORTER_OTLP_ENDPOINT", "LOG_LEVEL", "EXIT_WAIT",
		"REDIS_PASSWORD", "REDIS_DB", "REDIS_KEY_PREFIX", "USER_CACHE_TTL", "BCRYPT_COST"} {
		// Setenv restores the variable after the test; unset it until then.
		t.Setenv(env, "")
		os.Unsetenv(env)
	}
	var fromFile Config
	if err := config.Load("../conf/user.yaml", &fromFile); err != nil {
		t.Fatal(err)
	}
	if want := DefaultConfig(); !reflect.DeepEqual(&fromFile, want) {
		t.Fatalf("conf/user.yaml = %+v\nDefaultConfig = %+v\nkeep them in step", fromFile, *want)
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
		{"cache_ttl", func(c *Config) { c.CacheTTL = -time.Second }},
		{"bcrypt_cost", func(c *Config) { c.BcryptCost = 3 }},
		{"bcrypt_cost", func(c *Config) { c.BcryptCost = 32 }},
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
	noCache := DefaultConfig()
	noCache.CacheTTL = 0
	noCache.Redis.Addr = ""
	if err := noCache.Validate(); err != nil {
		t.Fatalf("without the cache Redis is not needed: %v", err)
	}
}
