package faulttest

import (
	"context"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kitemall/platform/kitex_gen/base"
	"github.com/kitemall/platform/kitex_gen/order"
	"github.com/kitemall/platform/kitex_gen/payment"
)

// Proves that a broker crash in the middle of a run of a few hundred
// orders (each created, then paid, by several clients at once) loses
// nothing and doubles nothing: the broker is killed with SIGKILL and
// restarted while the clients keep going; every order then reaches a final
// state (PAID, or CANCELLED when its payment did not get through before the
// window closed, with the payment refunded), no payment stays PENDING, and
// the invariants hold. Calls that fail while the broker is down fail with a
// ServiceError the caller can act on, never an internal error, and the run
// recovers once the broker is back.
func TestBrokerRestartDuringAnOrderRun(t *testing.T) {
	const (
		clients = 6
		// Orders start at this rate: before, during and after the restart.
		rate          = 30
		before, after = 100, 150
		window        = 10 * time.Second
		initialStock  = 1000
		productsInRun = 3
	)
	broker := privateRocketMQ(t)
	p := startPlatform(t, options{paymentWindow: window})
	products := make([]int64, productsInRun)
	for i := range products {
		products[i] = p.createProduct(t, int64(100+i), initialStock)
	}

	// Orders are numbered in start order; afterFrom is the first one
	// started once the broker was back.
	var created, paid, createdAfter outcomes
	var afterFrom atomic.Int64
	afterFrom.Store(math.MaxInt64)
	jobs := make(chan int)
	var wg sync.WaitGroup
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				userID := int64(1000 + i%10)
				start := time.Now()
				o, err := p.createOrder(ctx, userID, fmt.Sprintf("run-%d", i), map[int64]int32{products[i%len(products)]: 1})
				created.record(o, err, time.Since(start))
				if int64(i) >= afterFrom.Load() {
					createdAfter.record(o, err, time.Since(start))
				}
				if err != nil {
					continue
				}
				start = time.Now()
				pm, err := p.pay(ctx, userID, o.OrderId, fmt.Sprintf("run-%d-pay", i))
				paid.record(o, err, time.Since(start))
				if err == nil && pm.Status != payment.PaymentStatus_SUCCEEDED {
					t.Errorf("order %d: Pay answered payment %d %v, want SUCCEEDED (the sandbox declines nothing here)", o.OrderId, pm.PaymentId, pm.Status)
				}
			}
		}()
	}

	type restart struct {
		took time.Duration
		err  error
	}
	restarted := make(chan restart, 1)
	tick := time.NewTicker(time.Second / rate)
	defer tick.Stop()
	runStart := time.Now()
	var down restart
	i := 0
	for ; i < before; i++ {
		<-tick.C
		jobs <- i
	}
	go func() {
		took, err := broker.restartBroker()
		restarted <- restart{took, err}
	}()
	for during := true; during; i++ {
		<-tick.C
		select {
		case down = <-restarted:
			afterFrom.Store(int64(i))
			during = false
		default:
		}
		jobs <- i
	}
	for end := i + after; i < end; i++ {
		<-tick.C
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	if down.err != nil {
		t.Fatal(down.err)
	}

	c, pd, ca := created.snapshot(), paid.snapshot(), createdAfter.snapshot()
	t.Logf("%d orders in %v, broker down for %v: created %d (failures %v), paid %d (failures %v, slowest failure %v); after the restart %d of %d created",
		i, time.Since(runStart).Round(time.Millisecond), down.took.Round(time.Millisecond),
		len(c.placed), c.failures, len(pd.placed), pd.failures, pd.slowestFailure.Round(time.Millisecond),
		len(ca.placed), int64(i)-afterFrom.Load())
	for _, f := range []map[base.ErrorCode]int{c.failures, pd.failures} {
		for code, n := range f {
			if code != base.ErrorCode_UNAVAILABLE {
				t.Errorf("%d calls failed with %v: a broker outage must surface as UNAVAILABLE, which callers retry", n, code)
			}
		}
	}
	if startedAfter := int64(i) - afterFrom.Load(); int64(len(ca.placed)) < startedAfter*9/10 {
		t.Fatalf("only %d of the %d orders started after the broker was back were created: the run did not recover", len(ca.placed), startedAfter)
	}

	// Final: no order awaits payment, no payment awaits its outcome, and
	// every SUCCEEDED payment paid its order (the others were refunded).
	settleStart := time.Now()
	settled := waitFor(5*time.Minute, func() (bool, string) {
		open := p.queryInt(t, "order", "SELECT COUNT(*) FROM orders WHERE status = ?", int64(order.OrderStatus_PENDING_PAYMENT))
		pending := p.queryInt(t, "payment", "SELECT COUNT(*) FROM payments WHERE status = ?", int64(payment.PaymentStatus_PENDING))
		succeeded := p.queryInt(t, "payment", "SELECT COUNT(*) FROM payments WHERE status = ?", int64(payment.PaymentStatus_SUCCEEDED))
		paidOrders := p.queryInt(t, "order", "SELECT COUNT(*) FROM orders WHERE status = ?", int64(order.OrderStatus_PAID))
		return open == 0 && pending == 0 && succeeded == paidOrders,
			fmt.Sprintf("%d orders PENDING_PAYMENT, %d payments PENDING, %d payments SUCCEEDED for %d PAID orders", open, pending, succeeded, paidOrders)
	})
	if !settled.ok {
		// The checker names the orders and payments that are stuck.
		p.checkConsistency(t)
		t.Fatalf("not every order and payment reached a final state within %v: %s", settled.waited, settled.state)
	}
	stored := p.queryInt(t, "order", "SELECT COUNT(*) FROM orders")
	if stored < int64(len(c.placed)) {
		t.Fatalf("%d orders stored, but %d creations were confirmed to their callers", stored, len(c.placed))
	}
	paidOrders := p.queryInt(t, "order", "SELECT COUNT(*) FROM orders WHERE status = ?", int64(order.OrderStatus_PAID))
	refunded := p.queryInt(t, "payment", "SELECT COUNT(*) FROM payments WHERE status = ?", int64(payment.PaymentStatus_REFUNDED))
	t.Logf("settled %v after the run: %d orders stored, %d PAID, %d CANCELLED; %d payments refunded",
		time.Since(settleStart).Round(time.Second), stored, paidOrders, stored-paidOrders, refunded)
	if paidOrders == 0 {
		t.Fatal("no order reached PAID")
	}
	p.checkConsistency(t)
}
