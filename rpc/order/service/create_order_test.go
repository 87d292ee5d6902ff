package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/kitemall/platform/kitex_gen/base"
	"github.com/kitemall/platform/kitex_gen/order"
	"github.com/kitemall/platform/pkg/errs"
	"github.com/kitemall/platform/rpc/order/events"
)

func manyItems(n int) []*order.OrderItemInput {
	out := make([]*order.OrderItemInput, n)
	for i := range out {
		out[i] = &order.OrderItemInput{ProductId: int64(i + 1), Quantity: 1}
	}
	return out
}

func TestValidateCreate(t *testing.T) {
	valid := func(mut func(r *order.CreateOrderRequest)) *order.CreateOrderRequest {
		r := &order.CreateOrderRequest{UserId: 7, IdempotencyKey: "k-1", Items: items(1, 2)}
		mut(r)
		return r
	}
	tests := []struct {
		name  string
		req   *order.CreateOrderRequest
		valid bool
	}{
		{"nil request is invalid", nil, false},
		{"zero user is invalid", valid(func(r *order.CreateOrderRequest) { r.UserId = 0 }), false},
		{"negative user is invalid", valid(func(r *order.CreateOrderRequest) { r.UserId = -3 }), false},
		{"empty key is invalid", valid(func(r *order.CreateOrderRequest) { r.IdempotencyKey = "" }), false},
		{"key of 129 characters is invalid", valid(func(r *order.CreateOrderRequest) { r.IdempotencyKey = strings.Repeat("k", 129) }), false},
		{"key of 128 multibyte characters is valid", valid(func(r *order.CreateOrderRequest) { r.IdempotencyKey = strings.Repeat("é", 128) }), true},
		{"key with invalid UTF-8 is invalid", valid(func(r *order.CreateOrderRequest) { r.IdempotencyKey = "k\xff" }), false},
		{"no items is invalid", valid(func(r *order.CreateOrderRequest) { r.Items = nil }), false},
		{"50 items is valid", valid(func(r *order.CreateOrderRequest) { r.Items = manyItems(50) }), true},
		{"51 items is invalid", valid(func(r *order.CreateOrderRequest) { r.Items = manyItems(51) }), false},
		{"nil item is invalid", valid(func(r *order.CreateOrderRequest) { r.Items = append(r.Items, nil) }), false},
		{"zero product id is invalid", valid(func(r *order.CreateOrderRequest) { r.Items = items(0, 1) }), false},
		{"quantity 0 is invalid", valid(func(r *order.CreateOrderRequest) { r.Items = items(1, 0) }), false},
		{"negative quantity is invalid", valid(func(r *order.CreateOrderRequest) { r.Items = items(1, -1) }), false},
		{"quantity 999 is valid", valid(func(r *order.CreateOrderRequest) { r.Items = items(1, 999) }), true},
		{"quantity 1000 is invalid", valid(func(r *order.CreateOrderRequest) { r.Items = items(1, 1000) }), false},
		{"duplicate product is invalid", valid(func(r *order.CreateOrderRequest) { r.Items = items(1, 1, 2, 1, 1, 3) }), false},
		{"minimal request is valid", valid(func(*order.CreateOrderRequest) {}), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := validateCreate(tc.req)
			if tc.valid {
				if err != nil {
					t.Fatalf("validateCreate = %v, want nil", err)
				}
				return
			}
			wantCode(t, err, base.ErrorCode_INVALID_ARGUMENT)
		})
	}
}

func TestCreateOrderRejectsInvalidRequestBeforeAnySideEffect(t *testing.T) {
	f := newFixture(t)
	_, err := NewCreateOrder(f.deps).Run(context.Background(), &order.CreateOrderRequest{UserId: 7, IdempotencyKey: "k", Items: items(1, 1000)})
	wantCode(t, err, base.ErrorCode_INVALID_ARGUMENT)
	if f.catalog.reserveCalls != 0 || f.orders.count() != 0 {
		t.Fatalf("reserve calls %d, orders %d, want none", f.catalog.reserveCalls, f.orders.count())
	}
}

