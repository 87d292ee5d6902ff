package faulttest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
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
	"github.com/kitemall/platform/pkg/errs"
	"github.com/kitemall/platform/pkg/kitexsuite"
	"github.com/kitemall/platform/pkg/mysqlx"
	"github.com/kitemall/platform/pkg/testenv"
)

// services are started in dependency order: order calls product, payment
// calls order.
var services = []string{"product", "order", "payment"}

// The services' timing settings in these tests: seconds instead of the
// production minutes, so that every fault settles within a test. The
// checker's age rules depend on them too.
const (
	localTxTimeout = 2 * time.Second
	localTxWindow  = 5 * time.Second
	redriveAfter   = 15 * time.Second
	sweepInterval  = time.Second
)

// options shape one platform.
type options struct {
	// paymentWindow is PAYMENT_WINDOW: an unpaid order is cancelled after it.
	paymentWindow time.Duration
	// orderMySQLAddr, when set, is where the order service reaches MariaDB
	// (a proxy the test can cut).
	orderMySQLAddr string
	// sandboxLatency is how long the payment provider takes per charge.
	sandboxLatency time.Duration
}

// platform is the product, order and payment services as real processes,
// on the private broker, registered in etcd under a namespace of their own,
// each with a fresh database; plus direct Kitex clients and database handles
// for the test's own calls and assertions.
type platform struct {
	ns      string
	procs   map[string]*process
	addrs   map[string]string
	metrics map[string]string // each service's /metrics address
	dbs     map[string]mysqlx.Config
	sqlDB   map[string]*sql.DB
	etcd    []string
	window  time.Duration // the payment window

	products productservice.Client
	orders   orderservice.Client
	payments paymentservice.Client
}

func startPlatform(t testing.TB, opts options) *platform {
	t.Helper()
	root := repoRoot(t)
	bin := serviceBinaries(t)
	broker := privateRocketMQ(t)
	p := &platform{
		ns:      "ft" + testenv.Unique(),
		procs:   map[string]*process{},
		addrs:   map[string]string{},
		metrics: map[string]string{},
		dbs:     map[string]mysqlx.Config{},
		sqlDB:   map[string]*sql.DB{},
		etcd:    testenv.EtcdEndpoints(t),
	}
	redisCfg := testenv.RedisConfig(t)
	testenv.CleanRedis(t, redisCfg, "t:"+p.ns+":")
	window := opts.paymentWindow
	if window == 0 {
		window = time.Minute
	}
	p.window = window
	latency := opts.sandboxLatency
	if latency == 0 {
		latency = time.Millisecond
	}
	// Databases first: cleanups run in reverse, so every process is stopped
	// before its database is dropped.
	for _, svc := range services {
		p.dbs[svc] = testenv.MySQL(t)
	}
	for _, svc := range services {
		p.addrs[svc], p.metrics[svc] = testenv.FreeAddr(t), testenv.FreeAddr(t)
		db := p.dbs[svc]
		mysqlAddr := db.Addr
		if svc == "order" && opts.orderMySQLAddr != "" {
			mysqlAddr = opts.orderMySQLAddr
		}
		env := []string{
			"CONFIG_FILE=" + filepath.Join(root, "rpc", svc, "conf", svc+".yaml"),
			"LISTEN_ADDR=" + p.addrs[svc],
			"METRICS_ADDR=" + p.metrics[svc],
			"ETCD_ENDPOINTS=" + strings.Join(p.etcd, ","),
			"SERVICE_NAMESPACE=" + p.ns,
			"KITEX_TRANSPORT=" + testenv.Transport(),
			"MYSQL_ADDR=" + mysqlAddr,
			"MYSQL_USER=" + db.User,
			"MYSQL_PASSWORD=" + db.Password,
			"MYSQL_DATABASE=" + db.Database,
			"REDIS_ADDR=" + redisCfg.Addr,
			"REDIS_KEY_PREFIX=t:" + p.ns + ":" + svc + ":",
			"PAYMENT_WINDOW=" + window.String(),
			"SANDBOX_DECLINE_RATE=0",
			"SANDBOX_LATENCY=" + latency.String(),
			"EXIT_WAIT=1s",
			// The local transaction and the check-back's window,
			// redeliveries after 1 s, 5 s, 10 s, ..., and the re-drive of
			// payments left PENDING.
			"LOCAL_TX_TIMEOUT=" + localTxTimeout.String(),
			"LOCAL_TX_WINDOW=" + localTxWindow.String(),
			"MQ_RETRY_DELAY_LEVEL=1",
			"REDRIVE_AFTER=" + redriveAfter.String(),
			"SWEEP_INTERVAL=" + sweepInterval.String(),
			"LOG_LEVEL=info",
			"ROCKETMQ_GO_LOG_LEVEL=error",
			"OTEL_EXPORTER_OTLP_ENDPOINT=",
		}
		env = append(env, broker.serviceEnv()...)
		p.procs[svc] = newProcess(t, svc, filepath.Join(bin, svc), filepath.Join(root, "rpc", svc), env)
	}
	p.products = newClient(t, "product", p.addrs["product"], productservice.NewClient)
	p.orders = newClient(t, "order", p.addrs["order"], orderservice.NewClient)
	p.payments = newClient(t, "payment", p.addrs["payment"], paymentservice.NewClient)
	for _, svc := range services {
		p.start(t, svc)
	}
	t.Cleanup(func() {
		for _, db := range p.sqlDB {
			db.Close()
		}
	})
	return p
}

