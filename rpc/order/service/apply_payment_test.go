package service

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/kitemall/platform/kitex_gen/order"
	"github.com/kitemall/platform/rpc/order/events"
	paymentevents "github.com/kitemall/platform/rpc/payment/events"
)

// payOrder delivers payment.succeeded of paymentID for amount to order id.
func payOrder(f *fixture, id, paymentID, amount int64) error {
	ev := paymentevents.PaymentSucceeded{PaymentID: paymentID, OrderID: id, UserID: 7, AmountCents: amount}
	return NewApplyPayment(f.deps).Run(context.Background(), paymentevents.Key(paymentID), ev)
}

const penTotal = 5 * 150 // placed() orders 5 pens

func TestApplyPayment(t *testing.T) {
	tests := []struct {
		name       string
		from       order.OrderStatus
		amount     int64
		wantStatus order.OrderStatus
		wantState  string
		wantRefund bool
	}{
		{"a pending order becomes paid and its stock sold", order.OrderStatus_PENDING_PAYMENT, penTotal, order.OrderStatus_PAID, "confirmed", false},
		{"a cancelled order's payment is refunded", order.OrderStatus_CANCELLED, penTotal, order.OrderStatus_CANCELLED, "held", true},
		{"a payment of another amount is refunded and the order left pending", order.OrderStatus_PENDING_PAYMENT, penTotal + 1, order.OrderStatus_PENDING_PAYMENT, "held", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			id := placed(t, f)
			f.orders.setStatus(id, tc.from)
			// Delivered twice: the second delivery changes nothing.
			for range 2 {
				if err := payOrder(f, id, 77, tc.amount); err != nil {
					t.Fatal(err)
				}
			}
			o, _ := f.orders.ByID(context.Background(), id)
			if o.Status != tc.wantStatus || f.catalog.state(id) != tc.wantState {
				t.Fatalf("order %v, reservation %q; want %v and %q", o.Status, f.catalog.state(id), tc.wantStatus, tc.wantState)
			}
			if tc.wantStatus == order.OrderStatus_PAID && (o.PaidPaymentID != 77 || f.catalog.sold[1] != 5) {
				t.Fatalf("paid by %d with %d pens sold, want payment 77 and 5", o.PaidPaymentID, f.catalog.sold[1])
			}
			refunds := f.publisher.messages()
			if !tc.wantRefund {
				if len(refunds) != 0 {
					t.Fatalf("published %+v, want no refund", refunds)
				}
				return
			}
			// A refund request per delivery: the payment service applies it once.
			if len(refunds) != 2 || refunds[0].topic != testTopics.PaymentRefund || refunds[0].key != "77" || !refunds[0].deliverAt.IsZero() {
				t.Fatalf("published %+v, want payment_refund keyed 77 per delivery", refunds)
			}
			var ev events.PaymentRefund
			if err := json.Unmarshal(refunds[0].body, &ev); err != nil || ev.PaymentID != 77 || ev.OrderID != id || ev.Reason == "" {
				t.Fatalf("refund body %+v (%v), want payment 77 of order %d with a reason", ev, err, id)
			}
		})
	}
}

func TestApplyPaymentOfAnotherPaymentOfAPaidOrderIsRefunded(t *testing.T) {
	f := newFixture(t)
	id := placed(t, f)
	if err := payOrder(f, id, 77, penTotal); err != nil {
		t.Fatal(err)
	}
	if err := payOrder(f, id, 78, penTotal); err != nil {
		t.Fatal(err)
	}
	o, _ := f.orders.ByID(context.Background(), id)
	refunds := f.publisher.messages()
	if o.PaidPaymentID != 77 || len(refunds) != 1 || refunds[0].key != "78" {
		t.Fatalf("order paid by %d, refunds %+v; want paid by 77 and 78 refunded", o.PaidPaymentID, refunds)
	}
}

func TestApplyPaymentRedeliveryCompletesAFailedConfirm(t *testing.T) {
	f := newFixture(t)
	id := placed(t, f)
	f.catalog.confirmErr = errDown
	if err := payOrder(f, id, 77, penTotal); !errors.Is(err, errDown) {
		t.Fatalf("err %v, want the confirm failure so that the broker redelivers", err)
	}
	if o, _ := f.orders.ByID(context.Background(), id); o.Status != order.OrderStatus_PAID {
		t.Fatalf("order %v, want PAID: the transition is kept", o.Status)
	}
	f.catalog.confirmErr = nil
	if err := payOrder(f, id, 77, penTotal); err != nil {
		t.Fatal(err)
	}
	if f.catalog.state(id) != "confirmed" || len(f.publisher.messages()) != 0 {
		t.Fatalf("reservation %q, published %+v; want confirmed and no refund", f.catalog.state(id), f.publisher.messages())
	}
}

func TestApplyPaymentFailuresAreRetried(t *testing.T) {
	f := newFixture(t)
	if err := payOrder(f, 404, 77, 1); err == nil {
		t.Fatal("a payment of an order that is not stored was acknowledged")
	}
	id := placed(t, f)
	f.orders.setStatus(id, order.OrderStatus_CANCELLED)
	f.publisher.err = errDown
	if err := payOrder(f, id, 77, penTotal); !errors.Is(err, errDown) {
		t.Fatalf("err %v, want the refund request's failure", err)
	}
}
