package service

import (
	"context"
	"testing"

	"github.com/kitemall/platform/kitex_gen/base"
	"github.com/kitemall/platform/kitex_gen/payment"
	"github.com/kitemall/platform/pkg/errs"
)

func TestGetPaymentIsOwnerScoped(t *testing.T) {
	f := newFixture(t)
	paid, err := NewPay(f.deps).Run(context.Background(), payReq(100, owner, "k1"))
	if err != nil {
		t.Fatal(err)
	}
	id := paid.Payment.PaymentId
	tests := []struct {
		name     string
		id, user int64
		wantCode base.ErrorCode
	}{
		{"owner reads it", id, owner, 0},
		{"another user gets NOT_FOUND", id, stranger, base.ErrorCode_NOT_FOUND},
		{"unknown payment is NOT_FOUND", id + 1, owner, base.ErrorCode_NOT_FOUND},
		{"zero payment id is INVALID_ARGUMENT", 0, owner, base.ErrorCode_INVALID_ARGUMENT},
		{"zero user id is INVALID_ARGUMENT", id, 0, base.ErrorCode_INVALID_ARGUMENT},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := NewGetPayment(f.deps).Run(context.Background(), &payment.GetPaymentRequest{PaymentId: tt.id, UserId: tt.user})
			if tt.wantCode != 0 {
				if !errs.Is(err, tt.wantCode) {
					t.Fatalf("err = %v, want %v", err, tt.wantCode)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if resp.Payment.PaymentId != id || resp.Payment.Status != payment.PaymentStatus_SUCCEEDED {
				t.Errorf("payment = %+v", resp.Payment)
			}
		})
	}
}
