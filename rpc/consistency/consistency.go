// Package consistency checks the invariants that the product, order and
// payment services keep together through their RocketMQ flows: no unit of
// stock, order or payment is lost or doubled. It reads the three services'
// databases directly (each in one consistent snapshot) and reports every
// violation with the IDs involved. The flow tests run it after each flow;
// `make verify-consistency` runs it against a running stack.
//
// The databases are read one after the other while the flows may still be
// moving, so a state that is legitimately in flight (a payment whose
// message is on its way, an order inside its payment window) is not a
// violation until it is older than Options.Slack; check a quiet system for
// a strict verdict.
package consistency

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/kitemall/platform/kitex_gen/order"
	"github.com/kitemall/platform/kitex_gen/payment"
	orderservice "github.com/kitemall/platform/rpc/order/service"
	paymentservice "github.com/kitemall/platform/rpc/payment/service"
)

// The rules a Violation names.
const (
	// RuleStockBalance: per product, the stock ever added (initial stock
	// and restocks, from the ledger) equals available + reserved + sold.
	RuleStockBalance = "stock-balance"
	// RuleStockNegative: no stock counter is below zero.
	RuleStockNegative = "stock-negative"
	// RuleStockLedger: each counter equals the sum of its ledger deltas.
	RuleStockLedger = "stock-ledger"
	// RuleStockOnce: an order's stock of a product is reserved at most
	// once and then released or confirmed at most once, never both.
	RuleStockOnce = "stock-once"
	// RuleReservation: an order's reservation matches its status
	// (PENDING_PAYMENT holds it, PAID confirmed it, CANCELLED released it
	// or never had one), and no stock is held for an order that does not
	// exist once its local transaction is over.
	RuleReservation = "reservation"
	// RuleReservationItems: a reservation holds exactly the order's items.
	RuleReservationItems = "reservation-items"
	// RulePaidOrder: a PAID order has exactly one SUCCEEDED payment, of
	// its total, and it is the payment the order records.
	RulePaidOrder = "paid-order"
	// RuleSucceededPayment: a SUCCEEDED payment belongs to an order it
	// paid.
	RuleSucceededPayment = "succeeded-payment"
	// RuleCancelledOrderPayment: a payment of a CANCELLED order ends
	// REFUNDED (or FAILED): no money is kept for a cancelled order.
	RuleCancelledOrderPayment = "cancelled-order-payment"
	// RuleRefundedPayment: a REFUNDED payment is not the one that paid its
	// order.
	RuleRefundedPayment = "refunded-payment"
	// RulePaymentOrder: every payment is for an order that exists.
	RulePaymentOrder = "payment-order"
	// RulePendingOrder: no order stays PENDING_PAYMENT longer than the
	// payment window.
	RulePendingOrder = "pending-order"
	// RulePendingPayment: no payment stays PENDING longer than it takes
	// the sweeper to settle it.
	RulePendingPayment = "pending-payment"
	// RuleProcessedOnce: a consumer records each message key once.
	RuleProcessedOnce = "processed-once"
	// RuleMessageEffect: every applied message had its effect, and every
	// effect that only a message makes came from one (a PAID order from
	// its payment.succeeded, a refund of an unpaid order from its
	// payment.refund, a timed-out order from its order.timeout).
	RuleMessageEffect = "message-effect"
)

// DBs are the three services' databases, opened with parseTime and UTC
// (as pkg/mysqlx opens them).
type DBs struct {
	Product *sql.DB
	Order   *sql.DB
	Payment *sql.DB
}

// Options are the services' settings the age rules depend on.
type Options struct {
	// Now is the time ages are measured at; zero means time.Now().
	Now time.Time
	// PaymentWindow is the order service's payment_window.
	PaymentWindow time.Duration
	// LocalTxWindow is the order service's messaging.local_tx_window: how
	// long stock may be held for an order that is not stored yet.
	LocalTxWindow time.Duration
	// PaymentSettle is how long a payment may stay PENDING before the
	// sweeper settles it: the payment service's sweeper.redrive_after
	// plus sweeper.interval.
	PaymentSettle time.Duration
	// Slack is how long a flow may take to settle once it started
	// (message delivery, retries); states younger than that are in flight.
	Slack time.Duration
	// ProcessedRetention is the services' messaging.processed_retention:
	// processed-message records older than that may have been purged, so
	// an entity last changed before then is not required to have one.
	// 0: records are kept forever.
	ProcessedRetention time.Duration
}

// Violation is one broken invariant.
type Violation struct {
	Rule string
	// Subject names the entity, such as "order 123" or "product 7".
	Subject string
	Detail  string
}

func (v Violation) String() string { return v.Rule + ": " + v.Subject + ": " + v.Detail }