func TestCreateOrderTakesPricesFromCatalogAndReservesStock(t *testing.T) {
	f := newFixture(t)
	resp, err := NewCreateOrder(f.deps).Run(context.Background(),
		&order.CreateOrderRequest{UserId: 7, IdempotencyKey: "k-1", Items: items(2, 3, 1, 2)})
	if err != nil {
		t.Fatal(err)
	}
	want := &order.Order{
		OrderId: 1001, UserId: 7, Status: order.OrderStatus_PENDING_PAYMENT, TotalCents: 3*899 + 2*150,
		Items: []*order.OrderItem{
			{ProductId: 2, Name: "ink", UnitPriceCents: 899, Quantity: 3, SubtotalCents: 2697},
			{ProductId: 1, Name: "pen", UnitPriceCents: 150, Quantity: 2, SubtotalCents: 300},
		},
		CreatedAtUnixMs: testNow.UnixMilli(), UpdatedAtUnixMs: testNow.UnixMilli(),
	}
	if !resp.Created || !reflect.DeepEqual(resp.Order, want) {
		t.Fatalf("got created=%v %+v\nwant created=true %+v", resp.Created, resp.Order, want)
	}
	if f.catalog.stockOf(2) != 97 || f.catalog.stockOf(1) != 98 {
		t.Fatalf("stock after reserve: ink %d pen %d, want 97 and 98", f.catalog.stockOf(2), f.catalog.stockOf(1))
	}
	stored, err := f.orders.Get(context.Background(), 7, 1001)
	if err != nil || !reflect.DeepEqual(stored.IDL(), want) {
		t.Fatalf("stored order %+v (err %v), want the answered one", stored, err)
	}
}

func TestCreateOrderReplaysSameKeyWithoutReservingAgain(t *testing.T) {
	f := newFixture(t)
	svc := NewCreateOrder(f.deps)
	first, err := svc.Run(context.Background(), &order.CreateOrderRequest{UserId: 7, IdempotencyKey: "k-1", Items: items(1, 2, 3, 1)})
	if err != nil {
		t.Fatal(err)
	}
	// The same items listed in another order are the same request.
	again, err := svc.Run(context.Background(), &order.CreateOrderRequest{UserId: 7, IdempotencyKey: "k-1", Items: items(3, 1, 1, 2)})
	if err != nil {
		t.Fatal(err)
	}
	if again.Created || !reflect.DeepEqual(again.Order, first.Order) {
		t.Fatalf("replay created=%v order %+v, want created=false and %+v", again.Created, again.Order, first.Order)
	}
	if f.catalog.reserveCalls != 1 || f.orders.count() != 1 || f.catalog.stockOf(1) != 98 {
		t.Fatalf("reserve calls %d, orders %d, pen stock %d; want 1, 1, 98", f.catalog.reserveCalls, f.orders.count(), f.catalog.stockOf(1))
	}
}

func TestCreateOrderKeyIsPerUser(t *testing.T) {
	f := newFixture(t)
	svc := NewCreateOrder(f.deps)
	for _, user := range []int64{7, 8} {
		resp, err := svc.Run(context.Background(), &order.CreateOrderRequest{UserId: user, IdempotencyKey: "same", Items: items(1, 1)})
		if err != nil || !resp.Created || resp.Order.UserId != user {
			t.Fatalf("user %d: resp %+v err %v, want a new order of theirs", user, resp, err)
		}
	}
}

func TestCreateOrderRejectsKeyReusedForOtherItems(t *testing.T) {
	tests := []struct {
		name  string
		items []*order.OrderItemInput
	}{
		{"other quantity", items(1, 3, 2, 1)},
		{"other product", items(1, 2, 3, 1)},
		{"fewer items", items(1, 2)},
		{"more items", items(1, 2, 2, 1, 3, 1)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			svc := NewCreateOrder(f.deps)
			if _, err := svc.Run(context.Background(), &order.CreateOrderRequest{UserId: 7, IdempotencyKey: "k", Items: items(1, 2, 2, 1)}); err != nil {
				t.Fatal(err)
			}
			_, err := svc.Run(context.Background(), &order.CreateOrderRequest{UserId: 7, IdempotencyKey: "k", Items: tc.items})
			wantCode(t, err, base.ErrorCode_IDEMPOTENCY_CONFLICT)
			if f.catalog.reserveCalls != 1 || f.orders.count() != 1 {
				t.Fatalf("reserve calls %d, orders %d, want 1 and 1", f.catalog.reserveCalls, f.orders.count())
			}
		})
	}
}

