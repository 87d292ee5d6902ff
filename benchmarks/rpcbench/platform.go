package rpcbench

import (
	"context"
	"errors"
	"net"
	"time"

	"github.com/cloudwego/kitex/client"
	"github.com/cloudwego/kitex/pkg/connpool"
	"github.com/cloudwego/kitex/server"

	"github.com/kitemall/platform/kitex_gen/order"
	"github.com/kitemall/platform/kitex_gen/order/orderservice"
	"github.com/kitemall/platform/pkg/kitexsuite"
	"github.com/kitemall/platform/pkg/observability"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// KitexPlatform is the platform's own path: the generated OrderService of
// KitexThrift, with the server built by kitexsuite.NewServerSuite and the
// client by kitexsuite.NewClientSuite, as every service and the gateway
// build theirs: OpenTelemetry tracing, the Prometheus RED tracers,
// TTHeader, the circuit breaker, read/write timeouts. There is no
// registry: the client dials the address. Mux is the shipped connection
// model; Pool is the other one.
//
// Without Traced, tracing is as shipped without OTEL_EXPORTER_OTLP_ENDPOINT:
// spans are created, unrecorded, and still propagate IDs. Traced records
// every span (trace_sample_ratio 1) and exports it in batches to an
// exporter that discards it: the cost of full tracing short of the
// network send to a collector.
//
// Connection counts follow KitexThrift's (one mux connection, or one
// pooled connection per caller) instead of the suite's defaults, so the
// pair differs by the middleware alone.
type KitexPlatform struct{ Pool, Traced bool }

func (k KitexPlatform) Name() string {
	switch {
	case k.Pool:
		return "kitex-platform-pool"
	case k.Traced:
		return "kitex-platform-traced"
	}
	return "kitex-platform"
}

// telemetry sets up tracing, metrics and logs for one side.
func (k KitexPlatform) telemetry(ctx context.Context, service string) (*observability.Telemetry, error) {
	cfg := observability.DefaultConfig("")
	cfg.LogLevel = "warn"
	if !k.Traced {
		return observability.Setup(ctx, service, cfg)
	}
	return observability.Setup(ctx, service, cfg, observability.WithSpanExporter(discardExporter{}))
}

// discardExporter takes spans and drops them.
type discardExporter struct{}

func (discardExporter) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (discardExporter) Shutdown(context.Context) error                             { return nil }

func (k KitexPlatform) transport() string {
	if k.Pool {
		return kitexsuite.TransportPool
	}
	return kitexsuite.TransportMux
}

// benchService is the service name both sides register their spans and
// metrics under.
const benchService = "order"

func (k KitexPlatform) Serve(ctx context.Context, ln net.Listener, cfg ServerConfig) error {
	tel, err := k.telemetry(ctx, benchService)
	if err != nil {
		return err
	}
	sc := kitexsuite.DefaultServerConfig(benchService, ln.Addr().String())
	sc.Transport = k.transport()
	svr := orderservice.NewServer(&orderHandler{cfg: cfg, resp: Response()},
		server.WithSuite(kitexsuite.NewServerSuite(sc, nil, tel)),
		server.WithListener(ln))
	return errors.Join(runKitex(ctx, svr), shutdown(tel))
}

func (k KitexPlatform) Dial(addr string, cfg ClientConfig) (Client, error) {
	tel, err := k.telemetry(context.Background(), "bench")
	if err != nil {
		return nil, err
	}
	cc := kitexsuite.DefaultClientConfig(benchService) // CreateOrder is a write: never retried
	cc.Transport = k.transport()
	cc.RPCTimeout = cfg.timeout()
	cc.ConnectTimeout = time.Second
	cc.MuxConns = cfg.connections()
	opts := []client.Option{
		client.WithHostPorts(addr),
		client.WithSuite(kitexsuite.NewClientSuite("bench", cc, nil, tel)),
	}
	if k.Pool {
		// A later option wins over the suite's pool of 64 idle connections.
		opts = append(opts, client.WithLongConnection(connpool.IdleConfig{
			MaxIdlePerAddress: cfg.poolSize(),
			MaxIdleGlobal:     cfg.poolSize(),
			MaxIdleTimeout:    time.Minute,
		}))
	}
	c, err := newKitexClient(orderservice.NewServiceInfoForClient(), opts)
	if err != nil {
		return nil, errors.Join(err, shutdown(tel))
	}
	reqs := requests[*order.CreateOrderRequest]{Request(false), Request(true)}
	return &platformClient{thriftClient: &thriftClient{kitexClient: c, reqs: reqs}, tel: tel}, nil
}

// platformClient is a thriftClient that also owns its telemetry.
type platformClient struct {
	*thriftClient
	tel *observability.Telemetry
}

func (c *platformClient) Close() error {
	return errors.Join(c.thriftClient.Close(), shutdown(c.tel))
}

func shutdown(tel *observability.Telemetry) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return tel.Shutdown(ctx)
}
