package service

import (
	"strings"
	"testing"

	"github.com/kitemall/platform/kitex_gen/base"
	"github.com/kitemall/platform/kitex_gen/product"
	"github.com/kitemall/platform/pkg/errs"
)

func validCreate() *product.CreateProductRequest {
	return &product.CreateProductRequest{Name: "mug", Description: "blue", Category: "kitchen", PriceCents: 1299, InitialStock: 10}
}

func TestCreateProduct_Validation(t *testing.T) {
	cases := []struct {
		name    string
		edit    func(r *product.CreateProductRequest)
		wantErr string // empty: accepted
	}{
		{"a plain product is accepted", func(*product.CreateProductRequest) {}, ""},
		{"name of 200 characters is accepted", func(r *product.CreateProductRequest) { r.Name = strings.Repeat("é", 200) }, ""},
		{"free product with no stock is accepted", func(r *product.CreateProductRequest) { r.PriceCents, r.InitialStock = 0, 0 }, ""},
		{"empty name is rejected", func(r *product.CreateProductRequest) { r.Name = "" }, "name"},
		{"blank name is rejected", func(r *product.CreateProductRequest) { r.Name = "   " }, "name"},
		{"name of 201 characters is rejected", func(r *product.CreateProductRequest) { r.Name = strings.Repeat("a", 201) }, "name"},
		{"invalid UTF-8 name is rejected", func(r *product.CreateProductRequest) { r.Name = "\xff" }, "name"},
		{"empty category is rejected", func(r *product.CreateProductRequest) { r.Category = "" }, "category"},
		{"category of 65 characters is rejected", func(r *product.CreateProductRequest) { r.Category = strings.Repeat("c", 65) }, "category"},
		{"description over 2000 characters is rejected", func(r *product.CreateProductRequest) { r.Description = strings.Repeat("d", 2001) }, "description"},
		{"negative price is rejected", func(r *product.CreateProductRequest) { r.PriceCents = -1 }, "price_cents"},
		{"absurd price is rejected", func(r *product.CreateProductRequest) { r.PriceCents = maxPriceCents + 1 }, "price_cents"},
		{"negative stock is rejected", func(r *product.CreateProductRequest) { r.InitialStock = -1 }, "initial_stock"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := validCreate()
			tc.edit(req)
			repo := newFakeProducts()
			resp, err := NewCreateProduct(newDeps(t, repo, newFakeCache(), nil)).Run(t.Context(), req)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if resp.Product.ProductId != 1 || resp.Product.Name != req.Name || resp.Product.Stock != req.InitialStock ||
					resp.Product.Status != product.ProductStatus_ACTIVE {
					t.Fatalf("product = %+v, want the request stored as ACTIVE", resp.Product)
				}
				return
			}
			if !errs.Is(err, base.ErrorCode_INVALID_ARGUMENT) || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want INVALID_ARGUMENT naming %s", err, tc.wantErr)
			}
			if len(repo.rows) != 0 {
				t.Fatal("an invalid product was stored")
			}
		})
	}
}

func TestCreateProduct_ReplacesAnAbsenceCachedForTheNewID(t *testing.T) {
	repo, cache := newFakeProducts(), newFakeCache()
	d := newDeps(t, repo, cache, nil)
	if _, err := NewGetProduct(d).Run(t.Context(), &product.GetProductRequest{ProductId: 1}); !errs.Is(err, base.ErrorCode_NOT_FOUND) {
		t.Fatalf("before create: err = %v, want NOT_FOUND", err)
	}
	if _, err := NewCreateProduct(d).Run(t.Context(), validCreate()); err != nil {
		t.Fatal(err)
	}
	resp, err := NewGetProduct(d).Run(t.Context(), &product.GetProductRequest{ProductId: 1})
	if err != nil {
		t.Fatalf("right after create: %v", err)
	}
	if resp.Product.Name != "mug" {
		t.Fatalf("name = %q", resp.Product.Name)
	}
}
