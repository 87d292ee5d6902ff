package handler

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/cloudwego/hertz/pkg/app"

	"github.com/kitemall/platform/kitex_gen/order"
	"github.com/kitemall/platform/kitex_gen/payment"
	"github.com/kitemall/platform/kitex_gen/product"
	"github.com/kitemall/platform/kitex_gen/user"
)

// timeLayout is RFC 3339 in UTC with fixed milliseconds, so every time in
// the API has one shape.
const timeLayout = "2006-01-02T15:04:05.000Z07:00"

func formatUnixMilli(ms int64) string {
	return time.UnixMilli(ms).UTC().Format(timeLayout)
}

var productStatusByName = map[string]product.ProductStatus{
	product.ProductStatus_ACTIVE.String():   product.ProductStatus_ACTIVE,
	product.ProductStatus_INACTIVE.String(): product.ProductStatus_INACTIVE,
}

// writeJSON answers status with v encoded by encoding/json, without HTML
// escaping (the API serves JSON, never HTML).
func writeJSON(c *app.RequestContext, status int, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("encode %T: %w", v, err)
	}
	c.Data(status, "application/json; charset=utf-8", buf.Bytes())
	return nil
}

type registerResponse struct {
	UserID int64 `json:"user_id"`
}

type loginResponse struct {
	Token     string `json:"token"`
	ExpiresAt string `json:"expires_at"`
	UserID    int64  `json:"user_id"`
	Role      string `json:"role"`
}

type userJSON struct {
	UserID    int64  `json:"user_id"`
	Username  string `json:"username"`
	CreatedAt string `json:"created_at"`
}

func toUserJSON(u *user.User) userJSON {
	return userJSON{UserID: u.UserId, Username: u.Username, CreatedAt: formatUnixMilli(u.CreatedAtUnixMs)}
}

type productJSON struct {
	ProductID   int64  `json:"product_id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Category    string `json:"category"`
	PriceCents  int64  `json:"price_cents"`
	Stock       int64  `json:"stock"`
	Status      string `json:"status"`
	CreatedAt   string `json:"created_at"`
	UpdatedAt   string `json:"updated_at"`
}

func toProductJSON(p *product.Product) productJSON {
	return productJSON{
		ProductID:   p.ProductId,
		Name:        p.Name,
		Description: p.Description,
		Category:    p.Category,
		PriceCents:  p.PriceCents,
		Stock:       p.Stock,
		Status:      p.Status.String(),
		CreatedAt:   formatUnixMilli(p.CreatedAtUnixMs),
		UpdatedAt:   formatUnixMilli(p.UpdatedAtUnixMs),
	}
}

type productPage struct {
	Items    []productJSON `json:"items"`
	Total    int64         `json:"total"`
	Page     int32         `json:"page"`
	PageSize int32         `json:"page_size"`
}

type createProductResponse struct {
	ProductID int64 `json:"product_id"`
}

type orderItemJSON struct {
	ProductID      int64  `json:"product_id"`
	Name           string `json:"name"`
	UnitPriceCents int64  `json:"unit_price_cents"`
	Quantity       int32  `json:"quantity"`
	SubtotalCents  int64  `json:"subtotal_cents"`
}

type orderJSON struct {
	OrderID      int64           `json:"order_id"`
	Status       string          `json:"status"`
	TotalCents   int64           `json:"total_cents"`
	Items        []orderItemJSON `json:"items"`
	CreatedAt    string          `json:"created_at"`
	UpdatedAt    string          `json:"updated_at"`
	CancelReason string          `json:"cancel_reason,omitempty"`
}

func toOrderJSON(o *order.Order) orderJSON {
	items := make([]orderItemJSON, len(o.Items))
	for i, it := range o.Items {
		items[i] = orderItemJSON{
			ProductID:      it.ProductId,
			Name:           it.Name,
			UnitPriceCents: it.UnitPriceCents,
			Quantity:       it.Quantity,
			SubtotalCents:  it.SubtotalCents,
		}
	}
	return orderJSON{
		OrderID:      o.OrderId,
		Status:       o.Status.String(),
		TotalCents:   o.TotalCents,
		Items:        items,
		CreatedAt:    formatUnixMilli(o.CreatedAtUnixMs),
		UpdatedAt:    formatUnixMilli(o.UpdatedAtUnixMs),
		CancelReason: o.CancelReason,
	}
}

type orderPage struct {
	Items    []orderJSON `json:"items"`
	Total    int64       `json:"total"`
	Page     int32       `json:"page"`
	PageSize int32       `json:"page_size"`
}

type paymentJSON struct {
	PaymentID     int64  `json:"payment_id"`
	OrderID       int64  `json:"order_id"`
	Status        string `json:"status"`
	AmountCents   int64  `json:"amount_cents"`
	Method        string `json:"method"`
	FailureReason string `json:"failure_reason,omitempty"`
	CreatedAt     string `json:"created_at"`
	UpdatedAt     string `json:"updated_at"`
}

func toPaymentJSON(p *payment.Payment) paymentJSON {
	return paymentJSON{
		PaymentID:     p.PaymentId,
		OrderID:       p.OrderId,
		Status:        p.Status.String(),
		AmountCents:   p.AmountCents,
		Method:        p.Method,
		FailureReason: p.FailureReason,
		CreatedAt:     formatUnixMilli(p.CreatedAtUnixMs),
		UpdatedAt:     formatUnixMilli(p.UpdatedAtUnixMs),
	}
}

type healthResponse struct {
	Status string `json:"status"`
}

type dependencyJSON struct {
	OK       bool   `json:"ok"`
	Instance string `json:"instance,omitempty"`
	Error    string `json:"error,omitempty"`
}

type readyResponse struct {
	Status   string                    `json:"status"`
	Services map[string]dependencyJSON `json:"services"`
}

type notReadyResponse struct {
	Code      string                    `json:"code"`
	Message   string                    `json:"message"`
	RequestID string                    `json:"request_id"`
	Services  map[string]dependencyJSON `json:"services"`
}
