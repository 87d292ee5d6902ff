// Command loadgen creates and pays orders through the gateway's REST API
// with a fixed concurrency, optionally injects one fault in the middle
// (a broker restart or a SIGKILL of the order service), waits until every
// order of the run has reached a final state, and prints throughput, latency
// percentiles, the count of each final state and the consistency checker's
// verdict. It exits 1 when an order never settles or an invariant is broken.
// Calls failing with 502/503/504/429 are retried with the same idempotency
// key, as a well-behaved client would through a fault. Given the platform's
// pids and /metrics endpoints (-cpu, -metrics) it also breaks the orders
// phase down: CPU per order of every process, and the calls each service
// served per order with their mean server-side latency.
//
// It needs a gateway whose rate limits allow the load (the shipped
// conf/gateway.yaml allows 50 requests/s per IP), an admin user name for
// creating the products (one of the gateway's auth.admins), and direct read
// access to the product, order and payment databases for the final-state
// wait and the checker. run.sh next to this file starts a whole private
// platform for it (own ports, namespace, databases and broker), runs it with
// the breakdown, and tears the platform down:
//
//	rpc/cmd/loadgen/run.sh -n 1000 -warmup 300 -c 32 -fault broker-restart
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/kitemall/platform/pkg/mysqlx"
)

type config struct {
	Gateway       string
	Orders        int
	Warmup        int
	Concurrency   int
	Users         int
	Products      int
	AdminUser     string
	AdminPassword string
	RunID         string
	CallTimeout   time.Duration
	RetryFor      time.Duration
	SettleTimeout time.Duration
	FaultAt       float64
	Fault         faultConfig
	MySQL         mysqlx.Config
	ProductDB     string
	OrderDB       string
	PaymentDB     string
	PaymentWindow time.Duration
	LocalTxWindow time.Duration
	PaymentSettle time.Duration
	// CPUPIDs and MetricsURLs name the processes and /metrics endpoints the
	// orders phase is broken down over.
	CPUPIDs     map[string]string
	MetricsURLs map[string]string
}

