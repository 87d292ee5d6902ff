package service

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kitemall/platform/kitex_gen/base"
	"github.com/kitemall/platform/kitex_gen/order"
)

// placed creates an order for user 7 holding 5 pens and returns its ID.
func placed(t *testing.T, f *fixture) int64 {
	t.Helper()
	resp, err := NewCreateOrder(f.deps).Run(context.Background(), &order.CreateOrderRequest{UserId: 7, IdempotencyKey: "k", Items: items(1, 5)})
	if err != nil {
		t.Fatal(err)
	}
	return resp.Order.OrderId
}

func TestCancelOrderStateMachine(t *testing.T) {
	later := testNow.Add(time.Minute)
	tests := []struct {
		name string
		// from puts the order in its starting state.
		from        func(t *testing.T, f *fixture, id int64)
		code        base.ErrorCode
		wantReason  string
		wantUpdated time.Time
		wantStock   int64
	}{
		{
			name:       "pending order is cancelled and its stock released",
			from:       func(*testing.T, *fixture, int64) {},
			wantReason: "changed my mind", wantUpdated: later, wantStock: 100,
		},
		{
			name: "cancelled order is returned unchanged",
			from: func(t *testing.T, f *fixture, id int64) {
				if _, err := NewCancelOrder(f.deps).Run(context.Background(), &order.CancelOrderRequest{OrderId: id, UserId: 7, Reason: "first"}); err != nil {
					t.Fatal(err)
				}
			},
			wantReason: "first", wantUpdated: testNow, wantStock: 100,
		},
		{
			name:      "paid order cannot be cancelled",
			from:      func(_ *testing.T, f *fixture, id int64) { f.orders.setStatus(id, order.OrderStatus_PAID) },
			code:      base.ErrorCode_FAILED_PRECONDITION,
			wantStock: 95,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			id := placed(t, f)
			tc.from(t, f, id)
			f.deps.Clock = func() time.Time { return later }
			before, _ := f.orders.Get(context.Background(), 7, id)

			resp, err := NewCancelOrder(f.deps).Run(context.Background(), &order.CancelOrderRequest{OrderId: id, UserId: 7, Reason: "changed my mind"})
			if tc.code != base.ErrorCode_UNKNOWN {
				wantCode(t, err, tc.code)
				if after, _ := f.orders.Get(context.Background(), 7, id); !reflect.DeepEqual(after, before) {
					t.Fatalf("order changed to %+v, want it untouched", after)
				}
			} else {
				if err != nil {
					t.Fatal(err)
				}
				if resp.Order.Status != order.OrderStatus_CANCELLED || resp.Order.CancelReason != tc.wantReason ||
					resp.Order.UpdatedAtUnixMs != tc.wantUpdated.UnixMilli() {
					t.Fatalf("answered status %v reason %q updated %d, want CANCELLED %q %d",
						resp.Order.Status, resp.Order.CancelReason, resp.Order.UpdatedAtUnixMs, tc.wantReason, tc.wantUpdated.UnixMilli())
				}
				stored, _ := f.orders.Get(context.Background(), 7, id)
				if !reflect.DeepEqual(stored.IDL(), resp.Order) {
					t.Fatalf("answered %+v, stored %+v", resp.Order, stored.IDL())
				}
			}
			if got := f.catalog.stockOf(1); got != tc.wantStock {
				t.Fatalf("pen stock %d, want %d", got, tc.wantStock)
			}
		})
	}
}

func TestCancelOrderTwiceReleasesStockOnce(t *testing.T) {
	f := newFixture(t)
	id := placed(t, f)
	svc := NewCancelOrder(f.deps)
	first, err := svc.Run(context.Background(), &order.CancelOrderRequest{OrderId: id, UserId: 7, Reason: "a"})
	if err != nil {
		t.Fatal(err)
	}
	f.deps.Clock = func() time.Time { return testNow.Add(time.Hour) }
	second, err := NewCancelOrder(f.deps).Run(context.Background(), &order.CancelOrderRequest{OrderId: id, UserId: 7, Reason: "b"})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(first.Order, second.Order) {
		t.Fatalf("second cancel answered %+v, want the first answer %+v", second.Order, first.Order)
	}
	if got := f.catalog.stockOf(1); got != 100 {
		t.Fatalf("pen stock %d after two cancels, want 100 (released once)", got)
	}
}

