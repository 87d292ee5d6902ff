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
	CreatedAt      time.Time
	UpdatedAt      time.Time
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
	// a no-op when nothing is held.
	Release(ctx context.Context, orderID int64) error
}

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
