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
	"github.com/kitemall/platform/kitex_gen/payment"
	"github.com/kitemall/platform/pkg/errs"
	"github.com/kitemall/platform/rpc/payment/events"
)

func TestPayChargesTheOrderTotal(t *testing.T) {
	f := newFixture(t)
	resp, err := NewPay(f.deps).Run(context.Background(), payReq(100, owner, "k1"))
	if err != nil {
		t.Fatal(err)
	}
	p := resp.Payment
	if !resp.Created || p.Status != payment.PaymentStatus_SUCCEEDED || p.AmountCents != 4250 ||
		p.OrderId != 100 || p.UserId != owner || p.Method != "card" || p.ProviderRef != "ref-k1" || p.PaymentId <= 0 {
		t.Errorf("pay = %+v created=%v", p, resp.Created)
	}
	if len(f.gateway.requests) != 1 || f.gateway.requests[0].AmountCents != 4250 {
		t.Errorf("gateway was asked for %+v, want one charge of 4250", f.gateway.requests)
	}
}

func TestPayAmountIsEachOrdersOwnTotal(t *testing.T) {
	f := newFixture(t)
	f.orders.add(&order.Order{OrderId: 101, UserId: owner, Status: order.OrderStatus_PENDING_PAYMENT, TotalCents: 1})
	for _, tt := range []struct {
		orderID int64
		want    int64
	}{{100, 4250}, {101, 1}} {
		resp, err := NewPay(f.deps).Run(context.Background(), payReq(tt.orderID, owner, "k"))
		if err != nil {
			t.Fatal(err)
		}
		if resp.Payment.AmountCents != tt.want {
			t.Errorf("order %d paid %d, want its total %d", tt.orderID, resp.Payment.AmountCents, tt.want)
		}
	}
}

func TestPayReplayReturnsTheSamePaymentWithoutChargingAgain(t *testing.T) {
	f := newFixture(t)
	first, err := NewPay(f.deps).Run(context.Background(), payReq(100, owner, "k1"))
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		again, err := NewPay(f.deps).Run(context.Background(), payReq(100, owner, "k1"))
		if err != nil {
			t.Fatal(err)
		}
		if again.Created {
			t.Error("replay says created")
		}
		if !reflect.DeepEqual(again.Payment, first.Payment) {
			t.Errorf("replay = %+v, want %+v", again.Payment, first.Payment)
		}
	}
	if n := f.gateway.charges.Load(); n != 1 {
		t.Errorf("gateway charged %d times, want 1", n)
	}
}

func TestPayConcurrentDuplicatesMakeOnePaymentAndOneCharge(t *testing.T) {
	f := newFixture(t)
	f.gateway.hold = make(chan struct{})
	f.gateway.entered = make(chan struct{}, 16)
	const n = 8
	type result struct {
		resp *payment.PayResponse
		err  error
	}
	results := make(chan result, n)
	start := make(chan struct{})
	for range n {
		go func() {
			<-start
			resp, err := NewPay(f.deps).Run(context.Background(), payReq(100, owner, "same-key"))
			results <- result{resp, err}
		}()
	}
	close(start)
	// Every duplicate answers while the winner's charge is still held.
	var got []result
	for range n - 1 {
		got = append(got, <-results)
	}
	close(f.gateway.hold)
	got = append(got, <-results)

	created, ids := 0, map[int64]bool{}
	for _, r := range got {
		if r.err != nil {
			t.Fatalf("pay: %v", r.err)
		}
		if r.resp.Created {
			created++
		} else if r.resp.Payment.Status != payment.PaymentStatus_PENDING {
			t.Errorf("a duplicate answered before the charge ended saw %s, want PENDING", r.resp.Payment.Status)
		}
		ids[r.resp.Payment.PaymentId] = true
	}
	if created != 1 || len(ids) != 1 {
		t.Errorf("created=%d distinct payments=%d, want 1 and 1", created, len(ids))
	}
	if c := f.gateway.charges.Load(); c != 1 {
		t.Errorf("gateway charged %d times, want 1", c)
	}
	if rows := f.payments.all(); len(rows) != 1 || rows[0].Status != payment.PaymentStatus_SUCCEEDED {
		t.Errorf("rows = %+v, want one SUCCEEDED", rows)
	}
}

