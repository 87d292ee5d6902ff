package dal

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/kitemall/platform/kitex_gen/payment"
	"github.com/kitemall/platform/pkg/testenv"
	"github.com/kitemall/platform/rpc/payment/service"
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

func pending(t *testing.T, repo *Payments, orderID, userID int64, key string) service.Payment {
	t.Helper()
	p := service.Payment{OrderID: orderID, UserID: userID, IdempotencyKey: key, AmountCents: 990, Method: "card"}
	if err := repo.CreatePending(context.Background(), &p); err != nil {
		t.Fatal(err)
	}
	return p
}

func succeeded(ref string) service.Outcome {
	return service.Outcome{Status: payment.PaymentStatus_SUCCEEDED, ProviderRef: ref}
}

func TestPaymentsCreateSettleAndRead(t *testing.T) {
	ctx := context.Background()
	repo := NewPayments(openDB(t))
	p := pending(t, repo, 1, 10, "k1")
	if p.ID <= 0 || p.Status != payment.PaymentStatus_PENDING || p.CreatedAt.IsZero() {
		t.Fatalf("created = %+v", p)
	}
	if err := repo.CreatePending(ctx, &service.Payment{OrderID: 1, UserID: 10, IdempotencyKey: "k1", AmountCents: 1, Method: "card"}); !errors.Is(err, service.ErrDuplicate) {
		t.Errorf("second insert of (order 1, k1): err = %v, want ErrDuplicate", err)
	}
	if err := repo.CreatePending(ctx, &service.Payment{OrderID: 1, UserID: 10, IdempotencyKey: "K1", AmountCents: 1, Method: "card"}); err != nil {
		t.Errorf("keys are case-sensitive, K1 must be new: %v", err)
	}

	settled, err := repo.Settle(ctx, p.ID, succeeded("ref-1"))
	if err != nil {
		t.Fatal(err)
	}
	if settled.Status != payment.PaymentStatus_SUCCEEDED || settled.ProviderRef != "ref-1" || settled.AmountCents != 990 || settled.CreatedAt != p.CreatedAt {
		t.Errorf("settled = %+v", settled)
	}
	if _, err := repo.Settle(ctx, p.ID, service.Outcome{Status: payment.PaymentStatus_FAILED}); !errors.Is(err, service.ErrNotPending) {
		t.Errorf("settling twice: err = %v, want ErrNotPending", err)
	}

	byKey, err := repo.ByOrderKey(ctx, 1, "k1")
	if err != nil || byKey != settled {
		t.Errorf("ByOrderKey = %+v, %v; want %+v", byKey, err, settled)
	}
	byID, err := repo.ByID(ctx, p.ID, 10)
	if err != nil || byID != settled {
		t.Errorf("ByID = %+v, %v; want %+v", byID, err, settled)
	}
	if _, err := repo.ByID(ctx, p.ID, 11); !errors.Is(err, service.ErrNotFound) {
		t.Errorf("ByID of another user: err = %v, want ErrNotFound", err)
	}
	if _, err := repo.ByOrderKey(ctx, 1, "nope"); !errors.Is(err, service.ErrNotFound) {
		t.Errorf("ByOrderKey unknown: err = %v, want ErrNotFound", err)
	}
	paid, err := repo.HasSucceeded(ctx, 1)
	if err != nil || !paid {
		t.Errorf("HasSucceeded(1) = %v, %v; want true", paid, err)
	}
	if paid, err := repo.HasSucceeded(ctx, 2); err != nil || paid {
		t.Errorf("HasSucceeded(2) = %v, %v; want false", paid, err)
	}
}

func TestPaymentsDatabaseAllowsOneSuccessPerOrder(t *testing.T) {
	ctx := context.Background()
	repo := NewPayments(openDB(t))
	a := pending(t, repo, 5, 10, "a")
	b := pending(t, repo, 5, 10, "b")
	failed := pending(t, repo, 5, 10, "c")
	other := pending(t, repo, 6, 10, "a")

	if _, err := repo.Settle(ctx, a.ID, succeeded("ref-a")); err != nil {
		t.Fatal(err)
	}
	if _, err := repo.Settle(ctx, b.ID, succeeded("ref-b")); !errors.Is(err, service.ErrAlreadyPaid) {
		t.Fatalf("second success on order 5: err = %v, want ErrAlreadyPaid", err)
	}
	// The refused row is still PENDING, so it can still be refunded.
	stillPending, err := repo.ByID(ctx, b.ID, 10)
	if err != nil || stillPending.Status != payment.PaymentStatus_PENDING {
		t.Errorf("refused row = %+v, %v; want PENDING", stillPending, err)
	}
	if _, err := repo.Settle(ctx, b.ID, service.Outcome{Status: payment.PaymentStatus_REFUNDED, ProviderRef: "rf"}); err != nil {
		t.Errorf("refund settle: %v", err)
	}
	if _, err := repo.Settle(ctx, failed.ID, service.Outcome{Status: payment.PaymentStatus_FAILED, FailureReason: "declined"}); err != nil {
		t.Errorf("failures do not take the order's success slot: %v", err)
	}
	if _, err := repo.Settle(ctx, other.ID, succeeded("ref-o")); err != nil {
		t.Errorf("another order's success: %v", err)
	}
}

