package faulttest

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kitemall/platform/kitex_gen/base"
	"github.com/kitemall/platform/kitex_gen/order"
	"github.com/kitemall/platform/pkg/errs"
)

// Proves how the order service lives through losing MariaDB for a few
// seconds (a proxy between them closes every connection and refuses new
// ones), while clients keep placing orders:
//   - every call that fails says UNAVAILABLE (the gateway's 503), quickly,
//     never INTERNAL and never a hang;
//   - it recovers by itself: once the proxy listens again, calls succeed
//     without restarting anything;
//   - nothing is half-written: every order a caller was told about exists,
//     orders cut off mid-way are settled by the check-back, every unit of
//     stock is accounted for, and the invariants hold.
func TestOrderDatabaseOutage(t *testing.T) {
	proxy := startProxy(t, mysqlAddr(t))
	const window = 5 * time.Second
	p := startPlatform(t, options{orderMySQLAddr: proxy.addr, paymentWindow: window})
	const initial = 1000
	productID := p.createProduct(t, 120, initial)

	var calls outcomes
	var keys atomic.Int64
	create := func(ctx context.Context) error {
		start := time.Now()
		o, err := p.createOrder(ctx, 21, fmt.Sprintf("outage-%d", keys.Add(1)), map[int64]int32{productID: 1})
		calls.record(o, err, time.Since(start))
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := create(ctx); err != nil {
		t.Fatalf("create an order before the outage: %v", err)
	}
	first := calls.snapshot().placed[0]

	// Two clients keep placing orders through the whole outage, so some
	// calls are cut off in the middle of their local transaction.
	stop := make(chan struct{})
	var clients sync.WaitGroup
	for range 2 {
		clients.Add(1)
		go func() {
			defer clients.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				_ = create(ctx)
				time.Sleep(50 * time.Millisecond)
			}
		}()
	}
	time.Sleep(300 * time.Millisecond)
	proxy.cut()
	cutAt := time.Now()
	time.Sleep(4 * time.Second)
	_, getErr := p.orders.GetOrder(ctx, &order.GetOrderRequest{OrderId: first, UserId: 21})
	proxy.restore(t)
	down := time.Since(cutAt)
	if !errs.Is(getErr, base.ErrorCode_UNAVAILABLE) {
		t.Fatalf("GetOrder while MariaDB was unreachable: %v, want UNAVAILABLE", getErr)
	}

	// It recovers by itself: a new order goes through soon after.
	before := len(calls.snapshot().placed)
	eventually(t, 20*time.Second, "an order is placed after MariaDB is back", func() (bool, string) {
		got := calls.snapshot()
		return len(got.placed) > before, fmt.Sprintf("failures so far %v", got.failures)
	})
	close(stop)
	clients.Wait()

	got := calls.snapshot()
	failed := 0
	for code, n := range got.failures {
		failed += n
		if code != base.ErrorCode_UNAVAILABLE {
			t.Errorf("%d calls failed with %v during the outage, want only UNAVAILABLE", n, code)
		}
	}
	if failed == 0 {
		t.Errorf("no call failed during a %v outage", down)
	}
	// The connection attempt is refused at once; only a call cut off in
	// flight waits, at most for the database's query timeout (5 s).
	if got.slowestFailure > 7*time.Second {
		t.Errorf("the slowest failed call took %v: callers must not hang on a dead database", got.slowestFailure)
	}
	t.Logf("outage %v: %d orders placed, failures %v, slowest failure %v",
		down.Round(time.Millisecond), len(got.placed), got.failures, got.slowestFailure.Round(time.Millisecond))

	for _, id := range got.placed {
		if _, ok := p.orderStatus(t, id); !ok {
			t.Fatalf("order %d was confirmed to its caller but is not stored", id)
		}
	}
	// Every order ends CANCELLED (nobody pays), and every reservation is
	// released: orders cut off mid-way by the check-back, the others by
	// their timeout.
	eventually(t, 90*time.Second, "every order and reservation settles", func() (bool, string) {
		open := p.queryInt(t, "order", "SELECT COUNT(*) FROM orders WHERE status = ?", int64(order.OrderStatus_PENDING_PAYMENT))
		held := p.queryInt(t, "product", "SELECT COUNT(*) FROM stock_reservations WHERE state = 'HELD'")
		return open == 0 && held == 0, fmt.Sprintf("%d orders pending, %d reservations held", open, held)
	})
	if got := p.stock(t, productID); got != (stock{available: initial}) {
		t.Fatalf("stock after settling = %+v, want all %d units available again", got, initial)
	}
	stored := p.queryInt(t, "order", "SELECT COUNT(*) FROM orders")
	reserved := p.queryInt(t, "product", "SELECT COUNT(*) FROM stock_reservations")
	t.Logf("%d orders stored; %d reservations belonged to orders cut off before they were stored, all released", stored, reserved-stored)
	p.checkConsistency(t)
}
