package app_test

import (
	"context"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/cloudwego/kitex/client"

	"github.com/kitemall/platform/kitex_gen/base"
	"github.com/kitemall/platform/kitex_gen/order"
	"github.com/kitemall/platform/kitex_gen/order/orderservice"
	"github.com/kitemall/platform/kitex_gen/payment"
	"github.com/kitemall/platform/kitex_gen/payment/paymentservice"
	"github.com/kitemall/platform/kitex_gen/product"
	"github.com/kitemall/platform/kitex_gen/product/productservice"
	"github.com/kitemall/platform/pkg/bootstrap"
	"github.com/kitemall/platform/pkg/errs"
	"github.com/kitemall/platform/pkg/kitexsuite"
	"github.com/kitemall/platform/pkg/mq"
	"github.com/kitemall/platform/pkg/mysqlx"
	"github.com/kitemall/platform/pkg/observability"
	"github.com/kitemall/platform/pkg/redisx"
	"github.com/kitemall/platform/pkg/testenv"
	"github.com/kitemall/platform/rpc/consistency"
	orderapp "github.com/kitemall/platform/rpc/order/app"
	"github.com/kitemall/platform/rpc/payment/app"
	productapp "github.com/kitemall/platform/rpc/product/app"
)

// redisConfig returns a Redis config with a key prefix unique to this test
// and deletes every key under that prefix when the test ends.
func redisConfig(t *testing.T) redisx.Config {
	t.Helper()
	cfg := testenv.RedisConfig(t)
	return cfg
}

