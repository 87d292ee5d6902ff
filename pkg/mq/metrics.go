package mq

import (
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics counts what consumers do with messages:
// mq_consumed_total{group,topic,result} (result "ok" or "error"),
// mq_dead_letter_total{group,topic}, the messages handed to the group's
// dead-letter queue after their last allowed failure, and
// mq_consume_lag_seconds{group,topic}, how long each message waited.
//
// The lag is a time, not a count: from when the broker stored the message
// where the group consumes it (for a transactional message, its commit; for
// a delayed or timer message, its due time) to when a handler took it. It
// grows with the backlog whatever its cause, needs no call to the broker,
// and reads the same for every topic; the broker's per-queue offsets
// (mqadmin consumerProgress) give the backlog as a count.
type Metrics struct {
	consumed   *prometheus.CounterVec
	deadLetter *prometheus.CounterVec
	lag        *prometheus.HistogramVec
}

// NewMetrics registers the consumer counters in reg. Several services built
// in one process (tests) share a registry: a second call reuses the
// counters the first registered.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	consumed, err := register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "mq_consumed_total",
		Help: "Messages handled by consumers, by consumer group, topic and result (ok, error).",
	}, []string{"group", "topic", "result"}))
	if err != nil {
		return nil, err
	}
	deadLetter, err := register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "mq_dead_letter_total",
		Help: "Messages sent to a consumer group's dead-letter queue after their last allowed failure.",
	}, []string{"group", "topic"}))
	if err != nil {
		return nil, err
	}
	lag, err := register(reg, prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "mq_consume_lag_seconds",
		Help:    "Time from when the broker stored a message for the consumer group (its commit, or its due time if delayed) to when a handler took it.",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300},
	}, []string{"group", "topic"}))
	if err != nil {
		return nil, err
	}
	return &Metrics{consumed: consumed, deadLetter: deadLetter, lag: lag}, nil
}

// register registers c, or returns the collector of the same description
// registered before.
func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	err := reg.Register(c)
	if err == nil {
		return c, nil
	}
	if are, ok := errors.AsType[prometheus.AlreadyRegisteredError](err); ok {
		if existing, ok := are.ExistingCollector.(C); ok {
			return existing, nil
		}
	}
	var zero C
	return zero, fmt.Errorf("register mq metrics: %w", err)
}

// observeLag records how long a message stored at storedAt waited.
func (m *Metrics) observeLag(group, topic string, storedAt, now time.Time) {
	if m == nil || storedAt.IsZero() {
		return
	}
	// A broker clock ahead of ours would make the wait negative.
	m.lag.WithLabelValues(group, topic).Observe(max(now.Sub(storedAt), 0).Seconds())
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
