package service

import (
	"context"
	"testing"
	"time"

	"github.com/kitemall/platform/kitex_gen/payment"
	orderevents "github.com/kitemall/platform/rpc/order/events"
)

// refundOf delivers payment.refund for payment id.
func refundOf(f *fixture, id int64) error {
	return NewRefundPayment(f.deps).Run(context.Background(), orderevents.Key(id), orderevents.PaymentRefund{PaymentID: id, OrderID: 100, Reason: "order 100 is CANCELLED"})
}

func TestRefundPayment(t *testing.T) {
	tests := []struct {
		name        string
		status      payment.PaymentStatus
		want        payment.PaymentStatus
		wantRefunds int64
	}{
		{"a succeeded payment is refunded once", payment.PaymentStatus_SUCCEEDED, payment.PaymentStatus_REFUNDED, 1},
		{"a failed payment has nothing to give back", payment.PaymentStatus_FAILED, payment.PaymentStatus_FAILED, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			p := stuck(t, f, 100, "k", time.Second)
			if _, err := f.payments.Settle(context.Background(), p.ID, Outcome{Status: tc.status, ProviderRef: "ch-1"}); err != nil {
				t.Fatal(err)
			}
			// Delivered twice: the second delivery changes nothing.
			for range 2 {
				if err := refundOf(f, p.ID); err != nil {
					t.Fatal(err)
				}
			}
			got, _ := f.payments.Get(context.Background(), p.ID)
			if got.Status != tc.want || f.gateway.refunds.Load() != tc.wantRefunds {
				t.Fatalf("payment %v after %d provider refunds, want %v after %d", got.Status, f.gateway.refunds.Load(), tc.want, tc.wantRefunds)
			}
			if tc.want == payment.PaymentStatus_REFUNDED && (got.ProviderRef != "refund-ch-1" || got.FailureReason != "order 100 is CANCELLED") {
				t.Fatalf("refunded payment %+v, want the refund's reference and the order's reason", got)
			}
		})
	}
}

func TestRefundPaymentRedeliveryCompletesAFailedRecord(t *testing.T) {
	f := newFixture(t)
	p := stuck(t, f, 100, "k", time.Second)
	if _, err := f.payments.Settle(context.Background(), p.ID, Outcome{Status: payment.PaymentStatus_SUCCEEDED, ProviderRef: "ch-1"}); err != nil {
		t.Fatal(err)
	}
	f.deps.Payments = failingRefund{f.payments}
	if err := refundOf(f, p.ID); err == nil {
		t.Fatal("a refund that could not be recorded was acknowledged")
	}
	f.deps.Payments = f.payments
	if err := refundOf(f, p.ID); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.payments.Get(context.Background(), p.ID); got.Status != payment.PaymentStatus_REFUNDED {
		t.Fatalf("payment %v after the redelivery, want REFUNDED", got.Status)
	}
}

// failingRefund fails to record refunds, as when the database is down.
type failingRefund struct{ *fakePayments }

func (failingRefund) Refund(context.Context, string, string, int64, Outcome) (bool, error) {
	return false, errDown
}

func TestRefundOfAnUnknownPaymentIsRetried(t *testing.T) {
	f := newFixture(t)
	if err := refundOf(f, 42); err == nil {
		t.Fatal("a refund of a payment that is not stored was acknowledged")
	}
}
