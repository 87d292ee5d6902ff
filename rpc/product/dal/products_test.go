package dal

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/kitemall/platform/kitex_gen/product"
	"github.com/kitemall/platform/rpc/product/service"
)

func TestProducts_CreateUpdateGetRoundTripAndRestockLedger(t *testing.T) {
	db := openDB(t)
	r := NewProducts(db)
	created, err := r.Create(t.Context(), service.NewProduct{Name: "mug", Description: "blue", Category: "kitchen", PriceCents: 1299, InitialStock: 5})
	if err != nil {
		t.Fatal(err)
	}
	got, err := r.Get(t.Context(), created.ID)
	if err != nil {
		t.Fatal(err)
	}
	if *got != *created {
		t.Fatalf("read %+v, created %+v: a write must return what a read returns", got, created)
	}
	if created.Version != 1 || created.Status != product.ProductStatus_ACTIVE || created.Available != 5 {
		t.Fatalf("created = %+v, want version 1, ACTIVE, 5 available", created)
	}

	name, inactive := "cup", product.ProductStatus_INACTIVE
	updated, err := r.Update(t.Context(), created.ID, service.ProductChange{Name: &name, Status: &inactive, AddStock: 3})
	if err != nil {
		t.Fatal(err)
	}
	if updated.Name != "cup" || updated.Status != inactive || updated.Available != 8 || updated.Version != 2 ||
		updated.Description != "blue" || updated.PriceCents != 1299 || updated.UpdatedAt.Before(created.UpdatedAt) {
		t.Fatalf("updated = %+v, want cup, INACTIVE, 8 available, version 2, other fields kept", updated)
	}
	if got, err = r.Get(t.Context(), created.ID); err != nil || *got != *updated {
		t.Fatalf("read after update = %+v, %v; want %+v", got, err, updated)
	}
	auditLedger(t, db)
}

func TestProducts_UnknownIDIsErrNotFound(t *testing.T) {
	r := NewProducts(openDB(t))
	name := "x"
	if _, err := r.Update(t.Context(), 424242, service.ProductChange{Name: &name}); !errors.Is(err, service.ErrNotFound) {
		t.Fatalf("update: err = %v, want ErrNotFound", err)
	}
	if _, err := r.Get(t.Context(), 424242); !errors.Is(err, service.ErrNotFound) {
		t.Fatalf("get: err = %v, want ErrNotFound", err)
	}
	got, err := r.GetMany(t.Context(), []int64{424242})
	if err != nil || len(got) != 0 {
		t.Fatalf("get many = %v, %v; want nothing", got, err)
	}
}

func TestProducts_ListActiveIsNewestFirstFilteredAndStablyPaged(t *testing.T) {
	db := openDB(t)
	r := NewProducts(db)
	var kitchen []int64
	for i := range 5 {
		kitchen = append(kitchen, mustCreate(t, r, "k", "kitchen", int64(i)).ID)
	}
	mustCreate(t, r, "g1", "garden", 1)
	mustCreate(t, r, "g2", "garden", 1)
	inactive := product.ProductStatus_INACTIVE
	if _, err := r.Update(t.Context(), kitchen[2], service.ProductChange{Status: &inactive}); err != nil {
		t.Fatal(err)
	}
	wantKitchen := []int64{kitchen[4], kitchen[3], kitchen[1], kitchen[0]}

	var paged []int64
	for offset := 0; offset < 6; offset += 2 {
		page, total, err := r.ListActive(t.Context(), service.ListQuery{Category: "kitchen", Offset: offset, Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		if total != 4 {
			t.Fatalf("total = %d, want 4 active kitchen products", total)
		}
		for _, p := range page {
			paged = append(paged, p.ID)
		}
	}
	if !slices.Equal(paged, wantKitchen) {
		t.Fatalf("pages = %v, want %v (newest first, inactive left out, no repeats)", paged, wantKitchen)
	}

	all, total, err := r.ListActive(t.Context(), service.ListQuery{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if total != 6 || len(all) != 6 || !slices.IsSortedFunc(all, func(a, b *service.Product) int { return int(b.ID - a.ID) }) {
		t.Fatalf("unfiltered: %d of total %d, want all 6 newest first", len(all), total)
	}
}

func TestProducts_TimesAreUTCAtMillisecondPrecision(t *testing.T) {
	r := NewProducts(openDB(t))
	before := time.Now().UTC().Truncate(time.Millisecond)
	p := mustCreate(t, r, "clock", "misc", 0)
	if p.CreatedAt.Location() != time.UTC || p.CreatedAt.Before(before) || p.CreatedAt.Nanosecond()%int(time.Millisecond) != 0 {
		t.Fatalf("created_at = %v, want UTC, ms precision, not before %v", p.CreatedAt, before)
	}
}
