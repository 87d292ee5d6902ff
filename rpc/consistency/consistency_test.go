package consistency_test

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	"github.com/kitemall/platform/pkg/testenv"
	"github.com/kitemall/platform/rpc/consistency"
	orderdal "github.com/kitemall/platform/rpc/order/dal"
	paymentdal "github.com/kitemall/platform/rpc/payment/dal"
	productdal "github.com/kitemall/platform/rpc/product/dal"
)

// seeded is three migrated databases holding a small consistent history
// (all of it a minute old) on product 1, restocked with 10 units:
//
//	order 101: PAID by payment 1 (2 units, 200 cents), stock confirmed
//	order 102: CANCELLED by its timeout (1 unit), stock released
//	order 103: PENDING_PAYMENT (3 units), stock held
//	order 104: CANCELLED by its timeout, then paid late by payment 2,
//	           which was refunded (1 unit, 100 cents)
type seeded struct {
	dbs  consistency.DBs
	opts consistency.Options
}

func seed(t *testing.T) seeded {
	t.Helper()
	ctx := context.Background()
	open := func(migrate func(context.Context, *sql.DB) error) *sql.DB {
		_, db := testenv.OpenMySQL(t, testenv.MySQL(t))
		if err := migrate(ctx, db); err != nil {
			t.Fatal(err)
		}
		return db
	}
	s := seeded{dbs: consistency.DBs{Product: open(productdal.Migrate), Order: open(orderdal.Migrate), Payment: open(paymentdal.Migrate)}}
	now := time.Now().UTC().Truncate(time.Millisecond)
	s.opts = consistency.Options{Now: now, PaymentWindow: 30 * time.Minute, LocalTxWindow: 10 * time.Second, PaymentSettle: 35 * time.Second, Slack: 10 * time.Second}
	at := now.Add(-time.Minute)
	exec(t, s.dbs.Product,
		`INSERT INTO products (id, name, description, category, price_cents, status, available, reserved, sold, version, created_at, updated_at)
		 VALUES (1, 'mug', '', 'kitchen', 100, 1, 5, 3, 2, 9, ?, ?)`, at, at,
		`INSERT INTO stock_ledger (product_id, order_id, kind, available_delta, reserved_delta, sold_delta, created_at) VALUES
		 (1, NULL, 'restock', 10, 0, 0, ?),
		 (1, 101, 'reserve', -2, 2, 0, ?), (1, 101, 'confirm', 0, -2, 2, ?),
		 (1, 102, 'reserve', -1, 1, 0, ?), (1, 102, 'release', 1, -1, 0, ?),
		 (1, 103, 'reserve', -3, 3, 0, ?),
		 (1, 104, 'reserve', -1, 1, 0, ?), (1, 104, 'release', 1, -1, 0, ?)`, at, at, at, at, at, at, at, at,
		`INSERT INTO stock_reservations (order_id, state, created_at, updated_at) VALUES
		 (101, 'CONFIRMED', ?, ?), (102, 'RELEASED', ?, ?), (103, 'HELD', ?, ?), (104, 'RELEASED', ?, ?)`, at, at, at, at, at, at, at, at,
		`INSERT INTO stock_reservation_items (order_id, product_id, quantity) VALUES (101, 1, 2), (102, 1, 1), (103, 1, 3), (104, 1, 1)`,
	)
	exec(t, s.dbs.Order,
		`INSERT INTO orders (order_id, user_id, idempotency_key, status, total_cents, cancel_reason, paid_payment_id, created_at, updated_at) VALUES
		 (101, 7, 'a', 2, 200, '', 1, ?, ?),
		 (102, 7, 'b', 3, 100, 'payment window expired', NULL, ?, ?),
		 (103, 7, 'c', 1, 300, '', NULL, ?, ?),
		 (104, 7, 'd', 3, 100, 'payment window expired', NULL, ?, ?)`, at, at, at, at, at, at, at, at,
		`INSERT INTO order_items (order_id, line_no, product_id, name, unit_price_cents, quantity, subtotal_cents) VALUES
		 (101, 1, 1, 'mug', 100, 2, 200), (102, 1, 1, 'mug', 100, 1, 100), (103, 1, 1, 'mug', 100, 3, 300), (104, 1, 1, 'mug', 100, 1, 100)`,
		`INSERT INTO processed_messages (consumer, msg_key, processed_at) VALUES
		 ('order-payment', '1', ?), ('order-payment', '2', ?), ('order-timeout', '102', ?), ('order-timeout', '104', ?)`, at, at, at, at,
	)
	exec(t, s.dbs.Payment,
		`INSERT INTO payments (id, order_id, user_id, idempotency_key, amount_cents, method, status, provider_ref, failure_reason, succeeded_order_id, created_at, updated_at) VALUES
		 (1, 101, 7, 'p1', 200, 'card', 2, 'ch1', '', 101, ?, ?),
		 (2, 104, 7, 'p2', 100, 'card', 4, 'rf2', 'order 104 is CANCELLED', NULL, ?, ?)`, at, at, at, at,
		`INSERT INTO processed_messages (consumer, msg_key, processed_at) VALUES ('payment-refund', '2', ?)`, at,
	)
	return s
}

