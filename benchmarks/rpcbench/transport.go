// Package rpcbench drives the RPC sweep: one CreateOrder call (5 items in,
// the order with 5 items out) carried by each transport under comparison,
// with the same payload everywhere. A Transport is a server that can run
// in its own process plus a client that drives it; the load runner and the
// harness in cmd/rpcbench do not know which is which, so another transport
// (the gateway's HTTP path, say) plugs in by implementing Transport and
// adding itself to Transports.
package rpcbench

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/kitemall/platform/benchmarks/codec"
	"github.com/kitemall/platform/kitex_gen/order"
)

// Transport carries the benchmark's CreateOrder call.
type Transport interface {
	Name() string
	// Serve answers CreateOrder on ln until ctx is done.
	Serve(ctx context.Context, ln net.Listener, cfg ServerConfig) error
	// Dial returns a client of the server at addr, safe for concurrent use.
	Dial(addr string, cfg ClientConfig) (Client, error)
}

// Client makes CreateOrder calls.
type Client interface {
	// Call makes one round trip and checks the answer cheaply (identity,
	// size and a sample of fields), so checking does not dominate timing.
	Call(ctx context.Context) error
	// CallHeld is Call with a request the server holds for
	// ServerConfig.Hold, so the memory probe can keep calls in flight.
	CallHeld(ctx context.Context) error
	// Fetch makes one round trip and returns the answer in the platform's
	// types, for a full comparison in tests.
	Fetch(ctx context.Context) (*order.CreateOrderResponse, error)
	Close() error
}

// ServerConfig tunes a benchmark server.
type ServerConfig struct {
	// Hold is how long the handler keeps a request sent by CallHeld.
	Hold time.Duration
}

// ClientConfig tunes a benchmark client.
type ClientConfig struct {
	// Concurrency is the number of callers the client must serve at once;
	// pooled transports keep that many connections.
	Concurrency int
	// Connections, where the transport multiplexes (mux, gRPC), is the
	// number of connections to spread calls over; 0 means 1.
	Connections int
	// Timeout bounds every call; 0 means DefaultTimeout.
	Timeout time.Duration
}

// DefaultTimeout bounds each call: every outbound call has a deadline.
const DefaultTimeout = 5 * time.Second

// holdKey, sent as the idempotency key, asks the server to hold the
// request for ServerConfig.Hold before answering.
const holdKey = "hold"

// Transports returns every transport in the order reports show them.
func Transports() []Transport {
	return []Transport{
		KitexThrift{},
		KitexThrift{Mux: true},
		KitexProtobuf{},
		KitexPlatform{},
		KitexPlatform{Traced: true},
		KitexPlatform{Pool: true},
		GRPC{},
		RawTCP{},
	}
}

// Lookup returns the transport with the given name.
func Lookup(name string) (Transport, error) {
	names := make([]string, 0, len(Transports()))
	for _, t := range Transports() {
		if t.Name() == name {
			return t, nil
		}
		names = append(names, t.Name())
	}
	return nil, fmt.Errorf("unknown transport %q (have %v)", name, names)
}

// Request returns the CreateOrder request every transport sends; held
// marks it for the server to hold.
func Request(held bool) *order.CreateOrderRequest {
	req := codec.CreateOrderRequest()
	if held {
		req.IdempotencyKey = holdKey
	}
	return req
}

// requests holds a client's two prebuilt requests: normal and held.
type requests[T any] [2]T

func newRequests[T any](convert func(*order.CreateOrderRequest) (T, error)) (requests[T], error) {
	var r requests[T]
	for i, held := range []bool{false, true} {
		req, err := convert(Request(held))
		if err != nil {
			return r, err
		}
		r[i] = req
	}
	return r, nil
}

func (r requests[T]) get(held bool) T {
	if held {
		return r[1]
	}
	return r[0]
}

// Response returns the answer every server gives.
func Response() *order.CreateOrderResponse { return codec.CreateOrderResponse() }

var (
	errBadRequest  = errors.New("rpcbench: request differs from the fixture")
	errBadResponse = errors.New("rpcbench: response differs from the fixture")
)

// want is the fixture the cheap checks compare against.
var want = struct {
	userID, orderID, total int64
	items                  int
	lastName               string
	idemKey                string
}{
	userID:   codec.CreateOrderRequest().UserId,
	orderID:  Response().Order.OrderId,
	total:    Response().Order.TotalCents,
	items:    codec.OrderItems,
	lastName: Response().Order.Items[codec.OrderItems-1].Name,
	idemKey:  codec.CreateOrderRequest().IdempotencyKey,
}

// checkRequest is the server's cheap check that the request arrived whole;
// it reports whether the request asks to be held.
func checkRequest(userID int64, items int, key string) (hold bool, err error) {
	if userID != want.userID || items != want.items || (key != want.idemKey && key != holdKey) {
		return false, errBadRequest
	}
	return key == holdKey, nil
}

// checkResponse is the client's cheap check of an answer.
func checkResponse(orderID, total int64, items int, lastName string) error {
	if orderID != want.orderID || total != want.total || items != want.items || lastName != want.lastName {
		return errBadResponse
	}
	return nil
}

// hold waits for d unless ctx ends first.
func hold(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

func (c ClientConfig) timeout() time.Duration {
	if c.Timeout > 0 {
		return c.Timeout
	}
	return DefaultTimeout
}

func (c ClientConfig) connections() int { return max(c.Connections, 1) }

// poolSize is how many idle connections a pooled client keeps: one per
// concurrent caller, so a sweep point measures the transport, not a pool
// that closes and redials connections.
func (c ClientConfig) poolSize() int { return max(c.Concurrency, 1) }
