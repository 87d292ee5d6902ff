package mq

import (
	"fmt"
	"time"
)

// FlowConfig is the messaging section of a service that owns a
// transactional flow: where the broker is, the namespace of its topics and
// groups, how its consumers retry, and the local-transaction bounds its
// check-back relies on.
type FlowConfig struct {
	RocketMQ Config `yaml:"rocketmq"`
	// Namespace is appended to every topic and group name, so several
	// copies of the platform share one broker unseen; it reads the same
	// SERVICE_NAMESPACE as registry.namespace.
	Namespace string         `yaml:"namespace" env:"SERVICE_NAMESPACE"`
	Consumer  ConsumerConfig `yaml:"consumer"`
	// LocalTxTimeout bounds the flow's local transaction. LocalTxWindow, at
	// least twice as long, is how long the check-back waits for the local
	// transaction's row before it settles the message as rolled back.
	LocalTxTimeout time.Duration `yaml:"local_tx_timeout" env:"LOCAL_TX_TIMEOUT"`
	LocalTxWindow  time.Duration `yaml:"local_tx_window" env:"LOCAL_TX_WINDOW"`
	// ProcessedRetention is how long a consumer's processed-message records
	// are kept; older ones are deleted every hour. It must outlast every
	// way a copy of a message can still arrive: the broker's message
	// retention (3 days by default) and a dead-letter replay. A late copy
	// is still harmless (every transition is conditional); the record is
	// the second guard. 0 keeps the records forever.
	ProcessedRetention time.Duration `yaml:"processed_retention" env:"PROCESSED_RETENTION"`
}

// MinProcessedRetention is the shortest processed_retention accepted: the
// broker keeps messages for 3 days by default.
const MinProcessedRetention = 72 * time.Hour

// PurgeInterval is how often the processed-message records are purged.
const PurgeInterval = time.Hour

// Validate checks the section; key is its config key.
func (c FlowConfig) Validate(key string) error {
	if err := c.RocketMQ.Validate(key + ".rocketmq"); err != nil {
		return err
	}
	if err := c.Consumer.Validate(key + ".consumer"); err != nil {
		return err
	}
	if c.LocalTxTimeout <= 0 {
		return fmt.Errorf("%s.local_tx_timeout: must be positive", key)
	}
	if c.LocalTxWindow < 2*c.LocalTxTimeout {
		return fmt.Errorf("%s.local_tx_window: %v must be at least twice local_tx_timeout (%v)", key, c.LocalTxWindow, c.LocalTxTimeout)
	}
	if c.ProcessedRetention != 0 && c.ProcessedRetention < MinProcessedRetention {
		return fmt.Errorf("%s.processed_retention: %v must be 0 (keep forever) or at least %v, the broker's message retention", key, c.ProcessedRetention, MinProcessedRetention)
	}
	return nil
}

// Name returns a topic or group name in the configured namespace.
func (c FlowConfig) Name(base string) string { return Namespaced(base, c.Namespace) }
