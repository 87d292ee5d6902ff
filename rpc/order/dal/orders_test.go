package dal

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/kitemall/platform/kitex_gen/order"
	"github.com/kitemall/platform/pkg/testenv"
	"github.com/kitemall/platform/rpc/order/service"
)

// openDB returns a migrated fresh database on the real MariaDB.
func openDB(t *testing.T) *gorm.DB {
	t.Helper()
	db, sqlDB := testenv.OpenMySQL(t, testenv.MySQL(t))
	if err := Migrate(context.Background(), sqlDB); err != nil {
		t.Fatal(err)
	}
	return db
}

var t0 = time.Date(2026, 5, 6, 7, 8, 9, 123_000_000, time.UTC)

func newOrder(id, userID int64, key string, at time.Time) *service.Order {
	return &service.Order{
		ID: id, UserID: userID, IdempotencyKey: key, Status: order.OrderStatus_PENDING_PAYMENT,
		TotalCents: 3*250 + 1200, CreatedAt: at, UpdatedAt: at,
		Items: []service.Item{
			{ProductID: 9, Name: "nine", UnitPriceCents: 250, Quantity: 3, SubtotalCents: 750},
			{ProductID: 2, Name: "two", UnitPriceCents: 1200, Quantity: 1, SubtotalCents: 1200},
		},
	}
}

func TestOrdersRoundTripWithItemsInClientOrder(t *testing.T) {
	ctx := context.Background()
	repo := NewOrders(openDB(t))
	want := newOrder(101, 7, "k-1", t0)
	if err := repo.Create(ctx, want); err != nil {
		t.Fatal(err)
	}
	got, err := repo.Get(ctx, 7, 101)
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("Get = %+v (err %v), want %+v", got, err, want)
	}
	got, err = repo.ByIdempotencyKey(ctx, 7, "k-1")
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("ByIdempotencyKey = %+v (err %v), want %+v", got, err, want)
	}
	if _, err := repo.Get(ctx, 8, 101); !errors.Is(err, service.ErrNotFound) {
		t.Fatalf("Get by another user: err %v, want ErrNotFound", err)
	}
	if _, err := repo.ByIdempotencyKey(ctx, 8, "k-1"); !errors.Is(err, service.ErrNotFound) {
		t.Fatalf("ByIdempotencyKey of another user: err %v, want ErrNotFound", err)
	}
}

func TestOrdersIdempotencyKeyIsUniquePerUserAndExact(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	repo := NewOrders(db)
	if err := repo.Create(ctx, newOrder(1, 7, "Key", t0)); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		o       *service.Order
		wantDup bool
	}{
		{"same user and key is a duplicate", newOrder(2, 7, "Key", t0), true},
		{"other case is another key", newOrder(3, 7, "key", t0), false},
		{"trailing space is another key", newOrder(4, 7, "Key ", t0), false},
		{"other user may use the key", newOrder(5, 8, "Key", t0), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := repo.Create(ctx, tc.o)
			if gotDup := errors.Is(err, service.ErrDuplicateKey); gotDup != tc.wantDup || (!tc.wantDup && err != nil) {
				t.Fatalf("Create: err %v, want duplicate=%v", err, tc.wantDup)
			}
		})
	}
	var items int64
	if err := db.Model(&itemRow{}).Where("order_id = ?", 2).Count(&items).Error; err != nil || items != 0 {
		t.Fatalf("the rejected order left %d items (err %v), want none", items, err)
	}
}

func TestOrdersCreateIsAtomic(t *testing.T) {
	ctx := context.Background()
	repo := NewOrders(openDB(t))
	o := newOrder(1, 7, "k", t0)
	// A repeated product breaks the items' unique key after the order row
	// was inserted; the row must roll back with them.
	o.Items = append(o.Items, o.Items[0])
	err := repo.Create(ctx, o)
	if err == nil || errors.Is(err, service.ErrDuplicateKey) {
		t.Fatalf("Create: err %v, want a plain failure, not an idempotency duplicate", err)
	}
	if _, err := repo.Get(ctx, 7, 1); !errors.Is(err, service.ErrNotFound) {
		t.Fatalf("Get after the failed insert: err %v, want ErrNotFound", err)
	}
}

