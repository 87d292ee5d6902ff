package rpcbench

import (
	"context"
	"errors"
	"io"
	"net"
	"time"

	"github.com/cloudwego/kitex/client"
	"github.com/cloudwego/kitex/pkg/connpool"
	"github.com/cloudwego/kitex/pkg/serviceinfo"
	"github.com/cloudwego/kitex/server"

	"github.com/kitemall/platform/benchmarks/codec"
	"github.com/kitemall/platform/benchmarks/gen/kitexpb"
	"github.com/kitemall/platform/benchmarks/gen/kitexpb/orderbench"
	"github.com/kitemall/platform/kitex_gen/base"
	"github.com/kitemall/platform/kitex_gen/order"
	"github.com/kitemall/platform/kitex_gen/order/orderservice"
)

// KitexThrift is the platform's own path: Kitex with the generated
// OrderService (Thrift, FastCodec), over Kitex's connection pool or, with
// Mux, over one multiplexed TTHeader connection.
type KitexThrift struct{ Mux bool }

func (k KitexThrift) Name() string {
	if k.Mux {
		return "kitex-thrift-mux"
	}
	return "kitex-thrift"
}

func (k KitexThrift) Serve(ctx context.Context, ln net.Listener, cfg ServerConfig) error {
	opts := []server.Option{server.WithListener(ln)}
	if k.Mux {
		opts = append(opts, server.WithMuxTransport())
	}
	return runKitex(ctx, orderservice.NewServer(&orderHandler{cfg: cfg, resp: Response()}, opts...))
}

func (k KitexThrift) Dial(addr string, cfg ClientConfig) (Client, error) {
	opts := kitexClientOptions(addr, cfg)
	if k.Mux {
		opts = append(opts, client.WithMuxConnection(cfg.connections()))
	}
	c, err := newKitexClient(orderservice.NewServiceInfoForClient(), opts)
	if err != nil {
		return nil, err
	}
	reqs := requests[*order.CreateOrderRequest]{Request(false), Request(true)}
	return &thriftClient{kitexClient: c, reqs: reqs}, nil
}

// kitexClient is the generic Kitex client under every generated one. The
// benchmark calls it exactly as the generated wrappers do (same Args and
// Result types, same Call), because only the generic client can be closed:
// a sweep point must not leave its connections to the next one.
type kitexClient struct{ c client.Client }

func newKitexClient(svc *serviceinfo.ServiceInfo, opts []client.Option) (kitexClient, error) {
	c, err := client.NewClient(svc, append([]client.Option{client.WithDestService("order")}, opts...)...)
	return kitexClient{c: c}, err
}

func (k kitexClient) Close() error {
	if c, ok := k.c.(io.Closer); ok {
		return c.Close()
	}
	return nil
}

func kitexClientOptions(addr string, cfg ClientConfig) []client.Option {
	return []client.Option{
		client.WithHostPorts(addr),
		client.WithRPCTimeout(cfg.timeout()),
		client.WithConnectTimeout(time.Second),
		client.WithLongConnection(connpool.IdleConfig{
			MaxIdlePerAddress: cfg.poolSize(),
			MaxIdleGlobal:     cfg.poolSize(),
			MaxIdleTimeout:    time.Minute,
		}),
	}
}

// runKitex runs svr until ctx is done.
func runKitex(ctx context.Context, svr server.Server) error {
	stopped := make(chan error, 1)
	go func() {
		<-ctx.Done()
		stopped <- svr.Stop()
	}()
	if err := svr.Run(); err != nil {
		return err
	}
	return <-stopped
}

var errNotBenchmarked = errors.New("rpcbench: only CreateOrder is benchmarked")

// orderHandler serves OrderService with a fixed answer: the sweep measures
// transport and codec, not business logic.
type orderHandler struct {
	cfg  ServerConfig
	resp *order.CreateOrderResponse
}

func (h *orderHandler) CreateOrder(ctx context.Context, req *order.CreateOrderRequest) (*order.CreateOrderResponse, error) {
	held, err := checkRequest(req.UserId, len(req.Items), req.IdempotencyKey)
	if err != nil {
		return nil, err
	}
	if held {
		hold(ctx, h.cfg.Hold)
	}
	return h.resp, nil
}

func (h *orderHandler) Ping(context.Context, *base.PingRequest) (*base.PingResponse, error) {
	return nil, errNotBenchmarked
}

func (h *orderHandler) GetOrder(context.Context, *order.GetOrderRequest) (*order.GetOrderResponse, error) {
	return nil, errNotBenchmarked
}

func (h *orderHandler) ListOrders(context.Context, *order.ListOrdersRequest) (*order.ListOrdersResponse, error) {
	return nil, errNotBenchmarked
}