func TestCreateOrderCatalogRefusals(t *testing.T) {
	tests := []struct {
		name  string
		items []*order.OrderItemInput
		code  base.ErrorCode
	}{
		{"unknown product is NOT_FOUND", items(1, 1, 404, 1), base.ErrorCode_NOT_FOUND},
		{"inactive product is FAILED_PRECONDITION", items(1, 1, 9, 1), base.ErrorCode_FAILED_PRECONDITION},
		{"short stock passes INSUFFICIENT_STOCK through", items(1, 1, 2, 101), base.ErrorCode_INSUFFICIENT_STOCK},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			_, err := NewCreateOrder(f.deps).Run(context.Background(), &order.CreateOrderRequest{UserId: 7, IdempotencyKey: "k", Items: tc.items})
			wantCode(t, err, tc.code)
			if f.orders.count() != 0 || f.catalog.heldCount() != 0 || f.catalog.stockOf(1) != 100 {
				t.Fatalf("orders %d, held %d, pen stock %d; want nothing stored or held", f.orders.count(), f.catalog.heldCount(), f.catalog.stockOf(1))
			}
		})
	}
}

func TestCreateOrderReleasesStockWhenStoringFails(t *testing.T) {
	f := newFixture(t)
	f.orders.failOn = errDown
	_, err := NewCreateOrder(f.deps).Run(context.Background(), &order.CreateOrderRequest{UserId: 7, IdempotencyKey: "k", Items: items(1, 5)})
	if !errors.Is(err, errDown) {
		t.Fatalf("error %v, want it to wrap the store failure", err)
	}
	if _, isServiceErr := errs.As(err); isServiceErr {
		t.Fatalf("error %v is a ServiceError; a store failure must stay internal", err)
	}
	if !reflect.DeepEqual(f.catalog.releases, []int64{1001}) || f.catalog.stockOf(1) != 100 || f.catalog.heldCount() != 0 {
		t.Fatalf("releases %v, pen stock %d, held %d; want order 1001 released and stock back at 100", f.catalog.releases, f.catalog.stockOf(1), f.catalog.heldCount())
	}
}

func TestCreateOrderReportsFailedCompensation(t *testing.T) {
	f := newFixture(t)
	f.orders.failOn = errDown
	f.catalog.releaseErr = errors.New("product unreachable")
	_, err := NewCreateOrder(f.deps).Run(context.Background(), &order.CreateOrderRequest{UserId: 7, IdempotencyKey: "k", Items: items(1, 5)})
	if !errors.Is(err, errDown) || !strings.Contains(err.Error(), "product unreachable") {
		t.Fatalf("error %v, want the store failure and the release failure", err)
	}
}

func TestCreateOrderReleasesReservationOfUnknownOutcome(t *testing.T) {
	f := newFixture(t)
	f.catalog.reserveErr, f.catalog.reserveApplies = context.DeadlineExceeded, true
	_, err := NewCreateOrder(f.deps).Run(context.Background(), &order.CreateOrderRequest{UserId: 7, IdempotencyKey: "k", Items: items(1, 5)})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error %v, want the reserve timeout", err)
	}
	if f.catalog.heldCount() != 0 || f.catalog.stockOf(1) != 100 || f.orders.count() != 0 {
		t.Fatalf("held %d, pen stock %d, orders %d; want the timed-out reservation released", f.catalog.heldCount(), f.catalog.stockOf(1), f.orders.count())
	}
}

func TestCreateOrderDoesNotReleaseRefusedReservation(t *testing.T) {
	f := newFixture(t)
	_, err := NewCreateOrder(f.deps).Run(context.Background(), &order.CreateOrderRequest{UserId: 7, IdempotencyKey: "k", Items: items(1, 101)})
	wantCode(t, err, base.ErrorCode_INSUFFICIENT_STOCK)
	if len(f.catalog.releases) != 0 {
		t.Fatalf("releases %v, want none after a refusal that reserved nothing", f.catalog.releases)
	}
}