func TestOrdersListNewestFirstWithPaging(t *testing.T) {
	ctx := context.Background()
	repo := NewOrders(openDB(t))
	// Orders 3 and 4 share a millisecond: the ID breaks the tie.
	for i, at := range []time.Time{t0, t0.Add(time.Second), t0.Add(2 * time.Second), t0.Add(2 * time.Second), t0.Add(time.Hour)} {
		if err := repo.Create(ctx, newOrder(int64(i+1), 7, fmt.Sprint(i), at)); err != nil {
			t.Fatal(err)
		}
	}
	if err := repo.Create(ctx, newOrder(99, 8, "other", t0.Add(time.Minute))); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name          string
		offset, limit int
		want          []int64
	}{
		{"first page", 0, 2, []int64{5, 4}},
		{"second page", 2, 2, []int64{3, 2}},
		{"last page", 4, 2, []int64{1}},
		{"past the end", 6, 2, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			orders, total, err := repo.List(ctx, 7, tc.offset, tc.limit)
			if err != nil {
				t.Fatal(err)
			}
			var ids []int64
			for _, o := range orders {
				ids = append(ids, o.ID)
				if len(o.Items) != 2 {
					t.Fatalf("order %d listed with %d items, want 2", o.ID, len(o.Items))
				}
			}
			if !reflect.DeepEqual(ids, tc.want) || total != 5 {
				t.Fatalf("ids %v total %d, want %v and 5", ids, total, tc.want)
			}
		})
	}
}

func TestOrdersStatusChangesAreConditional(t *testing.T) {
	ctx := context.Background()
	later := t0.Add(time.Minute)
	tests := []struct {
		name string
		// prepare moves order 1 of user 7 into its starting state.
		prepare func(t *testing.T, repo *Orders)
		run     func(repo *Orders) (bool, error)
		want    bool
		status  order.OrderStatus
		reason  string
		updated time.Time
	}{
		{
			name: "cancel moves a pending order",
			run:  func(r *Orders) (bool, error) { return r.Cancel(ctx, 7, 1, "changed my mind", later) },
			want: true, status: order.OrderStatus_CANCELLED, reason: "changed my mind", updated: later,
		},
		{
			name:    "cancel leaves a cancelled order and its first reason",
			prepare: func(t *testing.T, r *Orders) { mustMove(t)(r.Cancel(ctx, 7, 1, "first", t0)) },
			run:     func(r *Orders) (bool, error) { return r.Cancel(ctx, 7, 1, "second", later) },
			status:  order.OrderStatus_CANCELLED, reason: "first", updated: t0,
		},
		{
			name:    "cancel leaves a paid order",
			prepare: func(t *testing.T, r *Orders) { pay(t, r, "p-1", 1, 1950, t0) },
			run:     func(r *Orders) (bool, error) { return r.Cancel(ctx, 7, 1, "late", later) },
			status:  order.OrderStatus_PAID, updated: t0,
		},
		{
			name:   "cancel by another user changes nothing",
			run:    func(r *Orders) (bool, error) { return r.Cancel(ctx, 8, 1, "not mine", later) },
			status: order.OrderStatus_PENDING_PAYMENT, updated: t0,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			repo := NewOrders(openDB(t))
			if err := repo.Create(ctx, newOrder(1, 7, "k", t0)); err != nil {
				t.Fatal(err)
			}
			if tc.prepare != nil {
				tc.prepare(t, repo)
			}
			moved, err := tc.run(repo)
			if err != nil {
				t.Fatal(err)
			}
			if moved != tc.want {
				t.Fatalf("moved = %v, want %v", moved, tc.want)
			}
			got, err := repo.Get(ctx, 7, 1)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != tc.status || got.CancelReason != tc.reason || !got.UpdatedAt.Equal(tc.updated) {
				t.Fatalf("stored status %v reason %q updated %v, want %v %q %v", got.Status, got.CancelReason, got.UpdatedAt, tc.status, tc.reason, tc.updated)
			}
		})
	}
}