// serve builds an app, runs it until the test ends and waits until etcd
// resolves it.
func serve(t *testing.T, name string, endpoints []string, tel *observability.Telemetry, build func(context.Context, *observability.Telemetry) (bootstrap.App, error)) {
	t.Helper()
	a, err := build(context.Background(), tel)
	if err != nil {
		t.Fatal(err)
	}
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

// stack is a real product, order and payment service on the local stack,
// registered in etcd under names unique to this run, with clients that find
// them through etcd using the transport under test.
type stack struct {
	paymentCfg *app.Config
	orderCfg   *orderapp.Config
	productCfg *productapp.Config
	products   productservice.Client
	orders     orderservice.Client
	payments   paymentservice.Client
	tel        *observability.Telemetry
}

// flows is how a stack's message flows are tuned: the order service's
// payment window and each service's messaging. Tests get a short window,
// fast retries and a topic namespace of their own on the real broker.
type flows struct {
	paymentWindow time.Duration
	sweep         app.SweeperConfig
}

// serviceTests keep orders payable for as long as a test runs.
var serviceTests = flows{
	paymentWindow: 15 * time.Minute,
	sweep:         app.SweeperConfig{Interval: time.Second, RedriveAfter: 4 * time.Second, Batch: 10},
}

func startStack(t *testing.T, f flows) stack {
	t.Helper()
	endpoints := testenv.EtcdEndpoints(t)
	run := testenv.Unique()
	transport := testenv.Transport()
	// One telemetry for the three services: Setup sets process-wide state
	// (the OpenTelemetry globals and Kitex's log level) that running
	// servers read, so it must happen once, before any of them starts.
	tel, err := observability.Setup(context.Background(), "payment-test", observability.Config{LogLevel: "warn"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })

	pcfg := productapp.DefaultConfig()
	pcfg.Server.Service = "product-paytest-" + run
	pcfg.Server.Listen = testenv.FreeAddr(t)
	pcfg.Server.Transport = transport
	pcfg.Server.ExitWait = 100 * time.Millisecond
	pcfg.Registry.Endpoints = endpoints
	pcfg.MySQL = testenv.MySQL(t)
	pcfg.Redis = redisConfig(t)
	pcfg.Observability = observability.Config{LogLevel: "warn"}
	if err := pcfg.Validate(); err != nil {
		t.Fatal(err)
	}
	serve(t, pcfg.Server.Service, endpoints, tel, func(ctx context.Context, tel *observability.Telemetry) (bootstrap.App, error) {
		return productapp.Build(ctx, pcfg, tel)
	})

	ocfg := orderapp.DefaultConfig()
	ocfg.Server.Service = "order-paytest-" + run
	ocfg.Server.Listen = testenv.FreeAddr(t)
	ocfg.Server.Transport = transport
	ocfg.Server.ExitWait = 100 * time.Millisecond
	ocfg.Registry.Endpoints = endpoints
	ocfg.MySQL = testenv.MySQL(t)
	ocfg.Redis = redisConfig(t)
	ocfg.Clients.Transport = transport
	ocfg.Clients.Product.Service = pcfg.Server.Service
	ocfg.Observability = observability.Config{LogLevel: "warn"}
	ocfg.PaymentWindow = f.paymentWindow
	ocfg.Messaging.RocketMQ.NameServers = []string{testenv.RocketMQNameServer(t)}
	ocfg.Messaging.RocketMQ.BrokerAddr = testenv.RocketMQBroker(t)
	ocfg.Messaging.Namespace = "paytest_" + run
	ocfg.Messaging.Consumer = mq.ConsumerConfig{MaxReconsumes: 2, RetryDelayLevel: 1}
	ocfg.Messaging.LocalTxTimeout, ocfg.Messaging.LocalTxWindow = time.Second, 2*time.Second
	if err := ocfg.Validate(); err != nil {
		t.Fatal(err)
	}
	serve(t, ocfg.Server.Service, endpoints, tel, func(ctx context.Context, tel *observability.Telemetry) (bootstrap.App, error) {
		return orderapp.Build(ctx, ocfg, tel)
	})

	cfg := app.DefaultConfig()
	cfg.Server.Service = "payment-paytest-" + run
	cfg.Server.Listen = testenv.FreeAddr(t)
	cfg.Server.Transport = transport
	cfg.Server.ExitWait = 100 * time.Millisecond
	cfg.Registry.Endpoints = endpoints
	cfg.MySQL = testenv.MySQL(t)
	cfg.Clients.Transport = transport
	cfg.Clients.Order.Service = ocfg.Server.Service
	// Declines are covered by the unit tests; here every charge succeeds.
	cfg.Sandbox.DeclineRate = 0
	cfg.Sandbox.Latency = time.Millisecond
	cfg.Observability = observability.Config{LogLevel: "warn"}
	cfg.Messaging.RocketMQ.NameServers = ocfg.Messaging.RocketMQ.NameServers
	cfg.Messaging.RocketMQ.BrokerAddr = ocfg.Messaging.RocketMQ.BrokerAddr
	cfg.Messaging.Namespace = ocfg.Messaging.Namespace
	cfg.Messaging.Consumer = ocfg.Messaging.Consumer
	cfg.Messaging.LocalTxTimeout, cfg.Messaging.LocalTxWindow = time.Second, 2*time.Second
	cfg.SettleTimeout = 2 * time.Second
	cfg.Sweeper = f.sweep
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	serve(t, cfg.Server.Service, endpoints, tel, func(ctx context.Context, tel *observability.Telemetry) (bootstrap.App, error) {
		return app.Build(ctx, cfg, tel)
	})

	resolver, err := kitexsuite.NewResolver(cfg.Registry)
	if err != nil {
		t.Fatal(err)
	}
	suite := func(service string) client.Option {
		cc := kitexsuite.DefaultClientConfig(service)
		cc.Transport = transport
		return client.WithSuite(kitexsuite.NewClientSuite("payment-test", cc, resolver, nil))
	}
	s := stack{paymentCfg: cfg, orderCfg: ocfg, productCfg: pcfg, tel: tel}
	if s.products, err = productservice.NewClient(pcfg.Server.Service, suite(pcfg.Server.Service)); err != nil {
		t.Fatal(err)
	}
	if s.orders, err = orderservice.NewClient(ocfg.Server.Service, suite(ocfg.Server.Service)); err != nil {
		t.Fatal(err)
	}
	if s.payments, err = paymentservice.NewClient(cfg.Server.Service, suite(cfg.Server.Service)); err != nil {
		t.Fatal(err)
	}
	return s
}

// newOrder creates a product and an order of two units of it for userID,
// through the real services.
func (s stack) newOrder(t *testing.T, userID int64) *order.Order {
	t.Helper()
	ctx := context.Background()
	p, err := s.products.CreateProduct(ctx, &product.CreateProductRequest{
		Name: "mug " + testenv.Unique(), Category: "kitchen", PriceCents: 1299, InitialStock: 10,
	})
	if err != nil {
		t.Fatal(err)
	}
	o, err := s.orders.CreateOrder(ctx, &order.CreateOrderRequest{
		UserId:         userID,
		Items:          []*order.OrderItemInput{{ProductId: p.Product.ProductId, Quantity: 2}},
		IdempotencyKey: "order-" + testenv.Unique(),
	})
	if err != nil {
		t.Fatal(err)
	}
	if o.Order.Status != order.OrderStatus_PENDING_PAYMENT || o.Order.TotalCents != 2598 {
		t.Fatalf("new order = %+v, want PENDING_PAYMENT of 2598 cents", o.Order)
	}
	return o.Order
}

// paymentRows counts the payment rows of an order in payment's database.
func (s stack) paymentRows(t *testing.T, orderID int64) int64 {
	t.Helper()
	db, err := mysqlx.Open(context.Background(), s.paymentCfg.MySQL)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if sqlDB, err := db.DB(); err == nil {
			sqlDB.Close()
		}
	}()
	var n int64
	if err := db.Raw("SELECT COUNT(*) FROM payments WHERE order_id = ?", orderID).Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

const (
	buyer int64 = 4101
	other int64 = 4102
)

// check runs the invariant checker on the stack's databases.
func (s stack) check(t *testing.T) consistency.Report {
	t.Helper()
	ctx := context.Background()
	dbs, err := consistency.Open(ctx, s.productCfg.MySQL, s.orderCfg.MySQL, s.paymentCfg.MySQL)
	if err != nil {
		t.Fatal(err)
	}
	defer dbs.Close()
	r, err := consistency.Check(ctx, dbs, consistency.Options{
		PaymentWindow: s.orderCfg.PaymentWindow,
		LocalTxWindow: s.orderCfg.Messaging.LocalTxWindow,
		PaymentSettle: s.paymentCfg.Sweeper.RedriveAfter + s.paymentCfg.Sweeper.Interval,
		Slack:         5 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestPaymentServiceOverKitex(t *testing.T) {
	s := startStack(t, serviceTests)
	ctx := context.Background()
	t.Cleanup(func() {
		if r := s.check(t); !r.OK() {
			t.Errorf("the invariants do not hold after the service tests:\n%s", r)
		}
	})

	t.Run("ping names the service and the instance", func(t *testing.T) {
		resp, err := s.payments.Ping(ctx, &base.PingRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if resp.Service != s.paymentCfg.Server.Service || resp.Instance != s.paymentCfg.Server.Listen {
			t.Errorf("ping = %+v", resp)
		}
	})

	t.Run("paying a real order succeeds with the order's total, once", func(t *testing.T) {
		o := s.newOrder(t, buyer)
		req := &payment.PayRequest{OrderId: o.OrderId, UserId: buyer, Method: "card", IdempotencyKey: "pay-1"}
		first, err := s.payments.Pay(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		p := first.Payment
		if !first.Created || p.Status != payment.PaymentStatus_SUCCEEDED || p.AmountCents != o.TotalCents ||
			p.OrderId != o.OrderId || p.UserId != buyer || p.ProviderRef == "" {
			t.Fatalf("pay = %+v created=%v, want SUCCEEDED of %d", p, first.Created, o.TotalCents)
		}
		again, err := s.payments.Pay(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		if again.Created || !reflect.DeepEqual(again.Payment, first.Payment) {
			t.Errorf("replay = %+v created=%v, want %+v", again.Payment, again.Created, first.Payment)
		}
		if n := s.paymentRows(t, o.OrderId); n != 1 {
			t.Errorf("%d payment rows, want 1", n)
		}
		_, err = s.payments.Pay(ctx, &payment.PayRequest{OrderId: o.OrderId, UserId: buyer, Method: "card", IdempotencyKey: "pay-2"})
		if !errs.Is(err, base.ErrorCode_FAILED_PRECONDITION) {
			t.Errorf("second key on a paid order: err = %v, want FAILED_PRECONDITION", err)
		}
	})

	t.Run("concurrent duplicates make one payment", func(t *testing.T) {
		o := s.newOrder(t, buyer)
		const n = 6
		resps := make([]*payment.PayResponse, n)
		errList := make([]error, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				resps[i], errList[i] = s.payments.Pay(ctx, &payment.PayRequest{OrderId: o.OrderId, UserId: buyer, Method: "card", IdempotencyKey: "dup"})
			}()
		}
		close(start)
		wg.Wait()
		created := 0
		for i, err := range errList {
			if err != nil {
				t.Fatalf("pay %d: %v", i, err)
			}
			if resps[i].Created {
				created++
			}
			if resps[i].Payment.PaymentId != resps[0].Payment.PaymentId {
				t.Errorf("answers name payments %d and %d", resps[i].Payment.PaymentId, resps[0].Payment.PaymentId)
			}
		}
		if created != 1 {
			t.Errorf("%d answers say created, want 1", created)
		}
		if rows := s.paymentRows(t, o.OrderId); rows != 1 {
			t.Errorf("%d payment rows, want 1", rows)
		}
	})

	t.Run("another user's order is NOT_FOUND and a cancelled one FAILED_PRECONDITION", func(t *testing.T) {
		o := s.newOrder(t, buyer)
		_, err := s.payments.Pay(ctx, &payment.PayRequest{OrderId: o.OrderId, UserId: other, Method: "card", IdempotencyKey: "k"})
		if !errs.Is(err, base.ErrorCode_NOT_FOUND) {
			t.Errorf("pay another user's order: err = %v, want NOT_FOUND", err)
		}
		if _, err := s.orders.CancelOrder(ctx, &order.CancelOrderRequest{OrderId: o.OrderId, UserId: buyer, Reason: "changed my mind"}); err != nil {
			t.Fatal(err)
		}
		_, err = s.payments.Pay(ctx, &payment.PayRequest{OrderId: o.OrderId, UserId: buyer, Method: "card", IdempotencyKey: "k"})
		if !errs.Is(err, base.ErrorCode_FAILED_PRECONDITION) {
			t.Errorf("pay a cancelled order: err = %v, want FAILED_PRECONDITION", err)
		}
		if rows := s.paymentRows(t, o.OrderId); rows != 0 {
			t.Errorf("%d payment rows, want 0", rows)
		}
	})

	t.Run("GetPayment and GetPaymentByOrder are owner-scoped", func(t *testing.T) {
		o := s.newOrder(t, buyer)
		paid, err := s.payments.Pay(ctx, &payment.PayRequest{OrderId: o.OrderId, UserId: buyer, Method: "wallet", IdempotencyKey: "get"})
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.payments.GetPayment(ctx, &payment.GetPaymentRequest{PaymentId: paid.Payment.PaymentId, UserId: buyer})
		if err != nil || !reflect.DeepEqual(got.Payment, paid.Payment) {
			t.Errorf("GetPayment = %+v, %v; want %+v", got, err, paid.Payment)
		}
		byOrder, err := s.payments.GetPaymentByOrder(ctx, &payment.GetPaymentByOrderRequest{OrderId: o.OrderId, UserId: buyer})
		if err != nil || !reflect.DeepEqual(byOrder.Payment, paid.Payment) {
			t.Errorf("GetPaymentByOrder = %+v, %v; want %+v", byOrder, err, paid.Payment)
		}
		_, err = s.payments.GetPayment(ctx, &payment.GetPaymentRequest{PaymentId: paid.Payment.PaymentId, UserId: other})
		if !errs.Is(err, base.ErrorCode_NOT_FOUND) {
			t.Errorf("GetPayment by another user: err = %v, want NOT_FOUND", err)
		}
		_, err = s.payments.GetPaymentByOrder(ctx, &payment.GetPaymentByOrderRequest{OrderId: o.OrderId, UserId: other})
		if !errs.Is(err, base.ErrorCode_NOT_FOUND) {
			t.Errorf("GetPaymentByOrder by another user: err = %v, want NOT_FOUND", err)
		}
	})
}
