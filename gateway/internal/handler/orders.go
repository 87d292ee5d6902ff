package handler

import (
	"context"
	"net/http"

	"github.com/cloudwego/hertz/pkg/app"

	"github.com/kitemall/platform/kitex_gen/base"
	"github.com/kitemall/platform/kitex_gen/order"
)

// IdempotencyKeyHeader names the header that makes order creation and
// payment safe to retry.
const IdempotencyKeyHeader = "Idempotency-Key"

// CreateOrder serves POST /api/v1/orders: 201 for a new order, 200 with the
// same body when the Idempotency-Key replays an earlier one.
func (h *Handler) CreateOrder(ctx context.Context, c *app.RequestContext) {
	resp, created, err := h.createOrder(ctx, string(c.GetHeader(IdempotencyKeyHeader)), c.Request.Body())
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	h.respond(ctx, c, status, resp, err)
}

func (h *Handler) createOrder(ctx context.Context, rawKey string, body []byte) (orderJSON, bool, error) {
	p, err := caller(ctx)
	if err != nil {
		return orderJSON{}, false, err
	}
	key, err := parseIdempotencyKey(rawKey)
	if err != nil {
		return orderJSON{}, false, err
	}
	req, err := decodeCreateOrder(body)
	if err != nil {
		return orderJSON{}, false, err
	}
	items := make([]*order.OrderItemInput, len(req.Items))
	products := make([]int64, len(req.Items))
	for i, it := range req.Items {
		items[i] = &order.OrderItemInput{ProductId: it.ProductID, Quantity: it.Quantity}
		products[i] = it.ProductID
	}
	resp, err := h.clients.Orders.CreateOrder(ctx, &order.CreateOrderRequest{UserId: p.UserID, Items: items, IdempotencyKey: key})
	// The order reserved stock (even a failed call may have): the caller
	// reads the new stock next.
	h.products.Forget(products...)
	if err != nil {
		return orderJSON{}, false, err
	}
	if resp.Order == nil {
		return orderJSON{}, false, errEmpty("order")
	}
	return toOrderJSON(resp.Order), resp.Created, nil
}

// GetOrder serves GET /api/v1/orders/{id}; another user's order is 404.
func (h *Handler) GetOrder(ctx context.Context, c *app.RequestContext) {
	resp, err := h.getOrder(ctx, c.Param("id"))
	h.respond(ctx, c, http.StatusOK, resp, err)
}

func (h *Handler) getOrder(ctx context.Context, rawID string) (orderJSON, error) {
	p, err := caller(ctx)
	if err != nil {
		return orderJSON{}, err
	}
	id, err := parseID("order id", rawID)
	if err != nil {
		return orderJSON{}, err
	}
	resp, err := h.clients.Orders.GetOrder(ctx, &order.GetOrderRequest{OrderId: id, UserId: p.UserID})
	if err != nil {
		return orderJSON{}, err
	}
	if resp.Order == nil {
		return orderJSON{}, errEmpty("order")
	}
	return toOrderJSON(resp.Order), nil
}

// ListOrders serves GET /api/v1/orders?page=&page_size=: the caller's
// orders, newest first.
func (h *Handler) ListOrders(ctx context.Context, c *app.RequestContext) {
	resp, err := h.listOrders(ctx, c.Query("page"), c.Query("page_size"))
	h.respond(ctx, c, http.StatusOK, resp, err)
}

func (h *Handler) listOrders(ctx context.Context, pageRaw, sizeRaw string) (orderPage, error) {
	p, err := caller(ctx)
	if err != nil {
		return orderPage{}, err
	}
	pg, err := parsePage(pageRaw, sizeRaw)
	if err != nil {
		return orderPage{}, err
	}
	resp, err := h.clients.Orders.ListOrders(ctx, &order.ListOrdersRequest{
		UserId: p.UserID,
		Page:   &base.PageRequest{Page: pg.Page, PageSize: pg.PageSize},
	})
	if err != nil {
		return orderPage{}, err
	}
	out := orderPage{Items: make([]orderJSON, 0, len(resp.Items)), Page: pg.Page, PageSize: pg.PageSize}
	for _, o := range resp.Items {
		out.Items = append(out.Items, toOrderJSON(o))
	}
	if resp.Page != nil {
		out.Total = resp.Page.Total
	}
	return out, nil
}

// CancelOrder serves POST /api/v1/orders/{id}/cancel; only a
// PENDING_PAYMENT order can be cancelled (otherwise 409).
func (h *Handler) CancelOrder(ctx context.Context, c *app.RequestContext) {
	resp, err := h.cancelOrder(ctx, c.Param("id"), c.Request.Body())
	h.respond(ctx, c, http.StatusOK, resp, err)
}

func (h *Handler) cancelOrder(ctx context.Context, rawID string, body []byte) (orderJSON, error) {
	p, err := caller(ctx)
	if err != nil {
		return orderJSON{}, err
	}
	id, err := parseID("order id", rawID)
	if err != nil {
		return orderJSON{}, err
	}
	req, err := decodeCancelOrder(body)
	if err != nil {
		return orderJSON{}, err
	}
	resp, err := h.clients.Orders.CancelOrder(ctx, &order.CancelOrderRequest{OrderId: id, UserId: p.UserID, Reason: req.Reason})
	if err != nil {
		return orderJSON{}, err
	}
	if resp.Order == nil {
		return orderJSON{}, errEmpty("order")
	}
	// The cancel released the order's stock.
	products := make([]int64, len(resp.Order.Items))
	for i, it := range resp.Order.Items {
		products[i] = it.ProductId
	}
	h.products.Forget(products...)
	return toOrderJSON(resp.Order), nil
}