func TestCancelOrderRetryCompletesFailedRelease(t *testing.T) {
	f := newFixture(t)
	id := placed(t, f)
	f.catalog.releaseErr = errDown
	_, err := NewCancelOrder(f.deps).Run(context.Background(), &order.CancelOrderRequest{OrderId: id, UserId: 7})
	if !errors.Is(err, errDown) {
		t.Fatalf("error %v, want the release failure", err)
	}
	if o, _ := f.orders.Get(context.Background(), 7, id); o.Status != order.OrderStatus_CANCELLED {
		t.Fatalf("status %v, want CANCELLED: the transition is kept", o.Status)
	}
	f.catalog.releaseErr = nil
	if _, err := NewCancelOrder(f.deps).Run(context.Background(), &order.CancelOrderRequest{OrderId: id, UserId: 7}); err != nil {
		t.Fatal(err)
	}
	if got := f.catalog.stockOf(1); got != 100 {
		t.Fatalf("pen stock %d after the retry, want 100", got)
	}
}

// racingOrders lets a payment land between CancelOrder's read and its
// conditional update.
type racingOrders struct {
	*fakeOrders
	payFirst func()
}

func (r racingOrders) Cancel(ctx context.Context, userID, orderID int64, reason string, at time.Time) (bool, error) {
	r.payFirst()
	return r.fakeOrders.Cancel(ctx, userID, orderID, reason, at)
}

func TestCancelOrderLosesToConcurrentPayment(t *testing.T) {
	f := newFixture(t)
	id := placed(t, f)
	f.deps.Orders = racingOrders{fakeOrders: f.orders, payFirst: func() { f.orders.setStatus(id, order.OrderStatus_PAID) }}
	_, err := NewCancelOrder(f.deps).Run(context.Background(), &order.CancelOrderRequest{OrderId: id, UserId: 7})
	wantCode(t, err, base.ErrorCode_FAILED_PRECONDITION)
	if len(f.catalog.releases) != 0 || f.catalog.stockOf(1) != 95 {
		t.Fatalf("releases %v, pen stock %d; a paid order's stock must stay reserved", f.catalog.releases, f.catalog.stockOf(1))
	}
}

func TestCancelOrderRejects(t *testing.T) {
	tests := []struct {
		name string
		req  func(id int64) *order.CancelOrderRequest
		code base.ErrorCode
	}{
		{"another user's order is NOT_FOUND", func(id int64) *order.CancelOrderRequest { return &order.CancelOrderRequest{OrderId: id, UserId: 8} }, base.ErrorCode_NOT_FOUND},
		{"unknown order is NOT_FOUND", func(id int64) *order.CancelOrderRequest { return &order.CancelOrderRequest{OrderId: id + 1, UserId: 7} }, base.ErrorCode_NOT_FOUND},
		{"zero order id is invalid", func(int64) *order.CancelOrderRequest { return &order.CancelOrderRequest{UserId: 7} }, base.ErrorCode_INVALID_ARGUMENT},
		{"zero user id is invalid", func(id int64) *order.CancelOrderRequest { return &order.CancelOrderRequest{OrderId: id} }, base.ErrorCode_INVALID_ARGUMENT},
		{"reason over 255 characters is invalid", func(id int64) *order.CancelOrderRequest {
			return &order.CancelOrderRequest{OrderId: id, UserId: 7, Reason: strings.Repeat("r", 256)}
		}, base.ErrorCode_INVALID_ARGUMENT},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			id := placed(t, f)
			_, err := NewCancelOrder(f.deps).Run(context.Background(), tc.req(id))
			wantCode(t, err, tc.code)
			if o, _ := f.orders.Get(context.Background(), 7, id); o.Status != order.OrderStatus_PENDING_PAYMENT || f.catalog.stockOf(1) != 95 {
				t.Fatalf("status %v, pen stock %d; want the order untouched", o.Status, f.catalog.stockOf(1))
			}
		})
	}
}
