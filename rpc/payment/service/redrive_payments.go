package service

import (
	"context"
	"fmt"
)

// RedrivePayments is the sweeper's pass: it settles the payments left
// PENDING for longer than RedriveAfter, so a process that died between
// claiming a payment and recording its outcome (before the charge, after
// it, or with its payment.succeeded message rolled back) never leaves it
// stuck. Each is charged again with the same request, which the provider
// answers once (a charge made before the crash is not made again), and
// settled through the same path as Pay: SUCCEEDED with its message, or
// FAILED. Several instances may sweep at once: the conditional settle lets
// one of them win.
type RedrivePayments struct{ deps Deps }

// NewRedrivePayments returns the operation.
func NewRedrivePayments(deps Deps) *RedrivePayments { return &RedrivePayments{deps: deps} }

// Run settles one batch and returns how many payments it settled. A
// payment that fails again stays PENDING for the next pass.
func (s *RedrivePayments) Run(ctx context.Context) (int, error) {
	before := s.deps.Clock().Add(-s.deps.RedriveAfter)
	stuck, err := s.deps.Payments.Pending(ctx, before, s.deps.RedriveBatch)
	if err != nil {
		return 0, fmt.Errorf("list payments pending since %v: %w", before, err)
	}
	settled := 0
	for _, p := range stuck {
		if ctx.Err() != nil {
			break
		}
		if err := s.redrive(ctx, p); err != nil {
			s.deps.Logger.WarnContext(ctx, "re-drive of a pending payment failed; next pass retries", "payment_id", p.ID, "order_id", p.OrderID, "err", err)
			continue
		}
		settled++
	}
	return settled, ctx.Err()
}

func (s *RedrivePayments) redrive(ctx context.Context, p Payment) error {
	ctx, cancel := context.WithTimeout(ctx, s.deps.SettleTimeout)
	defer cancel()
	res, err := s.deps.Gateway.Charge(ctx, chargeOf(p))
	if err != nil {
		return fmt.Errorf("charge payment %d again: %w", p.ID, err)
	}
	settled, err := settlement{d: s.deps}.record(ctx, p, res)
	if err != nil {
		return err
	}
	s.deps.Logger.InfoContext(ctx, "re-drove a pending payment", "payment_id", p.ID, "order_id", p.OrderID, "status", settled.Status.String())
	return nil
}
