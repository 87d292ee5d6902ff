package service

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudwego/kitex/client/callopt"

	"github.com/kitemall/platform/kitex_gen/order"
	"github.com/kitemall/platform/kitex_gen/payment"
	"github.com/kitemall/platform/pkg/errs"
	"github.com/kitemall/platform/pkg/mq"
)

// fakePayments is an in-memory Payments with the payments table's two
// unique keys: (order_id, idempotency_key) and one SUCCEEDED per order.
type fakePayments struct {
	mu        sync.Mutex
	rows      []Payment
	processed map[string]bool // consumer/key
	// settleErr, when set, fails every Settle without changing anything.
	settleErr error
}

func (f *fakePayments) CreatePending(_ context.Context, p *Payment) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, r := range f.rows {
		if r.OrderID == p.OrderID && r.IdempotencyKey == p.IdempotencyKey {
			return ErrDuplicate
		}
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	p.ID, p.Status, p.CreatedAt, p.UpdatedAt = int64(len(f.rows)+1), payment.PaymentStatus_PENDING, now, now
	f.rows = append(f.rows, *p)
	return nil
}

func (f *fakePayments) Settle(_ context.Context, id int64, o Outcome) (Payment, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.settleErr != nil {
		return Payment{}, f.settleErr
	}
	i := int(id - 1)
	if i < 0 || i >= len(f.rows) || f.rows[i].Status != payment.PaymentStatus_PENDING {
		return Payment{}, ErrNotPending
	}
	if o.Status == payment.PaymentStatus_SUCCEEDED {
		for _, r := range f.rows {
			if r.OrderID == f.rows[i].OrderID && r.Status == payment.PaymentStatus_SUCCEEDED {
				return Payment{}, ErrAlreadyPaid
			}
		}
	}
	r := &f.rows[i]
	r.Status, r.ProviderRef, r.FailureReason, r.UpdatedAt = o.Status, o.ProviderRef, o.FailureReason, time.Now().UTC()
	return *r, nil
}

func (f *fakePayments) ByOrderKey(_ context.Context, orderID int64, key string) (Payment, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, r := range f.rows {
		if r.OrderID == orderID && r.IdempotencyKey == key {
			return r, nil
		}
	}
	return Payment{}, ErrNotFound
}

func (f *fakePayments) ByID(_ context.Context, id, userID int64) (Payment, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, r := range f.rows {
		if r.ID == id && r.UserID == userID {
			return r, nil
		}
	}
	return Payment{}, ErrNotFound
}

func (f *fakePayments) ByOrder(_ context.Context, orderID, userID int64) ([]Payment, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Payment
	for _, r := range f.rows {
		if r.OrderID == orderID && r.UserID == userID {
			out = append(out, r)
		}
	}
	return out, nil
}

func (f *fakePayments) HasSucceeded(_ context.Context, orderID int64) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, r := range f.rows {
		if r.OrderID == orderID && r.Status == payment.PaymentStatus_SUCCEEDED {
			return true, nil
		}
	}
	return false, nil
}

func (f *fakePayments) Get(_ context.Context, id int64) (Payment, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if i := int(id - 1); i >= 0 && i < len(f.rows) {
		return f.rows[i], nil
	}
	return Payment{}, ErrNotFound
}

func (f *fakePayments) Pending(_ context.Context, before time.Time, limit int) ([]Payment, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Payment
	for _, r := range f.rows {
		if r.Status == payment.PaymentStatus_PENDING && r.UpdatedAt.Before(before) && len(out) < limit {
			out = append(out, r)
		}
	}
	return out, nil
}

func (f *fakePayments) Refund(_ context.Context, consumer, msgKey string, id int64, o Outcome) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.processed == nil {
		f.processed = map[string]bool{}
	}
	k := consumer + "/" + msgKey
	if f.processed[k] {
		return false, nil
	}
	f.processed[k] = true
	r := &f.rows[id-1]
	if r.Status != payment.PaymentStatus_SUCCEEDED {
		return false, nil
	}
	r.Status, r.ProviderRef, r.FailureReason, r.UpdatedAt = o.Status, o.ProviderRef, o.FailureReason, time.Now().UTC()
	return true, nil
}

