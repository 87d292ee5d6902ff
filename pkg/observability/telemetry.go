// Package observability sets up what every process shares: OpenTelemetry
// tracing (exported over OTLP when an endpoint is configured), structured logs
// that carry the trace and request IDs, and a Prometheus registry served on a
// metrics port.
package observability

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/cloudwego/kitex/pkg/klog"
	"github.com/cloudwego/kitex/pkg/stats"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.26.0"
)

// Config is the observability part of a process's config.
type Config struct {
	// OTLPEndpoint (an OTLP/gRPC collector as a URL, http://collector:4317,
	// the form the OpenTelemetry SDK itself expects in this variable; a bare
	// host:port is accepted too) turns on span export; without it spans are
	// still created so logs carry trace IDs.
	OTLPEndpoint string `yaml:"otlp_endpoint" env:"OTEL_EXPORTER_OTLP_ENDPOINT"`
	// MetricsListen is where /metrics is served; empty disables the server.
	MetricsListen string `yaml:"metrics_listen" env:"METRICS_ADDR"`
	LogLevel      string `yaml:"log_level" env:"LOG_LEVEL"`
	// PprofListen, when set, serves Go's profiles (net/http/pprof under
	// /debug/pprof/) on this address; keep it on loopback or a port no
	// client can reach: a profile shows the process's code and its data.
	PprofListen string `yaml:"pprof_listen" env:"PPROF_ADDR"`
	// TraceSampleRatio is the share of new traces (0..1) that are recorded
	// and exported; a span with a remote parent follows its parent's
	// decision, so a trace is kept or dropped whole. Spans are recorded only
	// when there is somewhere to send them: without an exporter every span
	// is a cheap non-recording one that still carries IDs for the logs and
	// for propagation.
	TraceSampleRatio float64 `yaml:"trace_sample_ratio" env:"TRACE_SAMPLE_RATIO"`
}

// DefaultConfig is the observability config every process starts from:
// metrics on metricsListen, info logs, every trace recorded once an
// exporter is configured.
func DefaultConfig(metricsListen string) Config {
	return Config{MetricsListen: metricsListen, LogLevel: "info", TraceSampleRatio: 1}
}

// Option adjusts Setup beyond what config holds.
type Option func(*setupOptions)

type setupOptions struct{ exporter sdktrace.SpanExporter }

// WithSpanExporter exports spans to exp (batched) instead of over OTLP: for
// tests and benchmarks that need the recording path without a collector.
func WithSpanExporter(exp sdktrace.SpanExporter) Option {
	return func(o *setupOptions) { o.exporter = exp }
}

// quietKitex sets Kitex's process-wide log level once: its own logs are for
// operators, so warnings and above. Tests build several apps per process.
var quietKitex sync.Once

// Telemetry holds one process's tracer provider, logger and metrics registry.
type Telemetry struct {
	service  string
	logger   *slog.Logger
	registry *prometheus.Registry
	tracer   *sdktrace.TracerProvider
	metrics  *http.Server
	pprof    *http.Server

	serverTracer, clientTracer *redTracer
}

