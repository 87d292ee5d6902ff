package service

import (
	"context"
	"fmt"

	"github.com/kitemall/platform/kitex_gen/payment"
	"github.com/kitemall/platform/pkg/errs"
)

// GetPaymentByOrder reads the payment that tells an order's state.
type GetPaymentByOrder struct{ deps Deps }

// NewGetPaymentByOrder returns the operation.
func NewGetPaymentByOrder(deps Deps) *GetPaymentByOrder { return &GetPaymentByOrder{deps: deps} }

// Run returns the order's SUCCEEDED payment if there is one, else its
// latest attempt; NOT_FOUND when the caller has no payment for the order.
func (s *GetPaymentByOrder) Run(ctx context.Context, req *payment.GetPaymentByOrderRequest) (*payment.GetPaymentByOrderResponse, error) {
	if req.GetOrderId() <= 0 || req.GetUserId() <= 0 {
		return nil, errs.InvalidArgument("order_id and user_id must be positive")
	}
	ps, err := s.deps.Payments.ByOrder(ctx, req.GetOrderId(), req.GetUserId())
	if err != nil {
		return nil, fmt.Errorf("list payments of order %d: %w", req.GetOrderId(), err)
	}
	if len(ps) == 0 {
		return nil, errs.NotFound("no payment for order %d", req.GetOrderId())
	}
	pick := ps[len(ps)-1]
	for _, p := range ps {
		if p.Status == payment.PaymentStatus_SUCCEEDED {
			pick = p
			break
		}
	}
	return &payment.GetPaymentByOrderResponse{Payment: toIDL(pick)}, nil
}
