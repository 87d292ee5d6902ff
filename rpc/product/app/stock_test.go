package app_test

import (
	"database/sql"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kitemall/platform/kitex_gen/base"
	"github.com/kitemall/platform/kitex_gen/product"
	"github.com/kitemall/platform/pkg/errs"
)

type counters struct{ available, reserved, sold int64 }

func countersOf(t *testing.T, db *sql.DB, id int64) counters {
	t.Helper()
	var c counters
	if err := db.QueryRowContext(t.Context(), "SELECT available, reserved, sold FROM products WHERE id = ?", id).
		Scan(&c.available, &c.reserved, &c.sold); err != nil {
		t.Fatal(err)
	}
	return c
}

// ledgerSums returns the sums of the product's ledger rows, per counter.
func ledgerSums(t *testing.T, db *sql.DB, id int64) counters {
	t.Helper()
	var c counters
	if err := db.QueryRowContext(t.Context(), `SELECT COALESCE(SUM(available_delta), 0), COALESCE(SUM(reserved_delta), 0),
		COALESCE(SUM(sold_delta), 0) FROM stock_ledger WHERE product_id = ?`, id).Scan(&c.available, &c.reserved, &c.sold); err != nil {
		t.Fatal(err)
	}
	return c
}

func countRows(t *testing.T, db *sql.DB, query string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := db.QueryRowContext(t.Context(), query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestReserveStock_RaceForTheLastUnitsNeverOversells(t *testing.T) {
	const (
		racers = 40
		units  = 10
	)
	s := newStack(t)
	c := startOne(t, s, nil)
	db := openDB(t, s.mysql)
	p := create(t, c, "last units", units)

	// A sampler watches the counters while the race runs.
	var minAvailable atomic.Int64
	minAvailable.Store(units)
	sampling := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			select {
			case <-sampling:
				return
			default:
			}
			if got := countersOf(t, db, p.ProductId); got.available < minAvailable.Load() {
				minAvailable.Store(got.available)
			}
			time.Sleep(2 * time.Millisecond)
		}
	}()

	var won, short atomic.Int64
	var wg sync.WaitGroup
	gate := make(chan struct{})
	for i := range racers {
		wg.Go(func() {
			<-gate
			resp, err := c.ReserveStock(t.Context(), &product.ReserveStockRequest{
				OrderId: int64(1000 + i), Items: []*product.StockItem{{ProductId: p.ProductId, Quantity: 1}},
			})
			switch {
			case err == nil && resp.NewlyReserved_:
				won.Add(1)
			case errs.Is(err, base.ErrorCode_INSUFFICIENT_STOCK):
				short.Add(1)
			default:
				t.Errorf("racer %d: resp %v, err %v; want a reservation or INSUFFICIENT_STOCK", i, resp, err)
			}
		})
	}
	began := time.Now()
	close(gate)
	wg.Wait()
	t.Logf("%d reservations raced for %d units in %v", racers, units, time.Since(began))
	close(sampling)
	<-sampled

	if won.Load() != units || short.Load() != racers-units {
		t.Fatalf("%d won, %d short; want exactly %d and %d", won.Load(), short.Load(), units, racers-units)
	}
	if m := minAvailable.Load(); m < 0 {
		t.Fatalf("available went down to %d", m)
	}
	if got := countersOf(t, db, p.ProductId); got != (counters{0, units, 0}) {
		t.Fatalf("counters = %+v, want all %d units reserved", got, units)
	}
	if got := stockOf(t, c, p.ProductId); got != 0 {
		t.Fatalf("GetProduct stock = %d, want 0", got)
	}
	if n := countRows(t, db, "SELECT COUNT(*) FROM stock_reservations WHERE state = 'HELD'"); n != units {
		t.Fatalf("%d held reservations, want %d", n, units)
	}
	// initial - available = units reserved = what the reserve rows took.
	if taken := -countRows(t, db, "SELECT SUM(available_delta) FROM stock_ledger WHERE kind = 'reserve' AND product_id = ?", p.ProductId); taken != units {
		t.Fatalf("reserve ledger rows took %d units, want %d", taken, units)
	}
	if sums := ledgerSums(t, db, p.ProductId); sums != countersOf(t, db, p.ProductId) {
		t.Fatalf("ledger sums %+v disagree with counters", sums)
	}

	// Settle the winners: half paid, half cancelled. The books still add up.
	rows, err := db.QueryContext(t.Context(), "SELECT order_id FROM stock_reservations ORDER BY order_id")
	if err != nil {
		t.Fatal(err)
	}
	var orders []int64
	for rows.Next() {
		var o int64
		if err := rows.Scan(&o); err != nil {
			t.Fatal(err)
		}
		orders = append(orders, o)
	}
	rows.Close()
	for i, o := range orders {
		if i%2 == 0 {
			_, err = c.ConfirmStock(t.Context(), &product.ConfirmStockRequest{OrderId: o})
		} else {
			_, err = c.ReleaseStock(t.Context(), &product.ReleaseStockRequest{OrderId: o})
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := countersOf(t, db, p.ProductId); got != (counters{units / 2, 0, units / 2}) {
		t.Fatalf("after settling: counters = %+v, want half available, half sold", got)
	}
	if sums := ledgerSums(t, db, p.ProductId); sums != countersOf(t, db, p.ProductId) {
		t.Fatalf("after settling: ledger sums %+v disagree with counters", sums)
	}
	if got := stockOf(t, c, p.ProductId); got != units/2 {
		t.Fatalf("after settling: GetProduct stock = %d, want %d", got, units/2)
	}
}

func TestReserveStock_MultiItemWithLastItemShortHoldsNothing(t *testing.T) {
	s := newStack(t)
	c := startOne(t, s, nil)
	db := openDB(t, s.mysql)
	a, b, last := create(t, c, "a", 10), create(t, c, "b", 10), create(t, c, "last", 1)
	// Read everything once, so stale cache entries would show.
	for _, p := range []*product.Product{a, b, last} {
		stockOf(t, c, p.ProductId)
	}
	req := &product.ReserveStockRequest{OrderId: 77, Items: []*product.StockItem{
		{ProductId: a.ProductId, Quantity: 2}, {ProductId: b.ProductId, Quantity: 3}, {ProductId: last.ProductId, Quantity: 2},
	}}
	if _, err := c.ReserveStock(t.Context(), req); !errs.Is(err, base.ErrorCode_INSUFFICIENT_STOCK) {
		t.Fatalf("err = %v, want INSUFFICIENT_STOCK", err)
	}
	for _, p := range []*product.Product{a, b, last} {
		if got := countersOf(t, db, p.ProductId); got != (counters{p.Stock, 0, 0}) {
			t.Fatalf("product %s counters = %+v after a refused reservation, want untouched", p.Name, got)
		}
		if got := stockOf(t, c, p.ProductId); got != p.Stock {
			t.Fatalf("product %s stock = %d, want %d", p.Name, got, p.Stock)
		}
	}
	if n := countRows(t, db, "SELECT COUNT(*) FROM stock_ledger WHERE kind = 'reserve'"); n != 0 {
		t.Fatalf("%d reserve ledger rows after a refused reservation", n)
	}

	// Nothing was kept for the order, so it can reserve what is there.
	req.Items[2].Quantity = 1
	resp, err := c.ReserveStock(t.Context(), req)
	if err != nil || !resp.NewlyReserved_ {
		t.Fatalf("retry with enough stock: %v, %v", resp, err)
	}
	for p, want := range map[*product.Product]int64{a: 8, b: 7, last: 0} {
		if got := stockOf(t, c, p.ProductId); got != want {
			t.Fatalf("product %s stock = %d, want %d", p.Name, got, want)
		}
	}
}

func TestStock_EachOperationAppliesOncePerOrder(t *testing.T) {
	s := newStack(t)
	c := startOne(t, s, nil)
	db := openDB(t, s.mysql)
	p := create(t, c, "idempotent", 10)
	reserve := func(order int64, q int32) (*product.ReserveStockResponse, error) {
		return c.ReserveStock(t.Context(), &product.ReserveStockRequest{
			OrderId: order, Items: []*product.StockItem{{ProductId: p.ProductId, Quantity: q}},
		})
	}

	// Reserve twice: held once.
	for i, want := range []bool{true, false} {
		resp, err := reserve(1, 3)
		if err != nil || resp.NewlyReserved_ != want {
			t.Fatalf("reserve #%d: %v, %v; want newly_reserved=%v", i+1, resp, err, want)
		}
	}
	if got := stockOf(t, c, p.ProductId); got != 7 {
		t.Fatalf("stock = %d after a repeated reservation of 3, want 7", got)
	}
	if _, err := reserve(1, 4); !errs.Is(err, base.ErrorCode_IDEMPOTENCY_CONFLICT) {
		t.Fatalf("same order, other quantity: err = %v, want IDEMPOTENCY_CONFLICT", err)
	}

	// Release twice: released once.
	for i, want := range []bool{true, false} {
		resp, err := c.ReleaseStock(t.Context(), &product.ReleaseStockRequest{OrderId: 1})
		if err != nil || resp.Released != want {
			t.Fatalf("release #%d: %v, %v; want released=%v", i+1, resp, err, want)
		}
	}
	if got := stockOf(t, c, p.ProductId); got != 10 {
		t.Fatalf("stock = %d after release, want 10", got)
	}

	// Confirm after release: nothing happens, nothing is sold.
	if resp, err := c.ConfirmStock(t.Context(), &product.ConfirmStockRequest{OrderId: 1}); err != nil || resp.Confirmed {
		t.Fatalf("confirm after release: %v, %v; want confirmed=false", resp, err)
	}
	if got := countersOf(t, db, p.ProductId); got != (counters{10, 0, 0}) {
		t.Fatalf("counters = %+v, want nothing sold or held", got)
	}

	// The same order racing itself from 10 callers holds once.
	var newly atomic.Int64
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			resp, err := reserve(2, 4)
			if err != nil {
				t.Errorf("concurrent reserve of one order: %v", err)
				return
			}
			if resp.NewlyReserved_ {
				newly.Add(1)
			}
		})
	}
	wg.Wait()
	if newly.Load() != 1 {
		t.Fatalf("%d callers got newly_reserved=true for one order, want 1", newly.Load())
	}
	if got := countersOf(t, db, p.ProductId); got != (counters{6, 4, 0}) {
		t.Fatalf("counters = %+v, want 4 held once", got)
	}
	if sums := ledgerSums(t, db, p.ProductId); sums != (counters{6, 4, 0}) {
		t.Fatalf("ledger sums = %+v, want them equal to the counters", sums)
	}
}
