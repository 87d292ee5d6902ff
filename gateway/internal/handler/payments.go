package handler

import (
	"context"
	"net/http"

	"github.com/cloudwego/hertz/pkg/app"

	"github.com/kitemall/platform/kitex_gen/payment"
)

// PayOrder serves POST /api/v1/orders/{id}/pay: 202 while the payment is
// PENDING, 200 once it has an outcome (SUCCEEDED or FAILED).
func (h *Handler) PayOrder(ctx context.Context, c *app.RequestContext) {
	resp, err := h.payOrder(ctx, c.Param("id"), string(c.GetHeader(IdempotencyKeyHeader)), c.Request.Body())
	status := http.StatusOK
	if resp.Status == payment.PaymentStatus_PENDING.String() {
		status = http.StatusAccepted
	}
	h.respond(ctx, c, status, resp, err)
}

func (h *Handler) payOrder(ctx context.Context, rawID, rawKey string, body []byte) (paymentJSON, error) {
	p, err := caller(ctx)
	if err != nil {
		return paymentJSON{}, err
	}
	id, err := parseID("order id", rawID)
	if err != nil {
		return paymentJSON{}, err
	}
	key, err := parseIdempotencyKey(rawKey)
	if err != nil {
		return paymentJSON{}, err
	}
	req, err := decodePay(body)
	if err != nil {
		return paymentJSON{}, err
	}
	resp, err := h.clients.Payments.Pay(ctx, &payment.PayRequest{OrderId: id, UserId: p.UserID, Method: req.Method, IdempotencyKey: key})
	if err != nil {
		return paymentJSON{}, err
	}
	if resp.Payment == nil {
		return paymentJSON{}, errEmpty("payment")
	}
	return toPaymentJSON(resp.Payment), nil
}

// GetPayment serves GET /api/v1/payments/{id}; another user's payment is 404.
func (h *Handler) GetPayment(ctx context.Context, c *app.RequestContext) {
	resp, err := h.getPayment(ctx, c.Param("id"))
	h.respond(ctx, c, http.StatusOK, resp, err)
}

func (h *Handler) getPayment(ctx context.Context, rawID string) (paymentJSON, error) {
	p, err := caller(ctx)
	if err != nil {
		return paymentJSON{}, err
	}
	id, err := parseID("payment id", rawID)
	if err != nil {
		return paymentJSON{}, err
	}
	resp, err := h.clients.Payments.GetPayment(ctx, &payment.GetPaymentRequest{PaymentId: id, UserId: p.UserID})
	if err != nil {
		return paymentJSON{}, err
	}
	if resp.Payment == nil {
		return paymentJSON{}, errEmpty("payment")
	}
	return toPaymentJSON(resp.Payment), nil
}
