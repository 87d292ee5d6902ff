package app

import (
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kitemall/platform/pkg/config"
	"github.com/kitemall/platform/pkg/kitexsuite"
)

func TestConfigFileMatchesDefaults(t *testing.T) {
	for _, env := range []string{"KITEX_TRANSPORT", "LISTEN_ADDR", "ETCD_ENDPOINTS", "MYSQL_ADDR", "MYSQL_USER", "MYSQL_PASSWORD",
		"MYSQL_DATABASE", "REDIS_ADDR", "METRICS_ADDR", "OTEL_EXPORTER_OTLP_ENDPOINT", "LOG_LEVEL", "IDGEN_NODE", "EXIT_WAIT",
		"REDIS_PASSWORD", "REDIS_DB", "REDIS_KEY_PREFIX", "ROCKETMQ_NAMESRV", "ROCKETMQ_BROKER", "SERVICE_NAMESPACE",
		"MQ_MAX_RECONSUMES", "MQ_RETRY_DELAY_LEVEL", "LOCAL_TX_TIMEOUT", "LOCAL_TX_WINDOW", "PAYMENT_WINDOW"} {
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
		{"messaging.rocketmq.name_servers", func(c *Config) { c.Messaging.RocketMQ.NameServers = nil }},
		{"messaging.consumer.max_reconsumes", func(c *Config) { c.Messaging.Consumer.MaxReconsumes = 0 }},
		{"messaging.consumer.retry_delay_level", func(c *Config) { c.Messaging.Consumer.RetryDelayLevel = 19 }},
		{"messaging.local_tx_timeout", func(c *Config) { c.Messaging.LocalTxTimeout = 0 }},
		{"messaging.local_tx_window", func(c *Config) { c.Messaging.LocalTxWindow = c.Messaging.LocalTxTimeout }},
		{"payment_window", func(c *Config) { c.PaymentWindow = 0 }},
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

func TestEnvironmentSetsTheMessageFlows(t *testing.T) {
	for k, v := range map[string]string{
		"SERVICE_NAMESPACE": "run42", "ROCKETMQ_NAMESRV": "10.0.0.1:9876,10.0.0.2:9876", "ROCKETMQ_BROKER": "10.0.0.1:10911",
		"PAYMENT_WINDOW": "3s", "LOCAL_TX_TIMEOUT": "1s", "LOCAL_TX_WINDOW": "2s", "MQ_MAX_RECONSUMES": "2", "MQ_RETRY_DELAY_LEVEL": "1",
	} {
		t.Setenv(k, v)
	}
	cfg := DefaultConfig()
	if err := config.Load("", cfg); err != nil {
		t.Fatal(err)
	}
	m := cfg.Messaging
	if cfg.Registry.Namespace != "run42" || m.Namespace != "run42" || m.Name("order_created") != "order_created_run42" {
		t.Fatalf("namespaces %q and %q, want run42 for the registry and the topics", cfg.Registry.Namespace, m.Namespace)
	}
	if !reflect.DeepEqual(m.RocketMQ.NameServers, []string{"10.0.0.1:9876", "10.0.0.2:9876"}) || m.RocketMQ.BrokerAddr != "10.0.0.1:10911" {
		t.Fatalf("rocketmq %+v", m.RocketMQ)
	}
	if cfg.PaymentWindow != 3*time.Second || m.LocalTxTimeout != time.Second || m.LocalTxWindow != 2*time.Second ||
		m.Consumer.MaxReconsumes != 2 || m.Consumer.RetryDelayLevel != 1 {
		t.Fatalf("payment window %v, messaging %+v", cfg.PaymentWindow, m)
	}
}
