package service

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/kitemall/platform/kitex_gen/base"
	"github.com/kitemall/platform/kitex_gen/order"
	"github.com/kitemall/platform/pkg/errs"
)

// fakeOrders is an in-memory Orders with the same unique key and
// conditional updates as the database.
type fakeOrders struct {
	mu     sync.Mutex
	byID   map[int64]*Order
	byKey  map[string]int64
	failOn error // returned by Create when set
	// beforeCreate runs inside Create before the key check, to let a test
	// slip a concurrent winner in.
	beforeCreate func()
	listOffset   int
	listLimit    int
}

func newFakeOrders() *fakeOrders {
	return &fakeOrders{byID: map[int64]*Order{}, byKey: map[string]int64{}}
}

func keyOf(userID int64, key string) string { return fmt.Sprintf("%d/%s", userID, key) }

func clone(o *Order) *Order {
	c := *o
	c.Items = append([]Item(nil), o.Items...)
	return &c
}

func (f *fakeOrders) Create(_ context.Context, o *Order) error {
	if f.beforeCreate != nil {
		f.beforeCreate()
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failOn != nil {
		return f.failOn
	}
	if _, taken := f.byKey[keyOf(o.UserID, o.IdempotencyKey)]; taken {
		return ErrDuplicateKey
	}
	f.byID[o.ID] = clone(o)
	f.byKey[keyOf(o.UserID, o.IdempotencyKey)] = o.ID
	return nil
}

func (f *fakeOrders) ByIdempotencyKey(_ context.Context, userID int64, key string) (*Order, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	id, ok := f.byKey[keyOf(userID, key)]
	if !ok {
		return nil, ErrNotFound
	}
	return clone(f.byID[id]), nil
}

func (f *fakeOrders) Get(_ context.Context, userID, orderID int64) (*Order, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	o, ok := f.byID[orderID]
	if !ok || o.UserID != userID {
		return nil, ErrNotFound
	}
	return clone(o), nil
}

func (f *fakeOrders) List(_ context.Context, userID int64, offset, limit int) ([]*Order, int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.listOffset, f.listLimit = offset, limit
	var all []*Order
	for _, o := range f.byID {
		if o.UserID == userID {
			all = append(all, clone(o))
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].ID > all[j].ID })
	total := int64(len(all))
	if offset >= len(all) {
		return nil, total, nil
	}
	return all[offset:min(offset+limit, len(all))], total, nil
}

func (f *fakeOrders) Cancel(_ context.Context, userID, orderID int64, reason string, at time.Time) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	o, ok := f.byID[orderID]
	if !ok || o.UserID != userID || o.Status != order.OrderStatus_PENDING_PAYMENT {
		return false, nil
	}
	o.Status, o.CancelReason, o.UpdatedAt = order.OrderStatus_CANCELLED, reason, at
	return true, nil
}

func (f *fakeOrders) setStatus(orderID int64, s order.OrderStatus) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.byID[orderID].Status = s
}

func (f *fakeOrders) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.byID)
}

// fakeCatalog keeps stock and reservations like the product service:
// all-or-nothing, idempotent per order ID.
type fakeCatalog struct {
	mu       sync.Mutex
	products map[int64]Product
	stock    map[int64]int64
	held     map[int64][]StockItem
	// reserveErr is returned by Reserve; with reserveApplies the
	// reservation is made first, as when a response is lost in a timeout.
	reserveErr     error
	reserveApplies bool
	releaseErr     error
	reserveCalls   int
	releases       []int64
}

func newFakeCatalog(products ...Product) *fakeCatalog {
	c := &fakeCatalog{products: map[int64]Product{}, stock: map[int64]int64{}, held: map[int64][]StockItem{}}
	for _, p := range products {
		c.products[p.ID] = p
		c.stock[p.ID] = 100
	}
	return c
}

func (c *fakeCatalog) Products(_ context.Context, ids []int64) ([]Product, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []Product
	for _, id := range ids {
		if p, ok := c.products[id]; ok {
			out = append(out, p)
		}
	}
	return out, nil
}

func (c *fakeCatalog) Reserve(_ context.Context, orderID int64, items []StockItem) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reserveCalls++
	if c.reserveErr != nil && !c.reserveApplies {
		return c.reserveErr
	}
	if _, ok := c.held[orderID]; !ok {
		for _, it := range items {
			if c.stock[it.ProductID] < int64(it.Quantity) {
				return errs.New(base.ErrorCode_INSUFFICIENT_STOCK, "product %d: not enough stock", it.ProductID)
			}
		}
		for _, it := range items {
			c.stock[it.ProductID] -= int64(it.Quantity)
		}
		c.held[orderID] = items
	}
	return c.reserveErr
}

func (c *fakeCatalog) Release(_ context.Context, orderID int64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.releases = append(c.releases, orderID)
	if c.releaseErr != nil {
		return c.releaseErr
	}
	for _, it := range c.held[orderID] {
		c.stock[it.ProductID] += int64(it.Quantity)
	}
	delete(c.held, orderID)
	return nil
}

func (c *fakeCatalog) stockOf(id int64) int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stock[id]
}

func (c *fakeCatalog) heldCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.held)
}

// fakeLocks is an in-process Locker; with err set, every Lock fails.
type fakeLocks struct {
	mu    sync.Mutex
	locks map[string]chan struct{}
	err   error
}

func (l *fakeLocks) Lock(ctx context.Context, name string) (func() error, error) {
	if l.err != nil {
		return nil, l.err
	}
	l.mu.Lock()
	if l.locks == nil {
		l.locks = map[string]chan struct{}{}
	}
	ch, ok := l.locks[name]
	if !ok {
		ch = make(chan struct{}, 1)
		l.locks[name] = ch
	}
	l.mu.Unlock()
	select {
	case ch <- struct{}{}:
		return func() error { <-ch; return nil }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// seqIDs issues 1001, 1002, ...
type seqIDs struct {
	mu   sync.Mutex
	next int64
}

func (s *seqIDs) Next() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.next++
	return 1000 + s.next
}

var testNow = time.Date(2026, 3, 4, 5, 6, 7, 891_234_567, time.UTC)

// fixture wires every operation to fakes.
type fixture struct {
	orders  *fakeOrders
	catalog *fakeCatalog
	locks   *fakeLocks
	deps    Deps
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{
		orders: newFakeOrders(),
		catalog: newFakeCatalog(
			Product{ID: 1, Name: "pen", PriceCents: 150, Active: true},
			Product{ID: 2, Name: "ink", PriceCents: 899, Active: true},
			Product{ID: 3, Name: "paper", PriceCents: 1000, Active: true},
			Product{ID: 9, Name: "retired", PriceCents: 500, Active: false},
		),
		locks: &fakeLocks{},
	}
	f.deps = Deps{
		Orders: f.orders, Catalog: f.catalog, Locks: f.locks, IDs: &seqIDs{},
		Clock:   func() time.Time { return testNow },
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
		Service: "order", Instance: "127.0.0.1:8883",
	}
	return f
}

func items(pairs ...int64) []*order.OrderItemInput {
	out := make([]*order.OrderItemInput, 0, len(pairs)/2)
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, &order.OrderItemInput{ProductId: pairs[i], Quantity: int32(pairs[i+1])})
	}
	return out
}

func wantCode(t *testing.T, err error, code base.ErrorCode) {
	t.Helper()
	if got := errs.Code(err); got != code {
		t.Fatalf("error %v has code %v, want %v", err, got, code)
	}
}

var errDown = errors.New("connection refused")
