package service

import (
	"context"
	"testing"
	"time"

	"github.com/kitemall/platform/kitex_gen/order"
)

// failingExists makes Orders.Exists fail, as when the database is down.
type failingExists struct{ *fakeOrders }

func (failingExists) Exists(context.Context, int64) (bool, error) { return false, errDown }

func TestCheckOrderCreated(t *testing.T) {
	tests := []struct {
		name string
		// arrange returns the key asked about.
		arrange    func(t *testing.T, f *fixture) string
		sentAgo    time.Duration
		wantCommit bool
		wantErr    bool
		// wantReleased: the check released the order's stock.
		wantReleased bool
	}{
		{
			name:       "a stored order commits",
			arrange:    func(t *testing.T, f *fixture) string { return "1001" },
			sentAgo:    time.Hour,
			wantCommit: true,
		},
		{
			name: "a missing order within the window is asked again, its stock kept",
			arrange: func(t *testing.T, f *fixture) string {
				reserveOnly(t, f, 2001)
				return "2001"
			},
			sentAgo: 9 * time.Second,
			wantErr: true,
		},
		{
			name: "a missing order past the window has its stock released, then rolls back",
			arrange: func(t *testing.T, f *fixture) string {
				reserveOnly(t, f, 2001)
				return "2001"
			},
			sentAgo:      10 * time.Second,
			wantReleased: true,
		},
		{
			name: "a failed release is retried by the next check-back",
			arrange: func(t *testing.T, f *fixture) string {
				reserveOnly(t, f, 2001)
				f.catalog.releaseErr = errDown
				return "2001"
			},
			sentAgo: time.Hour,
			wantErr: true,
		},
		{
			name: "an unreadable order table is asked again",
			arrange: func(t *testing.T, f *fixture) string {
				f.deps.Orders = failingExists{f.orders}
				return "1001"
			},
			sentAgo: time.Hour,
			wantErr: true,
		},
		{
			name:    "a malformed key rolls back",
			arrange: func(t *testing.T, f *fixture) string { return "not-an-id" },
			sentAgo: time.Second,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			placed(t, f) // order 1001
			key := tc.arrange(t, f)
			commit, err := NewCheckOrderCreated(f.deps).Run(context.Background(), key, testNow.Add(-tc.sentAgo))
			if commit != tc.wantCommit || (err != nil) != tc.wantErr {
				t.Fatalf("commit %v err %v, want commit %v and error %v", commit, err, tc.wantCommit, tc.wantErr)
			}
			if released := f.catalog.state(2001) == "released"; released != tc.wantReleased {
				t.Fatalf("order 2001's stock released: %v, want %v", released, tc.wantReleased)
			}
			if f.catalog.state(1001) != "held" {
				t.Fatalf("stored order 1001's stock is %q, want held", f.catalog.state(1001))
			}
		})
	}
}

func TestCheckOrderCreatedRollbackMakesALateReservationHoldNothing(t *testing.T) {
	f := newFixture(t)
	// The half message was stored but its process died before reserving;
	// its reservation request is still on its way to the product service.
	if commit, err := NewCheckOrderCreated(f.deps).Run(context.Background(), "2001", testNow.Add(-time.Minute)); commit || err != nil {
		t.Fatalf("commit %v err %v, want a rollback", commit, err)
	}
	if err := f.catalog.Reserve(context.Background(), 2001, []StockItem{{ProductID: 1, Quantity: 5}}); err != nil {
		t.Fatal(err)
	}
	if f.catalog.stockOf(1) != 100 || f.catalog.heldCount() != 0 {
		t.Fatalf("pen stock %d, held %d after the late reservation; want 100 and none", f.catalog.stockOf(1), f.catalog.heldCount())
	}
}

// reserveOnly holds 5 pens for orderID without storing the order, as a
// local transaction cut short after its reservation does.
func reserveOnly(t *testing.T, f *fixture, orderID int64) {
	t.Helper()
	if err := f.catalog.Reserve(context.Background(), orderID, []StockItem{{ProductID: 1, Quantity: 5}}); err != nil {
		t.Fatal(err)
	}
}

func TestCheckOrderCreatedCommitsWhateverTheStatus(t *testing.T) {
	for _, status := range []order.OrderStatus{order.OrderStatus_PAID, order.OrderStatus_CANCELLED} {
		f := newFixture(t)
		id := placed(t, f)
		f.orders.setStatus(id, status)
		commit, err := NewCheckOrderCreated(f.deps).Run(context.Background(), "1001", testNow.Add(-time.Hour))
		if !commit || err != nil {
			t.Fatalf("%v order: commit %v err %v, want commit", status, commit, err)
		}
	}
}