// exec runs statements, each followed by its arguments, on db.
func exec(t *testing.T, db *sql.DB, stmtsAndArgs ...any) {
	t.Helper()
	for i := 0; i < len(stmtsAndArgs); {
		stmt := stmtsAndArgs[i].(string)
		i++
		var args []any
		for i < len(stmtsAndArgs) {
			if _, isStmt := stmtsAndArgs[i].(string); isStmt {
				break
			}
			args = append(args, stmtsAndArgs[i])
			i++
		}
		if _, err := db.Exec(stmt, args...); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
}

func TestCheckPassesOnAConsistentHistory(t *testing.T) {
	s := seed(t)
	r, err := consistency.Check(context.Background(), s.dbs, s.opts)
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK() {
		t.Fatalf("violations on a consistent history:\n%s", r)
	}
	if r.Products != 1 || r.Orders["PAID"] != 1 || r.Orders["CANCELLED"] != 2 || r.Orders["PENDING_PAYMENT"] != 1 ||
		r.Payments["SUCCEEDED"] != 1 || r.Payments["REFUNDED"] != 1 {
		t.Fatalf("counted %d products, orders %v, payments %v", r.Products, r.Orders, r.Payments)
	}
	if !strings.Contains(r.String(), "OK: every invariant holds") {
		t.Fatalf("report:\n%s", r)
	}
}

func TestCheckFailsOnEachKindOfCorruption(t *testing.T) {
	old := time.Now().UTC().Add(-2 * time.Hour)
	tests := []struct {
		name    string
		corrupt func(t *testing.T, s seeded)
		rule    string
		subject string
	}{
		{"a unit of stock vanished", func(t *testing.T, s seeded) {
			exec(t, s.dbs.Product, `UPDATE products SET available = available - 1 WHERE id = 1`)
		}, consistency.RuleStockBalance, "product 1"},
		{"a counter disagrees with the ledger", func(t *testing.T, s seeded) {
			exec(t, s.dbs.Product, `UPDATE products SET available = available - 1, sold = sold + 1 WHERE id = 1`)
		}, consistency.RuleStockLedger, "product 1"},
		{"a counter went negative", func(t *testing.T, s seeded) {
			exec(t, s.dbs.Product, `ALTER TABLE products DROP CONSTRAINT chk_products_counters`,
				`UPDATE products SET available = -1, reserved = 9 WHERE id = 1`)
		}, consistency.RuleStockNegative, "product 1"},
		{"an order's stock was reserved twice", func(t *testing.T, s seeded) {
			exec(t, s.dbs.Product, `INSERT INTO stock_ledger (product_id, order_id, kind, available_delta, reserved_delta, sold_delta, created_at)
				VALUES (1, 103, 'reserve', -3, 3, 0, NOW(3))`, `UPDATE products SET available = 2, reserved = 6 WHERE id = 1`)
		}, consistency.RuleStockOnce, "order 103, product 1"},
		{"a pending order's stock was released", func(t *testing.T, s seeded) {
			exec(t, s.dbs.Product, `UPDATE stock_reservations SET state = 'RELEASED' WHERE order_id = 103`)
		}, consistency.RuleReservation, "order 103"},
		{"a paid order's stock is still held", func(t *testing.T, s seeded) {
			exec(t, s.dbs.Product, `UPDATE stock_reservations SET state = 'HELD' WHERE order_id = 101`)
		}, consistency.RuleReservation, "order 101"},
		{"a reservation holds other items than its order", func(t *testing.T, s seeded) {
			exec(t, s.dbs.Product, `UPDATE stock_reservation_items SET quantity = 4 WHERE order_id = 103`)
		}, consistency.RuleReservationItems, "order 103"},
		{"stock held for an order never stored", func(t *testing.T, s seeded) {
			exec(t, s.dbs.Product, `INSERT INTO stock_reservations (order_id, state, created_at, updated_at) VALUES (999, 'HELD', ?, ?)`, old, old)
		}, consistency.RuleReservation, "order 999"},
		{"a paid order lost its payment", func(t *testing.T, s seeded) {
			exec(t, s.dbs.Payment, `UPDATE payments SET status = 3, succeeded_order_id = NULL WHERE id = 1`)
		}, consistency.RulePaidOrder, "order 101"},
		{"a paid order was paid another amount", func(t *testing.T, s seeded) {
			exec(t, s.dbs.Payment, `UPDATE payments SET amount_cents = 199 WHERE id = 1`)
		}, consistency.RulePaidOrder, "order 101"},
		{"a succeeded payment never paid its order", func(t *testing.T, s seeded) {
			exec(t, s.dbs.Payment, `INSERT INTO payments (id, order_id, user_id, idempotency_key, amount_cents, method, status, succeeded_order_id, created_at, updated_at)
				VALUES (3, 103, 7, 'p3', 300, 'card', 2, 103, ?, ?)`, old, old)
		}, consistency.RuleSucceededPayment, "payment 3"},
		{"money kept for a cancelled order", func(t *testing.T, s seeded) {
			exec(t, s.dbs.Payment, `INSERT INTO payments (id, order_id, user_id, idempotency_key, amount_cents, method, status, succeeded_order_id, created_at, updated_at)
				VALUES (3, 102, 7, 'p3', 100, 'card', 2, 102, ?, ?)`, old, old)
		}, consistency.RuleCancelledOrderPayment, "payment 3"},
		{"the payment of a paid order was refunded", func(t *testing.T, s seeded) {
			exec(t, s.dbs.Payment, `UPDATE payments SET status = 4, succeeded_order_id = NULL WHERE id = 1`)
		}, consistency.RuleRefundedPayment, "payment 1"},
		{"a payment for an order that does not exist", func(t *testing.T, s seeded) {
			exec(t, s.dbs.Payment, `INSERT INTO payments (id, order_id, user_id, idempotency_key, amount_cents, method, status, created_at, updated_at)
				VALUES (3, 12345, 7, 'p3', 100, 'card', 3, NOW(3), NOW(3))`)
		}, consistency.RulePaymentOrder, "payment 3"},
		{"an order awaits payment past its window", func(t *testing.T, s seeded) {
			exec(t, s.dbs.Order, `UPDATE orders SET created_at = ? WHERE order_id = 103`, old)
		}, consistency.RulePendingOrder, "order 103"},
		{"a payment is stuck pending", func(t *testing.T, s seeded) {
			exec(t, s.dbs.Payment, `INSERT INTO payments (id, order_id, user_id, idempotency_key, amount_cents, method, status, created_at, updated_at)
				VALUES (3, 103, 7, 'p3', 300, 'card', 1, ?, ?)`, old, old)
		}, consistency.RulePendingPayment, "payment 3"},
		{"a message was recorded twice", func(t *testing.T, s seeded) {
			exec(t, s.dbs.Order, `ALTER TABLE processed_messages DROP PRIMARY KEY`,
				`INSERT INTO processed_messages (consumer, msg_key, processed_at) VALUES ('order-payment', '1', NOW(3))`)
		}, consistency.RuleProcessedOnce, "order-payment message 1"},
		{"an order became paid without its message", func(t *testing.T, s seeded) {
			exec(t, s.dbs.Order, `DELETE FROM processed_messages WHERE consumer = 'order-payment' AND msg_key = '1'`)
		}, consistency.RuleMessageEffect, "order 101"},
		{"an order timed out without its message", func(t *testing.T, s seeded) {
			exec(t, s.dbs.Order, `DELETE FROM processed_messages WHERE consumer = 'order-timeout' AND msg_key = '102'`)
		}, consistency.RuleMessageEffect, "order 102"},
		{"a refund message had no effect", func(t *testing.T, s seeded) {
			exec(t, s.dbs.Payment, `UPDATE payments SET status = 2, succeeded_order_id = 104 WHERE id = 2`)
		}, consistency.RuleMessageEffect, "payment 2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := seed(t)
			tc.corrupt(t, s)
			r, err := consistency.Check(context.Background(), s.dbs, s.opts)
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, v := range r.Broken(tc.rule) {
				found = found || v.Subject == tc.subject
			}
			if r.OK() || !found || !strings.Contains(r.String(), "FAILED") {
				t.Fatalf("want a %s violation of %s, got:\n%s", tc.rule, tc.subject, r)
			}
			t.Logf("%d violations, e.g. %s", len(r.Violations), r.Broken(tc.rule)[0])
		})
	}
}

