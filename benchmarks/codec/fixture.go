// Package codec compares the wire codecs the platform could use on its
// hot-path messages: Kitex's generated Thrift FastCodec, Frugal, Apache
// Thrift (binary and compact), google.golang.org/protobuf and Kitex's
// Protobuf path (prutal). Every codec gets the same data: one canonical
// fixture per message, written with the platform's own Kitex types and
// converted field by field into each codec's generated types.
package codec

import (
	"fmt"

	"github.com/kitemall/platform/benchmarks/gen/kitex/trade"
	"github.com/kitemall/platform/kitex_gen/base"
	"github.com/kitemall/platform/kitex_gen/order"
	"github.com/kitemall/platform/kitex_gen/product"
)

// Fixture sizes named in the benchmark's brief: CreateOrder carries 5 items
// and ListProducts answers a page of 20 products.
const (
	OrderItems   = 5
	ProductsPage = 20
)

// Every field of every fixture is set to a non-zero value, so a codec or a
// converter that drops a field fails the round-trip tests instead of passing
// on zero values (TestFixturesSetEveryField guards this).

// CreateOrderRequest is the request of OrderService.CreateOrder.
func CreateOrderRequest() *order.CreateOrderRequest {
	req := &order.CreateOrderRequest{
		UserId:         1_000_042,
		IdempotencyKey: "3f2c9a7e-5b1d-4c8e-9a0f-6d7e8b9c0a1b",
	}
	for i := range OrderItems {
		req.Items = append(req.Items, &order.OrderItemInput{
			ProductId: int64(20_000 + 7*i),
			Quantity:  int32(1 + i%3),
		})
	}
	return req
}

// CreateOrderResponse is the response of OrderService.CreateOrder.
func CreateOrderResponse() *order.CreateOrderResponse {
	o := &order.Order{
		OrderId:         9_000_000_123,
		UserId:          1_000_042,
		Status:          order.OrderStatus_PENDING_PAYMENT,
		CreatedAtUnixMs: 1_767_225_600_000,
		UpdatedAtUnixMs: 1_767_225_600_125,
		CancelReason:    "none",
	}
	for i := range OrderItems {
		it := &order.OrderItem{
			ProductId:      int64(20_000 + 7*i),
			Name:           fmt.Sprintf("Stainless steel water bottle, 750 ml, model %d", i),
			UnitPriceCents: int64(1_299 + 100*i),
			Quantity:       int32(1 + i%3),
		}
		it.SubtotalCents = it.UnitPriceCents * int64(it.Quantity)
		o.TotalCents += it.SubtotalCents
		o.Items = append(o.Items, it)
	}
	return &order.CreateOrderResponse{Order: o, Created: true}
}

// GetProductRequest is the request of ProductService.GetProduct.
func GetProductRequest() *product.GetProductRequest {
	return &product.GetProductRequest{ProductId: 20_007}
}

// GetProductResponse is the response of ProductService.GetProduct.
func GetProductResponse() *product.GetProductResponse {
	return &product.GetProductResponse{Product: newProduct(1)}
}

// ListProductsRequest is the request of ProductService.ListProducts.
func ListProductsRequest() *product.ListProductsRequest {
	category := "kitchen"
	return &product.ListProductsRequest{
		Page:     &base.PageRequest{Page: 3, PageSize: ProductsPage},
		Category: &category,
	}
}

// ListProductsResponse is the response of ProductService.ListProducts.
func ListProductsResponse() *product.ListProductsResponse {
	resp := &product.ListProductsResponse{
		Page: &base.PageInfo{Page: 3, PageSize: ProductsPage, Total: 1_234},
	}
	for i := range ProductsPage {
		resp.Items = append(resp.Items, newProduct(i))
	}
	return resp
}

func newProduct(i int) *product.Product {
	return &product.Product{
		ProductId:       int64(20_000 + 7*i),
		Name:            fmt.Sprintf("Stainless steel water bottle, 750 ml, model %d", i),
		Description:     "Double-walled vacuum insulation keeps drinks cold for 24 hours and hot for 12. Leak-proof lid, dishwasher safe.",
		Category:        "kitchen",
		PriceCents:      int64(1_299 + 100*i),
		Status:          product.ProductStatus_ACTIVE,
		Stock:           int64(500 - i),
		CreatedAtUnixMs: 1_767_225_600_000,
		UpdatedAtUnixMs: 1_767_225_600_000 + int64(i),
	}
}

// TradeReport is the flat numeric message of the "Protobuf is 1.5x faster
// than Thrift" claim: 12 doubles, 3 string IDs and 1 enum.
func TradeReport() *trade.TradeReport {
	return &trade.TradeReport{
		TradeId:      "T-20260101-000000123",
		AccountId:    "ACC-7781-0042",
		InstrumentId: "XNAS:AAPL",
		Side:         trade.Side_SELL,
		Price:        187.4312,
		Quantity:     1_250,
		Notional:     234_289,
		Fee:          11.71,
		Bid:          187.43,
		Ask:          187.44,
		Mid:          187.435,
		Vwap:         187.3977,
		Open:         185.02,
		High:         188.1,
		Low:          184.77,
		Close:        187.42,
	}
}