func TestPayDeclinedIsAFailedPaymentAndANewKeySucceeds(t *testing.T) {
	f := newFixture(t)
	f.gateway.decline = map[string]bool{"k1": true}
	declined, err := NewPay(f.deps).Run(context.Background(), payReq(100, owner, "k1"))
	if err != nil {
		t.Fatalf("a decline must be an answer, not an error: %v", err)
	}
	if declined.Payment.Status != payment.PaymentStatus_FAILED || declined.Payment.FailureReason == "" || !declined.Created {
		t.Errorf("declined = %+v", declined)
	}
	replayed, err := NewPay(f.deps).Run(context.Background(), payReq(100, owner, "k1"))
	if err != nil || replayed.Created || replayed.Payment.Status != payment.PaymentStatus_FAILED {
		t.Errorf("replay of the declined key = %+v, %v; want the same FAILED payment", replayed, err)
	}
	paid, err := NewPay(f.deps).Run(context.Background(), payReq(100, owner, "k2"))
	if err != nil {
		t.Fatal(err)
	}
	if paid.Payment.Status != payment.PaymentStatus_SUCCEEDED || paid.Payment.PaymentId == declined.Payment.PaymentId {
		t.Errorf("second key = %+v, want a new SUCCEEDED payment", paid.Payment)
	}
	if c := f.gateway.charges.Load(); c != 2 {
		t.Errorf("gateway charged %d times, want 2", c)
	}
}

func TestPayRejectsOrdersThatCannotBePaid(t *testing.T) {
	tests := []struct {
		name     string
		order    *order.Order
		userID   int64
		wantCode base.ErrorCode
	}{
		{"another user's order", &order.Order{OrderId: 200, UserId: owner, Status: order.OrderStatus_PENDING_PAYMENT, TotalCents: 10}, stranger, base.ErrorCode_NOT_FOUND},
		{"unknown order", nil, owner, base.ErrorCode_NOT_FOUND},
		{"paid order", &order.Order{OrderId: 200, UserId: owner, Status: order.OrderStatus_PAID, TotalCents: 10}, owner, base.ErrorCode_FAILED_PRECONDITION},
		{"cancelled order", &order.Order{OrderId: 200, UserId: owner, Status: order.OrderStatus_CANCELLED, TotalCents: 10}, owner, base.ErrorCode_FAILED_PRECONDITION},
		{"order with nothing to pay", &order.Order{OrderId: 200, UserId: owner, Status: order.OrderStatus_PENDING_PAYMENT}, owner, base.ErrorCode_FAILED_PRECONDITION},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			if tt.order != nil {
				f.orders.add(tt.order)
			}
			_, err := NewPay(f.deps).Run(context.Background(), payReq(200, tt.userID, "k1"))
			if !errs.Is(err, tt.wantCode) {
				t.Fatalf("err = %v, want %v", err, tt.wantCode)
			}
			if c := f.gateway.charges.Load(); c != 0 {
				t.Errorf("gateway charged %d times, want 0", c)
			}
			if rows := f.payments.all(); len(rows) != 0 {
				t.Errorf("rows = %+v, want none", rows)
			}
		})
	}
}

func TestPayRejectsBadRequests(t *testing.T) {
	tests := []struct {
		name string
		req  *payment.PayRequest
	}{
		{"zero order", &payment.PayRequest{OrderId: 0, UserId: owner, Method: "card", IdempotencyKey: "k"}},
		{"zero user", &payment.PayRequest{OrderId: 100, UserId: 0, Method: "card", IdempotencyKey: "k"}},
		{"empty method", &payment.PayRequest{OrderId: 100, UserId: owner, Method: "", IdempotencyKey: "k"}},
		{"method with capitals", &payment.PayRequest{OrderId: 100, UserId: owner, Method: "Card", IdempotencyKey: "k"}},
		{"empty key", &payment.PayRequest{OrderId: 100, UserId: owner, Method: "card", IdempotencyKey: ""}},
		{"key with a space", &payment.PayRequest{OrderId: 100, UserId: owner, Method: "card", IdempotencyKey: "a b"}},
		{"key of 65 characters", &payment.PayRequest{OrderId: 100, UserId: owner, Method: "card", IdempotencyKey: strings.Repeat("k", 65)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			_, err := NewPay(f.deps).Run(context.Background(), tt.req)
			if !errs.Is(err, base.ErrorCode_INVALID_ARGUMENT) {
				t.Fatalf("err = %v, want INVALID_ARGUMENT", err)
			}
		})
	}
}

