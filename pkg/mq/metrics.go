package mq

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics counts what consumers do with messages:
// mq_consumed_total{group,topic,result} (result "ok" or "error") and
// mq_dead_letter_total{group,topic}, the messages handed to the group's
// dead-letter queue after their last allowed failure.
type Metrics struct {
	consumed   *prometheus.CounterVec
	deadLetter *prometheus.CounterVec
}

// NewMetrics registers the consumer counters in reg. Several services built
// in one process (tests) share a registry: a second call reuses the
// counters the first registered.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	consumed, err := registerCounterVec(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "mq_consumed_total",
		Help: "Messages handled by consumers, by consumer group, topic and result (ok, error).",
	}, []string{"group", "topic", "result"}))
	if err != nil {
		return nil, err
	}
	deadLetter, err := registerCounterVec(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "mq_dead_letter_total",
		Help: "Messages sent to a consumer group's dead-letter queue after their last allowed failure.",
	}, []string{"group", "topic"}))
	if err != nil {
		return nil, err
	}
	return &Metrics{consumed: consumed, deadLetter: deadLetter}, nil
}

func registerCounterVec(reg prometheus.Registerer, c *prometheus.CounterVec) (*prometheus.CounterVec, error) {
	err := reg.Register(c)
	if err == nil {
		return c, nil
	}
	if are, ok := errors.AsType[prometheus.AlreadyRegisteredError](err); ok {
		if existing, ok := are.ExistingCollector.(*prometheus.CounterVec); ok {
			return existing, nil
		}
	}
	return nil, fmt.Errorf("register mq metrics: %w", err)
}

func (m *Metrics) observe(group, topic string, err error, dead bool) {
	if m == nil {
		return
	}
	result := "ok"
	if err != nil {
		result = "error"
	}
	m.consumed.WithLabelValues(group, topic, result).Inc()
	if dead {
		m.deadLetter.WithLabelValues(group, topic).Inc()
	}
}
