package app_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"testing"
	"time"

	"github.com/kitemall/platform/kitex_gen/order"
	"github.com/kitemall/platform/kitex_gen/payment"
	"github.com/kitemall/platform/kitex_gen/product"
	"github.com/kitemall/platform/pkg/mq"
	"github.com/kitemall/platform/pkg/mysqlx"
	"github.com/kitemall/platform/pkg/testenv"
	orderservice "github.com/kitemall/platform/rpc/order/service"
	"github.com/kitemall/platform/rpc/payment/app"
	"github.com/kitemall/platform/rpc/payment/events"
)

// The payment flows over the real RocketMQ broker, with all three services
// running: payment.succeeded makes the order PAID and its stock sold; a
// payment the order cannot take is refunded through payment.refund; a
// payment left PENDING is settled by the sweeper; a duplicate message
// changes nothing. The invariant checker passes after each.

var flowTests = flows{
	paymentWindow: 6 * time.Second,
	// Above settle_timeout (2 s) + local_tx_timeout (1 s).
	sweep: app.SweeperConfig{Interval: 500 * time.Millisecond, RedriveAfter: 3500 * time.Millisecond, Batch: 10},
}

func TestPaymentFlows(t *testing.T) {
	s := startStack(t, flowTests)
	ctx := context.Background()
	productDB := openDB(t, s.productCfg.MySQL)
	orderDB := openDB(t, s.orderCfg.MySQL)
	paymentDB := openDB(t, s.paymentCfg.MySQL)
	checkOK := func(t *testing.T) {
		t.Helper()
		if r := s.check(t); !r.OK() {
			t.Fatalf("the invariants do not hold:\n%s", r)
		}
	}

	t.Run("a payment makes the order PAID and its stock sold, and a duplicate message changes nothing", func(t *testing.T) {
		o := s.newOrder(t, buyer)
		paid, err := s.payments.Pay(ctx, &payment.PayRequest{OrderId: o.OrderId, UserId: buyer, Method: "card", IdempotencyKey: "flow-1"})
		if err != nil || paid.Payment.Status != payment.PaymentStatus_SUCCEEDED {
			t.Fatalf("pay = %+v, %v", paid, err)
		}
		start := time.Now()
		s.waitOrder(t, buyer, o.OrderId, order.OrderStatus_PAID)
		t.Logf("order PAID %v after Pay answered", time.Since(start).Round(time.Millisecond))
		waitFor(t, "the order's stock confirmed", func() bool { return reservation(t, productDB, o.OrderId) == "CONFIRMED" })
		productID := o.Items[0].ProductId
		if got := s.productStock(t, productID); got != (stock{available: 8, sold: 2}) {
			t.Fatalf("product %+v, want 8 available and 2 sold", got)
		}
		checkOK(t)

		// The same payment.succeeded again, as a redelivery would bring it.
		before := snapshot(t, productDB, orderDB, paymentDB, o.OrderId)
		ns := s.orderCfg.Messaging.Namespace
		group, topic := mq.Namespaced(orderservice.ConsumerPayment, ns), mq.Namespaced(events.TopicPaymentSucceeded, ns)
		consumed := s.consumed(t, group, topic)
		body, err := json.Marshal(events.PaymentSucceeded{PaymentID: paid.Payment.PaymentId, OrderID: o.OrderId, UserID: buyer, AmountCents: paid.Payment.AmountCents})
		if err != nil {
			t.Fatal(err)
		}
		p, err := mq.NewProducer(s.orderCfg.Messaging.RocketMQ, "dup_"+testenv.Unique())
		if err != nil {
			t.Fatal(err)
		}
		defer p.Shutdown()
		if err := p.Send(ctx, topic, events.Key(paid.Payment.PaymentId), body, nil); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the duplicate consumed", func() bool { return s.consumed(t, group, topic) == consumed+1 })
		// The refund consumer would act a moment later: give it that moment.
		time.Sleep(time.Second)
		if after := snapshot(t, productDB, orderDB, paymentDB, o.OrderId); !reflect.DeepEqual(after, before) {
			t.Fatalf("the duplicate changed the state:\nbefore %v\nafter  %v", before, after)
		}
		checkOK(t)
	})

	t.Run("the sweeper settles a payment a crash left pending, and the order becomes PAID", func(t *testing.T) {
		o := s.newOrder(t, buyer)
		// Pay died after claiming the payment, before recording its outcome.
		id := insertPending(t, paymentDB, o, "crashed")
		s.waitOrder(t, buyer, o.OrderId, order.OrderStatus_PAID)
		got, err := s.payments.GetPayment(ctx, &payment.GetPaymentRequest{PaymentId: id, UserId: buyer})
		if err != nil || got.Payment.Status != payment.PaymentStatus_SUCCEEDED || got.Payment.ProviderRef == "" {
			t.Fatalf("payment = %+v, %v; want SUCCEEDED with the provider's reference", got, err)
		}
		waitFor(t, "the order's stock confirmed", func() bool { return reservation(t, productDB, o.OrderId) == "CONFIRMED" })
		checkOK(t)
	})

	t.Run("a payment that arrives after the timeout cancelled the order is refunded", func(t *testing.T) {
		o := s.newOrder(t, buyer)
		s.waitOrder(t, buyer, o.OrderId, order.OrderStatus_CANCELLED)
		// Pay found the order awaiting payment and charged it, then
		// stalled past the window: the sweeper settles it SUCCEEDED and
		// the order service, finding the order cancelled, asks for a refund.
		id := insertPending(t, paymentDB, o, "late")
		start := time.Now()
		var got *payment.Payment
		waitFor(t, "the late payment refunded", func() bool {
			resp, err := s.payments.GetPayment(ctx, &payment.GetPaymentRequest{PaymentId: id, UserId: buyer})
			if err != nil {
				t.Fatal(err)
			}
			got = resp.Payment
			return got.Status == payment.PaymentStatus_REFUNDED
		})
		t.Logf("late payment REFUNDED %v after it was left pending", time.Since(start).Round(time.Millisecond))
		if got.FailureReason == "" || got.ProviderRef == "" {
			t.Fatalf("refunded payment %+v, want the reason and the refund's reference", got)
		}
		resp, err := s.orders.GetOrder(ctx, &order.GetOrderRequest{OrderId: o.OrderId, UserId: buyer})
		if err != nil || resp.Order.Status != order.OrderStatus_CANCELLED {
			t.Fatalf("order = %+v, %v; want it still CANCELLED", resp, err)
		}
		// The timeout's release follows its status change in the same delivery.
		waitFor(t, "all 10 units back and none sold", func() bool {
			return s.productStock(t, o.Items[0].ProductId) == (stock{available: 10})
		})
		checkOK(t)
	})
}

