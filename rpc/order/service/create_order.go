package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/kitemall/platform/kitex_gen/base"
	"github.com/kitemall/platform/kitex_gen/order"
	"github.com/kitemall/platform/pkg/errs"
	"github.com/kitemall/platform/pkg/mq"
	"github.com/kitemall/platform/rpc/order/events"
)

// Limits of a CreateOrder request, from idl/order.thrift.
const (
	MaxItems             = 50
	MaxQuantity          = 999
	MaxIdempotencyKeyLen = 128
)

// compensationTimeout bounds a compensating release. It runs on a context
// detached from the request's, because the request may have failed exactly
// because its deadline ran out, and the stock must be freed anyway.
const compensationTimeout = 5 * time.Second

// CreateOrder prices an order at the product service, reserves its stock
// and stores it as PENDING_PAYMENT, once per (user, idempotency key).
//
// A replay answers with the stored order as it is now (it may have been
// paid or cancelled since) and created=false; the same key with other items
// is IDEMPOTENCY_CONFLICT.
//
// Placing the order is a RocketMQ transaction. The order ID is issued
// first, then the half message order.created (key = order ID, body = the
// priced order) is stored on the broker, and only then does its local
// transaction reserve the stock (idempotent per order ID) and insert the
// order. The message commits with the order row, so everything that
// follows a new order (its payment window) starts exactly for the orders
// that exist. Sending the half message first means no process can die
// holding a reservation the broker does not know of: if the local
// transaction never commits, the check-back (CheckOrderCreated) releases
// the order's stock and rolls the message back.
//
// A failure with a known outcome (a refusal, a failed insert) releases the
// reservation at once and rolls the message back. A failure whose outcome
// is unknown (the database or the product service went away mid-way)
// leaves the message to the check-back, which decides from the order table.
//
// A replay whose first attempt is still running waits for it behind the
// idempotency lock and answers with its order. A replay after a first
// attempt that stored nothing (refused, failed, or rolled back by the
// check-back) places the order anew, under a new order ID: nothing of the
// first attempt is left but a released reservation.
type CreateOrder struct{ d Deps }

// NewCreateOrder returns the operation.
func NewCreateOrder(d Deps) *CreateOrder { return &CreateOrder{d: d} }

// Run executes the operation.
func (s *CreateOrder) Run(ctx context.Context, req *order.CreateOrderRequest) (*order.CreateOrderResponse, error) {
	if err := validateCreate(req); err != nil {
		return nil, err
	}
	// Retries with the same key usually arrive while the first attempt is
	// still running; the lock lets them wait and replay instead of
	// reserving stock a second time. The unique key in the database stays
	// the authority, so a failed lock only costs a wasted reservation.
	unlock, err := s.d.Locks.Lock(ctx, fmt.Sprintf("create-order:%d:%s", req.UserId, req.IdempotencyKey))
	if err != nil {
		s.d.Logger.WarnContext(ctx, "create order without the idempotency lock", "user_id", req.UserId, "err", err)
	} else {
		defer func() {
			// An unreleased lock expires by itself; waiters only wait longer.
			if err := unlock(); err != nil {
				s.d.Logger.WarnContext(ctx, "release the idempotency lock", "user_id", req.UserId, "err", err)
			}
		}()
	}

	if resp, err := s.replay(ctx, req); resp != nil || err != nil {
		return resp, err
	}
	o, err := s.price(ctx, req)
	if err != nil {
		return nil, err
	}
	o.ID = s.d.IDs.Next()
	return s.place(ctx, o, req)
}

