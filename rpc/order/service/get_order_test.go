package service

import (
	"context"
	"reflect"
	"testing"

	"github.com/kitemall/platform/kitex_gen/base"
	"github.com/kitemall/platform/kitex_gen/order"
)

func TestGetOrder(t *testing.T) {
	f := newFixture(t)
	created, err := NewCreateOrder(f.deps).Run(context.Background(), &order.CreateOrderRequest{UserId: 7, IdempotencyKey: "k", Items: items(1, 1)})
	if err != nil {
		t.Fatal(err)
	}
	id := created.Order.OrderId
	tests := []struct {
		name    string
		req     *order.GetOrderRequest
		code    base.ErrorCode
		wantHit bool
	}{
		{"owner gets the order as created", &order.GetOrderRequest{OrderId: id, UserId: 7}, base.ErrorCode_UNKNOWN, true},
		{"another user's order is NOT_FOUND", &order.GetOrderRequest{OrderId: id, UserId: 8}, base.ErrorCode_NOT_FOUND, false},
		{"unknown order is NOT_FOUND", &order.GetOrderRequest{OrderId: id + 1, UserId: 7}, base.ErrorCode_NOT_FOUND, false},
		{"zero order id is invalid", &order.GetOrderRequest{UserId: 7}, base.ErrorCode_INVALID_ARGUMENT, false},
		{"zero user id is invalid", &order.GetOrderRequest{OrderId: id}, base.ErrorCode_INVALID_ARGUMENT, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := NewGetOrder(f.deps).Run(context.Background(), tc.req)
			if !tc.wantHit {
				wantCode(t, err, tc.code)
				return
			}
			if err != nil || !reflect.DeepEqual(resp.Order, created.Order) {
				t.Fatalf("got %+v (err %v), want %+v", resp, err, created.Order)
			}
		})
	}
}
