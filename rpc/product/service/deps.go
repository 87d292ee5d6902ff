// Package service holds the product service's business operations, one per
// file. Operations depend on the interfaces declared here; package dal
// implements them on MariaDB and Redis.
package service

import (
	"context"
	"log/slog"
	"time"

	"golang.org/x/sync/singleflight"
)

// ProductRepository stores the catalog.
type ProductRepository interface {
	// Create stores p as ACTIVE, records its initial stock in the ledger and
	// returns it with its ID.
	Create(ctx context.Context, p NewProduct) (*Product, error)
	// Update applies ch (a restock is recorded in the ledger) and returns
	// the product as written; ErrNotFound when it does not exist.
	Update(ctx context.Context, id int64, ch ProductChange) (*Product, error)
	// Get returns ErrNotFound when the product does not exist.
	Get(ctx context.Context, id int64) (*Product, error)
	// GetMany returns the products that exist among ids, in any order.
	GetMany(ctx context.Context, ids []int64) ([]*Product, error)
	// ListActive returns one page of ACTIVE products, newest first, and
	// how many match the query in all.
	ListActive(ctx context.Context, q ListQuery) ([]*Product, int64, error)
}

// InventoryRepository moves stock between a product's counters, atomically
// and at most once per order.
type InventoryRepository interface {
	// Reserve moves every line from available to reserved for orderID, or
	// nothing: a line that cannot be held returns a *RejectionError. A
	// second call for the same orderID changes nothing and returns Replayed
	// with the lines held the first time.
	Reserve(ctx context.Context, orderID int64, lines []StockLine) (ReserveResult, error)
	// Release moves a HELD reservation back to available.
	Release(ctx context.Context, orderID int64) (StockChange, error)
	// Confirm moves a HELD reservation to sold.
	Confirm(ctx context.Context, orderID int64) (StockChange, error)
}

// CacheEntry is what the cache knows about one product ID: the product at
// Version, or (Product nil, Version 0) that the ID does not exist.
type CacheEntry struct {
	ID      int64
	Version int64
	Product *Product
}

// ProductCache is a shared, versioned cache of products.
type ProductCache interface {
	// Get returns the entries cached for ids; an ID with no usable entry
	// is left out.
	Get(ctx context.Context, ids []int64) (map[int64]CacheEntry, error)
	// Fill stores entries, except over an entry or invalidation of a newer
	// version, so a slow reader can never put back data a writer replaced.
	Fill(ctx context.Context, entries []CacheEntry) error
	// Invalidate drops the entries of the rows and remembers their new
	// versions for a while, so older data is refused by Fill.
	Invalidate(ctx context.Context, rows []RowVersion) error
}

// Deps is everything the operations need, built once per process. It must
// not be copied after first use.
type Deps struct {
	// Service and Instance are reported by Ping: the registered name and
	// the host:port this instance listens on.
	Service   string
	Instance  string
	Products  ProductRepository
	Inventory InventoryRepository
	Cache     ProductCache
	// LoadTimeout bounds one database load shared by coalesced cache
	// misses; it must stay below the cache's invalidation memory.
	LoadTimeout time.Duration
	Logger      *slog.Logger

	flights singleflight.Group
}
