package service

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/kitemall/platform/kitex_gen/payment"
)

func TestCheckPaymentSucceeded(t *testing.T) {
	tests := []struct {
		name       string
		status     payment.PaymentStatus
		sentAgo    time.Duration
		key        string
		wantCommit bool
		wantOpen   bool
	}{
		{"a succeeded payment commits", payment.PaymentStatus_SUCCEEDED, time.Hour, "1", true, false},
		{"a pending payment within the window is asked again", payment.PaymentStatus_PENDING, 9 * time.Second, "1", false, true},
		{"a pending payment past the window rolls back", payment.PaymentStatus_PENDING, 10 * time.Second, "1", false, false},
		{"a failed payment rolls back", payment.PaymentStatus_FAILED, time.Second, "1", false, false},
		{"a refunded payment rolls back", payment.PaymentStatus_REFUNDED, time.Second, "1", false, false},
		{"an unknown payment rolls back", payment.PaymentStatus_PENDING, time.Second, "2", false, false},
		{"a malformed key rolls back", payment.PaymentStatus_PENDING, time.Second, "x", false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			p := Payment{OrderID: 100, UserID: owner, IdempotencyKey: "k", AmountCents: 4250, Method: "card"}
			if err := f.payments.CreatePending(context.Background(), &p); err != nil {
				t.Fatal(err)
			}
			if tc.status != payment.PaymentStatus_PENDING {
				if _, err := f.payments.Settle(context.Background(), p.ID, Outcome{Status: tc.status}); err != nil {
					t.Fatal(err)
				}
			}
			now := time.Now()
			f.deps.Clock = func() time.Time { return now }
			commit, err := NewCheckPaymentSucceeded(f.deps).Run(context.Background(), tc.key, now.Add(-tc.sentAgo))
			if commit != tc.wantCommit || errors.Is(err, ErrLocalTxOpen) != tc.wantOpen || (err != nil && !tc.wantOpen) {
				t.Fatalf("commit %v err %v, want commit %v, asked again %v", commit, err, tc.wantCommit, tc.wantOpen)
			}
		})
	}
}
