package service

import (
	"context"
	"errors"
	"fmt"
	"regexp"

	"github.com/kitemall/platform/kitex_gen/base"
	"github.com/kitemall/platform/kitex_gen/order"
	"github.com/kitemall/platform/kitex_gen/payment"
	"github.com/kitemall/platform/pkg/errs"
)

var (
	methodPattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)
	keyPattern    = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,64}$`)
)

// Pay charges an order's total once per (order, idempotency key).
type Pay struct{ deps Deps }

// NewPay returns the operation.
func NewPay(deps Deps) *Pay { return &Pay{deps: deps} }

// Run pays the order. A known key replays its payment (created=false)
// without charging. Otherwise the order must be the caller's and awaiting
// payment; a PENDING row is claimed under the unique (order, key), the
// order's total is charged, and the row settles to SUCCEEDED (with its
// payment.succeeded message, see settlement) or FAILED. A decline is a
// FAILED payment, not an error, and the order stays payable with a new key.
// The answer comes as soon as the payment is recorded; the order becomes
// PAID when the order service consumes payment.succeeded, a moment later.
func (s *Pay) Run(ctx context.Context, req *payment.PayRequest) (*payment.PayResponse, error) {
	if err := validatePay(req); err != nil {
		return nil, err
	}
	prev, err := s.deps.Payments.ByOrderKey(ctx, req.GetOrderId(), req.GetIdempotencyKey())
	if err == nil {
		return replay(prev, req)
	}
	if !errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("look up payment of order %d: %w", req.GetOrderId(), err)
	}

	o, err := s.payableOrder(ctx, req)
	if err != nil {
		return s.refuse(ctx, req, err)
	}
	// A read check saves a charge in the common case; Settle's unique key
	// still decides races.
	paid, err := s.deps.Payments.HasSucceeded(ctx, o.GetOrderId())
	if err != nil {
		return nil, fmt.Errorf("check payments of order %d: %w", o.GetOrderId(), err)
	}
	if paid {
		return s.refuse(ctx, req, errs.FailedPrecondition("order %d is already paid", o.GetOrderId()))
	}

	// From the claim on, the work runs detached from the caller's
	// cancellation: a claimed key must reach its outcome, and once money
	// may move the outcome must be recorded even if the caller gave up.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.deps.SettleTimeout)
	defer cancel()
	p := Payment{
		OrderID:        o.GetOrderId(),
		UserID:         req.GetUserId(),
		IdempotencyKey: req.GetIdempotencyKey(),
		AmountCents:    o.GetTotalCents(),
		Method:         req.GetMethod(),
		Status:         payment.PaymentStatus_PENDING,
	}
	err = s.deps.Payments.CreatePending(ctx, &p)
	if errors.Is(err, ErrDuplicate) {
		// A concurrent request with this key claimed it first: answer
		// with its payment, whatever state it has reached.
		winner, err := s.deps.Payments.ByOrderKey(ctx, req.GetOrderId(), req.GetIdempotencyKey())
		if err != nil {
			return nil, fmt.Errorf("load payment of order %d after losing the key: %w", req.GetOrderId(), err)
		}
		return replay(winner, req)
	}
	if err != nil {
		return nil, fmt.Errorf("record pending payment of order %d: %w", req.GetOrderId(), err)
	}

	settled, err := s.chargeAndSettle(ctx, p)
	if err != nil {
		return nil, err
	}
	return &payment.PayResponse{Payment: toIDL(settled), Created: true}, nil
}

// refuse answers a request whose order cannot be paid (any more) with why,
// unless a concurrent request with the same key has paid it since the
// replay check: then the answer is that payment, as for any replay.
func (s *Pay) refuse(ctx context.Context, req *payment.PayRequest, why error) (*payment.PayResponse, error) {
	if !errs.Is(why, base.ErrorCode_FAILED_PRECONDITION) {
		return nil, why
	}
	prev, err := s.deps.Payments.ByOrderKey(ctx, req.GetOrderId(), req.GetIdempotencyKey())
	switch {
	case err == nil:
		return replay(prev, req)
	case errors.Is(err, ErrNotFound):
		return nil, why
	default:
		return nil, fmt.Errorf("look up payment of order %d: %w", req.GetOrderId(), err)
	}
}

func validatePay(req *payment.PayRequest) error {
	switch {
	case req.GetOrderId() <= 0:
		return errs.InvalidArgument("order_id must be positive")
	case req.GetUserId() <= 0:
		return errs.InvalidArgument("user_id must be positive")
	case !methodPattern.MatchString(req.GetMethod()):
		return errs.InvalidArgument("method must be 1..32 characters of [a-z0-9_], such as \"card\"")
	case !keyPattern.MatchString(req.GetIdempotencyKey()):
		return errs.InvalidArgument("idempotency_key must be 1..64 characters of [A-Za-z0-9._:-]")
	}
	return nil
}

// replay answers a request whose key already has a payment.
func replay(p Payment, req *payment.PayRequest) (*payment.PayResponse, error) {
	if p.UserID != req.GetUserId() {
		// The order is someone else's: answer exactly as for an unknown order.
		return nil, errs.NotFound("order %d not found", req.GetOrderId())
	}
	if p.Method != req.GetMethod() {
		return nil, errs.New(base.ErrorCode_IDEMPOTENCY_CONFLICT,
			"idempotency_key %q was used for a %q payment of order %d", req.GetIdempotencyKey(), p.Method, req.GetOrderId())
	}
	return &payment.PayResponse{Payment: toIDL(p), Created: false}, nil
}

// payableOrder reads the order as its owner sees it and checks that it
// awaits payment.
func (s *Pay) payableOrder(ctx context.Context, req *payment.PayRequest) (*order.Order, error) {
	resp, err := s.deps.Orders.GetOrder(ctx, &order.GetOrderRequest{OrderId: req.GetOrderId(), UserId: req.GetUserId()})
	if errs.Is(err, base.ErrorCode_NOT_FOUND) {
		return nil, errs.NotFound("order %d not found", req.GetOrderId())
	}
	if err != nil {
		return nil, fmt.Errorf("get order %d: %w", req.GetOrderId(), err)
	}
	o := resp.GetOrder()
	switch {
	case o == nil:
		return nil, fmt.Errorf("get order %d: the order service answered without an order", req.GetOrderId())
	case o.GetUserId() != req.GetUserId():
		return nil, errs.NotFound("order %d not found", req.GetOrderId())
	case o.GetStatus() != order.OrderStatus_PENDING_PAYMENT:
		return nil, errs.FailedPrecondition("order %d is %s, only a PENDING_PAYMENT order can be paid", o.GetOrderId(), o.GetStatus())
	case o.GetTotalCents() <= 0:
		return nil, errs.FailedPrecondition("order %d has nothing to pay", o.GetOrderId())
	}
	return o, nil
}

// chargeAndSettle charges the pending payment p and records the outcome.
func (s *Pay) chargeAndSettle(ctx context.Context, p Payment) (Payment, error) {
	res, err := s.deps.Gateway.Charge(ctx, chargeOf(p))
	if err != nil {
		// Whether money moved is unknown: the payment stays PENDING, and
		// replays of this key report it so, rather than charging again;
		// the sweeper settles it later.
		return Payment{}, fmt.Errorf("charge payment %d of order %d: %w", p.ID, p.OrderID, err)
	}
	return settlement{d: s.deps}.record(ctx, p, res)
}

// chargeOf is the provider request for p; the same payment always makes
// the same request, which the provider answers once.
func chargeOf(p Payment) ChargeRequest {
	return ChargeRequest{
		OrderID:        p.OrderID,
		UserID:         p.UserID,
		AmountCents:    p.AmountCents,
		Method:         p.Method,
		IdempotencyKey: p.IdempotencyKey,
	}
}
