// Package gwbench drives the gateway benchmark: closed-loop HTTP callers of
// the gateway's hot routes (GET /api/v1/products/{id} served from the
// product cache, POST /api/v1/orders with a fresh Idempotency-Key per
// call), a bare Hertz server answering the same product JSON from memory
// (the gateway hop's floor), and the real platform started as processes on
// the shared local stack. The load runner is rpcbench.Run.
package gwbench

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/cloudwego/hertz/pkg/app"
	hclient "github.com/cloudwego/hertz/pkg/app/client"
	"github.com/cloudwego/hertz/pkg/app/server"
	"github.com/cloudwego/hertz/pkg/common/hlog"
	"github.com/cloudwego/hertz/pkg/protocol"
	"github.com/cloudwego/hertz/pkg/protocol/consts"
)

// ProductPath is the gateway's product route; the bare server serves it too.
const ProductPath = "/api/v1/products/"

// Timeout bounds every HTTP call: every outbound call has a deadline.
const Timeout = 5 * time.Second

// NewHTTPClient returns a keep-alive Hertz client with up to conns
// connections to one host: a closed loop of conns callers keeps one
// connection each, as a busy API client would.
func NewHTTPClient(conns int) (*hclient.Client, error) {
	return hclient.NewClient(
		hclient.WithMaxConnsPerHost(max(conns, 1)),
		hclient.WithDialTimeout(time.Second),
		hclient.WithClientReadTimeout(Timeout),
		hclient.WithWriteTimeout(Timeout),
		hclient.WithMaxIdleConnDuration(time.Minute),
	)
}

// ProductReader makes GET /api/v1/products/{id} calls and checks that each
// answer is 200 and is the asked product.
type ProductReader struct {
	c       *hclient.Client
	url     string
	headers []string
	check   []byte // `"product_id":<id>,`, the first field of the answer
}

// NewProductReader reads product id from the server at base
// ("http://host:port") through c.
func NewProductReader(c *hclient.Client, base string, id int64) *ProductReader {
	return &ProductReader{
		c:     c,
		url:   base + ProductPath + strconv.FormatInt(id, 10),
		check: fmt.Appendf(nil, `"product_id":%d,`, id),
	}
}

// NoCache returns a reader of the same product that sends
// Cache-Control: no-cache, so the gateway reads through its micro-cache to
// the product service (and its Redis cache) on every call.
func (r *ProductReader) NoCache() *ProductReader {
	cp := *r
	cp.headers = []string{"Cache-Control", "no-cache"}
	return &cp
}

// Call implements rpcbench's caller.
func (r *ProductReader) Call(ctx context.Context) error {
	_, err := r.Fetch(ctx)
	return err
}

// Fetch makes one call and returns the body (copied).
func (r *ProductReader) Fetch(ctx context.Context) ([]byte, error) {
	var body []byte
	err := do(ctx, r.c, consts.MethodGet, r.url, nil, r.headers, func(status int, b []byte) error {
		if status != consts.StatusOK || !bytes.Contains(b, r.check) {
			return fmt.Errorf("GET %s: status %d, body %.200q", r.url, status, b)
		}
		body = bytes.Clone(b)
		return nil
	})
	return body, err
}

// OrderCreator makes POST /api/v1/orders calls, each with a new
// Idempotency-Key, so each creates an order; an answer must be 201 with an
// order ID.
type OrderCreator struct {
	c       *hclient.Client
	url     string
	headers []string
	body    []byte
	keys    string // key prefix, unique per run
	n       atomic.Int64
}

// NewOrderCreator orders quantity 1 of product id as the user of token,
// with keys keyPrefix-1, keyPrefix-2, ...
func NewOrderCreator(c *hclient.Client, base, token string, id int64, keyPrefix string) *OrderCreator {
	return &OrderCreator{
		c:       c,
		url:     base + "/api/v1/orders",
		headers: []string{"Authorization", "Bearer " + token},
		body:    fmt.Appendf(nil, `{"items":[{"product_id":%d,"quantity":1}]}`, id),
		keys:    keyPrefix + "-",
	}
}

// Created is how many orders the creator has asked for.
func (o *OrderCreator) Created() int64 { return o.n.Load() }

var orderIDField = []byte(`"order_id":`)

// Call implements rpcbench's caller.
func (o *OrderCreator) Call(ctx context.Context) error {
	key := o.keys + strconv.FormatInt(o.n.Add(1), 10)
	return do(ctx, o.c, consts.MethodPost, o.url, o.body, append(o.headers, "Idempotency-Key", key), func(status int, b []byte) error {
		if status != consts.StatusCreated || !bytes.Contains(b, orderIDField) {
			return fmt.Errorf("POST %s: status %d, body %.200q", o.url, status, b)
		}
		return nil
	})
}

// do makes one request with pooled request and response objects and hands
// the status and body (valid only during check) to check.
func do(ctx context.Context, c *hclient.Client, method, url string, body []byte, headers []string, check func(int, []byte) error) error {
	req, resp := protocol.AcquireRequest(), protocol.AcquireResponse()
	defer func() {
		protocol.ReleaseRequest(req)
		protocol.ReleaseResponse(resp)
	}()
	req.SetRequestURI(url)
	req.Header.SetMethod(method)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	if body != nil {
		req.Header.SetContentTypeBytes([]byte("application/json"))
		req.SetBody(body)
	}
	if err := c.DoTimeout(ctx, req, resp, Timeout); err != nil {
		return err
	}
	return check(resp.StatusCode(), resp.Body())
}

// ServeBare runs the bare Hertz server on ln until ctx is done: the
// gateway's product route answering body, the JSON of product id, from
// memory, with Hertz's defaults (netpoll, as the gateway) and nothing
// else: no middleware, no downstream call, no encoding. Any other ID is a
// 404, so a caller cannot pass its check against the wrong route.
func ServeBare(ctx context.Context, ln net.Listener, id int64, body []byte) error {
	hlog.SetLevel(hlog.LevelWarn)
	h := server.New(
		server.WithListener(ln),
		server.WithDisablePrintRoute(true),
		server.WithExitWaitTime(time.Second),
	)
	want := strconv.FormatInt(id, 10)
	h.GET(ProductPath+":id", func(_ context.Context, c *app.RequestContext) {
		if c.Param("id") != want {
			c.Data(consts.StatusNotFound, "application/json; charset=utf-8", []byte(`{"code":"NOT_FOUND"}`))
			return
		}
		c.Data(consts.StatusOK, "application/json; charset=utf-8", body)
	})
	stopped := make(chan error, 1)
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		stopped <- h.Shutdown(sctx)
	}()
	if err := h.Run(); err != nil {
		return err
	}
	return <-stopped
}
