package service

import (
	"errors"
	"strings"
	"testing"

	"github.com/kitemall/platform/kitex_gen/base"
	"github.com/kitemall/platform/kitex_gen/product"
	"github.com/kitemall/platform/pkg/errs"
)

func ptr[T any](v T) *T { return &v }

func TestUpdateProduct_Validation(t *testing.T) {
	cases := []struct {
		name    string
		req     *product.UpdateProductRequest
		wantErr string // empty: accepted
	}{
		{"price change is accepted", &product.UpdateProductRequest{ProductId: 5, PriceCents: ptr(int64(0))}, ""},
		{"restock is accepted", &product.UpdateProductRequest{ProductId: 5, AddStock: ptr(int64(1))}, ""},
		{"deactivation is accepted", &product.UpdateProductRequest{ProductId: 5, Status: ptr(product.ProductStatus_INACTIVE)}, ""},
		{"no field set is rejected", &product.UpdateProductRequest{ProductId: 5}, "at least one field"},
		{"zero product_id is rejected", &product.UpdateProductRequest{Name: ptr("x")}, "product_id"},
		{"empty name is rejected", &product.UpdateProductRequest{ProductId: 5, Name: ptr("")}, "name"},
		{"long category is rejected", &product.UpdateProductRequest{ProductId: 5, Category: ptr(strings.Repeat("c", 65))}, "category"},
		{"negative price is rejected", &product.UpdateProductRequest{ProductId: 5, PriceCents: ptr(int64(-1))}, "price_cents"},
		{"zero add_stock is rejected", &product.UpdateProductRequest{ProductId: 5, AddStock: ptr(int64(0))}, "add_stock"},
		{"negative add_stock is rejected", &product.UpdateProductRequest{ProductId: 5, AddStock: ptr(int64(-4))}, "add_stock"},
		{"unknown status is rejected", &product.UpdateProductRequest{ProductId: 5, Status: ptr(product.ProductStatus(9))}, "status"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			repo := newFakeProducts(sample(5))
			_, err := NewUpdateProduct(newDeps(t, repo, newFakeCache(), nil)).Run(t.Context(), tc.req)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if repo.rows[5].Version != 4 {
					t.Fatalf("version = %d, want 4 after the update", repo.rows[5].Version)
				}
				return
			}
			if !errs.Is(err, base.ErrorCode_INVALID_ARGUMENT) || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want INVALID_ARGUMENT naming %q", err, tc.wantErr)
			}
			if repo.rows[5].Version != 3 {
				t.Fatal("an invalid update was applied")
			}
		})
	}
}

func TestUpdateProduct_NextReadSeesTheChange(t *testing.T) {
	repo, cache := newFakeProducts(sample(5)), newFakeCache()
	d := newDeps(t, repo, cache, nil)
	if _, err := NewGetProduct(d).Run(t.Context(), &product.GetProductRequest{ProductId: 5}); err != nil {
		t.Fatal(err)
	}
	if _, ok := cache.has(5); !ok {
		t.Fatal("first read did not fill the cache")
	}
	if _, err := NewUpdateProduct(d).Run(t.Context(), &product.UpdateProductRequest{ProductId: 5, PriceCents: ptr(int64(999)), AddStock: ptr(int64(3))}); err != nil {
		t.Fatal(err)
	}
	resp, err := NewGetProduct(d).Run(t.Context(), &product.GetProductRequest{ProductId: 5})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Product.PriceCents != 999 || resp.Product.Stock != 10 {
		t.Fatalf("after update: price %d stock %d, want 999 and 10", resp.Product.PriceCents, resp.Product.Stock)
	}
}

func TestUpdateProduct_RepositoryOutcomes(t *testing.T) {
	dbErr := errors.New("lock wait timeout")
	cases := []struct {
		name     string
		id       int64
		repoErr  error
		wantCode base.ErrorCode
	}{
		{"unknown product is NOT_FOUND", 77, nil, base.ErrorCode_NOT_FOUND},
		{"database failure is wrapped, not a business error", 5, dbErr, base.ErrorCode_UNKNOWN},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			repo, cache := newFakeProducts(sample(5)), newFakeCache()
			repo.err = tc.repoErr
			_, err := NewUpdateProduct(newDeps(t, repo, cache, nil)).Run(t.Context(), &product.UpdateProductRequest{ProductId: tc.id, Name: ptr("cup")})
			if err == nil || errs.Code(err) != tc.wantCode {
				t.Fatalf("err = %v, want code %v", err, tc.wantCode)
			}
			if tc.repoErr != nil && !errors.Is(err, tc.repoErr) {
				t.Fatalf("err = %v does not wrap %v", err, tc.repoErr)
			}
			if len(cache.invalidated) != 0 {
				t.Fatalf("a failed update invalidated %v", cache.invalidated)
			}
		})
	}
}
