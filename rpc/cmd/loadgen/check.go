package main

import (
	"context"
	"fmt"
	"time"

	"github.com/kitemall/platform/rpc/consistency"
)

// check runs the invariant checker over the run's databases.
func (d *databases) check(ctx context.Context, cfg config) (consistency.Report, error) {
	report, err := consistency.Check(ctx, consistency.DBs{Product: d.product, Order: d.order, Payment: d.payment}, consistency.Options{
		PaymentWindow: cfg.PaymentWindow,
		LocalTxWindow: cfg.LocalTxWindow,
		PaymentSettle: cfg.PaymentSettle,
		Slack:         10 * time.Second,
	})
	if err != nil {
		return consistency.Report{}, fmt.Errorf("consistency check: %w", err)
	}
	return report, nil
}