func TestCreateOrderThatLosesTheKeyRaceReleasesAndReplaysTheWinner(t *testing.T) {
	f := newFixture(t)
	winner := &Order{ID: 5, UserID: 7, IdempotencyKey: "k", Status: order.OrderStatus_PENDING_PAYMENT, TotalCents: 750,
		Items: []Item{{ProductID: 1, Name: "pen", UnitPriceCents: 150, Quantity: 5, SubtotalCents: 750}}}
	// Another instance stores its order between our replay check and insert.
	f.orders.beforeCreate = func() {
		f.orders.beforeCreate = nil
		if err := f.orders.Create(context.Background(), winner); err != nil {
			t.Error(err)
		}
	}
	resp, err := NewCreateOrder(f.deps).Run(context.Background(), &order.CreateOrderRequest{UserId: 7, IdempotencyKey: "k", Items: items(1, 5)})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Created || resp.Order.OrderId != 5 {
		t.Fatalf("got created=%v order %d, want the winner 5 replayed", resp.Created, resp.Order.OrderId)
	}
	if !reflect.DeepEqual(f.catalog.releases, []int64{1001}) || f.catalog.heldCount() != 0 {
		t.Fatalf("releases %v, held %d; want the losing order 1001 released", f.catalog.releases, f.catalog.heldCount())
	}
	if msgs := f.tx.messages(); len(msgs) != 1 || msgs[0].key != "1001" || msgs[0].outcome != "rollback" {
		t.Fatalf("sent %+v, want the losing order's message rolled back", msgs)
	}
}

func TestCreateOrderConcurrentSameKeyMakesOneOrder(t *testing.T) {
	for _, tc := range []struct {
		name    string
		lockErr error
	}{
		{"with the lock only one attempt reserves", nil},
		{"without the lock every losing reservation is released", errDown},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.locks.err = tc.lockErr
			svc := NewCreateOrder(f.deps)
			var wg sync.WaitGroup
			resps := make([]*order.CreateOrderResponse, 10)
			errsOut := make([]error, 10)
			for i := range resps {
				wg.Add(1)
				go func() {
					defer wg.Done()
					resps[i], errsOut[i] = svc.Run(context.Background(), &order.CreateOrderRequest{UserId: 7, IdempotencyKey: "k", Items: items(1, 5)})
				}()
			}
			wg.Wait()
			created := 0
			for i, r := range resps {
				if errsOut[i] != nil {
					t.Fatalf("attempt %d: %v", i, errsOut[i])
				}
				if r.Created {
					created++
				}
				if r.Order.OrderId != resps[0].Order.OrderId {
					t.Fatalf("attempt %d answered order %d, attempt 0 order %d", i, r.Order.OrderId, resps[0].Order.OrderId)
				}
			}
			if created != 1 || f.orders.count() != 1 || f.catalog.stockOf(1) != 95 || f.catalog.heldCount() != 1 {
				t.Fatalf("created %d, orders %d, pen stock %d, held %d; want 1, 1, 95, 1", created, f.orders.count(), f.catalog.stockOf(1), f.catalog.heldCount())
			}
			if tc.lockErr == nil && f.catalog.reserveCalls != 1 {
				t.Fatalf("reserve calls %d, want 1 behind the lock", f.catalog.reserveCalls)
			}
			if len(f.catalog.releases) != f.catalog.reserveCalls-1 {
				t.Fatalf("releases %d after %d reservations, want every loser released", len(f.catalog.releases), f.catalog.reserveCalls)
			}
		})
	}
}

func TestCreateOrderSendsOrderCreatedThatCommitsWithTheOrder(t *testing.T) {
	f := newFixture(t)
	resp, err := NewCreateOrder(f.deps).Run(context.Background(), &order.CreateOrderRequest{UserId: 7, IdempotencyKey: "k", Items: items(2, 3, 1, 2)})
	if err != nil {
		t.Fatal(err)
	}
	msgs := f.tx.messages()
	if len(msgs) != 1 || msgs[0].topic != testTopics.OrderCreated || msgs[0].key != "1001" || msgs[0].outcome != "commit" {
		t.Fatalf("sent %+v, want one committed order.created keyed 1001", msgs)
	}
	var ev events.OrderCreated
	if err := json.Unmarshal(msgs[0].body, &ev); err != nil {
		t.Fatal(err)
	}
	want := events.OrderCreated{OrderID: 1001, UserID: 7, TotalCents: resp.Order.TotalCents, CreatedAtUnixMs: resp.Order.CreatedAtUnixMs,
		Items: []events.Item{{ProductID: 2, Quantity: 3, UnitPriceCents: 899}, {ProductID: 1, Quantity: 2, UnitPriceCents: 150}}}
	if !reflect.DeepEqual(ev, want) {
		t.Fatalf("body %+v, want %+v", ev, want)
	}
}

