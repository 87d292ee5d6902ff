package service

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/kitemall/platform/kitex_gen/base"
	"github.com/kitemall/platform/kitex_gen/product"
	"github.com/kitemall/platform/pkg/errs"
)

func TestListProducts_PagingRules(t *testing.T) {
	cat := func(s string) *string { return &s }
	cases := []struct {
		name       string
		req        *product.ListProductsRequest
		wantCode   base.ErrorCode
		wantOffset int
		wantLimit  int
	}{
		{"absent page is page 1 of 20", &product.ListProductsRequest{}, 0, 0, 20},
		{"page 3 of 10 skips 20", &product.ListProductsRequest{Page: &base.PageRequest{Page: 3, PageSize: 10}}, 0, 20, 10},
		{"page_size 1 is allowed", &product.ListProductsRequest{Page: &base.PageRequest{Page: 1, PageSize: 1}}, 0, 0, 1},
		{"page_size 100 is allowed", &product.ListProductsRequest{Page: &base.PageRequest{Page: 2, PageSize: 100}}, 0, 100, 100},
		{"page_size 0 is invalid", &product.ListProductsRequest{Page: &base.PageRequest{Page: 1, PageSize: 0}}, base.ErrorCode_INVALID_ARGUMENT, 0, 0},
		{"page_size 101 is invalid", &product.ListProductsRequest{Page: &base.PageRequest{Page: 1, PageSize: 101}}, base.ErrorCode_INVALID_ARGUMENT, 0, 0},
		{"negative page_size is invalid", &product.ListProductsRequest{Page: &base.PageRequest{Page: 1, PageSize: -5}}, base.ErrorCode_INVALID_ARGUMENT, 0, 0},
		{"page 0 is invalid", &product.ListProductsRequest{Page: &base.PageRequest{Page: 0, PageSize: 10}}, base.ErrorCode_INVALID_ARGUMENT, 0, 0},
		{"category over 64 characters is invalid", &product.ListProductsRequest{Category: cat(strings.Repeat("c", 65))}, base.ErrorCode_INVALID_ARGUMENT, 0, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			repo := newFakeProducts()
			_, err := NewListProducts(newDeps(t, repo, nil, nil)).Run(t.Context(), tc.req)
			if tc.wantCode != 0 {
				if !errs.Is(err, tc.wantCode) {
					t.Fatalf("err = %v, want %v", err, tc.wantCode)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if repo.lastList.Offset != tc.wantOffset || repo.lastList.Limit != tc.wantLimit {
				t.Fatalf("query = %+v, want offset %d limit %d", repo.lastList, tc.wantOffset, tc.wantLimit)
			}
		})
	}
}

func TestListProducts_ReturnsActiveOfCategoryNewestFirstWithTotal(t *testing.T) {
	a, b, c, d := sample(1), sample(2), sample(3), sample(4)
	c.Category = "garden"
	d.Status = product.ProductStatus_INACTIVE
	repo := newFakeProducts(a, b, c, d)
	kitchen := "kitchen"
	resp, err := NewListProducts(newDeps(t, repo, nil, nil)).Run(t.Context(), &product.ListProductsRequest{
		Page: &base.PageRequest{Page: 1, PageSize: 10}, Category: &kitchen,
	})
	if err != nil {
		t.Fatal(err)
	}
	if repo.lastList.Category != "kitchen" {
		t.Fatalf("category passed = %q", repo.lastList.Category)
	}
	if got := ids(resp.Items); !slices.Equal(got, []int64{2, 1}) {
		t.Fatalf("items = %v, want [2 1]", got)
	}
	if resp.Page.Total != 2 || resp.Page.Page != 1 || resp.Page.PageSize != 10 {
		t.Fatalf("page = %+v, want page 1 of size 10, total 2", resp.Page)
	}
}

func TestListProducts_DatabaseFailureIsWrapped(t *testing.T) {
	repo := newFakeProducts()
	repo.err = errors.New("too many connections")
	_, err := NewListProducts(newDeps(t, repo, nil, nil)).Run(t.Context(), &product.ListProductsRequest{})
	if !errors.Is(err, repo.err) || errs.Code(err) != base.ErrorCode_UNKNOWN {
		t.Fatalf("err = %v, want the wrapped database error", err)
	}
}
