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
	"github.com/kitemall/platform/pkg/mq"
)

// fakeOrders is an in-memory Orders with the same unique key and
// conditional updates as the database.
type fakeOrders struct {
	mu        sync.Mutex
	byID      map[int64]*Order
	byKey     map[string]int64
	processed map[string]bool // consumer/key
	failOn    error           // returned by Create when set
	// beforeCreate runs inside Create before the key check, to let a test
	// slip a concurrent winner in.
	beforeCreate func()
	listOffset   int
	listLimit    int
}

func newFakeOrders() *fakeOrders {
	return &fakeOrders{byID: map[int64]*Order{}, byKey: map[string]int64{}, processed: map[string]bool{}}
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

func (f *fakeOrders) Exists(_ context.Context, orderID int64) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, ok := f.byID[orderID]
	return ok, nil
}

func (f *fakeOrders) ByID(_ context.Context, orderID int64) (*Order, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	o, ok := f.byID[orderID]
	if !ok {
		return nil, ErrNotFound
	}
	c := clone(o)
	c.Items = nil
	return c, nil
}

// record marks the message processed and reports whether it is new.
func (f *fakeOrders) record(consumer, key string) bool {
	k := consumer + "/" + key
	fresh := !f.processed[k]
	f.processed[k] = true
	return fresh
}

func (f *fakeOrders) Expire(_ context.Context, consumer, msgKey string, orderID int64, reason string, at time.Time) (order.OrderStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	o, ok := f.byID[orderID]
	if !ok {
		return 0, ErrNotFound
	}
	if f.record(consumer, msgKey) && o.Status == order.OrderStatus_PENDING_PAYMENT {
		o.Status, o.CancelReason, o.UpdatedAt = order.OrderStatus_CANCELLED, reason, at
	}
	return o.Status, nil
}

func (f *fakeOrders) ApplyPayment(_ context.Context, consumer, msgKey string, n PaymentNotice, at time.Time) (*Order, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	o, ok := f.byID[n.OrderID]
	if !ok {
		return nil, ErrNotFound
	}
	if f.record(consumer, msgKey) && o.Status == order.OrderStatus_PENDING_PAYMENT && o.TotalCents == n.AmountCents {
		o.Status, o.PaidPaymentID, o.UpdatedAt = order.OrderStatus_PAID, n.PaymentID, at
	}
	c := clone(o)
	c.Items = nil
	return c, nil
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
// all-or-nothing, idempotent per order ID, and a release of an order that
// holds nothing makes a later reservation of that order hold nothing.
type fakeCatalog struct {
	mu       sync.Mutex
	products map[int64]Product
	stock    map[int64]int64
	held     map[int64][]StockItem
	settled  map[int64]string // order ID -> "released" or "confirmed"
	sold     map[int64]int64
	// reserveErr is returned by Reserve; with reserveApplies the
	// reservation is made first, as when a response is lost in a timeout.
	reserveErr     error
	reserveApplies bool
	releaseErr     error
	confirmErr     error
	reserveCalls   int
	releases       []int64
	confirms       []int64
}

func newFakeCatalog(products ...Product) *fakeCatalog {
	c := &fakeCatalog{products: map[int64]Product{}, stock: map[int64]int64{}, held: map[int64][]StockItem{},
		settled: map[int64]string{}, sold: map[int64]int64{}}
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
	_, settled := c.settled[orderID]
	if _, ok := c.held[orderID]; !ok && !settled {
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
	if _, done := c.settled[orderID]; done {
		return nil
	}
	for _, it := range c.held[orderID] {
		c.stock[it.ProductID] += int64(it.Quantity)
	}
	delete(c.held, orderID)
	c.settled[orderID] = "released"
	return nil
}

func (c *fakeCatalog) Confirm(_ context.Context, orderID int64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.confirms = append(c.confirms, orderID)
	if c.confirmErr != nil {
		return c.confirmErr
	}
	items, ok := c.held[orderID]
	if !ok {
		return nil
	}
	for _, it := range items {
		c.sold[it.ProductID] += int64(it.Quantity)
	}
	delete(c.held, orderID)
	c.settled[orderID] = "confirmed"
	return nil
}

func (c *fakeCatalog) state(orderID int64) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.held[orderID]; ok {
		return "held"
	}
	return c.settled[orderID]
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

// sentMessage is a message one of the fakes sent.
type sentMessage struct {
	topic, key string
	body       []byte
	deliverAt  time.Time
	// outcome of a transactional message: commit, rollback or unknown.
	outcome string
}

// fakeTx runs the local transaction at once, like mq.TxProducer, and
// records the message with the outcome local chose. With sendErr set the
// half message "cannot be stored": local does not run.
type fakeTx struct {
	mu      sync.Mutex
	sent    []sentMessage
	sendErr error
}

func (f *fakeTx) Send(ctx context.Context, topic, key string, body []byte, _ map[string]string, local mq.LocalTx) error {
	if f.sendErr != nil {
		return f.sendErr
	}
	err := local(ctx)
	outcome := "commit"
	switch {
	case errors.Is(err, mq.ErrUnknown):
		outcome = "unknown"
	case err != nil:
		outcome = "rollback"
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sent = append(f.sent, sentMessage{topic: topic, key: key, body: body, outcome: outcome})
	return err
}

func (f *fakeTx) messages() []sentMessage {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]sentMessage(nil), f.sent...)
}

// fakePublisher records plain messages.
type fakePublisher struct {
	mu   sync.Mutex
	sent []sentMessage
	err  error
}

func (f *fakePublisher) Publish(_ context.Context, topic, key string, body []byte, deliverAt time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	f.sent = append(f.sent, sentMessage{topic: topic, key: key, body: body, deliverAt: deliverAt})
	return nil
}

func (f *fakePublisher) messages() []sentMessage {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]sentMessage(nil), f.sent...)
}

var testNow = time.Date(2026, 3, 4, 5, 6, 7, 891_234_567, time.UTC)

// fixture wires every operation to fakes.
type fixture struct {
	orders    *fakeOrders
	catalog   *fakeCatalog
	locks     *fakeLocks
	tx        *fakeTx
	publisher *fakePublisher
	deps      Deps
}

var testTopics = Topics{OrderCreated: "order_created_t", OrderTimeout: "order_timeout_t", PaymentRefund: "payment_refund_t"}

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
		locks:     &fakeLocks{},
		tx:        &fakeTx{},
		publisher: &fakePublisher{},
	}
	f.deps = Deps{
		Orders: f.orders, Catalog: f.catalog, Locks: f.locks, IDs: &seqIDs{},
		Clock:   func() time.Time { return testNow },
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
		Service: "order", Instance: "127.0.0.1:8883",
		Tx: f.tx, Publisher: f.publisher, Topics: testTopics,
		PaymentWindow: 15 * time.Minute, LocalTxTimeout: 4 * time.Second, LocalTxWindow: 10 * time.Second,
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