// Setup builds the telemetry for service and installs the tracer provider
// and propagator as the OpenTelemetry globals, which the Kitex and Hertz
// tracing suites read.
func Setup(ctx context.Context, service string, cfg Config, opts ...Option) (*Telemetry, error) {
	var o setupOptions
	for _, opt := range opts {
		opt(&o)
	}
	if cfg.TraceSampleRatio < 0 || cfg.TraceSampleRatio > 1 {
		return nil, fmt.Errorf("trace_sample_ratio: %v is outside 0..1", cfg.TraceSampleRatio)
	}
	level := slog.LevelInfo
	if cfg.LogLevel != "" {
		if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
			return nil, fmt.Errorf("log_level %q: %w", cfg.LogLevel, err)
		}
	}
	logger := slog.New(NewContextHandler(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: level}))).
		With("service", service)
	quietKitex.Do(func() { klog.SetLevel(klog.LevelWarn) })

	res, err := resource.Merge(resource.Default(), resource.NewSchemaless(semconv.ServiceName(service)))
	if err != nil {
		return nil, fmt.Errorf("build otel resource: %w", err)
	}
	exp := o.exporter
	if exp == nil && cfg.OTLPEndpoint != "" {
		endpoint := otlptracegrpc.WithEndpoint(cfg.OTLPEndpoint)
		if strings.Contains(cfg.OTLPEndpoint, "://") {
			endpoint = otlptracegrpc.WithEndpointURL(cfg.OTLPEndpoint)
		}
		if exp, err = otlptracegrpc.New(ctx, endpoint, otlptracegrpc.WithInsecure()); err != nil {
			return nil, fmt.Errorf("create otlp exporter for %s: %w", cfg.OTLPEndpoint, err)
		}
	}
	tp := sdktrace.NewTracerProvider(tracerOptions(res, exp, cfg.TraceSampleRatio)...)
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	t := &Telemetry{service: service, logger: logger, registry: reg, tracer: tp}
	if t.serverTracer, err = newREDTracer(reg, "server",
		"Total number of RPCs completed by the server, regardless of success or failure.",
		"Latency (microseconds) of RPC that had been application-level handled by the server."); err != nil {
		return nil, err
	}
	if t.clientTracer, err = newREDTracer(reg, "client",
		"Total number of RPCs completed by the client, regardless of success or failure.",
		"Latency (microseconds) of the RPC until it is finished."); err != nil {
		return nil, err
	}
	if cfg.MetricsListen != "" {
		mux := http.NewServeMux()
		mux.Handle("/metrics", t.MetricsHandler())
		if t.metrics, err = t.serve("metrics", cfg.MetricsListen, mux); err != nil {
			return nil, err
		}
	}
	if cfg.PprofListen != "" {
		// Its own mux: importing net/http/pprof also registers the
		// handlers on http.DefaultServeMux, which no server here serves.
		mux := http.NewServeMux()
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
		if t.pprof, err = t.serve("pprof", cfg.PprofListen, mux); err != nil {
			return nil, errors.Join(err, t.Shutdown(ctx))
		}
	}
	return t, nil
}

// tracerOptions samples new traces at ratio and records spans only when exp
// can take them: recording a span nobody exports was a third of the
// platform's RPC overhead in the benchmarks.
func tracerOptions(res *resource.Resource, exp sdktrace.SpanExporter, ratio float64) []sdktrace.TracerProviderOption {
	if exp == nil {
		// No new trace is sampled here. A sampled caller's spans are still
		// recorded (and dropped), because an unsampled span would clear
		// the sampled flag it propagates to the services after this one.
		return []sdktrace.TracerProviderOption{sdktrace.WithResource(res), sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.NeverSample()))}
	}
	return []sdktrace.TracerProviderOption{
		sdktrace.WithResource(res),
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(ratio))),
		sdktrace.WithBatcher(exp),
	}
}

// Logger returns the process logger; pass the request context to its
// *Context methods so lines carry trace_id and request_id.
func (t *Telemetry) Logger() *slog.Logger { return t.logger }

// Registry returns the registry served on /metrics.
func (t *Telemetry) Registry() *prometheus.Registry { return t.registry }

// MetricsHandler serves the registry in the Prometheus text format.
func (t *Telemetry) MetricsHandler() http.Handler {
	return promhttp.HandlerFor(t.registry, promhttp.HandlerOpts{Registry: t.registry})
}

// KitexServerTracer returns the process's one RED-metrics tracer for Kitex
// servers (kitex_server_throughput, kitex_server_latency_us).
func (t *Telemetry) KitexServerTracer() stats.Tracer { return t.serverTracer }

// KitexClientTracer returns the process's one RED-metrics tracer for Kitex
// clients (kitex_client_throughput, kitex_client_latency_us); it is shared
// because its collectors may be registered only once.
func (t *Telemetry) KitexClientTracer() stats.Tracer { return t.clientTracer }

// serve runs h on addr until Shutdown; what names the server in errors.
func (t *Telemetry) serve(what, addr string, h http.Handler) (*http.Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen for %s on %s: %w", what, addr, err)
	}
	// A CPU profile or trace runs for its seconds parameter (30 s by
	// default): no write timeout.
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			t.logger.Error(what+" server stopped", "err", err)
		}
	}()
	return srv, nil
}

// Shutdown flushes spans and stops the metrics and pprof servers.
func (t *Telemetry) Shutdown(ctx context.Context) error {
	var errs []error
	for _, srv := range []*http.Server{t.metrics, t.pprof} {
		if srv != nil {
			errs = append(errs, srv.Shutdown(ctx))
		}
	}
	errs = append(errs, t.tracer.Shutdown(ctx))
	return errors.Join(errs...)
}
