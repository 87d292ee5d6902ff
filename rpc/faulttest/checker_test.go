package faulttest

import (
	"context"
	"testing"
	"time"

	"github.com/kitemall/platform/rpc/consistency"
)

// checkConsistency runs the invariant checker over the platform's three
// databases and fails the test with its report on any violation.
func (p *platform) checkConsistency(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	dbs := consistency.DBs{Product: p.db(t, "product"), Order: p.db(t, "order"), Payment: p.db(t, "payment")}
	report, err := consistency.Check(ctx, dbs, consistency.Options{
		PaymentWindow: p.window,
		LocalTxWindow: localTxWindow,
		PaymentSettle: redriveAfter + sweepInterval,
		Slack:         10 * time.Second,
	})
	if err != nil {
		t.Fatalf("consistency check: %v", err)
	}
	if !report.OK() {
		t.Fatalf("invariants broken:\n%s", report)
	}
	t.Logf("%s", report)
}