// pay applies payment paymentID of amount to order 1 and fails the test
// unless the order ends PAID by it.
func pay(t *testing.T, r *Orders, key string, paymentID, amount int64, at time.Time) {
	t.Helper()
	o, err := r.ApplyPayment(context.Background(), service.ConsumerPayment, key, service.PaymentNotice{PaymentID: paymentID, OrderID: 1, AmountCents: amount}, at)
	if err != nil || o.Status != order.OrderStatus_PAID || o.PaidPaymentID != paymentID {
		t.Fatalf("setting up the state: paid %+v, err %v", o, err)
	}
}

// mustMove fails the test unless a status change happened.
func mustMove(t *testing.T) func(bool, error) {
	return func(moved bool, err error) {
		t.Helper()
		if err != nil || !moved {
			t.Fatalf("setting up the state: moved %v, err %v", moved, err)
		}
	}
}

func TestOrdersApplyPayment(t *testing.T) {
	ctx := context.Background()
	later := t0.Add(time.Minute)
	const total = 1950
	tests := []struct {
		name    string
		prepare func(t *testing.T, r *Orders)
		notice  service.PaymentNotice
		status  order.OrderStatus
		paidBy  int64
		updated time.Time
	}{
		{
			name:   "a pending order of the same total becomes paid by the payment",
			notice: service.PaymentNotice{PaymentID: 5, OrderID: 1, AmountCents: total},
			status: order.OrderStatus_PAID, paidBy: 5, updated: later,
		},
		{
			name:   "another amount leaves the order pending",
			notice: service.PaymentNotice{PaymentID: 5, OrderID: 1, AmountCents: total - 1},
			status: order.OrderStatus_PENDING_PAYMENT, updated: t0,
		},
		{
			name:    "a cancelled order stays cancelled",
			prepare: func(t *testing.T, r *Orders) { mustMove(t)(r.Cancel(ctx, 7, 1, "gone", t0)) },
			notice:  service.PaymentNotice{PaymentID: 5, OrderID: 1, AmountCents: total},
			status:  order.OrderStatus_CANCELLED, updated: t0,
		},
		{
			name:    "an order paid by another payment keeps it",
			prepare: func(t *testing.T, r *Orders) { pay(t, r, "4", 4, total, t0) },
			notice:  service.PaymentNotice{PaymentID: 5, OrderID: 1, AmountCents: total},
			status:  order.OrderStatus_PAID, paidBy: 4, updated: t0,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			db := openDB(t)
			repo := NewOrders(db)
			if err := repo.Create(ctx, newOrder(1, 7, "k", t0)); err != nil {
				t.Fatal(err)
			}
			if tc.prepare != nil {
				tc.prepare(t, repo)
			}
			got, err := repo.ApplyPayment(ctx, service.ConsumerPayment, "5", tc.notice, later)
			if err != nil {
				t.Fatal(err)
			}
			stored, err := repo.ByID(ctx, 1)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, stored) {
				t.Fatalf("answered %+v, stored %+v", got, stored)
			}
			if got.Status != tc.status || got.PaidPaymentID != tc.paidBy || !got.UpdatedAt.Equal(tc.updated) {
				t.Fatalf("order %v paid by %d updated %v, want %v by %d at %v", got.Status, got.PaidPaymentID, got.UpdatedAt, tc.status, tc.paidBy, tc.updated)
			}
			if n := processed(t, db, service.ConsumerPayment, "5"); n != 1 {
				t.Fatalf("%d processed records of the message, want 1", n)
			}
		})
	}
}

func TestOrdersApplyPaymentTwiceAppliesOnce(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	repo := NewOrders(db)
	if err := repo.Create(ctx, newOrder(1, 7, "k", t0)); err != nil {
		t.Fatal(err)
	}
	// The first delivery found the order pending with another total, so it
	// stayed pending; a second copy of the same message must not pay it
	// even though it is still pending: the message was applied already.
	n := service.PaymentNotice{PaymentID: 5, OrderID: 1, AmountCents: 1}
	if _, err := repo.ApplyPayment(ctx, service.ConsumerPayment, "5", n, t0); err != nil {
		t.Fatal(err)
	}
	n.AmountCents = 1950
	got, err := repo.ApplyPayment(ctx, service.ConsumerPayment, "5", n, t0.Add(time.Second))
	if err != nil || got.Status != order.OrderStatus_PENDING_PAYMENT {
		t.Fatalf("second copy: %+v, %v; want the order left pending", got, err)
	}
	// Another consumer keeps its own records.
	if got, err := repo.ApplyPayment(ctx, "other-consumer", "5", n, t0); err != nil || got.Status != order.OrderStatus_PAID {
		t.Fatalf("another consumer's copy: %+v, %v; want it applied", got, err)
	}
	if _, err := repo.ApplyPayment(ctx, service.ConsumerPayment, "6", service.PaymentNotice{PaymentID: 6, OrderID: 404, AmountCents: 1}, t0); !errors.Is(err, service.ErrNotFound) {
		t.Fatalf("payment of an unknown order: err %v, want ErrNotFound", err)
	}
	if n := processed(t, db, service.ConsumerPayment, "6"); n != 0 {
		t.Fatalf("a message about an unknown order left %d records, want 0", n)
	}
}