// newClient dials one instance directly (no etcd), in the run's transport,
// without retries: a test sees exactly what one call did.
func newClient[C any](t testing.TB, svc, addr string, newFn func(string, ...client.Option) (C, error)) C {
	t.Helper()
	cfg := kitexsuite.DefaultClientConfig(svc)
	cfg.Transport = testenv.Transport()
	cfg.RPCTimeout = 15 * time.Second
	cfg.Retry.MaxRetries = 0
	// The tests cause failures on purpose; an open breaker would hide the
	// errors they assert on behind ErrCircuitBreak.
	cfg.Breaker.MinSample = math.MaxInt64
	c, err := newFn(svc, client.WithHostPorts(addr),
		client.WithSuite(kitexsuite.NewClientSuite("faulttest", cfg, nil, nil)))
	if err != nil {
		t.Fatalf("%s client: %v", svc, err)
	}
	return c
}

// start starts svc (optionally with extra env such as FAILPOINTS=...) and
// waits until it answers Ping and other services can find it in etcd.
func (p *platform) start(t testing.TB, svc string, extra ...string) {
	t.Helper()
	p.procs[svc].start(t, extra...)
	p.waitReady(t, svc)
	testenv.WaitInstances(t, p.etcd, kitexsuite.Namespaced(svc, p.ns), 1)
}

// restart stops svc gracefully (it leaves etcd) and starts it again with
// extra env.
func (p *platform) restart(t testing.TB, svc string, extra ...string) {
	t.Helper()
	p.procs[svc].stop(t)
	p.start(t, svc, extra...)
	// Its callers saw it leave; their resolvers pick the new registration
	// up at their next refresh (kitexsuite's refresh_interval, 1 s).
	time.Sleep(1500 * time.Millisecond)
}

func (p *platform) waitReady(t testing.TB, svc string) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		// Dial first: a Kitex client pointed at a port nobody listens on
		// yet floods the log with its own retries.
		conn, err := net.DialTimeout("tcp", p.addrs[svc], time.Second)
		if err == nil {
			conn.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			err = p.ping(ctx, svc)
			cancel()
			if err == nil {
				return
			}
		}
		if !p.procs[svc].running() {
			t.Fatalf("%s exited during start: %v", svc, err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s does not answer Ping: %v", svc, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (p *platform) ping(ctx context.Context, svc string) error {
	var err error
	switch svc {
	case "product":
		_, err = p.products.Ping(ctx, &base.PingRequest{})
	case "order":
		_, err = p.orders.Ping(ctx, &base.PingRequest{})
	case "payment":
		_, err = p.payments.Ping(ctx, &base.PingRequest{})
	default:
		err = fmt.Errorf("unknown service %s", svc)
	}
	return err
}

// createProduct adds a product with stock units available.
func (p *platform) createProduct(t testing.TB, priceCents, stock int64) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := p.products.CreateProduct(ctx, &product.CreateProductRequest{
		Name: "ft-" + testenv.Unique(), Description: "fault test", Category: "faulttest",
		PriceCents: priceCents, InitialStock: stock,
	})
	if err != nil {
		t.Fatalf("create product: %v", err)
	}
	return resp.Product.ProductId
}

func (p *platform) createOrder(ctx context.Context, userID int64, key string, items map[int64]int32) (*order.Order, error) {
	req := &order.CreateOrderRequest{UserId: userID, IdempotencyKey: key}
	for id, q := range items {
		req.Items = append(req.Items, &order.OrderItemInput{ProductId: id, Quantity: q})
	}
	resp, err := p.orders.CreateOrder(ctx, req)
	if err != nil {
		return nil, err
	}
	return resp.Order, nil
}

func (p *platform) pay(ctx context.Context, userID, orderID int64, key string) (*payment.Payment, error) {
	resp, err := p.payments.Pay(ctx, &payment.PayRequest{OrderId: orderID, UserId: userID, Method: "card", IdempotencyKey: key})
	if err != nil {
		return nil, err
	}
	return resp.Payment, nil
}

// db returns a handle on svc's database for assertions.
func (p *platform) db(t testing.TB, svc string) *sql.DB {
	t.Helper()
	if db, ok := p.sqlDB[svc]; ok {
		return db
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	gdb, err := mysqlx.Open(ctx, p.dbs[svc])
	if err != nil {
		t.Fatal(err)
	}
	db, err := gdb.DB()
	if err != nil {
		t.Fatal(err)
	}
	p.sqlDB[svc] = db
	return db
}

// queryInt runs a query returning one integer.
func (p *platform) queryInt(t testing.TB, svc, query string, args ...any) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var n sql.NullInt64
	if err := p.db(t, svc).QueryRowContext(ctx, query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %s: %v", svc, query, err)
	}
	return n.Int64
}

