// Package service holds the order service's business operations, one per
// file. Each depends only on the interfaces declared here, which the dal
// package implements with MariaDB, Redis and the product service, and the
// unit tests with small in-memory fakes.
package service

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/kitemall/platform/kitex_gen/order"
	"github.com/kitemall/platform/pkg/failpoint"
	"github.com/kitemall/platform/pkg/mq"
)

// ErrNotFound is returned by Orders when no order matches.
var ErrNotFound = errors.New("order not found")

// ErrDuplicateKey is returned by Orders.Create when the user already has an
// order under the same idempotency key.
var ErrDuplicateKey = errors.New("idempotency key already used")

// Order is an order as stored.
type Order struct {
	ID             int64
	UserID         int64
	IdempotencyKey string
	Status         order.OrderStatus
	TotalCents     int64
	CancelReason   string
	// PaidPaymentID is the payment that paid the order; 0 until PAID.
	PaidPaymentID int64
	CreatedAt     time.Time
	UpdatedAt     time.Time
	// Items keep the order in which the client listed them.
	Items []Item
}

// Item is one line of an order, priced when the order was created.
type Item struct {
	ProductID      int64
	Name           string
	UnitPriceCents int64
	Quantity       int32
	SubtotalCents  int64
}

// Orders stores orders. Status changes are conditional, so a late or
// repeated request never moves an order backwards.
type Orders interface {
	// Create stores the order and its items atomically, or returns
	// ErrDuplicateKey when (UserID, IdempotencyKey) is taken.
	Create(ctx context.Context, o *Order) error
	// ByIdempotencyKey returns the user's order created under key, or ErrNotFound.
	ByIdempotencyKey(ctx context.Context, userID int64, key string) (*Order, error)
	// Get returns the order if it belongs to userID, or ErrNotFound.
	Get(ctx context.Context, userID, orderID int64) (*Order, error)
	// List returns one page of the user's orders, newest first, and the
	// user's total number of orders.
	List(ctx context.Context, userID int64, offset, limit int) ([]*Order, int64, error)
	// Cancel moves the user's order from PENDING_PAYMENT to CANCELLED and
	// reports whether it did; false means the order is absent or not pending.
	Cancel(ctx context.Context, userID, orderID int64, reason string, at time.Time) (bool, error)

	// The methods below serve the message flows, which act for no user.

	// Exists reports whether the order is stored, in any status.
	Exists(ctx context.Context, orderID int64) (bool, error)
	// ByID returns the order without its items, or ErrNotFound.
	ByID(ctx context.Context, orderID int64) (*Order, error)
	// Expire, in one transaction, records msgKey as processed by consumer
	// and, when the record is new, moves the order from PENDING_PAYMENT to
	// CANCELLED with reason. It returns the order's status afterwards, or
	// ErrNotFound.
	Expire(ctx context.Context, consumer, msgKey string, orderID int64, reason string, at time.Time) (order.OrderStatus, error)
	// ApplyPayment, in one transaction, records msgKey as processed by
	// consumer and, when the record is new, moves the order from
	// PENDING_PAYMENT to PAID by n.PaymentID if n.AmountCents is its total.
	// It returns the order (without items) as the transaction left it, or
	// ErrNotFound.
	ApplyPayment(ctx context.Context, consumer, msgKey string, n PaymentNotice, at time.Time) (*Order, error)
}

// PaymentNotice is a succeeded payment as the order service learns of it.
type PaymentNotice struct {
	PaymentID   int64
	OrderID     int64
	AmountCents int64
}

// Product is what an order needs to know about a product.
type Product struct {
	ID         int64
	Name       string
	PriceCents int64
	Active     bool
}

// StockItem is a quantity of one product to reserve.
type StockItem struct {
	ProductID int64
	Quantity  int32
}

// Catalog is the product service as the order service uses it. Errors that
// are *base.ServiceError come from the product service's contract and are
// passed through to the caller.
type Catalog interface {
	// Products returns the products that exist among ids; unknown IDs are
	// left out.
	Products(ctx context.Context, ids []int64) ([]Product, error)
	// Reserve holds stock for the order, all items or none. It is idempotent
	// per orderID.
	Reserve(ctx context.Context, orderID int64, items []StockItem) error
	// Release frees the order's held stock. It is idempotent per orderID and
	// a no-op when nothing is held; releasing an order that holds nothing
	// makes a later Reserve for it hold nothing either, so a reservation
	// that arrives after its order was given up cannot leak.
	Release(ctx context.Context, orderID int64) error
	// Confirm turns the order's held stock into sold stock. It is
	// idempotent per orderID and a no-op when nothing is held.
	Confirm(ctx context.Context, orderID int64) error
}