func openDB(t *testing.T, cfg mysqlx.Config) *sql.DB {
	t.Helper()
	_, db := testenv.OpenMySQL(t, cfg)
	return db
}

// waitFor polls cond for up to 20 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 20 s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitOrder polls GetOrder until the order has status.
func (s stack) waitOrder(t *testing.T, userID, orderID int64, status order.OrderStatus) {
	t.Helper()
	waitFor(t, fmt.Sprintf("order %d %v", orderID, status), func() bool {
		resp, err := s.orders.GetOrder(context.Background(), &order.GetOrderRequest{OrderId: orderID, UserId: userID})
		if err != nil {
			t.Fatal(err)
		}
		return resp.Order.Status == status
	})
}

type stock struct{ available, sold int64 }

func (s stack) productStock(t *testing.T, productID int64) stock {
	t.Helper()
	resp, err := s.products.GetProduct(context.Background(), &product.GetProductRequest{ProductId: productID})
	if err != nil {
		t.Fatal(err)
	}
	var sold int64
	db := openDB(t, s.productCfg.MySQL)
	if err := db.QueryRow(`SELECT sold FROM products WHERE id = ?`, productID).Scan(&sold); err != nil {
		t.Fatal(err)
	}
	return stock{available: resp.Product.Stock, sold: sold}
}

// consumed reads mq_consumed_total{result="ok"} of a group and topic.
func (s stack) consumed(t *testing.T, group, topic string) float64 {
	t.Helper()
	families, err := s.tel.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"group": group, "topic": topic, "result": "ok"}
	for _, f := range families {
		if f.GetName() != "mq_consumed_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if maps.Equal(labels, want) {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

func reservation(t *testing.T, db *sql.DB, orderID int64) string {
	t.Helper()
	var state string
	err := db.QueryRow(`SELECT state FROM stock_reservations WHERE order_id = ?`, orderID).Scan(&state)
	if err != nil && err != sql.ErrNoRows {
		t.Fatal(err)
	}
	return state
}

// insertPending stores a PENDING payment of o's total, last touched 10 s
// ago, as a Pay that died after claiming it leaves it; it returns its ID.
func insertPending(t *testing.T, db *sql.DB, o *order.Order, key string) int64 {
	t.Helper()
	at := time.Now().UTC().Add(-10 * time.Second)
	res, err := db.Exec(`INSERT INTO payments (order_id, user_id, idempotency_key, amount_cents, method, status, created_at, updated_at)
		VALUES (?, ?, ?, ?, 'card', ?, ?, ?)`, o.OrderId, o.UserId, key, o.TotalCents, int64(payment.PaymentStatus_PENDING), at, at)
	if err != nil {
		t.Fatal(err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// snapshot is everything a payment.succeeded could change: the order row,
// the product's books for the order, the payments and the consumers'
// records.
func snapshot(t *testing.T, productDB, orderDB, paymentDB *sql.DB, orderID int64) []string {
	t.Helper()
	var out []string
	for _, q := range []struct {
		db    *sql.DB
		query string
		args  []any
	}{
		{orderDB, `SELECT CONCAT_WS(' ', status, paid_payment_id, updated_at) FROM orders WHERE order_id = ?`, []any{orderID}},
		{orderDB, `SELECT CONCAT_WS(' ', consumer, msg_key, processed_at) FROM processed_messages ORDER BY consumer, msg_key`, nil},
		{productDB, `SELECT CONCAT_WS(' ', state, updated_at) FROM stock_reservations WHERE order_id = ?`, []any{orderID}},
		{productDB, `SELECT CONCAT_WS(' ', id, kind, product_id, available_delta, reserved_delta, sold_delta) FROM stock_ledger WHERE order_id = ? ORDER BY id`, []any{orderID}},
		{paymentDB, `SELECT CONCAT_WS(' ', id, status, provider_ref, updated_at) FROM payments WHERE order_id = ? ORDER BY id`, []any{orderID}},
		{paymentDB, `SELECT CONCAT_WS(' ', consumer, msg_key, processed_at) FROM processed_messages ORDER BY consumer, msg_key`, nil},
	} {
		rows, err := q.db.Query(q.query, q.args...)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				t.Fatal(err)
			}
			out = append(out, line)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
	}
	return out
}
