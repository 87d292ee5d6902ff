package faulttest

import (
	"context"
	"testing"
	"time"

	"github.com/kitemall/platform/kitex_gen/order"
)

// Proves that the broker's check-back settles an order whose service died
// in the middle of CreateOrder, with a real SIGKILL at a failpoint:
//   - after the half message and the stock reservation, before the order
//     row commits: after the restart the check-back finds no order, releases
//     the stock exactly once and rolls order.created back;
//   - after the order row commits, before the commit reaches the broker:
//     the check-back finds the order and commits order.created, whose
//     consumer schedules the payment window, so the unpaid order is then
//     cancelled by its timeout and its stock released exactly once.
//
// Either way the caller saw an error, no unit of stock stays held and the
// invariants hold.
func TestOrderServiceKilledAroundItsLocalTransaction(t *testing.T) {
	tests := []struct {
		name      string
		failpoint string
		// stored: the order row was committed before the crash.
		stored bool
	}{
		{"killed before the local commit: the check-back rolls back and releases the stock once", "order.after_half_sent", false},
		{"killed after the local commit: the check-back commits and the timeout cancels the order", "order.after_local_commit", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const window = 4 * time.Second
			p := startPlatform(t, options{paymentWindow: window})
			const initial, qty = 10, 3
			productID := p.createProduct(t, 250, initial)
			p.restart(t, "order", "FAILPOINTS="+tt.failpoint)

			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			if o, err := p.createOrder(ctx, 7, "crash-"+tt.failpoint, map[int64]int32{productID: qty}); err == nil {
				t.Fatalf("CreateOrder answered order %d although the order service was killed in the middle", o.OrderId)
			}
			p.procs["order"].waitKilled(t, 10*time.Second)

			// The caller never learnt the order ID: the reservation holds it.
			orderID := p.queryInt(t, "product", "SELECT MAX(order_id) FROM stock_reservations")
			if state, _ := p.reservation(t, orderID); state != "HELD" {
				t.Fatalf("after the crash the reservation of order %d is %q, want HELD (the crash comes after the reserve)", orderID, state)
			}
			if _, stored := p.orderStatus(t, orderID); stored != tt.stored {
				t.Fatalf("after the crash order %d stored=%v, want %v: the failpoint is not where it should be", orderID, stored, tt.stored)
			}

			p.start(t, "order")
			if tt.stored {
				eventually(t, 60*time.Second, "the committed order is cancelled by its timeout", func() (bool, string) {
					st, _ := p.orderStatus(t, orderID)
					return st == order.OrderStatus_CANCELLED, st.String()
				})
				// The release follows the status change in the same
				// delivery, so it may land a moment after CANCELLED shows.
				eventually(t, 30*time.Second, "the cancelled order's reservation is released", func() (bool, string) {
					state, _ := p.reservation(t, orderID)
					return state == "RELEASED", state
				})
			} else {
				eventually(t, 60*time.Second, "the check-back releases the reservation", func() (bool, string) {
					state, _ := p.reservation(t, orderID)
					return state == "RELEASED", state
				})
				if _, stored := p.orderStatus(t, orderID); stored {
					t.Fatalf("order %d was stored although its local transaction never committed", orderID)
				}
			}
			if got := p.stock(t, productID); got != (stock{available: initial}) {
				t.Fatalf("stock after settling = %+v, want all %d units available again", got, initial)
			}
			if r, rel := p.ledgerRows(t, orderID, "reserve"), p.ledgerRows(t, orderID, "release"); r != 1 || rel != 1 {
				t.Fatalf("order %d: %d reserve and %d release ledger rows, want exactly 1 of each", orderID, r, rel)
			}
			p.checkConsistency(t)
		})
	}
}
