package service

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/kitemall/platform/kitex_gen/base"
	"github.com/kitemall/platform/kitex_gen/product"
	"github.com/kitemall/platform/pkg/errs"
)

func TestGetProduct_CacheHitDoesNotTouchTheDatabase(t *testing.T) {
	repo, cache := newFakeProducts(), newFakeCache()
	p := sample(5)
	cache.entries[5] = CacheEntry{ID: 5, Version: p.Version, Product: p}
	resp, err := NewGetProduct(newDeps(t, repo, cache, nil)).Run(t.Context(), &product.GetProductRequest{ProductId: 5})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Product.Name != "mug" || resp.Product.Stock != 7 || resp.Product.CreatedAtUnixMs != p.CreatedAt.UnixMilli() {
		t.Fatalf("product = %+v, want the cached mug with stock 7", resp.Product)
	}
	if n := repo.gets.Load(); n != 0 {
		t.Fatalf("database reads = %d, want 0 on a hit", n)
	}
}

func TestGetProduct_MissLoadsFromDatabaseAndFillsCache(t *testing.T) {
	repo, cache := newFakeProducts(sample(5)), newFakeCache()
	d := newDeps(t, repo, cache, nil)
	for range 3 {
		if _, err := NewGetProduct(d).Run(t.Context(), &product.GetProductRequest{ProductId: 5}); err != nil {
			t.Fatal(err)
		}
	}
	if n := repo.gets.Load(); n != 1 {
		t.Fatalf("database reads = %d, want 1 (then hits)", n)
	}
	if e, ok := cache.has(5); !ok || e.Version != 3 || e.Product.Name != "mug" {
		t.Fatalf("cache entry = %+v, %v; want the mug at version 3", e, ok)
	}
}

func TestGetProduct_UnknownIDIsNotFoundAndRememberedAsAbsent(t *testing.T) {
	repo, cache := newFakeProducts(), newFakeCache()
	d := newDeps(t, repo, cache, nil)
	for i := range 3 {
		_, err := NewGetProduct(d).Run(t.Context(), &product.GetProductRequest{ProductId: 404})
		if !errs.Is(err, base.ErrorCode_NOT_FOUND) {
			t.Fatalf("call %d: err = %v, want NOT_FOUND", i, err)
		}
	}
	if n := repo.gets.Load(); n != 1 {
		t.Fatalf("database reads = %d, want 1: the absence is cached", n)
	}
	if e, ok := cache.has(404); !ok || e.Product != nil || e.Version != 0 {
		t.Fatalf("cache entry = %+v, %v; want an absence at version 0", e, ok)
	}
}

func TestGetProduct_ConcurrentMissesHitTheDatabaseOnce(t *testing.T) {
	const callers = 50
	repo, cache := newFakeProducts(sample(5)), newFakeCache()
	repo.gate = make(chan struct{})
	d := newDeps(t, repo, cache, nil)

	var wg sync.WaitGroup
	errc := make(chan error, callers)
	for range callers {
		wg.Go(func() {
			resp, err := NewGetProduct(d).Run(t.Context(), &product.GetProductRequest{ProductId: 5})
			if err == nil && resp.Product.ProductId != 5 {
				err = errors.New("wrong product")
			}
			errc <- err
		})
	}
	// Hold the load open until every caller has missed the cache and so
	// joined the flight (they join right after their cache read).
	for cache.gets.Load() < callers {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	close(repo.gate)
	wg.Wait()
	close(errc)
	for err := range errc {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := repo.gets.Load(); n != 1 {
		t.Fatalf("database reads for %d concurrent misses = %d, want 1", callers, n)
	}
}

func TestGetProduct_ImpatientCallerDoesNotFailTheSharedLoad(t *testing.T) {
	repo, cache := newFakeProducts(sample(5)), newFakeCache()
	repo.gate = make(chan struct{})
	d := newDeps(t, repo, cache, nil)

	first, cancel := context.WithCancel(t.Context())
	firstErr := make(chan error, 1)
	go func() {
		_, err := NewGetProduct(d).Run(first, &product.GetProductRequest{ProductId: 5})
		firstErr <- err
	}()
	for repo.gets.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	second := make(chan error, 1)
	go func() {
		_, err := NewGetProduct(d).Run(t.Context(), &product.GetProductRequest{ProductId: 5})
		second <- err
	}()
	for cache.gets.Load() < 2 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-firstErr; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled caller: err = %v, want context.Canceled", err)
	}
	close(repo.gate)
	if err := <-second; err != nil {
		t.Fatalf("patient caller sharing the load: %v", err)
	}
	if n := repo.gets.Load(); n != 1 {
		t.Fatalf("database reads = %d, want 1", n)
	}
}

func TestGetProduct_ReadsTheDatabaseWhenTheCacheFails(t *testing.T) {
	repo, cache := newFakeProducts(sample(5)), newFakeCache()
	cache.err = errors.New("connection refused")
	d := newDeps(t, repo, cache, nil)
	for range 2 {
		resp, err := NewGetProduct(d).Run(t.Context(), &product.GetProductRequest{ProductId: 5})
		if err != nil {
			t.Fatalf("read with a dead cache: %v", err)
		}
		if resp.Product.Name != "mug" {
			t.Fatalf("name = %q", resp.Product.Name)
		}
	}
	if n := repo.gets.Load(); n != 2 {
		t.Fatalf("database reads = %d, want 2 (nothing can be cached)", n)
	}
}

func TestGetProduct_Errors(t *testing.T) {
	dbErr := errors.New("db down")
	cases := []struct {
		name     string
		id       int64
		repoErr  error
		wantCode base.ErrorCode
	}{
		{"zero id is invalid", 0, nil, base.ErrorCode_INVALID_ARGUMENT},
		{"negative id is invalid", -3, nil, base.ErrorCode_INVALID_ARGUMENT},
		{"database failure is not a business error", 5, dbErr, base.ErrorCode_UNKNOWN},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			repo := newFakeProducts(sample(5))
			repo.err = tc.repoErr
			_, err := NewGetProduct(newDeps(t, repo, newFakeCache(), nil)).Run(t.Context(), &product.GetProductRequest{ProductId: tc.id})
			if err == nil || errs.Code(err) != tc.wantCode {
				t.Fatalf("err = %v, want code %v", err, tc.wantCode)
			}
			if tc.repoErr != nil && !errors.Is(err, tc.repoErr) {
				t.Fatalf("err = %v does not wrap %v", err, tc.repoErr)
			}
		})
	}
}
