// Package mq wraps the Apache RocketMQ Go client for the platform's needs:
// transactional half messages whose local transaction is a Go func (with the
// broker's check-back answered from durable state, TxProducer), plain and
// timer messages (Producer, WithDelayTimestamp), and push consumers with a
// retry backoff, a dead-letter queue that is logged and counted (Metrics),
// and the sender's trace continued in the consumer. It hides the client's
// quirks listed in ../shared/notes/rocketmq-local.md: one transaction
// producer per group per process, each with its own instance name,
// registered with the broker as soon as it starts and kept alive while
// check-backs may come.
package mq

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/apache/rocketmq-client-go/v2/admin"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/rlog"
)

// Config locates the name server.
type Config struct {
	NameServers []string `yaml:"name_servers" env:"ROCKETMQ_NAMESRV"`
	// BrokerAddr is where topics are created at start (the admin API needs
	// a broker): consumers cannot subscribe to a topic that does not exist.
	BrokerAddr string `yaml:"broker_addr" env:"ROCKETMQ_BROKER"`
	// SendTimeout bounds one send to the broker.
	SendTimeout time.Duration `yaml:"send_timeout"`
	// Retries is how often a failed send is retried by the client.
	Retries int `yaml:"retries"`
}

// DefaultConfig returns local-stack defaults.
func DefaultConfig() Config {
	return Config{NameServers: []string{"127.0.0.1:9876"}, BrokerAddr: "127.0.0.1:10911", SendTimeout: 3 * time.Second, Retries: 2}
}

// Validate checks the config; key is the config key prefix for messages.
func (c Config) Validate(key string) error {
	if len(c.NameServers) == 0 {
		return fmt.Errorf("%s.name_servers: at least one name server is required", key)
	}
	if c.BrokerAddr == "" {
		return fmt.Errorf("%s.broker_addr: must be host:port", key)
	}
	if c.SendTimeout <= 0 {
		return fmt.Errorf("%s.send_timeout: must be positive", key)
	}
	return nil
}

// ErrUnknown, returned by a local transaction, leaves the half message
// pending so the broker's check-back decides it from durable state.
var ErrUnknown = errors.New("mq: local transaction outcome unknown")

// QuietClientLogs turns the client's chatty logging down to errors unless
// ROCKETMQ_GO_LOG_LEVEL says otherwise.
func QuietClientLogs() {
	level := os.Getenv("ROCKETMQ_GO_LOG_LEVEL")
	if level == "" {
		level = "error"
	}
	rlog.SetLogLevel(level)
}

// Namespaced returns name in namespace ns ("order_created" becomes
// "order_created_<ns>"), so several copies of the platform (a test run
// beside `make run`) share one broker without sharing topics or consumer
// groups. RocketMQ names allow [A-Za-z0-9_%|-] only: no dots.
func Namespaced(name, ns string) string {
	if ns == "" {
		return name
	}
	return name + "_" + ns
}

// instanceName is unique per producer or consumer in a process: the client
// shares one connection object per instance name and binds check-backs to
// its first creator.
func instanceName(group string) string {
	return fmt.Sprintf("%s-%d-%d", group, os.Getpid(), time.Now().UnixNano())
}

// CreateTopics creates the topics on the configured broker; creating an
// existing topic is a no-op, so services call it at every start. It returns
// once the name server has each topic's route: the broker registers a new
// topic there a moment after creating it, and a consumer started before
// that fails with "route info not found".
func CreateTopics(ctx context.Context, cfg Config, topics ...string) error {
	QuietClientLogs()
	a, err := admin.NewAdmin(admin.WithResolver(primitive.NewPassthroughResolver(cfg.NameServers)))
	if err != nil {
		return fmt.Errorf("create rocketmq admin: %w", err)
	}
	defer a.Close()
	for _, t := range topics {
		if err := a.CreateTopic(ctx, admin.WithTopicCreate(t), admin.WithBrokerAddrCreate(cfg.BrokerAddr)); err != nil {
			return fmt.Errorf("create topic %s on %s: %w", t, cfg.BrokerAddr, err)
		}
	}
	for _, t := range topics {
		for {
			// An unknown route is not cached, so each call asks again.
			mqs, err := a.FetchPublishMessageQueues(ctx, t)
			if err == nil && len(mqs) > 0 {
				break
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("topic %s created on %s but its route never reached the name server: %w", t, cfg.BrokerAddr, ctx.Err())
			case <-time.After(300 * time.Millisecond):
			}
		}
	}
	return nil
}
