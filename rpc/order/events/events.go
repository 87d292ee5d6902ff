// Package events declares the messages the order service sends over
// RocketMQ: their topics and JSON bodies. It is the order service's
// asynchronous contract, as idl/order.thrift is its RPC one; services that
// consume these messages import it. Topic names get the deployment's
// namespace appended (mq.Namespaced) and every message's key is the ID it
// is about, written by Key.
package events

import "strconv"

// Topics, before the namespace is appended.
const (
	// TopicOrderCreated carries OrderCreated as a transactional message
	// keyed by the order ID: it commits exactly when the order row does.
	TopicOrderCreated = "order_created"
	// TopicOrderTimeout carries OrderTimeout as a timer message keyed by
	// the order ID, delivered when the order's payment window ends.
	TopicOrderTimeout = "order_timeout"
	// TopicPaymentRefund carries PaymentRefund, keyed by the payment ID:
	// the order could not take the payment (cancelled meanwhile, or the
	// amount differs), so the payment service gives the money back.
	TopicPaymentRefund = "payment_refund"
)

// Key is the message key of an entity ID.
func Key(id int64) string { return strconv.FormatInt(id, 10) }

// OrderCreated is a stored order awaiting payment.
type OrderCreated struct {
	OrderID         int64  `json:"order_id"`
	UserID          int64  `json:"user_id"`
	TotalCents      int64  `json:"total_cents"`
	CreatedAtUnixMs int64  `json:"created_at_unix_ms"`
	Items           []Item `json:"items"`
}

// Item is one priced line of an order.
type Item struct {
	ProductID      int64 `json:"product_id"`
	Quantity       int32 `json:"quantity"`
	UnitPriceCents int64 `json:"unit_price_cents"`
}

// OrderTimeout says the order's payment window is over.
type OrderTimeout struct {
	OrderID     int64 `json:"order_id"`
	DueAtUnixMs int64 `json:"due_at_unix_ms"`
}

// PaymentRefund asks the payment service to refund a succeeded payment.
type PaymentRefund struct {
	PaymentID int64  `json:"payment_id"`
	OrderID   int64  `json:"order_id"`
	Reason    string `json:"reason"`
}
