package service

import (
	"context"
	"fmt"

	"github.com/kitemall/platform/kitex_gen/base"
	"github.com/kitemall/platform/kitex_gen/order"
	"github.com/kitemall/platform/pkg/errs"
)

// MaxPageSize bounds one page of ListOrders.
const MaxPageSize = 100

// ListOrders pages through the caller's orders, newest first.
type ListOrders struct{ d Deps }

// NewListOrders returns the operation.
func NewListOrders(d Deps) *ListOrders { return &ListOrders{d: d} }

// Run executes the operation. A missing page means the first page of 20.
func (s *ListOrders) Run(ctx context.Context, req *order.ListOrdersRequest) (*order.ListOrdersResponse, error) {
	page := req.GetPage()
	if page == nil {
		page = base.NewPageRequest()
	}
	switch {
	case req.GetUserId() <= 0:
		return nil, errs.InvalidArgument("user_id must be positive")
	case page.Page < 1:
		return nil, errs.InvalidArgument("page.page must be at least 1, got %d", page.Page)
	case page.PageSize < 1 || page.PageSize > MaxPageSize:
		return nil, errs.InvalidArgument("page.page_size must be in 1..%d, got %d", MaxPageSize, page.PageSize)
	}
	offset := (int(page.Page) - 1) * int(page.PageSize)
	orders, total, err := s.d.Orders.List(ctx, req.UserId, offset, int(page.PageSize))
	if err != nil {
		return nil, fmt.Errorf("list orders of user %d: %w", req.UserId, err)
	}
	items := make([]*order.Order, len(orders))
	for i, o := range orders {
		items[i] = o.IDL()
	}
	return &order.ListOrdersResponse{
		Items: items,
		Page:  &base.PageInfo{Page: page.Page, PageSize: page.PageSize, Total: total},
	}, nil
}
