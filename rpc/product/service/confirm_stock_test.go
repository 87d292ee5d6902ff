package service

import (
	"errors"
	"slices"
	"testing"

	"github.com/kitemall/platform/kitex_gen/base"
	"github.com/kitemall/platform/kitex_gen/product"
	"github.com/kitemall/platform/pkg/errs"
)

func TestConfirmStock(t *testing.T) {
	changed := []RowVersion{{ID: 1, Version: 9}, {ID: 3, Version: 2}}
	cases := []struct {
		name          string
		order         int64
		change        StockChange
		repoErr       error
		wantCode      base.ErrorCode
		wantConfirmed bool
	}{
		{"held reservation is confirmed and its products invalidated", 9, StockChange{Applied: true, Changed: changed}, nil, 0, true},
		{"nothing held answers confirmed=false", 9, StockChange{}, nil, 0, false},
		{"negative order_id is invalid", -1, StockChange{}, nil, base.ErrorCode_INVALID_ARGUMENT, false},
		{"repository failure is wrapped", 9, StockChange{}, errors.New("gone"), base.ErrorCode_UNKNOWN, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			inv := &fakeInventory{change: tc.change, err: tc.repoErr}
			cache := newFakeCache()
			resp, err := NewConfirmStock(newDeps(t, nil, cache, inv)).Run(t.Context(), &product.ConfirmStockRequest{OrderId: tc.order})
			if tc.wantCode != 0 || tc.repoErr != nil {
				if err == nil || errs.Code(err) != tc.wantCode {
					t.Fatalf("err = %v, want code %v", err, tc.wantCode)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if resp.Confirmed != tc.wantConfirmed || inv.gotOrder != tc.order {
				t.Fatalf("confirmed = %v for order %d, want %v", resp.Confirmed, inv.gotOrder, tc.wantConfirmed)
			}
			if !slices.Equal(cache.invalidated, tc.change.Changed) {
				t.Fatalf("invalidated %v, want %v", cache.invalidated, tc.change.Changed)
			}
		})
	}
}
