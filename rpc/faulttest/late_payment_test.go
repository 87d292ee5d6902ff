package faulttest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/kitemall/platform/kitex_gen/order"
	"github.com/kitemall/platform/kitex_gen/payment"
)

// Proves that a payment arriving after the timeout cancelled its order is
// refunded, with real timing: the payment provider takes longer than the
// payment window, so Pay finds the order awaiting payment, the order.timeout
// message cancels it while the charge is in flight, and payment.succeeded
// then reaches a CANCELLED order. The payment ends REFUNDED, the order stays
// CANCELLED with its stock released once and none sold, and the invariants
// hold.
func TestPaymentAfterTheTimeoutIsRefunded(t *testing.T) {
	// The charge outlasts the window by 5 s: room for a slow timer on a
	// busy machine, within the payment service's 10 s settle timeout.
	const window, chargeTakes = 2 * time.Second, 7 * time.Second
	p := startPlatform(t, options{paymentWindow: window, sandboxLatency: chargeTakes})
	const initial, qty, userID = 5, 2, 31
	productID := p.createProduct(t, 1500, initial)

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	o, err := p.createOrder(ctx, userID, "late", map[int64]int32{productID: qty})
	if err != nil {
		t.Fatalf("create order: %v", err)
	}
	pm, err := p.pay(ctx, userID, o.OrderId, "late-pay")
	if err != nil {
		t.Fatalf("pay order %d: %v", o.OrderId, err)
	}
	if pm.Status != payment.PaymentStatus_SUCCEEDED {
		t.Fatalf("payment %d is %v, want SUCCEEDED: the charge went through", pm.PaymentId, pm.Status)
	}
	// The order was cancelled while the charge was in flight.
	if st, _ := p.orderStatus(t, o.OrderId); st != order.OrderStatus_CANCELLED {
		t.Fatalf("order %d is %v when its %v charge returns, want CANCELLED by the %v window", o.OrderId, st, chargeTakes, window)
	}

	eventually(t, 60*time.Second, "the late payment is refunded", func() (bool, string) {
		st := p.paymentStatus(t, pm.PaymentId)
		return st == payment.PaymentStatus_REFUNDED, st.String()
	})
	if st, _ := p.orderStatus(t, o.OrderId); st != order.OrderStatus_CANCELLED {
		t.Fatalf("order %d is %v after the refund, want CANCELLED", o.OrderId, st)
	}
	// The timeout's release follows its status change in the same delivery.
	eventually(t, 30*time.Second, "the cancelled order's stock is back", func() (bool, string) {
		got := p.stock(t, productID)
		return got == (stock{available: initial}), fmt.Sprintf("%+v", got)
	})
	if n := p.ledgerRows(t, o.OrderId, "release"); n != 1 {
		t.Fatalf("%d release ledger rows for order %d, want exactly 1", n, o.OrderId)
	}
	p.checkConsistency(t)
}
