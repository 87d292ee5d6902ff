package service

import (
	"errors"
	"slices"
	"testing"

	"github.com/kitemall/platform/kitex_gen/base"
	"github.com/kitemall/platform/kitex_gen/product"
	"github.com/kitemall/platform/pkg/errs"
)

func reserveReq(order int64, items ...*product.StockItem) *product.ReserveStockRequest {
	return &product.ReserveStockRequest{OrderId: order, Items: items}
}

func item(id int64, q int32) *product.StockItem {
	return &product.StockItem{ProductId: id, Quantity: q}
}

func TestReserveStock_Validation(t *testing.T) {
	many := make([]*product.StockItem, 101)
	for i := range many {
		many[i] = item(int64(i+1), 1)
	}
	cases := []struct {
		name string
		req  *product.ReserveStockRequest
	}{
		{"zero order_id", reserveReq(0, item(1, 1))},
		{"no items", reserveReq(9)},
		{"more than 100 items", reserveReq(9, many...)},
		{"nil item", reserveReq(9, nil)},
		{"zero product_id", reserveReq(9, item(0, 1))},
		{"zero quantity", reserveReq(9, item(1, 0))},
		{"negative quantity", reserveReq(9, item(1, -2))},
		{"product twice", reserveReq(9, item(1, 1), item(1, 2))},
	}
	for _, tc := range cases {
		t.Run(tc.name+" is INVALID_ARGUMENT", func(t *testing.T) {
			inv := &fakeInventory{}
			_, err := NewReserveStock(newDeps(t, nil, newFakeCache(), inv)).Run(t.Context(), tc.req)
			if !errs.Is(err, base.ErrorCode_INVALID_ARGUMENT) {
				t.Fatalf("err = %v, want INVALID_ARGUMENT", err)
			}
			if inv.reserveCall != 0 {
				t.Fatal("an invalid reservation reached the repository")
			}
		})
	}
}

func TestReserveStock_RejectionsMapToTheirCodes(t *testing.T) {
	cases := []struct {
		reason RejectReason
		want   base.ErrorCode
	}{
		{RejectUnknownProduct, base.ErrorCode_NOT_FOUND},
		{RejectInactiveProduct, base.ErrorCode_FAILED_PRECONDITION},
		{RejectInsufficientStock, base.ErrorCode_INSUFFICIENT_STOCK},
	}
	for _, tc := range cases {
		t.Run(tc.want.String(), func(t *testing.T) {
			inv := &fakeInventory{err: wrapRepo(&RejectionError{ProductID: 4, Reason: tc.reason, Requested: 3, Available: 1})}
			cache := newFakeCache()
			_, err := NewReserveStock(newDeps(t, nil, cache, inv)).Run(t.Context(), reserveReq(9, item(4, 3)))
			if !errs.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if len(cache.invalidated) != 0 {
				t.Fatal("a rejected reservation invalidated the cache")
			}
		})
	}
}

// wrapRepo wraps like a repository does, so mapping must look through it.
func wrapRepo(err error) error { return errors.Join(errors.New("reserve"), err) }

func TestReserveStock_NewReservationInvalidatesTheChangedProducts(t *testing.T) {
	changed := []RowVersion{{ID: 1, Version: 8}, {ID: 2, Version: 4}}
	inv := &fakeInventory{reserve: ReserveResult{Changed: changed}}
	cache := newFakeCache()
	resp, err := NewReserveStock(newDeps(t, nil, cache, inv)).Run(t.Context(), reserveReq(9, item(2, 1), item(1, 5)))
	if err != nil {
		t.Fatal(err)
	}
	if !resp.NewlyReserved_ {
		t.Fatal("newly_reserved = false for a new reservation")
	}
	if want := []StockLine{{2, 1}, {1, 5}}; inv.gotOrder != 9 || !slices.Equal(inv.gotLines, want) {
		t.Fatalf("repository got order %d lines %v, want 9 %v", inv.gotOrder, inv.gotLines, want)
	}
	if !slices.Equal(cache.invalidated, changed) {
		t.Fatalf("invalidated %v, want %v", cache.invalidated, changed)
	}
}

func TestReserveStock_Replays(t *testing.T) {
	cases := []struct {
		name     string
		existing []StockLine
		wantCode base.ErrorCode // 0: newly_reserved=false
	}{
		{"same items in another order replay quietly", []StockLine{{1, 5}, {2, 1}}, 0},
		{"other quantity is an idempotency conflict", []StockLine{{1, 4}, {2, 1}}, base.ErrorCode_IDEMPOTENCY_CONFLICT},
		{"other product is an idempotency conflict", []StockLine{{1, 5}, {3, 1}}, base.ErrorCode_IDEMPOTENCY_CONFLICT},
		{"fewer items is an idempotency conflict", []StockLine{{1, 5}}, base.ErrorCode_IDEMPOTENCY_CONFLICT},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			inv := &fakeInventory{reserve: ReserveResult{Replayed: true, Existing: tc.existing}}
			cache := newFakeCache()
			resp, err := NewReserveStock(newDeps(t, nil, cache, inv)).Run(t.Context(), reserveReq(9, item(2, 1), item(1, 5)))
			if tc.wantCode != 0 {
				if !errs.Is(err, tc.wantCode) {
					t.Fatalf("err = %v, want %v", err, tc.wantCode)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if resp.NewlyReserved_ {
				t.Fatal("newly_reserved = true for a replay")
			}
			if len(cache.invalidated) != 0 {
				t.Fatal("a replay invalidated the cache")
			}
		})
	}
}

func TestReserveStock_RepositoryFailureIsWrapped(t *testing.T) {
	inv := &fakeInventory{err: errors.New("deadlock")}
	_, err := NewReserveStock(newDeps(t, nil, newFakeCache(), inv)).Run(t.Context(), reserveReq(9, item(1, 1)))
	if !errors.Is(err, inv.err) || errs.Code(err) != base.ErrorCode_UNKNOWN {
		t.Fatalf("err = %v, want the wrapped repository error", err)
	}
}