func (h *orderHandler) CancelOrder(context.Context, *order.CancelOrderRequest) (*order.CancelOrderResponse, error) {
	return nil, errNotBenchmarked
}

type thriftClient struct {
	kitexClient
	reqs requests[*order.CreateOrderRequest]
}

func (c *thriftClient) Call(ctx context.Context) error     { return c.check(c.call(ctx, false)) }
func (c *thriftClient) CallHeld(ctx context.Context) error { return c.check(c.call(ctx, true)) }

func (c *thriftClient) Fetch(ctx context.Context) (*order.CreateOrderResponse, error) {
	return c.call(ctx, false)
}

func (c *thriftClient) check(resp *order.CreateOrderResponse, err error) error {
	if err != nil {
		return err
	}
	o := resp.GetOrder()
	if o == nil || len(o.Items) == 0 {
		return errBadResponse
	}
	return checkResponse(o.OrderId, o.TotalCents, len(o.Items), o.Items[len(o.Items)-1].Name)
}

func (c *thriftClient) call(ctx context.Context, held bool) (*order.CreateOrderResponse, error) {
	args := order.OrderServiceCreateOrderArgs{Req: c.reqs.get(held)}
	var result order.OrderServiceCreateOrderResult
	if err := c.c.Call(ctx, "CreateOrder", &args, &result); err != nil {
		return nil, err
	}
	if result.Err != nil {
		return nil, result.Err
	}
	return result.GetSuccess(), nil
}

// KitexProtobuf is Kitex with code from `kitex -type protobuf` (prutal),
// over the connection pool with Kitex's default TTHeader framing.
type KitexProtobuf struct{}

func (KitexProtobuf) Name() string { return "kitex-protobuf" }

func (KitexProtobuf) Serve(ctx context.Context, ln net.Listener, cfg ServerConfig) error {
	resp := new(kitexpb.CreateOrderResponse)
	if err := codec.Convert(resp, Response()); err != nil {
		return err
	}
	return runKitex(ctx, orderbench.NewServer(&kitexpbHandler{cfg: cfg, resp: resp}, server.WithListener(ln)))
}

func (KitexProtobuf) Dial(addr string, cfg ClientConfig) (Client, error) {
	reqs, err := newRequests(func(r *order.CreateOrderRequest) (*kitexpb.CreateOrderRequest, error) {
		pb := new(kitexpb.CreateOrderRequest)
		return pb, codec.Convert(pb, r)
	})
	if err != nil {
		return nil, err
	}
	// The generated orderbench.NewClient uses the full service info: its
	// unary protobuf methods carry StreamingUnary, which the "for client"
	// info filters out.
	c, err := newKitexClient(orderbench.NewServiceInfo(), kitexClientOptions(addr, cfg))
	if err != nil {
		return nil, err
	}
	return &kitexpbClient{kitexClient: c, reqs: reqs}, nil
}

type kitexpbHandler struct {
	cfg  ServerConfig
	resp *kitexpb.CreateOrderResponse
}

func (h *kitexpbHandler) CreateOrder(ctx context.Context, req *kitexpb.CreateOrderRequest) (*kitexpb.CreateOrderResponse, error) {
	held, err := checkRequest(req.UserId, len(req.Items), req.IdempotencyKey)
	if err != nil {
		return nil, err
	}
	if held {
		hold(ctx, h.cfg.Hold)
	}
	return h.resp, nil
}

type kitexpbClient struct {
	kitexClient
	reqs requests[*kitexpb.CreateOrderRequest]
}

func (c *kitexpbClient) call(ctx context.Context, held bool) (*kitexpb.CreateOrderResponse, error) {
	args := orderbench.CreateOrderArgs{Req: c.reqs.get(held)}
	var result orderbench.CreateOrderResult
	if err := c.c.Call(ctx, "CreateOrder", &args, &result); err != nil {
		return nil, err
	}
	return result.GetSuccess(), nil
}

func (c *kitexpbClient) Call(ctx context.Context) error     { return c.check(c.call(ctx, false)) }
func (c *kitexpbClient) CallHeld(ctx context.Context) error { return c.check(c.call(ctx, true)) }

func (c *kitexpbClient) check(resp *kitexpb.CreateOrderResponse, err error) error {
	if err != nil {
		return err
	}
	o := resp.GetOrder()
	if o == nil || len(o.Items) == 0 {
		return errBadResponse
	}
	return checkResponse(o.OrderId, o.TotalCents, len(o.Items), o.Items[len(o.Items)-1].Name)
}

func (c *kitexpbClient) Fetch(ctx context.Context) (*order.CreateOrderResponse, error) {
	resp, err := c.call(ctx, false)
	if err != nil {
		return nil, err
	}
	out := new(order.CreateOrderResponse)
	return out, codec.Convert(out, resp)
}
