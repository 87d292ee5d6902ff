package app_test

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/cloudwego/kitex/client"

	"github.com/kitemall/platform/kitex_gen/base"
	"github.com/kitemall/platform/kitex_gen/order"
	"github.com/kitemall/platform/kitex_gen/order/orderservice"
	"github.com/kitemall/platform/kitex_gen/product"
	"github.com/kitemall/platform/kitex_gen/product/productservice"
	"github.com/kitemall/platform/pkg/bootstrap"
	"github.com/kitemall/platform/pkg/errs"
	"github.com/kitemall/platform/pkg/kitexsuite"
	"github.com/kitemall/platform/pkg/mq"
	"github.com/kitemall/platform/pkg/observability"
	"github.com/kitemall/platform/pkg/testenv"
	"github.com/kitemall/platform/rpc/consistency"
	"github.com/kitemall/platform/rpc/order/app"
	paymentdal "github.com/kitemall/platform/rpc/payment/dal"
	productapp "github.com/kitemall/platform/rpc/product/app"
)

// serve runs an app until the test ends and waits until etcd resolves it.
func serve(t *testing.T, name string, endpoints []string, a bootstrap.App) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- a.Run() }()
	t.Cleanup(func() {
		if err := a.Stop(); err != nil {
			t.Errorf("stop %s: %v", name, err)
		}
		if err := <-done; err != nil {
			t.Errorf("run %s: %v", name, err)
		}
	})
	testenv.WaitInstances(t, endpoints, name, 1)
}

// stack is a real product service and a real order service on the local
// stack, registered in etcd under names unique to this run, with topics
// and consumer groups of their own on the real RocketMQ broker, and
// clients that find them through etcd with the transport under test.
type stack struct {
	orderCfg   *app.Config
	productCfg *productapp.Config
	orders     orderservice.Client
	products   productservice.Client
	tel        *observability.Telemetry
}