func validateCreate(req *order.CreateOrderRequest) error {
	switch {
	case req == nil:
		return errs.InvalidArgument("request is required")
	case req.UserId <= 0:
		return errs.InvalidArgument("user_id must be positive")
	case req.IdempotencyKey == "":
		return errs.InvalidArgument("idempotency_key is required")
	case !utf8.ValidString(req.IdempotencyKey):
		return errs.InvalidArgument("idempotency_key must be valid UTF-8")
	case utf8.RuneCountInString(req.IdempotencyKey) > MaxIdempotencyKeyLen:
		return errs.InvalidArgument("idempotency_key must be at most %d characters", MaxIdempotencyKeyLen)
	case len(req.Items) == 0 || len(req.Items) > MaxItems:
		return errs.InvalidArgument("items must hold 1..%d entries, got %d", MaxItems, len(req.Items))
	}
	seen := make(map[int64]bool, len(req.Items))
	for i, it := range req.Items {
		switch {
		case it == nil:
			return errs.InvalidArgument("items[%d] is required", i)
		case it.ProductId <= 0:
			return errs.InvalidArgument("items[%d].product_id must be positive", i)
		case it.Quantity < 1 || it.Quantity > MaxQuantity:
			return errs.InvalidArgument("items[%d].quantity must be in 1..%d, got %d", i, MaxQuantity, it.Quantity)
		case seen[it.ProductId]:
			return errs.InvalidArgument("items[%d].product_id %d is listed twice", i, it.ProductId)
		}
		seen[it.ProductId] = true
	}
	return nil
}

// replay returns the answer to an earlier request with the same key, or
// nothing when the key is new.
func (s *CreateOrder) replay(ctx context.Context, req *order.CreateOrderRequest) (*order.CreateOrderResponse, error) {
	o, err := s.d.Orders.ByIdempotencyKey(ctx, req.UserId, req.IdempotencyKey)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("look up idempotency key of user %d: %w", req.UserId, err)
	}
	return replayOf(o, req)
}

// replayOf answers req with the order already stored under its key. The
// same items in another order are the same request.
func replayOf(o *Order, req *order.CreateOrderRequest) (*order.CreateOrderResponse, error) {
	stored := make(map[int64]int32, len(o.Items))
	for _, it := range o.Items {
		stored[it.ProductID] = it.Quantity
	}
	same := len(stored) == len(req.Items)
	for _, it := range req.Items {
		if q, ok := stored[it.ProductId]; !ok || q != it.Quantity {
			same = false
		}
	}
	if !same {
		return nil, errs.New(base.ErrorCode_IDEMPOTENCY_CONFLICT,
			"idempotency_key %q was already used for order %d with other items", req.IdempotencyKey, o.ID)
	}
	return &order.CreateOrderResponse{Order: o.IDL(), Created: false}, nil
}

// price builds the order from the product service's current names and
// prices; the request carries only product IDs and quantities.
func (s *CreateOrder) price(ctx context.Context, req *order.CreateOrderRequest) (*Order, error) {
	ids := make([]int64, len(req.Items))
	for i, it := range req.Items {
		ids[i] = it.ProductId
	}
	products, err := s.d.Catalog.Products(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("get products %v: %w", ids, err)
	}
	byID := make(map[int64]Product, len(products))
	for _, p := range products {
		byID[p.ID] = p
	}
	var missing []int64
	for _, id := range ids {
		if _, ok := byID[id]; !ok {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		return nil, errs.NotFound("products %v do not exist", missing)
	}

	now := s.d.now()
	o := &Order{
		UserID:         req.UserId,
		IdempotencyKey: req.IdempotencyKey,
		Status:         order.OrderStatus_PENDING_PAYMENT,
		CreatedAt:      now,
		UpdatedAt:      now,
		Items:          make([]Item, len(req.Items)),
	}
	for i, it := range req.Items {
		p := byID[it.ProductId]
		if !p.Active {
			return nil, errs.FailedPrecondition("product %d is not available for sale", p.ID)
		}
		sub := p.PriceCents * int64(it.Quantity)
		o.Items[i] = Item{ProductID: p.ID, Name: p.Name, UnitPriceCents: p.PriceCents, Quantity: it.Quantity, SubtotalCents: sub}
		o.TotalCents += sub
	}
	return o, nil
}

// place sends order.created with the local transaction that reserves the
// stock and stores the order.
func (s *CreateOrder) place(ctx context.Context, o *Order, req *order.CreateOrderRequest) (*order.CreateOrderResponse, error) {
	body, err := json.Marshal(createdEvent(o))
	if err != nil {
		return nil, fmt.Errorf("encode order.created of order %d: %w", o.ID, err)
	}
	ran := false
	err = s.d.Tx.Send(ctx, s.d.Topics.OrderCreated, events.Key(o.ID), body, nil, func(ctx context.Context) error {
		ran = true
		return s.local(ctx, o)
	})
	switch {
	case err == nil:
		return &order.CreateOrderResponse{Order: o.IDL(), Created: true}, nil
	case !ran:
		// The half message was not stored (or not acknowledged, and the
		// check-back will roll it back): nothing was reserved or stored.
		s.d.Logger.WarnContext(ctx, "order.created half message not sent", "order_id", o.ID, "err", err)
		return nil, errs.Unavailable("orders cannot be placed right now, try again later")
	case errors.Is(err, ErrDuplicateKey):
		winner, err := s.d.Orders.ByIdempotencyKey(ctx, req.UserId, req.IdempotencyKey)
		if err != nil {
			return nil, fmt.Errorf("load the order stored first under the idempotency key of user %d: %w", req.UserId, err)
		}
		return replayOf(winner, req)
	default:
		return nil, err
	}
}

func createdEvent(o *Order) events.OrderCreated {
	ev := events.OrderCreated{
		OrderID: o.ID, UserID: o.UserID, TotalCents: o.TotalCents, CreatedAtUnixMs: o.CreatedAt.UnixMilli(),
		Items: make([]events.Item, len(o.Items)),
	}
	for i, it := range o.Items {
		ev.Items[i] = events.Item{ProductID: it.ProductID, Quantity: it.Quantity, UnitPriceCents: it.UnitPriceCents}
	}
	return ev
}

// local is order.created's local transaction: reserve, then store. It runs
// detached from the caller's cancellation, which could otherwise cut the
// insert's commit in half, and within LocalTxTimeout, so that it is over
// before the check-back may give the order up.
func (s *CreateOrder) local(ctx context.Context, o *Order) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.d.LocalTxTimeout)
	defer cancel()
	if err := s.reserve(ctx, o); err != nil {
		return err
	}
	s.d.Failpoints.Crash(FailpointAfterHalfSent)
	if err := s.store(ctx, o); err != nil {
		return err
	}
	s.d.Failpoints.Crash(FailpointAfterLocalCommit)
	return nil
}

