package service

import (
	"context"
	"testing"

	"github.com/kitemall/platform/kitex_gen/base"
	"github.com/kitemall/platform/kitex_gen/payment"
	"github.com/kitemall/platform/pkg/errs"
)

func TestGetPaymentByOrder(t *testing.T) {
	tests := []struct {
		name string
		// outcomes are settled in order on order 100, one key each.
		outcomes   []payment.PaymentStatus
		user       int64
		wantCode   base.ErrorCode
		wantIndex  int
		wantStatus payment.PaymentStatus
	}{
		{"the success wins over a later refunded attempt",
			[]payment.PaymentStatus{payment.PaymentStatus_FAILED, payment.PaymentStatus_SUCCEEDED, payment.PaymentStatus_REFUNDED},
			owner, 0, 1, payment.PaymentStatus_SUCCEEDED},
		{"without a success the latest attempt answers",
			[]payment.PaymentStatus{payment.PaymentStatus_FAILED, payment.PaymentStatus_FAILED},
			owner, 0, 1, payment.PaymentStatus_FAILED},
		{"another user gets NOT_FOUND",
			[]payment.PaymentStatus{payment.PaymentStatus_SUCCEEDED}, stranger, base.ErrorCode_NOT_FOUND, 0, 0},
		{"an order without payments is NOT_FOUND", nil, owner, base.ErrorCode_NOT_FOUND, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			var ids []int64
			for i, st := range tt.outcomes {
				p := Payment{OrderID: 100, UserID: owner, IdempotencyKey: string(rune('a' + i)), AmountCents: 4250, Method: "card"}
				if err := f.payments.CreatePending(context.Background(), &p); err != nil {
					t.Fatal(err)
				}
				if _, err := f.payments.Settle(context.Background(), p.ID, Outcome{Status: st}); err != nil {
					t.Fatal(err)
				}
				ids = append(ids, p.ID)
			}
			resp, err := NewGetPaymentByOrder(f.deps).Run(context.Background(), &payment.GetPaymentByOrderRequest{OrderId: 100, UserId: tt.user})
			if tt.wantCode != 0 {
				if !errs.Is(err, tt.wantCode) {
					t.Fatalf("err = %v, want %v", err, tt.wantCode)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if resp.Payment.PaymentId != ids[tt.wantIndex] || resp.Payment.Status != tt.wantStatus {
				t.Errorf("payment = %+v, want id %d %s", resp.Payment, ids[tt.wantIndex], tt.wantStatus)
			}
		})
	}
}

func TestGetPaymentByOrderRejectsNonPositiveIDs(t *testing.T) {
	f := newFixture(t)
	for _, req := range []*payment.GetPaymentByOrderRequest{{OrderId: 0, UserId: owner}, {OrderId: 100, UserId: -1}} {
		if _, err := NewGetPaymentByOrder(f.deps).Run(context.Background(), req); !errs.Is(err, base.ErrorCode_INVALID_ARGUMENT) {
			t.Errorf("%+v: err = %v, want INVALID_ARGUMENT", req, err)
		}
	}
}
