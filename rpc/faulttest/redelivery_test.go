package faulttest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/kitemall/platform/kitex_gen/order"
	"github.com/kitemall/platform/kitex_gen/payment"
	"github.com/kitemall/platform/pkg/mq"
)

// Proves that a message delivered twice changes nothing the second time,
// with a real redelivery: the order service is started with
// order.consumer.before_ack armed, so it applies the message's effect and
// dies by SIGKILL before acknowledging it; the broker then delivers the same
// message again to the restarted service (seen in its mq_consumed_total),
// which must find the effect already applied:
//   - payment.succeeded: the order stays PAID, its stock is confirmed once,
//     the payment stays SUCCEEDED (no refund);
//   - order.timeout: the order stays CANCELLED, its stock is released once.
func TestRedeliveredMessageChangesNothing(t *testing.T) {
	tests := []struct {
		name   string
		window time.Duration
		pay    bool
		// topic and group of the consumer that crashes before its ack.
		topic, group string
		want         order.OrderStatus
		wantStock    func(initial, qty int64) stock
		ledgerKind   string
	}{
		{
			name: "payment.succeeded applied, killed before the ack, delivered again", window: time.Minute, pay: true,
			topic: "payment_succeeded", group: "order-payment", want: order.OrderStatus_PAID,
			wantStock:  func(initial, qty int64) stock { return stock{available: initial - qty, sold: qty} },
			ledgerKind: "confirm",
		},
		{
			name: "order.timeout applied, killed before the ack, delivered again", window: 3 * time.Second,
			topic: "order_timeout", group: "order-timeout", want: order.OrderStatus_CANCELLED,
			wantStock:  func(initial, _ int64) stock { return stock{available: initial} },
			ledgerKind: "release",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := startPlatform(t, options{paymentWindow: tt.window})
			const initial, qty, userID = 20, 2, 11
			productID := p.createProduct(t, 399, initial)
			p.restart(t, "order", "FAILPOINTS=order.consumer.before_ack")

			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			o, err := p.createOrder(ctx, userID, "redeliver", map[int64]int32{productID: qty})
			if err != nil {
				t.Fatalf("create order: %v", err)
			}
			var paymentID int64
			if tt.pay {
				pm, err := p.pay(ctx, userID, o.OrderId, "redeliver-pay")
				if err != nil {
					t.Fatalf("pay order %d: %v", o.OrderId, err)
				}
				if pm.Status != payment.PaymentStatus_SUCCEEDED {
					t.Fatalf("payment %d is %v, want SUCCEEDED", pm.PaymentId, pm.Status)
				}
				paymentID = pm.PaymentId
			}
			p.procs["order"].waitKilled(t, 30*time.Second)
			// The first delivery's effect is in place before the crash.
			assertSettled := func(when string) {
				t.Helper()
				if st, _ := p.orderStatus(t, o.OrderId); st != tt.want {
					t.Fatalf("%s: order %d is %v, want %v", when, o.OrderId, st, tt.want)
				}
				if got, want := p.stock(t, productID), tt.wantStock(initial, qty); got != want {
					t.Fatalf("%s: stock = %+v, want %+v", when, got, want)
				}
				if n := p.ledgerRows(t, o.OrderId, tt.ledgerKind); n != 1 {
					t.Fatalf("%s: %d %s ledger rows for order %d, want exactly 1", when, n, tt.ledgerKind, o.OrderId)
				}
				if tt.pay {
					if st := p.paymentStatus(t, paymentID); st != payment.PaymentStatus_SUCCEEDED {
						t.Fatalf("%s: payment %d is %v, want SUCCEEDED", when, paymentID, st)
					}
				}
			}
			assertSettled("after the first delivery")

			restarted := time.Now()
			p.start(t, "order")
			group := fmt.Sprintf("group=%q", mq.Namespaced(tt.group, p.ns))
			topic := fmt.Sprintf("topic=%q", mq.Namespaced(tt.topic, p.ns))
			eventually(t, 60*time.Second, "the unacknowledged message is delivered again", func() (bool, string) {
				n := p.counter(t, "order", "mq_consumed_total", group, topic, `result="ok"`)
				return n >= 1, fmt.Sprintf("%v deliveries handled since the restart", n)
			})
			t.Logf("redelivered %v after the restart began", time.Since(restarted).Round(100*time.Millisecond))
			assertSettled("after the second delivery")
			p.checkConsistency(t)
		})
	}
}
