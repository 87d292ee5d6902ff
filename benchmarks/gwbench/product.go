package gwbench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/cloudwego/kitex/client"

	"github.com/kitemall/platform/kitex_gen/product"
	"github.com/kitemall/platform/kitex_gen/product/productservice"
	"github.com/kitemall/platform/pkg/kitexsuite"
	"github.com/kitemall/platform/pkg/observability"
)

// ProductCaller calls GetProduct on one product service instance through
// a client built with kitexsuite, configured as the gateway configures its
// own (the run's transport, the suite's connections), for the service's
// memory under many calls in flight.
type ProductCaller struct {
	c   client.Client
	id  int64
	tel *observability.Telemetry
}

// NewProductCaller dials the product service at addr.
func NewProductCaller(addr, transport string, id int64) (*ProductCaller, error) {
	tel, err := observability.Setup(context.Background(), "bench", observability.Config{LogLevel: "warn"})
	if err != nil {
		return nil, err
	}
	cfg := kitexsuite.DefaultClientConfig("product", "GetProduct")
	cfg.Transport = transport
	cfg.RPCTimeout = Timeout
	cfg.ConnectTimeout = time.Second
	c, err := client.NewClient(productservice.NewServiceInfoForClient(),
		client.WithDestService("product"),
		client.WithHostPorts(addr),
		client.WithSuite(kitexsuite.NewClientSuite("bench", cfg, nil, tel)))
	if err != nil {
		return nil, errors.Join(err, shutdown(tel))
	}
	return &ProductCaller{c: c, id: id, tel: tel}, nil
}

// Call gets the product and checks it is the one asked for. It calls the
// generic client exactly as the generated one does, because only the
// generic client can be closed.
func (p *ProductCaller) Call(ctx context.Context) error {
	args := product.ProductServiceGetProductArgs{Req: &product.GetProductRequest{ProductId: p.id}}
	var result product.ProductServiceGetProductResult
	if err := p.c.Call(ctx, "GetProduct", &args, &result); err != nil {
		return err
	}
	if result.Err != nil {
		return result.Err
	}
	if got := result.GetSuccess().GetProduct(); got == nil || got.ProductId != p.id {
		return fmt.Errorf("GetProduct(%d) answered %+v", p.id, got)
	}
	return nil
}

// Close closes the client's connections and its telemetry.
func (p *ProductCaller) Close() error {
	var err error
	if c, ok := p.c.(io.Closer); ok {
		err = c.Close()
	}
	return errors.Join(err, shutdown(p.tel))
}

func shutdown(tel *observability.Telemetry) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return tel.Shutdown(ctx)
}