func TestPayWithAnotherKeyAfterSuccessIsFailedPrecondition(t *testing.T) {
	f := newFixture(t)
	if _, err := NewPay(f.deps).Run(context.Background(), payReq(100, owner, "k1")); err != nil {
		t.Fatal(err)
	}
	// The order service still says PENDING_PAYMENT (Pay does not change
	// the order); the payment records alone must refuse a second success.
	_, err := NewPay(f.deps).Run(context.Background(), payReq(100, owner, "k2"))
	if !errs.Is(err, base.ErrorCode_FAILED_PRECONDITION) {
		t.Fatalf("err = %v, want FAILED_PRECONDITION", err)
	}
	if c := f.gateway.charges.Load(); c != 1 {
		t.Errorf("gateway charged %d times, want 1", c)
	}
}

func TestPayTwoKeysRacingForOneOrderRefundTheLoser(t *testing.T) {
	f := newFixture(t)
	f.gateway.hold = make(chan struct{})
	f.gateway.entered = make(chan struct{}, 2)
	var wg sync.WaitGroup
	errList := make([]error, 2)
	resps := make([]*payment.PayResponse, 2)
	for i, key := range []string{"ka", "kb"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resps[i], errList[i] = NewPay(f.deps).Run(context.Background(), payReq(100, owner, key))
		}()
	}
	// Both passed the read check and are charging: only Settle's unique
	// key can tell them apart now.
	<-f.gateway.entered
	<-f.gateway.entered
	close(f.gateway.hold)
	wg.Wait()

	succeeded, refused := 0, 0
	for i, err := range errList {
		switch {
		case err == nil && resps[i].Payment.Status == payment.PaymentStatus_SUCCEEDED:
			succeeded++
		case errs.Is(err, base.ErrorCode_FAILED_PRECONDITION):
			refused++
		default:
			t.Errorf("pay %d = %+v, %v", i, resps[i], err)
		}
	}
	if succeeded != 1 || refused != 1 {
		t.Errorf("succeeded=%d refused=%d, want 1 and 1", succeeded, refused)
	}
	if r := f.gateway.refunds.Load(); r != 1 {
		t.Errorf("refunds = %d, want 1", r)
	}
	statuses := map[payment.PaymentStatus]int{}
	for _, row := range f.payments.all() {
		statuses[row.Status]++
	}
	if statuses[payment.PaymentStatus_SUCCEEDED] != 1 || statuses[payment.PaymentStatus_REFUNDED] != 1 {
		t.Errorf("row statuses = %v, want one SUCCEEDED and one REFUNDED", statuses)
	}
}

func TestPayReplayByAnotherUserIsNotFound(t *testing.T) {
	f := newFixture(t)
	if _, err := NewPay(f.deps).Run(context.Background(), payReq(100, owner, "k1")); err != nil {
		t.Fatal(err)
	}
	_, err := NewPay(f.deps).Run(context.Background(), payReq(100, stranger, "k1"))
	if !errs.Is(err, base.ErrorCode_NOT_FOUND) {
		t.Fatalf("err = %v, want NOT_FOUND", err)
	}
}

func TestPayReplayWithAnotherMethodIsAnIdempotencyConflict(t *testing.T) {
	f := newFixture(t)
	if _, err := NewPay(f.deps).Run(context.Background(), payReq(100, owner, "k1")); err != nil {
		t.Fatal(err)
	}
	req := payReq(100, owner, "k1")
	req.Method = "wallet"
	_, err := NewPay(f.deps).Run(context.Background(), req)
	if !errs.Is(err, base.ErrorCode_IDEMPOTENCY_CONFLICT) {
		t.Fatalf("err = %v, want IDEMPOTENCY_CONFLICT", err)
	}
	if c := f.gateway.charges.Load(); c != 1 {
		t.Errorf("gateway charged %d times, want 1", c)
	}
}

