package service

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/kitemall/platform/kitex_gen/order"
	"github.com/kitemall/platform/rpc/order/events"
)

// expireAt runs ExpireOrder for order id at time at.
func expireAt(f *fixture, id int64, at time.Time) error {
	d := f.deps
	d.Clock = func() time.Time { return at }
	return NewExpireOrder(d).Run(context.Background(), events.Key(id), events.OrderTimeout{OrderID: id})
}

func TestExpireOrder(t *testing.T) {
	tests := []struct {
		name       string
		from       order.OrderStatus
		wantStatus order.OrderStatus
		wantStock  int64
		wantState  string
	}{
		{"a pending order is cancelled and its stock released", order.OrderStatus_PENDING_PAYMENT, order.OrderStatus_CANCELLED, 100, "released"},
		{"a paid order keeps its stock", order.OrderStatus_PAID, order.OrderStatus_PAID, 95, "held"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			id := placed(t, f)
			f.orders.setStatus(id, tc.from)
			due := testNow.Add(f.deps.PaymentWindow)
			// Delivered twice: the second delivery changes nothing.
			for i := range 2 {
				if err := expireAt(f, id, due.Add(time.Duration(i)*time.Minute)); err != nil {
					t.Fatal(err)
				}
			}
			o, _ := f.orders.ByID(context.Background(), id)
			if o.Status != tc.wantStatus || f.catalog.stockOf(1) != tc.wantStock || f.catalog.state(id) != tc.wantState {
				t.Fatalf("order %v, pen stock %d, reservation %q; want %v, %d, %q", o.Status, f.catalog.stockOf(1), f.catalog.state(id), tc.wantStatus, tc.wantStock, tc.wantState)
			}
			if tc.wantStatus == order.OrderStatus_CANCELLED && (o.CancelReason != ExpireReason || !o.UpdatedAt.Equal(due.UTC().Truncate(time.Millisecond))) {
				t.Fatalf("cancelled with reason %q at %v, want %q at the first delivery %v", o.CancelReason, o.UpdatedAt, ExpireReason, due)
			}
		})
	}
}

func TestExpireOrderThatArrivesEarlySetsANewTimer(t *testing.T) {
	f := newFixture(t)
	id := placed(t, f)
	due := testNow.Add(f.deps.PaymentWindow)
	if err := expireAt(f, id, due.Add(-2*time.Second)); err != nil {
		t.Fatal(err)
	}
	o, _ := f.orders.ByID(context.Background(), id)
	msgs := f.publisher.messages()
	if o.Status != order.OrderStatus_PENDING_PAYMENT || len(msgs) != 1 || !msgs[0].deliverAt.Equal(due.UTC().Truncate(time.Millisecond)) {
		t.Fatalf("order %v, timers %+v; want the order pending and a new timer due %v", o.Status, msgs, due)
	}
	// Within the timer wheel's precision it is on time.
	if err := expireAt(f, id, due.Add(-500*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if o, _ := f.orders.ByID(context.Background(), id); o.Status != order.OrderStatus_CANCELLED {
		t.Fatalf("order %v half a second before its due time, want CANCELLED", o.Status)
	}
}

func TestExpireOrderRedeliveryCompletesAFailedRelease(t *testing.T) {
	f := newFixture(t)
	id := placed(t, f)
	due := testNow.Add(f.deps.PaymentWindow)
	f.catalog.releaseErr = errDown
	if err := expireAt(f, id, due); !errors.Is(err, errDown) {
		t.Fatalf("err %v, want the release failure so that the broker redelivers", err)
	}
	if o, _ := f.orders.ByID(context.Background(), id); o.Status != order.OrderStatus_CANCELLED {
		t.Fatalf("order %v, want CANCELLED: the transition is kept", o.Status)
	}
	f.catalog.releaseErr = nil
	if err := expireAt(f, id, due.Add(10*time.Second)); err != nil {
		t.Fatal(err)
	}
	if f.catalog.stockOf(1) != 100 || f.catalog.state(id) != "released" {
		t.Fatalf("pen stock %d, reservation %q after the redelivery; want 100 and released", f.catalog.stockOf(1), f.catalog.state(id))
	}
}

func TestExpireOrderOfAnUnknownOrderIsRetried(t *testing.T) {
	f := newFixture(t)
	if err := expireAt(f, 404, testNow); err == nil {
		t.Fatal("an order.timeout for an order that is not stored was acknowledged")
	}
}