func parseFlags() (config, error) {
	c := config{MySQL: mysqlx.DefaultConfig("")}
	flag.StringVar(&c.Gateway, "gateway", "http://127.0.0.1:8080", "gateway base URL")
	flag.IntVar(&c.Orders, "n", 1000, "orders to create and pay")
	flag.IntVar(&c.Warmup, "warmup", 0, "orders placed first and left out of the measurements (JIT, connection pools)")
	flag.IntVar(&c.Concurrency, "c", 32, "concurrent clients")
	flag.IntVar(&c.Users, "users", 8, "users the orders are spread over (registered if absent)")
	flag.IntVar(&c.Products, "products", 20, "products the orders are spread over (created for the run)")
	flag.StringVar(&c.AdminUser, "admin-user", "admin", "an admin user name of the gateway (creates the products)")
	flag.StringVar(&c.AdminPassword, "admin-password", "loadgen-admin-password", "its password (registered if absent)")
	flag.StringVar(&c.RunID, "run", strconv.FormatInt(time.Now().Unix(), 36), "run ID: prefixes idempotency keys and user names")
	flag.DurationVar(&c.CallTimeout, "call-timeout", 10*time.Second, "timeout of one HTTP call")
	flag.DurationVar(&c.RetryFor, "retry-for", time.Minute, "how long a call failing with 502/503/504/429 or a transport error is retried (same idempotency key); 0: never")
	flag.DurationVar(&c.SettleTimeout, "settle-timeout", 3*time.Minute, "how long to wait for every order to reach a final state")
	flag.Float64Var(&c.FaultAt, "fault-at", 0.5, "inject the fault once this fraction of the orders has been started")
	flag.StringVar(&c.Fault.Kind, "fault", faultNone, "none, broker-restart or order-kill")
	flag.StringVar(&c.Fault.StackScript, "stack-script", "deploy/local/stack.sh", "stack.sh for -fault broker-restart (STACK_* env selects the stack)")
	flag.StringVar(&c.Fault.OrderPIDFile, "order-pidfile", "", "pid file of the order service for -fault order-kill")
	flag.StringVar(&c.Fault.OrderRestart, "order-restart", "", "shell command that starts the order service again after -fault order-kill")
	flag.StringVar(&c.MySQL.Addr, "mysql-addr", envOr("MYSQL_ADDR", c.MySQL.Addr), "MariaDB address (read access for the checker)")
	flag.StringVar(&c.MySQL.User, "mysql-user", envOr("MYSQL_USER", c.MySQL.User), "MariaDB user")
	flag.StringVar(&c.MySQL.Password, "mysql-password", envOr("MYSQL_PASSWORD", c.MySQL.Password), "MariaDB password")
	flag.StringVar(&c.ProductDB, "product-db", "product_db", "the product service's database")
	flag.StringVar(&c.OrderDB, "order-db", "order_db", "the order service's database")
	flag.StringVar(&c.PaymentDB, "payment-db", "payment_db", "the payment service's database")
	flag.DurationVar(&c.PaymentWindow, "payment-window", 15*time.Minute, "the services' PAYMENT_WINDOW (the checker's limit for PENDING_PAYMENT)")
	flag.DurationVar(&c.LocalTxWindow, "local-tx-window", 10*time.Second, "the order service's LOCAL_TX_WINDOW (for the checker)")
	flag.DurationVar(&c.PaymentSettle, "payment-settle", 35*time.Second, "the payment sweeper's REDRIVE_AFTER plus SWEEP_INTERVAL (for the checker)")
	cpu := flag.String("cpu", "", "name=pid,... (or name=@pidfile, followed across restarts; or name=self) of the platform's processes: print the CPU each burnt per order")
	metrics := flag.String("metrics", "", "service=url,... of the services' /metrics: print the calls each served per order and their mean latency")
	flag.Parse()
	var err error
	if c.CPUPIDs, err = namedTargets(*cpu); err != nil {
		return c, fmt.Errorf("-cpu: %w", err)
	}
	if c.MetricsURLs, err = namedTargets(*metrics); err != nil {
		return c, fmt.Errorf("-metrics: %w", err)
	}
	switch {
	case c.Orders <= 0 || c.Concurrency <= 0 || c.Users <= 0 || c.Products <= 0:
		return c, errors.New("-n, -c, -users and -products must be positive")
	case c.Warmup < 0:
		return c, errors.New("-warmup must not be negative")
	case c.FaultAt < 0 || c.FaultAt > 1:
		return c, errors.New("-fault-at must be in [0, 1]")
	}
	return c, c.Fault.validate()
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func main() {
	cfg, err := parseFlags()
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	ok, err := run(ctx, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
	if !ok {
		os.Exit(1)
	}
}

// result is what the order phase measured.
type result struct {
	started, created, paid atomic.Int64
	createLat, payLat      latencies
	createErrs, payErrs    tally
	retries                tally
	payOutcome             tally
	elapsed                time.Duration
	faultAt                time.Duration // since the start of the phase
	faultDown              time.Duration
	faultErr               error
}

func run(ctx context.Context, cfg config) (bool, error) {
	a := newAPI(cfg.Gateway, cfg.Concurrency, cfg.CallTimeout)
	dbs, err := openDatabases(ctx, cfg)
	if err != nil {
		return false, err
	}
	defer dbs.close()

	fmt.Printf("loadgen: run %s: %d orders, concurrency %d, %d users, %d products, fault %s\n",
		cfg.RunID, cfg.Orders, cfg.Concurrency, cfg.Users, cfg.Products, cfg.Fault.Kind)
	tokens, products, err := setup(ctx, a, cfg)
	if err != nil {
		return false, err
	}
	since, err := dbs.now(ctx)
	if err != nil {
		return false, err
	}
	if cfg.Warmup > 0 {
		// A fresh JVM broker spends its first minute compiling, and fresh
		// services open their connections: measured from cold, the run
		// would show start-up, not the steady state.
		w := placeOrders(ctx, a, cfg, tokens, products, "w", cfg.Warmup, faultConfig{Kind: faultNone})
		fmt.Printf("warm-up: %d orders created, %d paid in %v (not counted below; settled and checked with the rest)\n",
			w.created.Load(), w.paid.Load(), w.elapsed.Round(time.Millisecond))
	}

	phaseStart, err := dbs.now(ctx)
	if err != nil {
		return false, err
	}
	var b breakdown
	if b.latBefore, err = scrapeLatency(ctx, cfg.MetricsURLs); err != nil {
		return false, err
	}
	cpu := startCPUSampler(cfg.CPUPIDs, 500*time.Millisecond)
	res := placeOrders(ctx, a, cfg, tokens, products, "", cfg.Orders, cfg.Fault)
	b.cpu, b.wall, b.orders = cpu.finish(), res.elapsed, res.created.Load()
	if b.latAfter, err = scrapeLatency(ctx, cfg.MetricsURLs); err != nil {
		return false, err
	}
	printPhase(cfg, res)
	b.print()
	if res.faultErr != nil {
		return false, fmt.Errorf("inject %s: %w", cfg.Fault.Kind, res.faultErr)
	}

	settled, err := dbs.waitSettled(ctx, since, phaseStart, cfg.SettleTimeout)
	if err != nil {
		return false, err
	}
	printSettled(settled)
	report, err := dbs.check(ctx, cfg)
	if err != nil {
		return false, err
	}
	fmt.Print("\n" + report.String())
	return settled.done && report.OK(), nil
}

// setup logs the users in and creates the products, each with enough stock
// for every order of the run.
func setup(ctx context.Context, a *api, cfg config) ([]string, []int64, error) {
	admin, err := a.session(ctx, cfg.AdminUser, cfg.AdminPassword)
	if err != nil {
		return nil, nil, err
	}
	products := make([]int64, cfg.Products)
	for i := range products {
		if products[i], err = a.createProduct(ctx, admin, fmt.Sprintf("loadgen %s #%d", cfg.RunID, i), int64(100+i), int64(cfg.Orders+cfg.Warmup)); err != nil {
			return nil, nil, err
		}
	}
	tokens := make([]string, cfg.Users)
	for i := range tokens {
		if tokens[i], err = a.session(ctx, fmt.Sprintf("lg_%s_%d", cfg.RunID, i), "loadgen-password"); err != nil {
			return nil, nil, err
		}
	}
	return tokens, products, nil
}

// placeOrders creates and pays n orders (idempotency keys with prefix) from
// cfg.Concurrency workers, injecting fault once when its share of the
// orders has started.
func placeOrders(ctx context.Context, a *api, cfg config, tokens []string, products []int64, prefix string, n int, fault faultConfig) *result {
	res := &result{}
	jobs := make(chan int)
	var faultOnce sync.Once
	var faultDone sync.WaitGroup
	faultAfter := int64(float64(n) * cfg.FaultAt)
	start := time.Now()
	var wg sync.WaitGroup
	for range cfg.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				if started := res.started.Add(1); fault.Kind != faultNone && started > faultAfter {
					faultOnce.Do(func() {
						res.faultAt = time.Since(start)
						faultDone.Add(1)
						go func() {
							defer faultDone.Done()
							res.faultDown, res.faultErr = fault.inject(ctx)
						}()
					})
				}
				placeOne(ctx, a, cfg, res, prefix+strconv.Itoa(i), tokens[i%len(tokens)], products[i%len(products)])
			}
		}()
	}
	for i := 0; i < n && ctx.Err() == nil; i++ {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	res.elapsed = time.Since(start)
	faultDone.Wait()
	return res
}

