package rpcbench

import (
	"context"
	"net"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/kitemall/platform/benchmarks/codec"
	"github.com/kitemall/platform/benchmarks/gen/pbgo"
	"github.com/kitemall/platform/kitex_gen/order"
)

// GRPC is gRPC-go with protoc-gen-go code and default settings: the peer
// most teams would pick instead of Kitex. Its client shares HTTP/2
// connections between callers, as gRPC users normally do.
type GRPC struct{}

func (GRPC) Name() string { return "grpc" }

func (GRPC) Serve(ctx context.Context, ln net.Listener, cfg ServerConfig) error {
	resp := new(pbgo.CreateOrderResponse)
	if err := codec.Convert(resp, Response()); err != nil {
		return err
	}
	s := grpc.NewServer()
	pbgo.RegisterOrderBenchServer(s, &grpcHandler{cfg: cfg, resp: resp})
	go func() {
		<-ctx.Done()
		s.GracefulStop()
	}()
	return s.Serve(ln)
}

func (GRPC) Dial(addr string, cfg ClientConfig) (Client, error) {
	reqs, err := newRequests(func(r *order.CreateOrderRequest) (*pbgo.CreateOrderRequest, error) {
		pb := new(pbgo.CreateOrderRequest)
		return pb, codec.Convert(pb, r)
	})
	if err != nil {
		return nil, err
	}
	c := &grpcClient{reqs: reqs, timeout: cfg.timeout()}
	for range cfg.connections() {
		// Each ClientConn is one HTTP/2 connection to a single address.
		conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			c.Close()
			return nil, err
		}
		c.conns = append(c.conns, conn)
		c.stubs = append(c.stubs, pbgo.NewOrderBenchClient(conn))
	}
	return c, nil
}

type grpcHandler struct {
	pbgo.UnimplementedOrderBenchServer
	cfg  ServerConfig
	resp *pbgo.CreateOrderResponse
}

func (h *grpcHandler) CreateOrder(ctx context.Context, req *pbgo.CreateOrderRequest) (*pbgo.CreateOrderResponse, error) {
	held, err := checkRequest(req.GetUserId(), len(req.GetItems()), req.GetIdempotencyKey())
	if err != nil {
		return nil, err
	}
	if held {
		hold(ctx, h.cfg.Hold)
	}
	return h.resp, nil
}

type grpcClient struct {
	conns   []*grpc.ClientConn
	stubs   []pbgo.OrderBenchClient
	next    atomicCounter
	reqs    requests[*pbgo.CreateOrderRequest]
	timeout time.Duration
}

func (c *grpcClient) call(ctx context.Context, held bool) (*pbgo.CreateOrderResponse, error) {
	// Kitex applies its RPC timeout per call; gRPC takes it from the context.
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	return c.stubs[c.next.next(len(c.stubs))].CreateOrder(ctx, c.reqs.get(held))
}

func (c *grpcClient) Call(ctx context.Context) error     { return c.check(c.call(ctx, false)) }
func (c *grpcClient) CallHeld(ctx context.Context) error { return c.check(c.call(ctx, true)) }

func (c *grpcClient) check(resp *pbgo.CreateOrderResponse, err error) error {
	if err != nil {
		return err
	}
	o := resp.GetOrder()
	if len(o.GetItems()) == 0 {
		return errBadResponse
	}
	return checkResponse(o.GetOrderId(), o.GetTotalCents(), len(o.GetItems()), o.GetItems()[len(o.GetItems())-1].GetName())
}

func (c *grpcClient) Fetch(ctx context.Context) (*order.CreateOrderResponse, error) {
	resp, err := c.call(ctx, false)
	if err != nil {
		return nil, err
	}
	out := new(order.CreateOrderResponse)
	return out, codec.Convert(out, resp)
}

func (c *grpcClient) Close() error {
	var first error
	for _, conn := range c.conns {
		if err := conn.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}
