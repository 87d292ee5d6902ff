package service

import (
	"context"
	"fmt"
	"testing"

	"github.com/kitemall/platform/kitex_gen/base"
	"github.com/kitemall/platform/kitex_gen/order"
)

func TestListOrdersPagesThroughOwnOrders(t *testing.T) {
	f := newFixture(t)
	for i := range 5 {
		if _, err := NewCreateOrder(f.deps).Run(context.Background(), &order.CreateOrderRequest{UserId: 7, IdempotencyKey: fmt.Sprint(i), Items: items(1, 1)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := NewCreateOrder(f.deps).Run(context.Background(), &order.CreateOrderRequest{UserId: 8, IdempotencyKey: "other", Items: items(1, 1)}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		page       *base.PageRequest
		wantOffset int
		wantLimit  int
		wantIDs    []int64
		wantPage   base.PageInfo
	}{
		{"missing page is the first page of 20", nil, 0, 20, []int64{1005, 1004, 1003, 1002, 1001}, base.PageInfo{Page: 1, PageSize: 20, Total: 5}},
		{"second page of 2", &base.PageRequest{Page: 2, PageSize: 2}, 2, 2, []int64{1003, 1002}, base.PageInfo{Page: 2, PageSize: 2, Total: 5}},
		{"last partial page", &base.PageRequest{Page: 3, PageSize: 2}, 4, 2, []int64{1001}, base.PageInfo{Page: 3, PageSize: 2, Total: 5}},
		{"page past the end is empty", &base.PageRequest{Page: 9, PageSize: 100}, 800, 100, nil, base.PageInfo{Page: 9, PageSize: 100, Total: 5}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := NewListOrders(f.deps).Run(context.Background(), &order.ListOrdersRequest{UserId: 7, Page: tc.page})
			if err != nil {
				t.Fatal(err)
			}
			if f.orders.listOffset != tc.wantOffset || f.orders.listLimit != tc.wantLimit {
				t.Fatalf("asked the store for offset %d limit %d, want %d %d", f.orders.listOffset, f.orders.listLimit, tc.wantOffset, tc.wantLimit)
			}
			var ids []int64
			for _, o := range resp.Items {
				ids = append(ids, o.OrderId)
				if o.UserId != 7 {
					t.Fatalf("listed order %d of user %d", o.OrderId, o.UserId)
				}
			}
			if fmt.Sprint(ids) != fmt.Sprint(tc.wantIDs) || *resp.Page != tc.wantPage {
				t.Fatalf("got ids %v page %+v, want %v %+v", ids, *resp.Page, tc.wantIDs, tc.wantPage)
			}
		})
	}
}

func TestListOrdersRejectsBadPaging(t *testing.T) {
	tests := []struct {
		name string
		req  *order.ListOrdersRequest
	}{
		{"zero user", &order.ListOrdersRequest{Page: &base.PageRequest{Page: 1, PageSize: 10}}},
		{"page 0", &order.ListOrdersRequest{UserId: 7, Page: &base.PageRequest{Page: 0, PageSize: 10}}},
		{"page size 0", &order.ListOrdersRequest{UserId: 7, Page: &base.PageRequest{Page: 1, PageSize: 0}}},
		{"page size 101", &order.ListOrdersRequest{UserId: 7, Page: &base.PageRequest{Page: 1, PageSize: 101}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewListOrders(newFixture(t).deps).Run(context.Background(), tc.req)
			wantCode(t, err, base.ErrorCode_INVALID_ARGUMENT)
		})
	}
}
