package middleware

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/cloudwego/hertz/pkg/app"
	"github.com/prometheus/client_golang/prometheus"
)

// userIDKey is where Auth leaves the caller's ID for the access log, which
// runs before Auth and so cannot see the context Auth passes on.
const userIDKey = "gateway.user_id"

// HTTPMetrics are the gateway's RED metrics, labelled by route pattern (not
// raw path) so their cardinality stays bounded.
type HTTPMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// NewHTTPMetrics registers the metrics in reg.
func NewHTTPMetrics(reg prometheus.Registerer) (*HTTPMetrics, error) {
	m := &HTTPMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gateway_http_requests_total",
			Help: "HTTP requests answered, by method, route and status code.",
		}, []string{"method", "route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "gateway_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by method and route.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 14),
		}, []string{"method", "route"}),
	}
	for _, c := range []prometheus.Collector{m.requests, m.duration} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register gateway http metrics: %w", err)
		}
	}
	return m, nil
}

// AccessLog writes one log line per request (with its request and trace
// IDs, from ctx) and records the RED metrics.
func AccessLog(logger *slog.Logger, m *HTTPMetrics) app.HandlerFunc {
	return func(ctx context.Context, c *app.RequestContext) {
		start := time.Now()
		c.Next(ctx)
		elapsed := time.Since(start)

		route := c.FullPath()
		if route == "" {
			route = "unmatched"
		}
		method := string(c.Method())
		status := c.Response.StatusCode()
		m.requests.WithLabelValues(method, route, strconv.Itoa(status)).Inc()
		m.duration.WithLabelValues(method, route).Observe(elapsed.Seconds())

		attrs := []any{
			"method", method,
			"route", route,
			"path", string(c.Path()),
			"status", status,
			"duration_ms", float64(elapsed.Microseconds()) / 1000,
			"client_ip", c.ClientIP(),
			"bytes_out", len(c.Response.Body()),
		}
		if uid, ok := c.Get(userIDKey); ok {
			attrs = append(attrs, "user_id", uid)
		}
		logger.InfoContext(ctx, "http request", attrs...)
	}
}
