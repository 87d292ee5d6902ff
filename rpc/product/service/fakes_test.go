package service

import (
	"context"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kitemall/platform/kitex_gen/product"
)

// fakeProducts is an in-memory ProductRepository that counts its reads.
// When gate is set, reads wait for it to close, to hold a load open.
type fakeProducts struct {
	mu       sync.Mutex
	rows     map[int64]*Product
	nextID   int64
	err      error
	gate     chan struct{}
	lastList ListQuery
	gets     atomic.Int64
	getManys atomic.Int64
	gotMany  [][]int64
}

func newFakeProducts(ps ...*Product) *fakeProducts {
	f := &fakeProducts{rows: map[int64]*Product{}}
	for _, p := range ps {
		f.rows[p.ID] = p
		f.nextID = max(f.nextID, p.ID)
	}
	return f
}

func (f *fakeProducts) wait(ctx context.Context) error {
	if f.gate == nil {
		return nil
	}
	select {
	case <-f.gate:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (f *fakeProducts) Create(_ context.Context, np NewProduct) (*Product, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	f.nextID++
	t := time.Now().UTC().Truncate(time.Millisecond)
	p := &Product{ID: f.nextID, Name: np.Name, Description: np.Description, Category: np.Category,
		PriceCents: np.PriceCents, Status: product.ProductStatus_ACTIVE, Available: np.InitialStock,
		Version: 1, CreatedAt: t, UpdatedAt: t}
	f.rows[p.ID] = p
	return clone(p), nil
}

func (f *fakeProducts) Update(_ context.Context, id int64, ch ProductChange) (*Product, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	p, ok := f.rows[id]
	if !ok {
		return nil, ErrNotFound
	}
	p = clone(p)
	if ch.Name != nil {
		p.Name = *ch.Name
	}
	if ch.PriceCents != nil {
		p.PriceCents = *ch.PriceCents
	}
	if ch.Status != nil {
		p.Status = *ch.Status
	}
	p.Available += ch.AddStock
	p.Version++
	f.rows[id] = p
	return clone(p), nil
}

func (f *fakeProducts) Get(ctx context.Context, id int64) (*Product, error) {
	f.gets.Add(1)
	if err := f.wait(ctx); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	p, ok := f.rows[id]
	if !ok {
		return nil, ErrNotFound
	}
	return clone(p), nil
}

func (f *fakeProducts) GetMany(ctx context.Context, ids []int64) ([]*Product, error) {
	f.getManys.Add(1)
	if err := f.wait(ctx); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.gotMany = append(f.gotMany, slices.Clone(ids))
	if f.err != nil {
		return nil, f.err
	}
	var out []*Product
	for _, id := range ids {
		if p, ok := f.rows[id]; ok {
			out = append(out, clone(p))
		}
	}
	return out, nil
}

func (f *fakeProducts) ListActive(_ context.Context, q ListQuery) ([]*Product, int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lastList = q
	if f.err != nil {
		return nil, 0, f.err
	}
	var match []*Product
	for _, id := range slices.Sorted(maps.Keys(f.rows)) {
		if p := f.rows[id]; p.Status == product.ProductStatus_ACTIVE && (q.Category == "" || p.Category == q.Category) {
			match = append([]*Product{clone(p)}, match...)
		}
	}
	total := int64(len(match))
	if q.Offset >= len(match) {
		return nil, total, nil
	}
	return match[q.Offset:min(len(match), q.Offset+q.Limit)], total, nil
}

func clone(p *Product) *Product {
	c := *p
	return &c
}

// fakeCache is an in-memory ProductCache with the versioning rule of the
// real one: nothing older than what it holds is stored.
type fakeCache struct {
	mu          sync.Mutex
	entries     map[int64]CacheEntry
	held        map[int64]int64
	err         error
	gets        atomic.Int64
	invalidated []RowVersion
}

func newFakeCache() *fakeCache {
	return &fakeCache{entries: map[int64]CacheEntry{}, held: map[int64]int64{}}
}

func (c *fakeCache) Get(_ context.Context, ids []int64) (map[int64]CacheEntry, error) {
	c.gets.Add(1)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return nil, c.err
	}
	out := map[int64]CacheEntry{}
	for _, id := range ids {
		if e, ok := c.entries[id]; ok {
			out[id] = e
		}
	}
	return out, nil
}

func (c *fakeCache) Fill(_ context.Context, entries []CacheEntry) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return c.err
	}
	for _, e := range entries {
		if v, ok := c.held[e.ID]; !ok || v <= e.Version {
			c.entries[e.ID], c.held[e.ID] = e, e.Version
		}
	}
	return nil
}

func (c *fakeCache) Invalidate(_ context.Context, rows []RowVersion) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.invalidated = append(c.invalidated, rows...)
	if c.err != nil {
		return c.err
	}
	for _, r := range rows {
		if v, ok := c.held[r.ID]; !ok || v <= r.Version {
			delete(c.entries, r.ID)
			c.held[r.ID] = r.Version
		}
	}
	return nil
}

func (c *fakeCache) has(id int64) (CacheEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[id]
	return e, ok
}

// fakeInventory returns canned results and records what it was asked.
type fakeInventory struct {
	reserve     ReserveResult
	change      StockChange
	err         error
	gotOrder    int64
	gotLines    []StockLine
	reserveCall int
}

func (f *fakeInventory) Reserve(_ context.Context, orderID int64, lines []StockLine) (ReserveResult, error) {
	f.reserveCall++
	f.gotOrder, f.gotLines = orderID, lines
	return f.reserve, f.err
}

func (f *fakeInventory) Release(_ context.Context, orderID int64) (StockChange, error) {
	f.gotOrder = orderID
	return f.change, f.err
}

func (f *fakeInventory) Confirm(_ context.Context, orderID int64) (StockChange, error) {
	f.gotOrder = orderID
	return f.change, f.err
}

func newDeps(t *testing.T, products *fakeProducts, cache *fakeCache, inv *fakeInventory) *Deps {
	t.Helper()
	return &Deps{
		Service: "product", Instance: "127.0.0.1:1",
		Products: products, Cache: cache, Inventory: inv,
		LoadTimeout: 2 * time.Second,
		Logger:      slog.New(slog.NewTextHandler(t.Output(), nil)),
	}
}

func sample(id int64) *Product {
	t := time.Date(2026, 1, 2, 3, 4, 5, 6e6, time.UTC)
	return &Product{ID: id, Name: "mug", Description: "blue", Category: "kitchen", PriceCents: 1299,
		Status: product.ProductStatus_ACTIVE, Available: 7, Version: 3, CreatedAt: t, UpdatedAt: t}
}