func TestPayProviderErrorLeavesThePaymentPendingAndReplaysDoNotCharge(t *testing.T) {
	f := newFixture(t)
	f.gateway.err = errors.New("provider timed out")
	_, err := NewPay(f.deps).Run(context.Background(), payReq(100, owner, "k1"))
	if err == nil || errs.Code(err) != base.ErrorCode_UNKNOWN {
		t.Fatalf("err = %v, want a plain error for the edge to map", err)
	}
	again, err := NewPay(f.deps).Run(context.Background(), payReq(100, owner, "k1"))
	if err != nil || again.Created || again.Payment.Status != payment.PaymentStatus_PENDING {
		t.Errorf("replay = %+v, %v; want the PENDING payment", again, err)
	}
	if c := f.gateway.charges.Load(); c != 1 {
		t.Errorf("gateway charged %d times, want 1", c)
	}
}

func TestPayRecordsTheOutcomeAfterTheCallerGivesUp(t *testing.T) {
	f := newFixture(t)
	f.gateway.hold = make(chan struct{})
	f.gateway.entered = make(chan struct{}, 1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := NewPay(f.deps).Run(ctx, payReq(100, owner, "k1"))
		done <- err
	}()
	<-f.gateway.entered
	cancel()
	close(f.gateway.hold)
	if err := <-done; err != nil {
		t.Fatalf("pay: %v", err)
	}
	rows := f.payments.all()
	if len(rows) != 1 || rows[0].Status != payment.PaymentStatus_SUCCEEDED {
		t.Errorf("rows = %+v, want one SUCCEEDED", rows)
	}
}

func TestPaySettlesSucceededWithItsMessage(t *testing.T) {
	f := newFixture(t)
	resp, err := NewPay(f.deps).Run(context.Background(), payReq(100, owner, "k1"))
	if err != nil {
		t.Fatal(err)
	}
	msgs := f.tx.messages()
	id := resp.Payment.PaymentId
	if len(msgs) != 1 || msgs[0].topic != testTopic || msgs[0].key != events.Key(id) || msgs[0].outcome != "commit" {
		t.Fatalf("sent %+v, want one committed payment.succeeded keyed %d", msgs, id)
	}
	var ev events.PaymentSucceeded
	if err := json.Unmarshal(msgs[0].body, &ev); err != nil {
		t.Fatal(err)
	}
	if want := (events.PaymentSucceeded{PaymentID: id, OrderID: 100, UserID: owner, AmountCents: 4250}); ev != want {
		t.Fatalf("body %+v, want %+v", ev, want)
	}
}

func TestPayDeclinedSendsNoMessage(t *testing.T) {
	f := newFixture(t)
	f.gateway.decline = map[string]bool{"k1": true}
	if _, err := NewPay(f.deps).Run(context.Background(), payReq(100, owner, "k1")); err != nil {
		t.Fatal(err)
	}
	if msgs := f.tx.messages(); len(msgs) != 0 {
		t.Fatalf("sent %+v for a declined charge, want nothing", msgs)
	}
}

