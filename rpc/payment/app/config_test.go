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
		"MYSQL_DATABASE", "METRICS_ADDR", "OTEL_EXPORTER_OTLP_ENDPOINT", "LOG_LEVEL", "EXIT_WAIT",
		"SANDBOX_LATENCY", "SANDBOX_DECLINE_RATE", "SANDBOX_SEED", "ROCKETMQ_NAMESRV", "ROCKETMQ_BROKER", "SERVICE_NAMESPACE",
		"MQ_MAX_RECONSUMES", "MQ_RETRY_DELAY_LEVEL", "LOCAL_TX_TIMEOUT", "LOCAL_TX_WINDOW", "SWEEP_INTERVAL", "REDRIVE_AFTER", "SETTLE_TIMEOUT"} {
		// Setenv restores the variable after the test; unset it until then.
		t.Setenv(env, "")
		os.Unsetenv(env)
	}
	var fromFile Config
	if err := config.Load("../conf/payment.yaml", &fromFile); err != nil {
		t.Fatal(err)
	}
	if want := DefaultConfig(); !reflect.DeepEqual(&fromFile, want) {
		t.Fatalf("conf/payment.yaml = %+v\nDefaultConfig = %+v\nkeep them in step", fromFile, *want)
	}
}

func TestKitexTransportSetsServerAndClients(t *testing.T) {
	t.Setenv("KITEX_TRANSPORT", kitexsuite.TransportPool)
	cfg := DefaultConfig()
	if err := config.Load("", cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.Server.Transport != kitexsuite.TransportPool || cfg.Clients.orderClient().Transport != kitexsuite.TransportPool {
		t.Fatalf("server %q, order client %q; want both %q", cfg.Server.Transport, cfg.Clients.orderClient().Transport, kitexsuite.TransportPool)
	}
}

func TestOrderClientRetriesOnlyReads(t *testing.T) {
	got := DefaultConfig().Clients.orderClient().IdempotentMethods
	if want := []string{"GetOrder", "ListOrders"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("idempotent methods = %v, want %v", got, want)
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
		{"clients.transport", func(c *Config) { c.Clients.Transport = "grpc" }},
		{"clients.order.rpc_timeout", func(c *Config) { c.Clients.Order.RPCTimeout = 0 }},
		{"sandbox.decline_rate", func(c *Config) { c.Sandbox.DeclineRate = 2 }},
		{"sandbox.latency", func(c *Config) { c.Sandbox.Latency = -1 }},
		{"settle_timeout", func(c *Config) { c.SettleTimeout = 0 }},
		{"messaging.rocketmq.broker_addr", func(c *Config) { c.Messaging.RocketMQ.BrokerAddr = "" }},
		{"messaging.consumer.max_reconsumes", func(c *Config) { c.Messaging.Consumer.MaxReconsumes = 17 }},
		{"messaging.local_tx_window", func(c *Config) { c.Messaging.LocalTxWindow = c.Messaging.LocalTxTimeout }},
		{"sweeper.interval", func(c *Config) { c.Sweeper.Interval = 0 }},
		{"sweeper.redrive_after", func(c *Config) { c.Sweeper.RedriveAfter = c.SettleTimeout }},
		{"sweeper.batch", func(c *Config) { c.Sweeper.Batch = 0 }},
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

func TestEnvironmentSetsTheMessageFlowsAndTheSweeper(t *testing.T) {
	for k, v := range map[string]string{
		"SERVICE_NAMESPACE": "run42", "ROCKETMQ_NAMESRV": "10.0.0.1:9876", "LOCAL_TX_TIMEOUT": "1s", "LOCAL_TX_WINDOW": "2s",
		"SWEEP_INTERVAL": "1s", "REDRIVE_AFTER": "4s", "SETTLE_TIMEOUT": "2s",
	} {
		t.Setenv(k, v)
	}
	cfg := DefaultConfig()
	if err := config.Load("", cfg); err != nil {
		t.Fatal(err)
	}
	m := cfg.Messaging
	if cfg.Registry.Namespace != "run42" || m.Name("payment_succeeded") != "payment_succeeded_run42" {
		t.Fatalf("namespaces %q and %q, want run42 for the registry and the topics", cfg.Registry.Namespace, m.Namespace)
	}
	if !reflect.DeepEqual(m.RocketMQ.NameServers, []string{"10.0.0.1:9876"}) || m.LocalTxTimeout != time.Second || m.LocalTxWindow != 2*time.Second ||
		cfg.Sweeper.Interval != time.Second || cfg.Sweeper.RedriveAfter != 4*time.Second || cfg.SettleTimeout != 2*time.Second {
		t.Fatalf("messaging %+v, sweeper %+v", m, cfg.Sweeper)
	}
}
