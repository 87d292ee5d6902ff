// Package events declares the messages the payment service sends over
// RocketMQ: their topics and JSON bodies. It is the payment service's
// asynchronous contract, as idl/payment.thrift is its RPC one; services
// that consume these messages import it. Topic names get the deployment's
// namespace appended (mq.Namespaced).
package events

import "strconv"

// TopicPaymentSucceeded carries PaymentSucceeded as a transactional message
// keyed by the payment ID (Key): it commits exactly when the payment row
// becomes SUCCEEDED.
const TopicPaymentSucceeded = "payment_succeeded"

// Key is the message key of a payment ID.
func Key(paymentID int64) string { return strconv.FormatInt(paymentID, 10) }

// PaymentSucceeded is a payment whose charge went through.
type PaymentSucceeded struct {
	PaymentID   int64 `json:"payment_id"`
	OrderID     int64 `json:"order_id"`
	UserID      int64 `json:"user_id"`
	AmountCents int64 `json:"amount_cents"`
}