// startStack starts the stack; adjust changes the order service's config.
func startStack(t *testing.T, adjust func(*app.Config)) stack {
	t.Helper()
	ctx := context.Background()
	endpoints := testenv.EtcdEndpoints(t)
	run := testenv.Unique()
	// One telemetry for both services: Setup sets process-wide state (the
	// OpenTelemetry globals, Kitex's log level) that a second call would
	// change under the first service's feet.
	tel, err := observability.Setup(ctx, "order-test", observability.Config{LogLevel: "warn"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })

	pcfg := productapp.DefaultConfig()
	pcfg.Server.Service = "product-test-" + run
	pcfg.Server.Listen = testenv.FreeAddr(t)
	pcfg.Server.Transport = testenv.Transport()
	pcfg.Server.ExitWait = 100 * time.Millisecond
	pcfg.Registry.Endpoints = endpoints
	pcfg.MySQL = testenv.MySQL(t)
	pcfg.Redis = testenv.RedisConfig(t)
	if err := pcfg.Validate(); err != nil {
		t.Fatal(err)
	}
	products, err := productapp.Build(ctx, pcfg, tel)
	if err != nil {
		t.Fatal(err)
	}
	serve(t, pcfg.Server.Service, endpoints, products)

	ocfg := app.DefaultConfig()
	ocfg.Server.Service = "order-test-" + run
	ocfg.Server.Listen = testenv.FreeAddr(t)
	ocfg.Server.Transport = testenv.Transport()
	ocfg.Server.ExitWait = 100 * time.Millisecond
	ocfg.Registry.Endpoints = endpoints
	ocfg.MySQL = testenv.MySQL(t)
	ocfg.Redis = testenv.RedisConfig(t)
	ocfg.Clients.Transport = testenv.Transport()
	ocfg.Clients.Product.Service = pcfg.Server.Service
	ocfg.Messaging.RocketMQ.NameServers = []string{testenv.RocketMQNameServer(t)}
	ocfg.Messaging.RocketMQ.BrokerAddr = testenv.RocketMQBroker(t)
	ocfg.Messaging.Namespace = "ordertest_" + run
	// Fail fast: a message that keeps failing reaches the DLQ in seconds.
	ocfg.Messaging.Consumer = mq.ConsumerConfig{MaxReconsumes: 2, RetryDelayLevel: 1}
	ocfg.Messaging.LocalTxTimeout, ocfg.Messaging.LocalTxWindow = 2*time.Second, 4*time.Second
	if adjust != nil {
		adjust(ocfg)
	}
	if err := ocfg.Validate(); err != nil {
		t.Fatal(err)
	}
	orders, err := app.Build(ctx, ocfg, tel)
	if err != nil {
		t.Fatal(err)
	}
	serve(t, ocfg.Server.Service, endpoints, orders)

	resolver, err := kitexsuite.NewResolver(ocfg.Registry)
	if err != nil {
		t.Fatal(err)
	}
	occ := kitexsuite.DefaultClientConfig(ocfg.Server.Service, "Ping", "GetOrder", "ListOrders")
	occ.Transport = testenv.Transport()
	orderClient, err := orderservice.NewClient(occ.Service, client.WithSuite(kitexsuite.NewClientSuite("order-test", occ, resolver, nil)))
	if err != nil {
		t.Fatal(err)
	}
	pcc := kitexsuite.DefaultClientConfig(pcfg.Server.Service, "GetProduct")
	pcc.Transport = testenv.Transport()
	productClient, err := productservice.NewClient(pcc.Service, client.WithSuite(kitexsuite.NewClientSuite("order-test", pcc, resolver, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return stack{orderCfg: ocfg, productCfg: pcfg, orders: orderClient, products: productClient, tel: tel}
}

// check runs the invariant checker on the stack's databases.
func (s stack) check(t *testing.T) consistency.Report {
	t.Helper()
	ctx := context.Background()
	// The stack has no payment service: an empty payment database stands in.
	paymentDB := testenv.MySQL(t)
	_, pdb := testenv.OpenMySQL(t, paymentDB)
	if err := paymentdal.Migrate(ctx, pdb); err != nil {
		t.Fatal(err)
	}
	dbs, err := consistency.Open(ctx, s.productCfg.MySQL, s.orderCfg.MySQL, paymentDB)
	if err != nil {
		t.Fatal(err)
	}
	defer dbs.Close()
	r, err := consistency.Check(ctx, dbs, consistency.Options{
		PaymentWindow: s.orderCfg.PaymentWindow, LocalTxWindow: s.orderCfg.Messaging.LocalTxWindow, Slack: 5 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// newProducts creates products priced 1000+id-ish cents with stock each.
func (s stack) newProducts(t *testing.T, n int, stock int64) []*product.Product {
	t.Helper()
	out := make([]*product.Product, n)
	for i := range out {
		resp, err := s.products.CreateProduct(context.Background(), &product.CreateProductRequest{
			Name: fmt.Sprintf("item %d %s", i, testenv.Unique()), Category: "test",
			PriceCents: int64(1000*(i+1) + 37), InitialStock: stock,
		})
		if err != nil {
			t.Fatal(err)
		}
		out[i] = resp.Product
	}
	return out
}

func (s stack) stock(t *testing.T, productID int64) int64 {
	t.Helper()
	resp, err := s.products.GetProduct(context.Background(), &product.GetProductRequest{ProductId: productID})
	if err != nil {
		t.Fatal(err)
	}
	return resp.Product.Stock
}

func TestOrderServiceOverKitex(t *testing.T) {
	s := startStack(t, nil)
	ctx := context.Background()
	t.Cleanup(func() {
		if r := s.check(t); !r.OK() {
			t.Errorf("the invariants do not hold after the service tests:\n%s", r)
		}
	})

	t.Run("ping names the service and the instance", func(t *testing.T) {
		resp, err := s.orders.Ping(ctx, &base.PingRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if resp.Service != s.orderCfg.Server.Service || resp.Instance != s.orderCfg.Server.Listen {
			t.Fatalf("ping = %+v", resp)
		}
		if d := time.Since(time.UnixMilli(resp.TimeUnixMs)); d < -5*time.Second || d > 5*time.Second {
			t.Fatalf("ping time is %v away from now", d)
		}
	})

	t.Run("five items are priced by the product service and their stock reserved", func(t *testing.T) {
		ps := s.newProducts(t, 5, 20)
		req := &order.CreateOrderRequest{UserId: 101, IdempotencyKey: "five"}
		var wantTotal int64
		for i, p := range ps {
			req.Items = append(req.Items, &order.OrderItemInput{ProductId: p.ProductId, Quantity: int32(i + 1)})
			wantTotal += p.PriceCents * int64(i+1)
		}
		resp, err := s.orders.CreateOrder(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		o := resp.Order
		if !resp.Created || o.OrderId <= 0 || o.UserId != 101 || o.Status != order.OrderStatus_PENDING_PAYMENT || o.TotalCents != wantTotal || len(o.Items) != 5 {
			t.Fatalf("created=%v order %+v, want a new pending order of 5 items totalling %d", resp.Created, o, wantTotal)
		}
		for i, it := range o.Items {
			p := ps[i]
			want := &order.OrderItem{ProductId: p.ProductId, Name: p.Name, UnitPriceCents: p.PriceCents, Quantity: int32(i + 1), SubtotalCents: p.PriceCents * int64(i+1)}
			if !reflect.DeepEqual(it, want) {
				t.Fatalf("item %d = %+v, want %+v", i, it, want)
			}
			if got := s.stock(t, p.ProductId); got != 20-int64(i+1) {
				t.Fatalf("product %d stock %d, want %d", p.ProductId, got, 20-(i+1))
			}
		}
		got, err := s.orders.GetOrder(ctx, &order.GetOrderRequest{OrderId: o.OrderId, UserId: 101})
		if err != nil || !reflect.DeepEqual(got.Order, o) {
			t.Fatalf("GetOrder = %+v (err %v), want %+v", got, err, o)
		}

		// A new price applies to the next order only: prices are read at
		// creation, from the product service.
		newPrice := ps[0].PriceCents + 500
		if _, err := s.products.UpdateProduct(ctx, &product.UpdateProductRequest{ProductId: ps[0].ProductId, PriceCents: &newPrice}); err != nil {
			t.Fatal(err)
		}
		next, err := s.orders.CreateOrder(ctx, &order.CreateOrderRequest{UserId: 101, IdempotencyKey: "repriced", Items: req.Items[:1]})
		if err != nil {
			t.Fatal(err)
		}
		if next.Order.Items[0].UnitPriceCents != newPrice {
			t.Fatalf("next order priced %d, want the new price %d", next.Order.Items[0].UnitPriceCents, newPrice)
		}
		again, err := s.orders.GetOrder(ctx, &order.GetOrderRequest{OrderId: o.OrderId, UserId: 101})
		if err != nil || again.Order.Items[0].UnitPriceCents != ps[0].PriceCents {
			t.Fatalf("first order's price became %+v (err %v), want it kept at %d", again, err, ps[0].PriceCents)
		}
	})

	t.Run("the same CreateOrder twice makes one order and reserves once", func(t *testing.T) {
		ps := s.newProducts(t, 2, 10)
		req := &order.CreateOrderRequest{UserId: 102, IdempotencyKey: "twice", Items: []*order.OrderItemInput{
			{ProductId: ps[0].ProductId, Quantity: 3}, {ProductId: ps[1].ProductId, Quantity: 1},
		}}
		first, err := s.orders.CreateOrder(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		second, err := s.orders.CreateOrder(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		if !first.Created || second.Created || !reflect.DeepEqual(first.Order, second.Order) {
			t.Fatalf("first created=%v %+v\nsecond created=%v %+v\nwant one order, answered twice", first.Created, first.Order, second.Created, second.Order)
		}
		if a, b := s.stock(t, ps[0].ProductId), s.stock(t, ps[1].ProductId); a != 7 || b != 9 {
			t.Fatalf("stock %d and %d, want 7 and 9 (reserved once)", a, b)
		}
		req.Items[0].Quantity = 4
		if _, err := s.orders.CreateOrder(ctx, req); !errs.Is(err, base.ErrorCode_IDEMPOTENCY_CONFLICT) {
			t.Fatalf("same key, other items: err %v, want IDEMPOTENCY_CONFLICT", err)
		}
		list, err := s.orders.ListOrders(ctx, &order.ListOrdersRequest{UserId: 102})
		if err != nil || list.Page.Total != 1 {
			t.Fatalf("ListOrders = %+v (err %v), want exactly one order", list, err)
		}
	})

	t.Run("ten concurrent CreateOrder calls with one key make one order", func(t *testing.T) {
		ps := s.newProducts(t, 1, 10)
		req := &order.CreateOrderRequest{UserId: 103, IdempotencyKey: "burst", Items: []*order.OrderItemInput{{ProductId: ps[0].ProductId, Quantity: 2}}}
		resps := make([]*order.CreateOrderResponse, 10)
		errList := make([]error, 10)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range resps {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				resps[i], errList[i] = s.orders.CreateOrder(ctx, req)
			}()
		}
		close(start)
		wg.Wait()
		created := 0
		for i, r := range resps {
			if errList[i] != nil {
				t.Fatalf("call %d: %v", i, errList[i])
			}
			if r.Created {
				created++
			}
			if !reflect.DeepEqual(r.Order, resps[0].Order) {
				t.Fatalf("call %d answered %+v, call 0 %+v", i, r.Order, resps[0].Order)
			}
		}
		list, err := s.orders.ListOrders(ctx, &order.ListOrdersRequest{UserId: 103})
		if err != nil {
			t.Fatal(err)
		}
		if created != 1 || list.Page.Total != 1 || s.stock(t, ps[0].ProductId) != 8 {
			t.Fatalf("created %d, stored %d, stock %d; want 1, 1, 8", created, list.Page.Total, s.stock(t, ps[0].ProductId))
		}
	})

	t.Run("cancel twice releases the stock once", func(t *testing.T) {
		ps := s.newProducts(t, 1, 10)
		created, err := s.orders.CreateOrder(ctx, &order.CreateOrderRequest{UserId: 104, IdempotencyKey: "c", Items: []*order.OrderItemInput{{ProductId: ps[0].ProductId, Quantity: 4}}})
		if err != nil {
			t.Fatal(err)
		}
		id := created.Order.OrderId
		if got := s.stock(t, ps[0].ProductId); got != 6 {
			t.Fatalf("stock after order %d, want 6", got)
		}
		first, err := s.orders.CancelOrder(ctx, &order.CancelOrderRequest{OrderId: id, UserId: 104, Reason: "too slow"})
		if err != nil {
			t.Fatal(err)
		}
		if first.Order.Status != order.OrderStatus_CANCELLED || first.Order.CancelReason != "too slow" {
			t.Fatalf("cancelled order %+v, want CANCELLED with the reason", first.Order)
		}
		if got := s.stock(t, ps[0].ProductId); got != 10 {
			t.Fatalf("stock after cancel %d, want 10", got)
		}
		second, err := s.orders.CancelOrder(ctx, &order.CancelOrderRequest{OrderId: id, UserId: 104, Reason: "again"})
		if err != nil || !reflect.DeepEqual(second.Order, first.Order) {
			t.Fatalf("second cancel = %+v (err %v), want the first answer %+v", second, err, first.Order)
		}
		if got := s.stock(t, ps[0].ProductId); got != 10 {
			t.Fatalf("stock after the second cancel %d, want still 10", got)
		}
	})

	t.Run("another user's order is NOT_FOUND", func(t *testing.T) {
		ps := s.newProducts(t, 1, 10)
		created, err := s.orders.CreateOrder(ctx, &order.CreateOrderRequest{UserId: 105, IdempotencyKey: "mine", Items: []*order.OrderItemInput{{ProductId: ps[0].ProductId, Quantity: 1}}})
		if err != nil {
			t.Fatal(err)
		}
		id := created.Order.OrderId
		if _, err := s.orders.GetOrder(ctx, &order.GetOrderRequest{OrderId: id, UserId: 106}); !errs.Is(err, base.ErrorCode_NOT_FOUND) {
			t.Fatalf("GetOrder by another user: err %v, want NOT_FOUND", err)
		}
		if _, err := s.orders.CancelOrder(ctx, &order.CancelOrderRequest{OrderId: id, UserId: 106}); !errs.Is(err, base.ErrorCode_NOT_FOUND) {
			t.Fatalf("CancelOrder by another user: err %v, want NOT_FOUND", err)
		}
		list, err := s.orders.ListOrders(ctx, &order.ListOrdersRequest{UserId: 106})
		if err != nil || len(list.Items) != 0 || list.Page.Total != 0 {
			t.Fatalf("ListOrders of another user = %+v (err %v), want empty", list, err)
		}
		if got, err := s.orders.GetOrder(ctx, &order.GetOrderRequest{OrderId: id, UserId: 105}); err != nil || got.Order.Status != order.OrderStatus_PENDING_PAYMENT {
			t.Fatalf("owner's order after the attempts: %+v (err %v), want it still pending", got, err)
		}
	})

	t.Run("ListOrders pages newest first", func(t *testing.T) {
		ps := s.newProducts(t, 1, 100)
		var ids []int64
		for i := range 5 {
			resp, err := s.orders.CreateOrder(ctx, &order.CreateOrderRequest{UserId: 107, IdempotencyKey: fmt.Sprint("page-", i), Items: []*order.OrderItemInput{{ProductId: ps[0].ProductId, Quantity: 1}}})
			if err != nil {
				t.Fatal(err)
			}
			ids = append([]int64{resp.Order.OrderId}, ids...)
		}
		var got []int64
		for page := int32(1); page <= 3; page++ {
			resp, err := s.orders.ListOrders(ctx, &order.ListOrdersRequest{UserId: 107, Page: &base.PageRequest{Page: page, PageSize: 2}})
			if err != nil {
				t.Fatal(err)
			}
			if resp.Page.Total != 5 || resp.Page.Page != page || resp.Page.PageSize != 2 {
				t.Fatalf("page %d info %+v, want total 5", page, resp.Page)
			}
			for _, o := range resp.Items {
				got = append(got, o.OrderId)
			}
		}
		if !reflect.DeepEqual(got, ids) {
			t.Fatalf("pages list %v, want newest first %v", got, ids)
		}
		if _, err := s.orders.ListOrders(ctx, &order.ListOrdersRequest{UserId: 107, Page: &base.PageRequest{Page: 1, PageSize: 101}}); !errs.Is(err, base.ErrorCode_INVALID_ARGUMENT) {
			t.Fatalf("page size 101: err %v, want INVALID_ARGUMENT", err)
		}
	})

	t.Run("refusals keep their codes across the wire and hold no stock", func(t *testing.T) {
		ps := s.newProducts(t, 2, 5)
		inactive := product.ProductStatus_INACTIVE
		if _, err := s.products.UpdateProduct(ctx, &product.UpdateProductRequest{ProductId: ps[1].ProductId, Status: &inactive}); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name  string
			items []*order.OrderItemInput
			code  base.ErrorCode
		}{
			{"short stock is INSUFFICIENT_STOCK", []*order.OrderItemInput{{ProductId: ps[0].ProductId, Quantity: 6}}, base.ErrorCode_INSUFFICIENT_STOCK},
			{"unknown product is NOT_FOUND", []*order.OrderItemInput{{ProductId: ps[0].ProductId, Quantity: 1}, {ProductId: ps[1].ProductId + 1_000_000, Quantity: 1}}, base.ErrorCode_NOT_FOUND},
			{"inactive product is FAILED_PRECONDITION", []*order.OrderItemInput{{ProductId: ps[0].ProductId, Quantity: 1}, {ProductId: ps[1].ProductId, Quantity: 1}}, base.ErrorCode_FAILED_PRECONDITION},
			{"quantity 1000 is INVALID_ARGUMENT", []*order.OrderItemInput{{ProductId: ps[0].ProductId, Quantity: 1000}}, base.ErrorCode_INVALID_ARGUMENT},
		}
		for i, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				_, err := s.orders.CreateOrder(ctx, &order.CreateOrderRequest{UserId: 108, IdempotencyKey: fmt.Sprint("refused-", i), Items: tc.items})
				if !errs.Is(err, tc.code) {
					t.Fatalf("err %v, want %v", err, tc.code)
				}
				if got := s.stock(t, ps[0].ProductId); got != 5 {
					t.Fatalf("stock %d after a refused order, want 5", got)
				}
			})
		}
		list, err := s.orders.ListOrders(ctx, &order.ListOrdersRequest{UserId: 108})
		if err != nil || list.Page.Total != 0 {
			t.Fatalf("ListOrders after refusals = %+v (err %v), want none stored", list, err)
		}
	})
}