// age makes payment id look last updated d ago.
func (f *fakePayments) age(id int64, d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rows[id-1].UpdatedAt = f.rows[id-1].UpdatedAt.Add(-d)
}

func (f *fakePayments) all() []Payment {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Payment(nil), f.rows...)
}

// fakeOrders answers GetOrder like the order service: owner-scoped.
type fakeOrders struct {
	mu     sync.Mutex
	orders map[int64]*order.Order
}

func (f *fakeOrders) add(o *order.Order) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.orders == nil {
		f.orders = map[int64]*order.Order{}
	}
	f.orders[o.OrderId] = o
}

func (f *fakeOrders) GetOrder(_ context.Context, req *order.GetOrderRequest, _ ...callopt.Option) (*order.GetOrderResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	o, ok := f.orders[req.OrderId]
	if !ok || o.UserId != req.UserId {
		return nil, errs.NotFound("order %d not found", req.OrderId)
	}
	cp := *o
	return &order.GetOrderResponse{Order: &cp}, nil
}

// fakeGateway approves every charge except the keys in decline, counts
// calls, and can hold charges until released to force overlaps.
type fakeGateway struct {
	decline map[string]bool
	err     error
	// hold, when set, blocks each charge until it is closed; entered
	// receives one value per charge that reached the gateway.
	hold    chan struct{}
	entered chan struct{}

	charges, refunds atomic.Int64
	mu               sync.Mutex
	requests         []ChargeRequest
}

func (g *fakeGateway) Charge(ctx context.Context, req ChargeRequest) (ChargeResult, error) {
	g.charges.Add(1)
	g.mu.Lock()
	g.requests = append(g.requests, req)
	g.mu.Unlock()
	if g.entered != nil {
		g.entered <- struct{}{}
	}
	if g.hold != nil {
		select {
		case <-g.hold:
		case <-ctx.Done():
			return ChargeResult{}, ctx.Err()
		}
	}
	if g.err != nil {
		return ChargeResult{}, g.err
	}
	ref := "ref-" + req.IdempotencyKey
	if g.decline[req.IdempotencyKey] {
		return ChargeResult{Approved: false, ProviderRef: ref, DeclineReason: "insufficient funds"}, nil
	}
	return ChargeResult{Approved: true, ProviderRef: ref}, nil
}

func (g *fakeGateway) Refund(_ context.Context, req RefundRequest) (RefundResult, error) {
	g.refunds.Add(1)
	if req.ProviderRef == "" {
		return RefundResult{}, errors.New("no charge to refund")
	}
	return RefundResult{ProviderRef: "refund-" + req.ProviderRef}, nil
}

// sentMessage is a transactional message fakeTx sent.
type sentMessage struct {
	topic, key string
	body       []byte
	// outcome is commit, rollback or unknown.
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

type fixture struct {
	deps     Deps
	payments *fakePayments
	orders   *fakeOrders
	gateway  *fakeGateway
	tx       *fakeTx
}

const testTopic = "payment_succeeded_t"

const (
	owner    int64 = 7
	stranger int64 = 8
)

// newFixture has one payable order (id 100, total 4250 cents) of owner.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{payments: &fakePayments{}, orders: &fakeOrders{}, gateway: &fakeGateway{}, tx: &fakeTx{}}
	f.orders.add(&order.Order{OrderId: 100, UserId: owner, Status: order.OrderStatus_PENDING_PAYMENT, TotalCents: 4250})
	f.deps = Deps{
		Service:        "payment",
		Instance:       "127.0.0.1:1",
		Payments:       f.payments,
		Orders:         f.orders,
		Gateway:        f.gateway,
		SettleTimeout:  5 * time.Second,
		Logger:         slog.New(slog.NewTextHandler(io.Discard, nil)),
		Clock:          time.Now,
		Tx:             f.tx,
		SucceededTopic: testTopic,
		LocalTxTimeout: 4 * time.Second,
		LocalTxWindow:  10 * time.Second,
		RedriveAfter:   30 * time.Second,
		RedriveBatch:   10,
	}
	return f
}

func payReq(orderID, userID int64, key string) *payment.PayRequest {
	return &payment.PayRequest{OrderId: orderID, UserId: userID, Method: "card", IdempotencyKey: key}
}

var errDown = errors.New("connection refused")