func TestCheckToleratesFlowsStillInFlight(t *testing.T) {
	s := seed(t)
	recent := s.opts.Now.Add(-2 * time.Second)
	// A late payment of order 102 that the order service has just seen
	// (its refund is on its way), and a paid order whose stock is about
	// to be confirmed: both are fine within the slack.
	exec(t, s.dbs.Payment, `INSERT INTO payments (id, order_id, user_id, idempotency_key, amount_cents, method, status, succeeded_order_id, created_at, updated_at)
		VALUES (3, 102, 7, 'p3', 100, 'card', 2, 102, ?, ?)`, recent, recent)
	exec(t, s.dbs.Product, `UPDATE stock_reservations SET state = 'HELD' WHERE order_id = 101`,
		`INSERT INTO stock_reservations (order_id, state, created_at, updated_at) VALUES (105, 'HELD', ?, ?)`, recent, recent)
	exec(t, s.dbs.Order, `UPDATE orders SET updated_at = ? WHERE order_id = 101`, recent)
	r, err := consistency.Check(context.Background(), s.dbs, s.opts)
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK() {
		t.Fatalf("flows in flight reported as violations:\n%s", r)
	}
	s.opts.Now = s.opts.Now.Add(time.Minute)
	r, err = consistency.Check(context.Background(), s.dbs, s.opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, rule := range []string{consistency.RuleCancelledOrderPayment, consistency.RuleReservation} {
		if len(r.Broken(rule)) == 0 {
			t.Fatalf("a minute later, want %s violations:\n%s", rule, r)
		}
	}
}

func TestCheckExemptsChangesOlderThanTheRecordRetention(t *testing.T) {
	s := seed(t)
	// The purger deleted every record, as it does once they are older than
	// the retention; the history itself is a minute old.
	exec(t, s.dbs.Order, `DELETE FROM processed_messages`)
	exec(t, s.dbs.Payment, `DELETE FROM processed_messages`)
	for _, tc := range []struct {
		name      string
		retention time.Duration
		ok        bool
	}{
		{"records kept forever: their absence is a violation", 0, false},
		{"changes younger than the retention still need their record", time.Hour, false},
		{"changes older than the retention need none", 30 * time.Second, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := s.opts
			opts.ProcessedRetention = tc.retention
			r, err := consistency.Check(context.Background(), s.dbs, opts)
			if err != nil {
				t.Fatal(err)
			}
			if r.OK() != tc.ok || (!tc.ok && len(r.Broken(consistency.RuleMessageEffect)) != 4) {
				t.Fatalf("retention %v: want ok=%v (else the 4 message-effect violations of orders 101, 102, 104 and payment 2), got:\n%s", tc.retention, tc.ok, r)
			}
		})
	}
}
