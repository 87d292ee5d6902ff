package dal

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/kitemall/platform/kitex_gen/product"
	"github.com/kitemall/platform/rpc/product/service"
)

func TestInventory_ReserveIsAllOrNothing(t *testing.T) {
	db := openDB(t)
	products, inv := NewProducts(db), NewInventory(db)
	a := mustCreate(t, products, "a", "c", 10)
	b := mustCreate(t, products, "b", "c", 10)
	short := mustCreate(t, products, "short", "c", 1)
	off := mustCreate(t, products, "off", "c", 10)
	inactive := product.ProductStatus_INACTIVE
	if _, err := products.Update(t.Context(), off.ID, service.ProductChange{Status: &inactive}); err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name   string
		last   service.StockLine
		reason service.RejectReason
	}{
		{"last item short", service.StockLine{ProductID: short.ID, Quantity: 5}, service.RejectInsufficientStock},
		{"last item unknown", service.StockLine{ProductID: 999999, Quantity: 1}, service.RejectUnknownProduct},
		{"last item inactive", service.StockLine{ProductID: off.ID, Quantity: 1}, service.RejectInactiveProduct},
	}
	for i, tc := range cases {
		t.Run(tc.name+" holds nothing", func(t *testing.T) {
			order := int64(100 + i)
			lines := []service.StockLine{{ProductID: a.ID, Quantity: 2}, {ProductID: b.ID, Quantity: 3}, tc.last}
			_, err := inv.Reserve(t.Context(), order, lines)
			rej, ok := errors.AsType[*service.RejectionError](err)
			if !ok || rej.Reason != tc.reason || rej.ProductID != tc.last.ProductID {
				t.Fatalf("err = %v, want rejection %d of product %d", err, tc.reason, tc.last.ProductID)
			}
			for _, id := range []int64{a.ID, b.ID} {
				if c := countersOf(t, db, id); c != (counters{10, 0, 0}) {
					t.Fatalf("product %d counters = %+v after a rejected reservation", id, c)
				}
			}
			var held int64
			if err := db.Raw("SELECT COUNT(*) FROM stock_reservations WHERE order_id = ?", order).Row().Scan(&held); err != nil {
				t.Fatal(err)
			}
			if held != 0 {
				t.Fatal("a rejected reservation left its row behind")
			}
		})
	}
	_, err := inv.Reserve(t.Context(), 200, []service.StockLine{{ProductID: short.ID, Quantity: 5}})
	if rej, ok := errors.AsType[*service.RejectionError](err); !ok || rej.Available != 1 || rej.Requested != 5 {
		t.Fatalf("err = %v, want a rejection reporting 5 requested, 1 available", err)
	}
	auditLedger(t, db)
}