func TestPaymentsConcurrentSuccessesOnOneOrderOneWins(t *testing.T) {
	ctx := context.Background()
	repo := NewPayments(openDB(t))
	const n = 6
	ids := make([]int64, n)
	for i := range n {
		ids[i] = pending(t, repo, 9, 10, string(rune('a'+i))).ID
	}
	errList := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, errList[i] = repo.Settle(ctx, ids[i], succeeded("r"))
		}()
	}
	close(start)
	wg.Wait()
	won := 0
	for _, err := range errList {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, service.ErrAlreadyPaid):
			t.Errorf("settle: %v, want nil or ErrAlreadyPaid", err)
		}
	}
	if won != 1 {
		t.Errorf("%d successes recorded, want 1", won)
	}
}

func TestPaymentsByOrderIsOwnerScopedAndOldestFirst(t *testing.T) {
	ctx := context.Background()
	repo := NewPayments(openDB(t))
	first := pending(t, repo, 3, 10, "a")
	second := pending(t, repo, 3, 10, "b")
	pending(t, repo, 4, 10, "a")
	got, err := repo.ByOrder(ctx, 3, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ID != first.ID || got[1].ID != second.ID {
		t.Errorf("ByOrder = %+v, want ids %d, %d", got, first.ID, second.ID)
	}
	if got, err := repo.ByOrder(ctx, 3, 11); err != nil || len(got) != 0 {
		t.Errorf("ByOrder of another user = %+v, %v; want none", got, err)
	}
}

func TestPaymentsPendingListsTheOldestStuckOnes(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	repo := NewPayments(db)
	old := pending(t, repo, 1, 10, "old")
	older := pending(t, repo, 2, 10, "older")
	fresh := pending(t, repo, 3, 10, "fresh")
	settled := pending(t, repo, 4, 10, "settled")
	if _, err := repo.Settle(ctx, settled.ID, succeeded("r")); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	for id, age := range map[int64]time.Duration{old.ID: time.Minute, older.ID: time.Hour, settled.ID: time.Hour} {
		if err := db.Exec("UPDATE payments SET updated_at = ? WHERE id = ?", now.Add(-age), id).Error; err != nil {
			t.Fatal(err)
		}
	}
	got, err := repo.Pending(ctx, now.Add(-30*time.Second), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ID != older.ID || got[1].ID != old.ID {
		t.Fatalf("Pending = %+v, want the two stuck payments, oldest first (not %d, which is fresh)", got, fresh.ID)
	}
	if got, err := repo.Pending(ctx, now.Add(-30*time.Second), 1); err != nil || len(got) != 1 || got[0].ID != older.ID {
		t.Fatalf("Pending with limit 1 = %+v, %v; want the oldest", got, err)
	}
}

func TestPaymentsRefundIsConditionalAndRecordedOnce(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	repo := NewPayments(db)
	p := pending(t, repo, 1, 10, "k")
	refund := service.Outcome{Status: payment.PaymentStatus_REFUNDED, ProviderRef: "rf-1", FailureReason: "order 1 is CANCELLED"}
	if moved, err := repo.Refund(ctx, service.ConsumerRefund, "x", p.ID, refund); err != nil || moved {
		t.Fatalf("refund of a PENDING payment: moved %v, err %v; want nothing moved", moved, err)
	}
	if _, err := repo.Settle(ctx, p.ID, succeeded("ch-1")); err != nil {
		t.Fatal(err)
	}
	moved, err := repo.Refund(ctx, service.ConsumerRefund, "1", p.ID, refund)
	if err != nil || !moved {
		t.Fatalf("refund: moved %v, err %v; want moved", moved, err)
	}
	if again, err := repo.Refund(ctx, service.ConsumerRefund, "1", p.ID, refund); err != nil || again {
		t.Fatalf("the same message again: moved %v, err %v; want nothing", again, err)
	}
	got, err := repo.Get(ctx, p.ID)
	if err != nil || got.Status != payment.PaymentStatus_REFUNDED || got.ProviderRef != "rf-1" || got.FailureReason != refund.FailureReason {
		t.Fatalf("Get = %+v, %v; want REFUNDED with the refund's reference and reason", got, err)
	}
	// The refund freed the order's success slot.
	if paid, err := repo.HasSucceeded(ctx, 1); err != nil || paid {
		t.Fatalf("HasSucceeded after the refund = %v, %v; want false", paid, err)
	}
	var records int64
	if err := db.Model(&processedRow{}).Where("consumer = ?", service.ConsumerRefund).Count(&records).Error; err != nil || records != 2 {
		t.Fatalf("%d processed records (err %v), want one per message key (x and 1)", records, err)
	}
	if _, err := repo.Get(ctx, 999); !errors.Is(err, service.ErrNotFound) {
		t.Fatalf("Get(999): err %v, want ErrNotFound", err)
	}
}