func TestCreateOrderMessageOutcomes(t *testing.T) {
	tests := []struct {
		name    string
		arrange func(f *fixture)
		items   []*order.OrderItemInput
		code    base.ErrorCode
		outcome string
		// held is whether the order's stock is still held afterwards.
		held bool
	}{
		{
			name:  "a refused reservation rolls the message back",
			items: items(1, 101), code: base.ErrorCode_INSUFFICIENT_STOCK, outcome: "rollback",
		},
		{
			name:    "a failed insert releases the stock and rolls back",
			arrange: func(f *fixture) { f.orders.failOn = errDown },
			items:   items(1, 5), code: base.ErrorCode_UNKNOWN, outcome: "rollback",
		},
		{
			name:    "an insert that may have committed is left to the check-back, stock held",
			arrange: func(f *fixture) { f.orders.failOn = fmt.Errorf("commit: %w", context.DeadlineExceeded) },
			items:   items(1, 5), code: base.ErrorCode_UNAVAILABLE, outcome: "unknown", held: true,
		},
		{
			name: "a failed compensation is left to the check-back",
			arrange: func(f *fixture) {
				f.orders.failOn = errDown
				f.catalog.releaseErr = errors.New("product unreachable")
			},
			items: items(1, 5), code: base.ErrorCode_UNKNOWN, outcome: "unknown", held: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			if tc.arrange != nil {
				tc.arrange(f)
			}
			_, err := NewCreateOrder(f.deps).Run(context.Background(), &order.CreateOrderRequest{UserId: 7, IdempotencyKey: "k", Items: tc.items})
			if err == nil {
				t.Fatal("CreateOrder succeeded, want a failure")
			}
			if rpcErr, _ := errs.ForRPC(err); tc.code != base.ErrorCode_UNKNOWN && errs.Code(rpcErr) != tc.code {
				t.Fatalf("error %v reaches the caller as %v, want %v", err, errs.Code(rpcErr), tc.code)
			}
			if msgs := f.tx.messages(); len(msgs) != 1 || msgs[0].outcome != tc.outcome {
				t.Fatalf("sent %+v, want one message left %s", msgs, tc.outcome)
			}
			if held := f.catalog.state(1001) == "held"; held != tc.held || f.orders.count() != 0 {
				t.Fatalf("stock held %v, orders %d; want held %v and no order", held, f.orders.count(), tc.held)
			}
		})
	}
}

func TestCreateOrderWithTheBrokerDownIsUnavailableAndHoldsNothing(t *testing.T) {
	f := newFixture(t)
	f.tx.sendErr = errors.New("send half message: no route")
	_, err := NewCreateOrder(f.deps).Run(context.Background(), &order.CreateOrderRequest{UserId: 7, IdempotencyKey: "k", Items: items(1, 5)})
	wantCode(t, err, base.ErrorCode_UNAVAILABLE)
	if f.catalog.reserveCalls != 0 || f.orders.count() != 0 {
		t.Fatalf("reserve calls %d, orders %d; want nothing done without the half message", f.catalog.reserveCalls, f.orders.count())
	}
}

func TestCreateOrderReleasesAReservationTheProductServiceCouldNotConfirm(t *testing.T) {
	for _, code := range []base.ErrorCode{base.ErrorCode_UNAVAILABLE, base.ErrorCode_INTERNAL} {
		t.Run(code.String(), func(t *testing.T) {
			f := newFixture(t)
			// The product service may have committed the reservation and
			// failed to say so.
			f.catalog.reserveErr, f.catalog.reserveApplies = errs.New(code, "database went away"), true
			_, err := NewCreateOrder(f.deps).Run(context.Background(), &order.CreateOrderRequest{UserId: 7, IdempotencyKey: "k", Items: items(1, 5)})
			wantCode(t, err, code)
			if f.catalog.stockOf(1) != 100 || f.catalog.heldCount() != 0 {
				t.Fatalf("pen stock %d, held %d; want the reservation released", f.catalog.stockOf(1), f.catalog.heldCount())
			}
		})
	}
}