// Report is the outcome of one check.
type Report struct {
	CheckedAt time.Time
	Products  int
	// Orders and Payments count the rows by status name.
	Orders     map[string]int
	Payments   map[string]int
	Violations []Violation
}

// OK reports whether every invariant holds.
func (r Report) OK() bool { return len(r.Violations) == 0 }

// Broken returns the violations of rule.
func (r Report) Broken(rule string) []Violation {
	var out []Violation
	for _, v := range r.Violations {
		if v.Rule == rule {
			out = append(out, v)
		}
	}
	return out
}

// String is the report for a person: the counts, then each violation.
func (r Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "consistency check at %s: %d products, orders %s, payments %s\n",
		r.CheckedAt.Format(time.RFC3339), r.Products, counts(r.Orders), counts(r.Payments))
	if r.OK() {
		b.WriteString("OK: every invariant holds\n")
		return b.String()
	}
	fmt.Fprintf(&b, "FAILED: %d violations\n", len(r.Violations))
	for _, v := range r.Violations {
		b.WriteString("  " + v.String() + "\n")
	}
	return b.String()
}

func counts(m map[string]int) string {
	if len(m) == 0 {
		return "none"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%d", k, m[k])
	}
	return strings.Join(parts, " ")
}

// Check reads the three databases and checks every rule.
func Check(ctx context.Context, dbs DBs, opts Options) (Report, error) {
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	var st state
	if err := snapshot(ctx, dbs.Product, "product", st.loadProduct); err != nil {
		return Report{}, err
	}
	if err := snapshot(ctx, dbs.Order, "order", st.loadOrder); err != nil {
		return Report{}, err
	}
	if err := snapshot(ctx, dbs.Payment, "payment", st.loadPayment); err != nil {
		return Report{}, err
	}
	c := checker{st: &st, opts: opts}
	c.stock()
	c.reservations()
	c.payments()
	c.ages()
	c.messages()
	sort.SliceStable(c.out, func(i, j int) bool {
		if c.out[i].Rule != c.out[j].Rule {
			return c.out[i].Rule < c.out[j].Rule
		}
		return c.out[i].Subject < c.out[j].Subject
	})
	r := Report{CheckedAt: opts.Now.UTC(), Products: len(st.products), Orders: map[string]int{}, Payments: map[string]int{}, Violations: c.out}
	for _, o := range st.orders {
		r.Orders[order.OrderStatus(o.status).String()]++
	}
	for _, p := range st.payments {
		r.Payments[payment.PaymentStatus(p.status).String()]++
	}
	return r, nil
}

// snapshot runs load in one read-only repeatable-read transaction, so its
// queries see one state of the database.
func snapshot(ctx context.Context, db *sql.DB, name string, load func(ctx context.Context, tx *sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return fmt.Errorf("read the %s database: %w", name, err)
	}
	// Read-only: ending it with a rollback loses nothing.
	defer func() { _ = tx.Rollback() }()
	if err := load(ctx, tx); err != nil {
		return fmt.Errorf("read the %s database: %w", name, err)
	}
	return nil
}

type checker struct {
	st   *state
	opts Options
	out  []Violation
}

func (c *checker) add(rule, subject, format string, args ...any) {
	c.out = append(c.out, Violation{Rule: rule, Subject: subject, Detail: fmt.Sprintf(format, args...)})
}

// settled reports whether a state that started at t has had its Slack.
func (c *checker) settled(t time.Time) bool { return c.opts.Now.Sub(t) > c.opts.Slack }

// recordMayBeGone reports whether the processed-message record of a change
// made at t may have been purged already.
func (c *checker) recordMayBeGone(t time.Time) bool {
	return c.opts.ProcessedRetention > 0 && c.opts.Now.Sub(t) > c.opts.ProcessedRetention
}

func orderSubject(id int64) string   { return fmt.Sprintf("order %d", id) }
func paymentSubject(id int64) string { return fmt.Sprintf("payment %d", id) }
func productSubject(id int64) string { return fmt.Sprintf("product %d", id) }

func (c *checker) stock() {
	for _, p := range c.st.products {
		l := c.st.ledger[p.id]
		subject := productSubject(p.id)
		if p.available < 0 || p.reserved < 0 || p.sold < 0 {
			c.add(RuleStockNegative, subject, "available %d, reserved %d, sold %d", p.available, p.reserved, p.sold)
		}
		if total := p.available + p.reserved + p.sold; total != l.restocked {
			c.add(RuleStockBalance, subject, "stock added %d, but available %d + reserved %d + sold %d = %d", l.restocked, p.available, p.reserved, p.sold, total)
		}
		if l.available != p.available || l.reserved != p.reserved || l.sold != p.sold {
			c.add(RuleStockLedger, subject, "counters available %d reserved %d sold %d, ledger sums %d %d %d",
				p.available, p.reserved, p.sold, l.available, l.reserved, l.sold)
		}
	}
	for k, kinds := range c.st.moves {
		subject := fmt.Sprintf("order %d, product %d", k.order, k.product)
		for kind, n := range kinds {
			if n > 1 {
				c.add(RuleStockOnce, subject, "%d %s movements, want at most 1", n, kind)
			}
		}
		if kinds["release"] > 0 && kinds["confirm"] > 0 {
			c.add(RuleStockOnce, subject, "both released and confirmed")
		}
		if (kinds["release"] > 0 || kinds["confirm"] > 0) && kinds["reserve"] == 0 {
			c.add(RuleStockOnce, subject, "released or confirmed without a reservation")
		}
	}
}