// reserve holds the order's stock. A business refusal (such as
// INSUFFICIENT_STOCK) reserved nothing; any other failure, an UNAVAILABLE
// or INTERNAL answer of the product service included, leaves the outcome
// unknown, so the reservation is released to be sure.
func (s *CreateOrder) reserve(ctx context.Context, o *Order) error {
	items := make([]StockItem, len(o.Items))
	for i, it := range o.Items {
		items[i] = StockItem{ProductID: it.ProductID, Quantity: it.Quantity}
	}
	err := s.d.Catalog.Reserve(ctx, o.ID, items)
	if err == nil {
		return nil
	}
	err = fmt.Errorf("reserve stock for order %d: %w", o.ID, err)
	switch errs.Code(err) {
	case base.ErrorCode_UNKNOWN, base.ErrorCode_UNAVAILABLE, base.ErrorCode_INTERNAL:
		return s.compensate(ctx, o.ID, err)
	default:
		return err
	}
}

// store inserts the reserved order. A failure that certainly stored
// nothing (the key taken by another request, a rejected row) releases the
// reservation; a failure that may have committed (the connection died)
// leaves the decision to the check-back, which reads the order table.
func (s *CreateOrder) store(ctx context.Context, o *Order) error {
	err := s.d.Orders.Create(ctx, o)
	switch {
	case err == nil:
		return nil
	case errs.IsUnavailable(err):
		return fmt.Errorf("%w: store order %d: %w", mq.ErrUnknown, o.ID, err)
	default:
		return s.compensate(ctx, o.ID, fmt.Errorf("store order %d: %w", o.ID, err))
	}
}

// compensate releases the order's reservation after cause and returns
// cause. When the release fails too, the reservation may still be held:
// the message is left to the check-back, which releases it in turn.
func (s *CreateOrder) compensate(ctx context.Context, orderID int64, cause error) error {
	if relErr := s.release(ctx, orderID); relErr != nil {
		return fmt.Errorf("%w: %w (releasing its reserved stock failed too: %v)", mq.ErrUnknown, cause, relErr)
	}
	return cause
}

func (s *CreateOrder) release(ctx context.Context, orderID int64) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), compensationTimeout)
	defer cancel()
	if err := s.d.Catalog.Release(ctx, orderID); err != nil {
		return fmt.Errorf("release stock of order %d: %w", orderID, err)
	}
	return nil
}