// stock is a product's counters, read from the product database.
type stock struct{ available, reserved, sold int64 }

func (p *platform) stock(t testing.TB, productID int64) stock {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var s stock
	err := p.db(t, "product").QueryRowContext(ctx, "SELECT available, reserved, sold FROM products WHERE id = ?", productID).
		Scan(&s.available, &s.reserved, &s.sold)
	if err != nil {
		t.Fatalf("read stock of product %d: %v", productID, err)
	}
	return s
}

// eventually polls cond until it holds or timeout passes; the string cond
// returns describes the state it saw, for the failure message.
func eventually(t testing.TB, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	if w := waitFor(timeout, cond); !w.ok {
		t.Fatalf("%s: not reached within %v; last state: %s", what, timeout, w.state)
	}
}

// waited is the outcome of waitFor.
type waited struct {
	ok     bool
	waited time.Duration
	state  string
}

// waitFor polls cond until it holds or timeout passes.
func waitFor(timeout time.Duration, cond func() (bool, string)) waited {
	start := time.Now()
	for {
		ok, state := cond()
		if ok || time.Since(start) > timeout {
			return waited{ok: ok, waited: time.Since(start), state: state}
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// reservation is the product service's record of an order's stock.
func (p *platform) reservation(t testing.TB, orderID int64) (state string, found bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := p.db(t, "product").QueryRowContext(ctx, "SELECT state FROM stock_reservations WHERE order_id = ?", orderID).Scan(&state)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false
	}
	if err != nil {
		t.Fatalf("read reservation of order %d: %v", orderID, err)
	}
	return state, true
}

// ledgerRows counts the stock movements of kind (reserve, release, confirm)
// recorded for an order: each applied at most once is what "exactly once"
// means for stock.
func (p *platform) ledgerRows(t testing.TB, orderID int64, kind string) int64 {
	t.Helper()
	return p.queryInt(t, "product", "SELECT COUNT(*) FROM stock_ledger WHERE order_id = ? AND kind = ?", orderID, kind)
}

// orderStatus reads an order's status from the order database.
func (p *platform) orderStatus(t testing.TB, orderID int64) (order.OrderStatus, bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var status int64
	err := p.db(t, "order").QueryRowContext(ctx, "SELECT status FROM orders WHERE order_id = ?", orderID).Scan(&status)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false
	}
	if err != nil {
		t.Fatalf("read order %d: %v", orderID, err)
	}
	return order.OrderStatus(status), true
}

// paymentStatus reads a payment's status from the payment database.
func (p *platform) paymentStatus(t testing.TB, paymentID int64) payment.PaymentStatus {
	t.Helper()
	return payment.PaymentStatus(p.queryInt(t, "payment", "SELECT status FROM payments WHERE id = ?", paymentID))
}

// counter sums the samples of a Prometheus counter that svc serves on
// /metrics whose labels include every one of labels (name="value" pairs).
func (p *platform) counter(t testing.TB, svc, name string, labels ...string) float64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+p.metrics[svc]+"/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("scrape %s metrics: %v", svc, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("scrape %s metrics: %v", svc, err)
	}
	var sum float64
	for _, line := range strings.Split(string(body), "\n") {
		if !strings.HasPrefix(line, name+"{") {
			continue
		}
		match := true
		for _, l := range labels {
			match = match && strings.Contains(line, l)
		}
		if !match {
			continue
		}
		v, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
		if err != nil {
			t.Fatalf("%s metrics line %q: %v", svc, line, err)
		}
		sum += v
	}
	return sum
}

// outcomes collects what many concurrent CreateOrder calls returned.
type outcomes struct {
	mu             sync.Mutex
	placed         []int64
	failures       map[base.ErrorCode]int
	slowestFailure time.Duration
}

func (o *outcomes) record(placed *order.Order, err error, took time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if err != nil {
		if o.failures == nil {
			o.failures = map[base.ErrorCode]int{}
		}
		// A non-ServiceError (a transport failure) counts as UNKNOWN.
		o.failures[errs.Code(err)]++
		o.slowestFailure = max(o.slowestFailure, took)
		return
	}
	o.placed = append(o.placed, placed.OrderId)
}

// outcomesSnapshot is a copy of outcomes, safe to read.
type outcomesSnapshot struct {
	placed         []int64
	failures       map[base.ErrorCode]int
	slowestFailure time.Duration
}

func (o *outcomes) snapshot() outcomesSnapshot {
	o.mu.Lock()
	defer o.mu.Unlock()
	s := outcomesSnapshot{placed: append([]int64(nil), o.placed...), failures: map[base.ErrorCode]int{}, slowestFailure: o.slowestFailure}
	for k, v := range o.failures {
		s.failures[k] = v
	}
	return s
}

// mysqlAddr is the real MariaDB's address (the one testenv uses).
func mysqlAddr(t testing.TB) string {
	t.Helper()
	if v := os.Getenv("MYSQL_ADDR"); v != "" {
		return v
	}
	return mysqlx.DefaultConfig("").Addr
}