func placeOne(ctx context.Context, a *api, cfg config, res *result, id, token string, productID int64) {
	key := fmt.Sprintf("lg-%s-%s", cfg.RunID, id)
	var orderID int64
	t0 := time.Now()
	err := retry(ctx, cfg.RetryFor, &res.retries, func() (err error) {
		orderID, err = a.createOrder(ctx, token, key, []orderItem{{ProductID: productID, Quantity: 1}})
		return err
	})
	res.createLat.add(time.Since(t0))
	if err != nil {
		res.createErrs.add(errorKind(err))
		return
	}
	res.created.Add(1)
	var status string
	t1 := time.Now()
	err = retry(ctx, cfg.RetryFor, &res.retries, func() (err error) {
		status, err = a.pay(ctx, token, key+"-pay", orderID)
		return err
	})
	res.payLat.add(time.Since(t1))
	if err != nil {
		res.payErrs.add(errorKind(err))
		return
	}
	res.payOutcome.add(status)
	if status == "SUCCEEDED" {
		res.paid.Add(1)
	}
}

// retry calls f again, with the same idempotency key and a growing pause,
// while it fails in a way a client should retry (the platform is
// unavailable or slow) and within budget: what a well-behaved client of
// the API does through a fault. Each retry is counted in retries.
func retry(ctx context.Context, budget time.Duration, retries *tally, f func() error) error {
	deadline := time.Now().Add(budget)
	pause := 100 * time.Millisecond
	for {
		err := f()
		if err == nil || !retryable(err) || time.Now().Add(pause).After(deadline) {
			return err
		}
		retries.add(errorKind(err))
		select {
		case <-ctx.Done():
			return err
		case <-time.After(pause):
		}
		pause = min(2*pause, 2*time.Second)
	}
}