// TxSender sends a transactional half message and runs local as its local
// transaction (mq.TxProducer): local's nil commits the message, an error
// wrapping mq.ErrUnknown leaves it to the check-back, any other error rolls
// it back.
type TxSender interface {
	Send(ctx context.Context, topic, key string, body []byte, props map[string]string, local mq.LocalTx) error
}

// Publisher sends a plain message, delivered at once when deliverAt is
// zero and at deliverAt otherwise.
type Publisher interface {
	Publish(ctx context.Context, topic, key string, body []byte, deliverAt time.Time) error
}

// Topics are the namespaced topic names the operations send to.
type Topics struct {
	OrderCreated  string
	OrderTimeout  string
	PaymentRefund string
}

// Consumer names: each consumer group's base name and the consumer column
// of its processed-message records.
const (
	ConsumerTimeoutScheduler = "order-timeout-scheduler"
	ConsumerTimeout          = "order-timeout"
	ConsumerPayment          = "order-payment"
)

// Failpoints, armed with FAILPOINTS=name,... to SIGKILL the process there
// (pkg/failpoint); fault-injection tests use them.
const (
	// FailpointAfterHalfSent: order.created's half message is stored and
	// the stock reserved, the order row not yet inserted.
	FailpointAfterHalfSent = "order.after_half_sent"
	// FailpointAfterLocalCommit: the order row is committed, the commit
	// of the half message not yet sent to the broker.
	FailpointAfterLocalCommit = "order.after_local_commit"
	// FailpointConsumerBeforeAck: a payment.succeeded or order.timeout
	// message has had its effect, and is not yet acknowledged.
	FailpointConsumerBeforeAck = "order.consumer.before_ack"
)

// Locker serialises work on one name across instances. It is an
// optimisation only: correctness never depends on holding the lock.
type Locker interface {
	// Lock waits a bounded time for the named lock and returns the function
	// that releases it.
	Lock(ctx context.Context, name string) (unlock func() error, err error)
}

// IDGenerator issues unique order IDs.
type IDGenerator interface {
	Next() int64
}

// Deps is everything the operations depend on, built once by the app.
type Deps struct {
	Orders  Orders
	Catalog Catalog
	Locks   Locker
	IDs     IDGenerator
	Clock   func() time.Time
	Logger  *slog.Logger
	// Service and Instance are what Ping reports: the registered name and
	// the host:port this instance listens on.
	Service  string
	Instance string

	// Tx sends order.created; Publisher sends order.timeout and
	// payment.refund, to Topics.
	Tx        TxSender
	Publisher Publisher
	Topics    Topics
	// PaymentWindow is how long a new order waits for its payment.
	PaymentWindow time.Duration
	// LocalTxTimeout bounds order.created's local transaction, so that it
	// is certainly over when LocalTxWindow (longer) has passed since its
	// half message was sent: only then may the check-back give it up.
	LocalTxTimeout time.Duration
	LocalTxWindow  time.Duration
	Failpoints     failpoint.Set
}

// now returns the current time as stored: UTC, to the millisecond, so an
// order read back equals the order returned when it was created.
func (d Deps) now() time.Time {
	return d.Clock().UTC().Truncate(time.Millisecond)
}

// IDL converts the order to its wire form.
func (o *Order) IDL() *order.Order {
	items := make([]*order.OrderItem, len(o.Items))
	for i, it := range o.Items {
		items[i] = &order.OrderItem{
			ProductId:      it.ProductID,
			Name:           it.Name,
			UnitPriceCents: it.UnitPriceCents,
			Quantity:       it.Quantity,
			SubtotalCents:  it.SubtotalCents,
		}
	}
	return &order.Order{
		OrderId:         o.ID,
		UserId:          o.UserID,
		Status:          o.Status,
		TotalCents:      o.TotalCents,
		Items:           items,
		CreatedAtUnixMs: o.CreatedAt.UnixMilli(),
		UpdatedAtUnixMs: o.UpdatedAt.UnixMilli(),
		CancelReason:    o.CancelReason,
	}
}