func TestPayThatCannotRecordItsOutcomeLeavesThePaymentPending(t *testing.T) {
	tests := []struct {
		name    string
		arrange func(f *fixture)
		outcome string // of the message, "" when none was stored
	}{
		{"the broker is down", func(f *fixture) { f.tx.sendErr = errors.New("no route to broker") }, ""},
		{"the settle may or may not have committed", func(f *fixture) { f.payments.settleErr = fmt.Errorf("commit: %w", context.DeadlineExceeded) }, "unknown"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			tc.arrange(f)
			_, err := NewPay(f.deps).Run(context.Background(), payReq(100, owner, "k1"))
			if rpcErr, _ := errs.ForRPC(err); !errs.Is(rpcErr, base.ErrorCode_UNAVAILABLE) {
				t.Fatalf("err %v reaches the caller as %v, want UNAVAILABLE (safe to retry)", err, rpcErr)
			}
			rows := f.payments.all()
			if len(rows) != 1 || rows[0].Status != payment.PaymentStatus_PENDING || f.gateway.charges.Load() != 1 {
				t.Fatalf("rows %+v, charges %d; want one PENDING payment charged once", rows, f.gateway.charges.Load())
			}
			msgs := f.tx.messages()
			if tc.outcome == "" && len(msgs) != 0 || tc.outcome != "" && (len(msgs) != 1 || msgs[0].outcome != tc.outcome) {
				t.Fatalf("sent %+v, want outcome %q", msgs, tc.outcome)
			}
		})
	}
}

func TestPayLoserOfTheRaceRollsItsMessageBack(t *testing.T) {
	f := newFixture(t)
	// Another key's payment of the order succeeded after this one's check.
	winner := Payment{OrderID: 100, UserID: owner, IdempotencyKey: "other", AmountCents: 4250, Method: "card"}
	if err := f.payments.CreatePending(context.Background(), &winner); err != nil {
		t.Fatal(err)
	}
	f.gateway.entered = make(chan struct{}, 1)
	f.gateway.hold = make(chan struct{})
	done := make(chan error, 1)
	go func() {
		_, err := NewPay(f.deps).Run(context.Background(), payReq(100, owner, "k1"))
		done <- err
	}()
	<-f.gateway.entered
	if _, err := f.payments.Settle(context.Background(), winner.ID, Outcome{Status: payment.PaymentStatus_SUCCEEDED}); err != nil {
		t.Fatal(err)
	}
	close(f.gateway.hold)
	if err := <-done; !errs.Is(err, base.ErrorCode_FAILED_PRECONDITION) {
		t.Fatalf("err %v, want FAILED_PRECONDITION", err)
	}
	if msgs := f.tx.messages(); len(msgs) != 1 || msgs[0].outcome != "rollback" {
		t.Fatalf("sent %+v, want the loser's message rolled back", msgs)
	}
	if rows := f.payments.all(); rows[1].Status != payment.PaymentStatus_REFUNDED || f.gateway.refunds.Load() != 1 {
		t.Fatalf("loser %+v after %d refunds, want REFUNDED once", rows[1], f.gateway.refunds.Load())
	}
}

func TestPayDuplicateThatArrivesAfterItsTwinPaidReplaysIt(t *testing.T) {
	for _, tc := range []struct {
		name string
		// orderPaid: the order service has already heard of the payment.
		orderPaid bool
	}{
		{"the payment succeeded, the order still awaits it", false},
		{"the order is already PAID", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			first, err := NewPay(f.deps).Run(context.Background(), payReq(100, owner, "k1"))
			if err != nil {
				t.Fatal(err)
			}
			if tc.orderPaid {
				f.orders.add(&order.Order{OrderId: 100, UserId: owner, Status: order.OrderStatus_PAID, TotalCents: 4250})
			}
			// The twin's replay check ran before the first claimed the key.
			d := f.deps
			d.Payments = &missFirstLookup{fakePayments: f.payments}
			resp, err := NewPay(d).Run(context.Background(), payReq(100, owner, "k1"))
			if err != nil || resp.Created || resp.Payment.PaymentId != first.Payment.PaymentId {
				t.Fatalf("twin = %+v, %v; want the first payment replayed", resp, err)
			}
			if c := f.gateway.charges.Load(); c != 1 {
				t.Fatalf("gateway charged %d times, want 1", c)
			}
		})
	}
}

// missFirstLookup answers its first ByOrderKey as if the key were new.
type missFirstLookup struct {
	*fakePayments
	looked bool
}

func (m *missFirstLookup) ByOrderKey(ctx context.Context, orderID int64, key string) (Payment, error) {
	if !m.looked {
		m.looked = true
		return Payment{}, ErrNotFound
	}
	return m.fakePayments.ByOrderKey(ctx, orderID, key)
}