// retryable reports failures a client should retry: the platform said it
// is unavailable or timed out, or the connection failed.
func retryable(err error) bool {
	var ae *apiError
	if !errors.As(err, &ae) {
		return true
	}
	switch ae.Status {
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout, http.StatusTooManyRequests:
		return true
	}
	return false
}

func printPhase(cfg config, res *result) {
	secs := res.elapsed.Seconds()
	fmt.Printf("\norders phase: %v\n", res.elapsed.Round(time.Millisecond))
	fmt.Printf("  created   %5d  %7.1f orders/s   create %v\n", res.created.Load(), float64(res.created.Load())/secs, res.createLat.summary())
	fmt.Printf("  paid      %5d  %7.1f orders/s   pay    %v\n", res.paid.Load(), float64(res.paid.Load())/secs, res.payLat.summary())
	fmt.Printf("  pay answers: %v\n", &res.payOutcome)
	fmt.Printf("  create errors: %v\n", &res.createErrs)
	fmt.Printf("  pay errors:    %v\n", &res.payErrs)
	fmt.Printf("  retried (same idempotency key): %d calls: %v\n", res.retries.total(), &res.retries)
	if cfg.Fault.Kind != faultNone {
		fmt.Printf("  fault %s injected at +%v, component back after %v\n",
			cfg.Fault.Kind, res.faultAt.Round(time.Millisecond), res.faultDown.Round(time.Millisecond))
	}
}

func printSettled(s settledState) {
	fmt.Printf("\nsettled: %v after the orders phase ended (all final: %v)\n", s.waited.Round(time.Millisecond), s.done)
	fmt.Printf("  orders:   %v\n", s.orders)
	fmt.Printf("  payments: %v\n", s.payments)
	if s.paidSpan > 0 {
		fmt.Printf("  end to end: %d orders of the orders phase PAID within %v of its start: %.1f paid orders/s\n",
			s.phasePaid, s.paidSpan.Round(time.Millisecond), float64(s.phasePaid)/s.paidSpan.Seconds())
	}
}
