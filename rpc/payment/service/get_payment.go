package service

import (
	"context"
	"errors"
	"fmt"

	"github.com/kitemall/platform/kitex_gen/payment"
	"github.com/kitemall/platform/pkg/errs"
)

// GetPayment reads one payment of its owner.
type GetPayment struct{ deps Deps }

// NewGetPayment returns the operation.
func NewGetPayment(deps Deps) *GetPayment { return &GetPayment{deps: deps} }

// Run returns the payment, or NOT_FOUND when it is unknown or another
// user's.
func (s *GetPayment) Run(ctx context.Context, req *payment.GetPaymentRequest) (*payment.GetPaymentResponse, error) {
	if req.GetPaymentId() <= 0 || req.GetUserId() <= 0 {
		return nil, errs.InvalidArgument("payment_id and user_id must be positive")
	}
	p, err := s.deps.Payments.ByID(ctx, req.GetPaymentId(), req.GetUserId())
	if errors.Is(err, ErrNotFound) {
		return nil, errs.NotFound("payment %d not found", req.GetPaymentId())
	}
	if err != nil {
		return nil, fmt.Errorf("get payment %d: %w", req.GetPaymentId(), err)
	}
	return &payment.GetPaymentResponse{Payment: toIDL(p)}, nil
}