func TestInventory_ReservationStateMachine(t *testing.T) {
	type step struct {
		op      string // reserve, release, confirm
		applied bool   // new reservation, or transition applied
	}
	cases := []struct {
		name  string
		steps []step
		want  counters
	}{
		{"reserve twice holds once", []step{{"reserve", true}, {"reserve", false}}, counters{7, 3, 0}},
		{"release twice releases once", []step{{"reserve", true}, {"release", true}, {"release", false}}, counters{10, 0, 0}},
		{"confirm after release does nothing", []step{{"reserve", true}, {"release", true}, {"confirm", false}}, counters{10, 0, 0}},
		{"release after confirm does nothing", []step{{"reserve", true}, {"confirm", true}, {"release", false}}, counters{7, 0, 3}},
		{"confirm twice sells once", []step{{"reserve", true}, {"confirm", true}, {"confirm", false}}, counters{7, 0, 3}},
		{"release without reservation does nothing", []step{{"release", false}, {"confirm", false}}, counters{10, 0, 0}},
		{"reserve after release stays released", []step{{"reserve", true}, {"release", true}, {"reserve", false}}, counters{10, 0, 0}},
		{"a reserve arriving after its release holds nothing", []step{{"release", false}, {"reserve", false}, {"release", false}}, counters{10, 0, 0}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			db := openDB(t)
			inv := NewInventory(db)
			p := mustCreate(t, NewProducts(db), "p", "c", 10)
			const order = 42
			lastVersion := p.Version
			for i, s := range tc.steps {
				var applied bool
				var changed []service.RowVersion
				var err error
				switch s.op {
				case "reserve":
					var res service.ReserveResult
					res, err = inv.Reserve(t.Context(), order, []service.StockLine{{ProductID: p.ID, Quantity: 3}})
					applied, changed = !res.Replayed, res.Changed
					if res.Replayed && !res.Tombstoned && !slices.Equal(res.Existing, []service.StockLine{{ProductID: p.ID, Quantity: 3}}) {
						t.Fatalf("step %d: replay returned lines %v", i, res.Existing)
					}
				case "release":
					var ch service.StockChange
					ch, err = inv.Release(t.Context(), order)
					applied, changed = ch.Applied, ch.Changed
				case "confirm":
					var ch service.StockChange
					ch, err = inv.Confirm(t.Context(), order)
					applied, changed = ch.Applied, ch.Changed
				}
				if err != nil {
					t.Fatalf("step %d %s: %v", i, s.op, err)
				}
				if applied != s.applied {
					t.Fatalf("step %d %s: applied = %v, want %v", i, s.op, applied, s.applied)
				}
				// A change reports the version it wrote, for the cache.
				if applied {
					if len(changed) != 1 || changed[0].ID != p.ID || changed[0].Version <= lastVersion {
						t.Fatalf("step %d %s: changed = %v, want product %d past version %d", i, s.op, changed, p.ID, lastVersion)
					}
					lastVersion = changed[0].Version
				} else if len(changed) != 0 {
					t.Fatalf("step %d %s: nothing applied but changed = %v", i, s.op, changed)
				}
			}
			if c := countersOf(t, db, p.ID); c != tc.want {
				t.Fatalf("counters = %+v, want %+v", c, tc.want)
			}
			auditLedger(t, db)
		})
	}
}

// The first ReserveStock of an order holds the key, two more calls for the
// order wait on it, and the first rolls back (say, it was short of stock):
// InnoDB then picks one waiter as a deadlock victim. Both must still get an
// answer, and the order must be held once.
func TestInventory_SameOrderWaitersSurviveTheFirstAttemptsRollback(t *testing.T) {
	db := openDB(t)
	inv := NewInventory(db)
	p := mustCreate(t, NewProducts(db), "p", "c", 10)
	lines := []service.StockLine{{ProductID: p.ID, Quantity: 1}}

	first := db.Begin()
	// A failing test must not leave the key locked (the database drop waits).
	t.Cleanup(func() { first.Rollback() })
	if err := first.Exec("INSERT INTO stock_reservations (order_id, state, created_at, updated_at) VALUES (7, 'HELD', ?, ?)", now(), now()).Error; err != nil {
		t.Fatal(err)
	}
	results := make(chan service.ReserveResult, 2)
	errc := make(chan error, 2)
	for range 2 {
		go func() {
			res, err := inv.Reserve(t.Context(), 7, lines)
			results <- res
			errc <- err
		}()
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		var waiting int
		if err := db.Raw("SELECT COUNT(*) FROM information_schema.INNODB_TRX WHERE trx_state = 'LOCK WAIT'").Row().Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d calls waiting on the first attempt's key, want 2", waiting)
		}
		// INNODB_TRX is a cache refreshed only when unread for 100 ms.
		time.Sleep(150 * time.Millisecond)
	}
	if err := first.Rollback().Error; err != nil {
		t.Fatal(err)
	}

	var newly, replayed int
	for range 2 {
		if err := <-errc; err != nil {
			t.Fatalf("a waiter failed: %v", err)
		}
		switch res := <-results; {
		case res.Replayed && slices.Equal(res.Existing, lines):
			replayed++
		case !res.Replayed:
			newly++
		}
	}
	if newly != 1 || replayed != 1 {
		t.Fatalf("%d new and %d replayed reservations, want 1 and 1", newly, replayed)
	}
	if c := countersOf(t, db, p.ID); c != (counters{9, 1, 0}) {
		t.Fatalf("counters = %+v, want one unit held", c)
	}
	auditLedger(t, db)
}