func TestOrdersExpire(t *testing.T) {
	ctx := context.Background()
	later := t0.Add(time.Minute)
	tests := []struct {
		name    string
		prepare func(t *testing.T, r *Orders)
		status  order.OrderStatus
		reason  string
		updated time.Time
	}{
		{"a pending order is cancelled", nil, order.OrderStatus_CANCELLED, "window over", later},
		{"a paid order stays paid", func(t *testing.T, r *Orders) { pay(t, r, "4", 4, 1950, t0) }, order.OrderStatus_PAID, "", t0},
		{"a cancelled order keeps its reason", func(t *testing.T, r *Orders) { mustMove(t)(r.Cancel(ctx, 7, 1, "by hand", t0)) }, order.OrderStatus_CANCELLED, "by hand", t0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			db := openDB(t)
			repo := NewOrders(db)
			if err := repo.Create(ctx, newOrder(1, 7, "k", t0)); err != nil {
				t.Fatal(err)
			}
			if tc.prepare != nil {
				tc.prepare(t, repo)
			}
			for i := range 2 {
				status, err := repo.Expire(ctx, service.ConsumerTimeout, "1", 1, "window over", later.Add(time.Duration(i)*time.Hour))
				if err != nil || status != tc.status {
					t.Fatalf("delivery %d: status %v, err %v; want %v", i, status, err, tc.status)
				}
			}
			got, err := repo.ByID(ctx, 1)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != tc.status || got.CancelReason != tc.reason || !got.UpdatedAt.Equal(tc.updated) {
				t.Fatalf("stored %v %q %v, want %v %q %v (the second delivery changes nothing)", got.Status, got.CancelReason, got.UpdatedAt, tc.status, tc.reason, tc.updated)
			}
			if n := processed(t, db, service.ConsumerTimeout, "1"); n != 1 {
				t.Fatalf("%d processed records, want 1", n)
			}
		})
	}
}

func TestOrdersExistsAndByID(t *testing.T) {
	ctx := context.Background()
	repo := NewOrders(openDB(t))
	want := newOrder(1, 7, "k", t0)
	if err := repo.Create(ctx, want); err != nil {
		t.Fatal(err)
	}
	if ok, err := repo.Exists(ctx, 1); err != nil || !ok {
		t.Fatalf("Exists(1) = %v, %v; want true", ok, err)
	}
	if ok, err := repo.Exists(ctx, 2); err != nil || ok {
		t.Fatalf("Exists(2) = %v, %v; want false", ok, err)
	}
	got, err := repo.ByID(ctx, 1)
	want.Items = nil
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("ByID = %+v, %v; want %+v without items", got, err, want)
	}
	if _, err := repo.ByID(ctx, 2); !errors.Is(err, service.ErrNotFound) {
		t.Fatalf("ByID(2): err %v, want ErrNotFound", err)
	}
}

// processed counts the processed-message records of (consumer, key).
func processed(t *testing.T, db *gorm.DB, consumer, key string) int64 {
	t.Helper()
	var n int64
	if err := db.Model(&processedRow{}).Where("consumer = ? AND msg_key = ?", consumer, key).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

func TestMigrateTwiceIsANoOp(t *testing.T) {
	sqlDB, err := openDB(t).DB()
	if err != nil {
		t.Fatal(err)
	}
	if err := Migrate(context.Background(), sqlDB); err != nil {
		t.Fatalf("second Migrate: %v", err)
	}
}
