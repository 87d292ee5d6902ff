package service

import (
	"errors"
	"slices"
	"testing"

	"github.com/kitemall/platform/kitex_gen/base"
	"github.com/kitemall/platform/kitex_gen/product"
	"github.com/kitemall/platform/pkg/errs"
)

func ids(ps []*product.Product) []int64 {
	out := make([]int64, len(ps))
	for i, p := range ps {
		out[i] = p.ProductId
	}
	return out
}

func TestBatchGetProducts_LoadsOnlyMissesInOneQueryAndKeepsRequestOrder(t *testing.T) {
	repo, cache := newFakeProducts(sample(1), sample(2), sample(3)), newFakeCache()
	cache.entries[1] = CacheEntry{ID: 1, Version: 3, Product: sample(1)}
	d := newDeps(t, repo, cache, nil)

	resp, err := NewBatchGetProducts(d).Run(t.Context(), &product.BatchGetProductsRequest{ProductIds: []int64{3, 1, 99, 2, 3}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ids(resp.Products), []int64{3, 1, 2}; !slices.Equal(got, want) {
		t.Fatalf("products = %v, want %v (request order, repeats once, unknown left out)", got, want)
	}
	if len(repo.gotMany) != 1 || !slices.Equal(repo.gotMany[0], []int64{2, 3, 99}) {
		t.Fatalf("database batches = %v, want one of the misses [2 3 99]", repo.gotMany)
	}
	if e, ok := cache.has(99); !ok || e.Product != nil {
		t.Fatalf("unknown ID 99 not remembered as absent: %+v, %v", e, ok)
	}

	// Everything is cached now, the absence included.
	if _, err := NewBatchGetProducts(d).Run(t.Context(), &product.BatchGetProductsRequest{ProductIds: []int64{1, 2, 3, 99}}); err != nil {
		t.Fatal(err)
	}
	if n := repo.getManys.Load() + repo.gets.Load(); n != 1 {
		t.Fatalf("database reads = %d, want still 1", n)
	}
}

func TestBatchGetProducts_SingleMissSharesTheGetProductLoad(t *testing.T) {
	repo, cache := newFakeProducts(sample(1), sample(2)), newFakeCache()
	cache.entries[1] = CacheEntry{ID: 1, Version: 3, Product: sample(1)}
	resp, err := NewBatchGetProducts(newDeps(t, repo, cache, nil)).Run(t.Context(), &product.BatchGetProductsRequest{ProductIds: []int64{1, 2}})
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(resp.Products); !slices.Equal(got, []int64{1, 2}) {
		t.Fatalf("products = %v", got)
	}
	if repo.gets.Load() != 1 || repo.getManys.Load() != 0 {
		t.Fatalf("gets = %d, batch gets = %d; want the single-ID load", repo.gets.Load(), repo.getManys.Load())
	}
}

func TestBatchGetProducts_ReadsTheDatabaseWhenTheCacheFails(t *testing.T) {
	repo, cache := newFakeProducts(sample(1), sample(2)), newFakeCache()
	cache.err = errors.New("timeout")
	resp, err := NewBatchGetProducts(newDeps(t, repo, cache, nil)).Run(t.Context(), &product.BatchGetProductsRequest{ProductIds: []int64{2, 1}})
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(resp.Products); !slices.Equal(got, []int64{2, 1}) {
		t.Fatalf("products = %v, want [2 1]", got)
	}
}

func TestBatchGetProducts_Validation(t *testing.T) {
	tooMany := make([]int64, 101)
	for i := range tooMany {
		tooMany[i] = int64(i + 1)
	}
	hundred := tooMany[:100]
	cases := []struct {
		name      string
		ids       []int64
		wantCode  base.ErrorCode
		wantCount int
	}{
		{"empty list answers nothing", nil, 0, 0},
		{"100 IDs are allowed", hundred, 0, 3},
		{"101 IDs are invalid", tooMany, base.ErrorCode_INVALID_ARGUMENT, 0},
		{"a zero ID is invalid", []int64{1, 0}, base.ErrorCode_INVALID_ARGUMENT, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			repo := newFakeProducts(sample(1), sample(2), sample(3))
			resp, err := NewBatchGetProducts(newDeps(t, repo, newFakeCache(), nil)).Run(t.Context(), &product.BatchGetProductsRequest{ProductIds: tc.ids})
			if tc.wantCode != 0 {
				if !errs.Is(err, tc.wantCode) {
					t.Fatalf("err = %v, want %v", err, tc.wantCode)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(resp.Products) != tc.wantCount {
				t.Fatalf("got %d products, want %d", len(resp.Products), tc.wantCount)
			}
		})
	}
}
