// Package service holds the payment service's business operations, one per
// file. It owns the interfaces it depends on (Payments, Orders, Gateway), so
// every operation is tested with in-memory fakes; dal, provider and the Kitex
// order client supply the real ones.
package service

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/cloudwego/kitex/client/callopt"

	"github.com/kitemall/platform/kitex_gen/order"
	"github.com/kitemall/platform/kitex_gen/payment"
	"github.com/kitemall/platform/pkg/failpoint"
	"github.com/kitemall/platform/pkg/mq"
)

// Errors the Payments implementations return.
var (
	ErrNotFound = errors.New("payment not found")
	// ErrDuplicate: a payment with this order and idempotency key exists.
	ErrDuplicate = errors.New("payment with this idempotency key exists")
	// ErrAlreadyPaid: another payment of the order has succeeded.
	ErrAlreadyPaid = errors.New("order already has a succeeded payment")
	// ErrNotPending: the payment was settled already.
	ErrNotPending = errors.New("payment is not pending")
)

// Payment is one attempt to pay an order.
type Payment struct {
	ID             int64
	OrderID        int64
	UserID         int64
	IdempotencyKey string
	AmountCents    int64
	Method         string
	Status         payment.PaymentStatus
	ProviderRef    string
	FailureReason  string
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// Outcome is how a pending payment ends.
type Outcome struct {
	// Status is SUCCEEDED, FAILED or REFUNDED.
	Status        payment.PaymentStatus
	ProviderRef   string
	FailureReason string
}

// Payments stores payments.
type Payments interface {
	// CreatePending stores p as PENDING and sets its ID and times, or
	// returns ErrDuplicate when (p.OrderID, p.IdempotencyKey) exists.
	CreatePending(ctx context.Context, p *Payment) error
	// Settle moves a PENDING payment to o.Status and returns it. It returns
	// ErrAlreadyPaid, leaving the payment PENDING, when o is a success and
	// another payment of the same order has succeeded, and ErrNotPending
	// when the payment is not PENDING.
	Settle(ctx context.Context, id int64, o Outcome) (Payment, error)
	// ByOrderKey returns ErrNotFound when no payment has this key.
	ByOrderKey(ctx context.Context, orderID int64, key string) (Payment, error)
	// ByID returns ErrNotFound unless payment id belongs to userID.
	ByID(ctx context.Context, id, userID int64) (Payment, error)
	// ByOrder returns the order's payments that belong to userID, oldest
	// first.
	ByOrder(ctx context.Context, orderID, userID int64) ([]Payment, error)
	// HasSucceeded reports whether the order has a SUCCEEDED payment.
	HasSucceeded(ctx context.Context, orderID int64) (bool, error)

	// The methods below serve the message flows, which act for no user.

	// Get returns payment id, or ErrNotFound.
	Get(ctx context.Context, id int64) (Payment, error)
	// Pending returns up to limit PENDING payments last updated before
	// before, oldest first.
	Pending(ctx context.Context, before time.Time, limit int) ([]Payment, error)
	// Refund, in one transaction, records msgKey as processed by consumer
	// and, when the record is new, moves a SUCCEEDED payment to o (status
	// REFUNDED), freeing its order's success slot. It reports whether the
	// payment moved.
	Refund(ctx context.Context, consumer, msgKey string, id int64, o Outcome) (bool, error)
}

// Orders reads orders; the Kitex orderservice.Client implements it.
type Orders interface {
	GetOrder(ctx context.Context, req *order.GetOrderRequest, callOptions ...callopt.Option) (*order.GetOrderResponse, error)
}

// ChargeRequest asks the provider to take money for an order.
type ChargeRequest struct {
	OrderID     int64
	UserID      int64
	AmountCents int64
	Method      string
	// IdempotencyKey is the client's key; with OrderID it names the charge
	// at the provider, so a provider-side retry cannot charge twice.
	IdempotencyKey string
}

// ChargeResult is the provider's answer. A decline is an answer, not an
// error.
type ChargeResult struct {
	Approved      bool
	ProviderRef   string
	DeclineReason string
}

// RefundRequest gives back a charge in full.
type RefundRequest struct {
	ProviderRef    string
	AmountCents    int64
	IdempotencyKey string
}

// RefundResult is the provider's record of a refund.
type RefundResult struct {
	ProviderRef string
}

// Gateway is a payment provider. An error means the outcome is unknown.
type Gateway interface {
	Charge(ctx context.Context, req ChargeRequest) (ChargeResult, error)
	Refund(ctx context.Context, req RefundRequest) (RefundResult, error)
}

// TxSender sends a transactional half message and runs local as its local
// transaction (mq.TxProducer): local's nil commits the message, an error
// wrapping mq.ErrUnknown leaves it to the check-back, any other error rolls
// it back.
type TxSender interface {
	Send(ctx context.Context, topic, key string, body []byte, props map[string]string, local mq.LocalTx) error
}

// ConsumerRefund is the refund consumer's group base name and the consumer
// column of its processed-message records.
const ConsumerRefund = "payment-refund"

// Failpoints, armed with FAILPOINTS=name,... to SIGKILL the process there
// (pkg/failpoint); fault-injection tests use them.
const (
	// FailpointAfterHalfSent: the charge went through and the
	// payment.succeeded half message is stored; the payment is still
	// PENDING.
	FailpointAfterHalfSent = "payment.after_half_sent"
	// FailpointAfterLocalCommit: the payment is committed SUCCEEDED, the
	// commit of the half message not yet sent to the broker.
	FailpointAfterLocalCommit = "payment.after_local_commit"
)

// Deps is everything the operations need, built once by app.Build.
type Deps struct {
	// Service and Instance are what Ping reports.
	Service  string
	Instance string
	Payments Payments
	Orders   Orders
	Gateway  Gateway
	// SettleTimeout bounds claiming the key, charging and recording the
	// outcome. That work runs detached from the caller's deadline: once
	// money may move, the outcome must be recorded even if the caller has
	// given up.
	SettleTimeout time.Duration
	Logger        *slog.Logger
	Clock         func() time.Time

	// Tx sends payment.succeeded to SucceededTopic.
	Tx             TxSender
	SucceededTopic string
	// LocalTxTimeout bounds payment.succeeded's local transaction, so that
	// it is certainly over when LocalTxWindow (longer) has passed since its
	// half message was sent: only then may the check-back roll it back.
	LocalTxTimeout time.Duration
	LocalTxWindow  time.Duration
	// RedriveAfter is how long a payment may stay PENDING before the
	// sweeper charges it again (idempotently) and settles it; it must
	// outlast SettleTimeout, so that the sweeper never races a Pay still
	// in flight. RedriveBatch bounds one sweep.
	RedriveAfter time.Duration
	RedriveBatch int
	Failpoints   failpoint.Set
}

func toIDL(p Payment) *payment.Payment {
	return &payment.Payment{
		PaymentId:       p.ID,
		OrderId:         p.OrderID,
		UserId:          p.UserID,
		AmountCents:     p.AmountCents,
		Method:          p.Method,
		Status:          p.Status,
		ProviderRef:     p.ProviderRef,
		FailureReason:   p.FailureReason,
		CreatedAtUnixMs: p.CreatedAt.UnixMilli(),
		UpdatedAtUnixMs: p.UpdatedAt.UnixMilli(),
	}
}