func (c *checker) reservations() {
	for id, o := range c.st.orders {
		r, ok := c.st.reservations[id]
		state := "none"
		if ok {
			state = r.state
		}
		subject := orderSubject(id)
		status := order.OrderStatus(o.status)
		switch {
		case status == order.OrderStatus_PENDING_PAYMENT && state != "HELD":
			c.add(RuleReservation, subject, "PENDING_PAYMENT with reservation %s, want HELD", state)
		case status == order.OrderStatus_PAID && state != "CONFIRMED" && (state != "HELD" || c.settled(o.updatedAt)):
			c.add(RuleReservation, subject, "PAID with reservation %s, want CONFIRMED", state)
		case status == order.OrderStatus_CANCELLED && state != "RELEASED" && state != "none" && (state != "HELD" || c.settled(o.updatedAt)):
			c.add(RuleReservation, subject, "CANCELLED with reservation %s, want RELEASED or none", state)
		}
		if ok && len(r.items) > 0 && !sameItems(r.items, o.items) {
			c.add(RuleReservationItems, subject, "reservation holds %v, the order has %v", r.items, o.items)
		}
	}
	for id, r := range c.st.reservations {
		if _, ok := c.st.orders[id]; ok {
			continue
		}
		switch {
		case r.state == "CONFIRMED":
			c.add(RuleReservation, orderSubject(id), "stock sold for an order that does not exist")
		case r.state == "HELD" && c.opts.Now.Sub(r.createdAt) > c.opts.LocalTxWindow+c.opts.Slack:
			c.add(RuleReservation, orderSubject(id), "stock held since %s for an order that was never stored", r.createdAt.Format(time.RFC3339))
		}
	}
}

