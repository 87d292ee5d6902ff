package app_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/kitemall/platform/kitex_gen/base"
	"github.com/kitemall/platform/kitex_gen/order"
	"github.com/kitemall/platform/pkg/errs"
	"github.com/kitemall/platform/pkg/mysqlx"
	"github.com/kitemall/platform/pkg/testenv"
	"github.com/kitemall/platform/rpc/order/app"
	"github.com/kitemall/platform/rpc/order/service"
)

// The flows over the real RocketMQ broker: order.created's transaction and
// check-back, and the payment window's timer message. The payment flows
// are tested in rpc/payment/app, which runs all three services.

const window = 3 * time.Second

func shortWindow(c *app.Config) { c.PaymentWindow = window }

// waitOrder polls GetOrder until the order reaches status or timeout passes.
func (s stack) waitOrder(t *testing.T, userID, orderID int64, status order.OrderStatus, timeout time.Duration) *order.Order {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		resp, err := s.orders.GetOrder(context.Background(), &order.GetOrderRequest{OrderId: orderID, UserId: userID})
		if err != nil {
			t.Fatal(err)
		}
		if resp.Order.Status == status {
			return resp.Order
		}
		if time.Now().After(deadline) {
			t.Fatalf("order %d is %v after %v, want %v", orderID, resp.Order.Status, timeout, status)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// ledger counts the product service's stock movements of an order by kind.
func (s stack) ledger(t *testing.T, orderID int64) map[string]int {
	t.Helper()
	db := s.openDB(t, s.productCfg.MySQL)
	rows, err := db.Query(`SELECT kind, COUNT(*) FROM stock_ledger WHERE order_id = ? GROUP BY kind`, orderID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var kind string
		var n int
		if err := rows.Scan(&kind, &n); err != nil {
			t.Fatal(err)
		}
		out[kind] = n
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func (s stack) openDB(t *testing.T, cfg mysqlx.Config) *sql.DB {
	t.Helper()
	_, db := testenv.OpenMySQL(t, cfg)
	return db
}

// Proves flow 2: order.created's consumer schedules the order.timeout timer
// message, which cancels the unpaid order when its window ends and
// releases its stock exactly once; GetOrder shows it without the client
// doing anything; the invariants hold.
func TestUnpaidOrderIsCancelledWhenItsWindowEnds(t *testing.T) {
	s := startStack(t, shortWindow)
	ctx := context.Background()
	p := s.newProducts(t, 1, 10)[0]
	created, err := s.orders.CreateOrder(ctx, &order.CreateOrderRequest{UserId: 201, IdempotencyKey: "unpaid",
		Items: []*order.OrderItemInput{{ProductId: p.ProductId, Quantity: 4}}})
	if err != nil {
		t.Fatal(err)
	}
	if got := s.stock(t, p.ProductId); got != 6 {
		t.Fatalf("stock %d after the order, want 6", got)
	}
	start := time.Now()
	o := s.waitOrder(t, 201, created.Order.OrderId, order.OrderStatus_CANCELLED, window+20*time.Second)
	t.Logf("cancelled %v after creation (window %v)", time.Since(start).Round(time.Millisecond), window)
	if o.CancelReason != service.ExpireReason || time.UnixMilli(o.UpdatedAtUnixMs).Before(time.UnixMilli(o.CreatedAtUnixMs).Add(window-time.Second)) {
		t.Fatalf("cancelled order %+v, want reason %q and not before its window ended", o, service.ExpireReason)
	}
	// The release follows the status change within the same delivery.
	deadline := time.Now().Add(10 * time.Second)
	for s.stock(t, p.ProductId) != 10 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if got, moves := s.stock(t, p.ProductId), s.ledger(t, o.OrderId); got != 10 || moves["reserve"] != 1 || moves["release"] != 1 || len(moves) != 2 {
		t.Fatalf("stock %d, ledger %v; want 10, one reserve and one release", got, moves)
	}
	if r := s.check(t); !r.OK() {
		t.Fatalf("invariants after the timeout:\n%s", r)
	}
}

// Proves flow 1's rollback path on the real broker: when the order's insert
// cannot commit within its local transaction (another transaction holds a
// lock on its idempotency key), the caller gets UNAVAILABLE, the half
// message stays open, and once the local-transaction window has passed
// the check-back finds no order, releases the reserved stock exactly once
// and rolls the message back, so no timer is ever scheduled for it.
func TestOrderThatNeverCommitsHasItsStockReleasedByTheCheckBack(t *testing.T) {
	s := startStack(t, func(c *app.Config) {
		shortWindow(c)
		// The blocked insert must give up well within the caller's 2 s.
		c.Messaging.LocalTxTimeout, c.Messaging.LocalTxWindow = time.Second, 2*time.Second
	})
	ctx := context.Background()
	p := s.newProducts(t, 1, 10)[0]
	const user, key = 202, "blocked"

	// A gap lock on (user, key) blocks the insert, not the replay check.
	db := s.openDB(t, s.orderCfg.MySQL)
	blocker, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := blocker.Exec(`SELECT order_id FROM orders WHERE user_id = ? AND idempotency_key = ? FOR UPDATE`, user, key); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = s.orders.CreateOrder(ctx, &order.CreateOrderRequest{UserId: user, IdempotencyKey: key,
		Items: []*order.OrderItemInput{{ProductId: p.ProductId, Quantity: 3}}})
	if !errs.Is(err, base.ErrorCode_UNAVAILABLE) {
		t.Fatalf("CreateOrder with its insert blocked: err %v, want UNAVAILABLE", err)
	}
	if got := s.stock(t, p.ProductId); got != 7 {
		t.Fatalf("stock %d right after the failed create, want 7: the check-back decides", got)
	}
	if err := blocker.Rollback(); err != nil {
		t.Fatal(err)
	}

	deadline := time.Now().Add(30 * time.Second)
	for s.stock(t, p.ProductId) != 10 {
		if time.Now().After(deadline) {
			t.Fatalf("stock %d after 30 s, want 10: the check-back never released the order's stock", s.stock(t, p.ProductId))
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("the check-back released the stock %v after the create", time.Since(start).Round(time.Millisecond))
	if took := time.Since(start); took < s.orderCfg.Messaging.LocalTxWindow {
		t.Fatalf("stock released after %v, before the %v window in which the local transaction may still commit", took, s.orderCfg.Messaging.LocalTxWindow)
	}
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM orders WHERE user_id = ?`, user).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d orders stored (err %v), want none", n, err)
	}
	// Past the payment window too: a rolled-back message schedules no
	// timer, and the replay after it places a new order.
	time.Sleep(window)
	replay, err := s.orders.CreateOrder(ctx, &order.CreateOrderRequest{UserId: user, IdempotencyKey: key,
		Items: []*order.OrderItemInput{{ProductId: p.ProductId, Quantity: 3}}})
	if err != nil || !replay.Created {
		t.Fatalf("retry after the rollback: %+v, %v; want a new order", replay, err)
	}
	for _, moves := range s.ledgerByOrder(t, p.ProductId) {
		if moves["reserve"] != 1 || moves["release"] > 1 {
			t.Fatalf("ledger by order %v, want each order reserved once and released at most once", s.ledgerByOrder(t, p.ProductId))
		}
	}
	if r := s.check(t); !r.OK() {
		t.Fatalf("invariants after the rollback:\n%s", r)
	}
}

// ledgerByOrder returns, per order, the counts of a product's movements.
func (s stack) ledgerByOrder(t *testing.T, productID int64) map[int64]map[string]int {
	t.Helper()
	db := s.openDB(t, s.productCfg.MySQL)
	rows, err := db.Query(`SELECT order_id, kind, COUNT(*) FROM stock_ledger WHERE product_id = ? AND order_id IS NOT NULL GROUP BY order_id, kind`, productID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[int64]map[string]int{}
	for rows.Next() {
		var id int64
		var kind string
		var n int
		if err := rows.Scan(&id, &kind, &n); err != nil {
			t.Fatal(err)
		}
		if out[id] == nil {
			out[id] = map[string]int{}
		}
		out[id][kind] = n
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
