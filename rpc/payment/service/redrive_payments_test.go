package service

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/kitemall/platform/kitex_gen/order"
	"github.com/kitemall/platform/kitex_gen/payment"
)

// stuck stores a PENDING payment of order orderID last updated ago, as a
// Pay that died before recording its outcome leaves it.
func stuck(t *testing.T, f *fixture, orderID int64, key string, ago time.Duration) Payment {
	t.Helper()
	p := Payment{OrderID: orderID, UserID: owner, IdempotencyKey: key, AmountCents: 4250, Method: "card"}
	if err := f.payments.CreatePending(context.Background(), &p); err != nil {
		t.Fatal(err)
	}
	f.payments.age(p.ID, ago)
	return p
}

func TestRedrivePaymentsSettlesOnlyStuckOnes(t *testing.T) {
	f := newFixture(t)
	f.orders.add(&order.Order{OrderId: 101, UserId: owner, Status: order.OrderStatus_PENDING_PAYMENT, TotalCents: 4250})
	f.orders.add(&order.Order{OrderId: 102, UserId: owner, Status: order.OrderStatus_PENDING_PAYMENT, TotalCents: 4250})
	old := stuck(t, f, 100, "old", time.Minute)
	declined := stuck(t, f, 101, "declined", time.Minute)
	young := stuck(t, f, 102, "young", 5*time.Second)
	f.gateway.decline = map[string]bool{"declined": true}

	n, err := NewRedrivePayments(f.deps).Run(context.Background())
	if err != nil || n != 2 {
		t.Fatalf("settled %d (err %v), want the 2 stuck payments", n, err)
	}
	rows := f.payments.all()
	want := map[int64]payment.PaymentStatus{old.ID: payment.PaymentStatus_SUCCEEDED, declined.ID: payment.PaymentStatus_FAILED, young.ID: payment.PaymentStatus_PENDING}
	for _, r := range rows {
		if r.Status != want[r.ID] {
			t.Errorf("payment %d (%s) is %v, want %v", r.ID, r.IdempotencyKey, r.Status, want[r.ID])
		}
	}
	if msgs := f.tx.messages(); len(msgs) != 1 || msgs[0].key != "1" || msgs[0].outcome != "commit" {
		t.Fatalf("sent %+v, want payment.succeeded for the re-driven success only", msgs)
	}
	if reqs := f.gateway.requests; len(reqs) != 2 || reqs[0].IdempotencyKey != "old" || reqs[0].AmountCents != 4250 {
		t.Fatalf("charged %+v, want the stuck payments' own requests again", reqs)
	}
}

func TestRedrivePaymentsKeepsRetryingAFailingOne(t *testing.T) {
	f := newFixture(t)
	p := stuck(t, f, 100, "k", time.Minute)
	f.gateway.err = errors.New("provider down")
	if n, err := NewRedrivePayments(f.deps).Run(context.Background()); err != nil || n != 0 {
		t.Fatalf("settled %d (err %v), want 0 and no error: one payment's failure is not the sweep's", n, err)
	}
	f.gateway.err = nil
	if n, err := NewRedrivePayments(f.deps).Run(context.Background()); err != nil || n != 1 {
		t.Fatalf("second sweep settled %d (err %v), want 1", n, err)
	}
	if got, _ := f.payments.Get(context.Background(), p.ID); got.Status != payment.PaymentStatus_SUCCEEDED {
		t.Fatalf("payment %v, want SUCCEEDED", got.Status)
	}
}

func TestRedrivePaymentsHonoursTheBatch(t *testing.T) {
	f := newFixture(t)
	f.deps.RedriveBatch = 2
	for i, key := range []string{"a", "b", "c"} {
		oid := int64(200 + i)
		f.orders.add(&order.Order{OrderId: oid, UserId: owner, Status: order.OrderStatus_PENDING_PAYMENT, TotalCents: 4250})
		stuck(t, f, oid, key, time.Minute)
	}
	if n, _ := NewRedrivePayments(f.deps).Run(context.Background()); n != 2 {
		t.Fatalf("settled %d, want the batch of 2", n)
	}
}