func sameItems(a, b map[int64]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func (c *checker) payments() {
	succeeded := map[int64][]pay{} // order ID -> its SUCCEEDED payments
	for _, p := range c.st.payments {
		if payment.PaymentStatus(p.status) == payment.PaymentStatus_SUCCEEDED {
			succeeded[p.orderID] = append(succeeded[p.orderID], p)
		}
	}
	for id, o := range c.st.orders {
		if order.OrderStatus(o.status) != order.OrderStatus_PAID {
			continue
		}
		ps := succeeded[id]
		switch {
		case len(ps) != 1:
			c.add(RulePaidOrder, orderSubject(id), "PAID with %d SUCCEEDED payments, want 1", len(ps))
		case ps[0].id != o.paidPaymentID:
			c.add(RulePaidOrder, orderSubject(id), "PAID by payment %d, but payment %d succeeded", o.paidPaymentID, ps[0].id)
		case ps[0].amount != o.total:
			c.add(RulePaidOrder, orderSubject(id), "total %d cents, paid %d cents by payment %d", o.total, ps[0].amount, ps[0].id)
		}
	}
	for id, p := range c.st.payments {
		subject := paymentSubject(id)
		o, ok := c.st.orders[p.orderID]
		if !ok {
			c.add(RulePaymentOrder, subject, "for order %d, which does not exist", p.orderID)
			continue
		}
		status, orderStatus := payment.PaymentStatus(p.status), order.OrderStatus(o.status)
		paidByIt := orderStatus == order.OrderStatus_PAID && o.paidPaymentID == id
		switch {
		case status == payment.PaymentStatus_SUCCEEDED && orderStatus == order.OrderStatus_CANCELLED:
			if c.settled(p.updatedAt) {
				c.add(RuleCancelledOrderPayment, subject, "SUCCEEDED since %s for CANCELLED order %d, never refunded", p.updatedAt.Format(time.RFC3339), o.id)
			}
		case status == payment.PaymentStatus_SUCCEEDED && !paidByIt && c.settled(p.updatedAt):
			state := orderStatus.String()
			if orderStatus == order.OrderStatus_PAID {
				state = fmt.Sprintf("PAID by payment %d", o.paidPaymentID)
			}
			c.add(RuleSucceededPayment, subject, "SUCCEEDED since %s, but order %d is %s", p.updatedAt.Format(time.RFC3339), o.id, state)
		case status == payment.PaymentStatus_REFUNDED && paidByIt:
			c.add(RuleRefundedPayment, subject, "REFUNDED, yet order %d is PAID by it", o.id)
		}
	}
}

func (c *checker) ages() {
	for id, o := range c.st.orders {
		if order.OrderStatus(o.status) == order.OrderStatus_PENDING_PAYMENT && c.opts.Now.Sub(o.createdAt) > c.opts.PaymentWindow+c.opts.Slack {
			c.add(RulePendingOrder, orderSubject(id), "PENDING_PAYMENT since %s, past the %v payment window", o.createdAt.Format(time.RFC3339), c.opts.PaymentWindow)
		}
	}
	for id, p := range c.st.payments {
		if payment.PaymentStatus(p.status) == payment.PaymentStatus_PENDING && c.opts.Now.Sub(p.updatedAt) > c.opts.PaymentSettle+c.opts.Slack {
			c.add(RulePendingPayment, paymentSubject(id), "PENDING since %s, past the sweeper's %v", p.updatedAt.Format(time.RFC3339), c.opts.PaymentSettle)
		}
	}
}

func (c *checker) messages() {
	for _, d := range c.st.duplicates {
		c.add(RuleProcessedOnce, fmt.Sprintf("%s message %s", d.consumer, d.key), "recorded %d times", d.n)
	}
	for key, at := range c.st.processed[orderservice.ConsumerPayment] {
		id, p, ok := c.paymentOf(key)
		if !ok {
			c.add(RuleMessageEffect, fmt.Sprintf("%s message %s", orderservice.ConsumerPayment, key), "applied at %s, but there is no such payment", at.Format(time.RFC3339))
			continue
		}
		if s := payment.PaymentStatus(p.status); s != payment.PaymentStatus_SUCCEEDED && s != payment.PaymentStatus_REFUNDED {
			c.add(RuleMessageEffect, paymentSubject(id), "its payment.succeeded was applied, but the payment is %s", s)
		}
	}
	for id, o := range c.st.orders {
		if order.OrderStatus(o.status) != order.OrderStatus_PAID || c.recordMayBeGone(o.updatedAt) {
			continue
		}
		if _, ok := c.st.processed[orderservice.ConsumerPayment][fmt.Sprint(o.paidPaymentID)]; !ok {
			c.add(RuleMessageEffect, orderSubject(id), "PAID by payment %d without its payment.succeeded being applied", o.paidPaymentID)
		}
	}
	for key := range c.st.processed[orderservice.ConsumerTimeout] {
		var id int64
		if _, err := fmt.Sscan(key, &id); err != nil {
			c.add(RuleMessageEffect, fmt.Sprintf("%s message %s", orderservice.ConsumerTimeout, key), "key is not an order ID")
			continue
		}
		if o, ok := c.st.orders[id]; !ok || order.OrderStatus(o.status) == order.OrderStatus_PENDING_PAYMENT {
			c.add(RuleMessageEffect, orderSubject(id), "its order.timeout was applied, but the order is missing or still pending")
		}
	}
	for id, o := range c.st.orders {
		if o.cancelReason == orderservice.ExpireReason && !c.recordMayBeGone(o.updatedAt) {
			if _, ok := c.st.processed[orderservice.ConsumerTimeout][fmt.Sprint(id)]; !ok {
				c.add(RuleMessageEffect, orderSubject(id), "cancelled for its payment window without its order.timeout being applied")
			}
		}
	}
	for key := range c.st.processed[paymentservice.ConsumerRefund] {
		id, p, ok := c.paymentOf(key)
		if !ok || payment.PaymentStatus(p.status) != payment.PaymentStatus_REFUNDED {
			c.add(RuleMessageEffect, paymentSubject(id), "its payment.refund was applied, but the payment is missing or not REFUNDED")
		}
	}
	for id, p := range c.st.payments {
		if payment.PaymentStatus(p.status) != payment.PaymentStatus_REFUNDED || c.recordMayBeGone(p.updatedAt) {
			continue
		}
		// A refund of a payment that lost the race for a PAID order is
		// Pay's own; every other refund comes from payment.refund.
		if o, ok := c.st.orders[p.orderID]; ok && order.OrderStatus(o.status) == order.OrderStatus_PAID {
			continue
		}
		if _, ok := c.st.processed[paymentservice.ConsumerRefund][fmt.Sprint(id)]; !ok {
			c.add(RuleMessageEffect, paymentSubject(id), "REFUNDED for an unpaid order without its payment.refund being applied")
		}
	}
}

func (c *checker) paymentOf(key string) (int64, pay, bool) {
	var id int64
	if _, err := fmt.Sscan(key, &id); err != nil {
		return 0, pay{}, false
	}
	p, ok := c.st.payments[id]
	return id, p, ok
}
