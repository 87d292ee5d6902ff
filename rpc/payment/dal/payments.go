package dal

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/kitemall/platform/kitex_gen/payment"
	"github.com/kitemall/platform/pkg/mysqlx"
	"github.com/kitemall/platform/rpc/payment/service"
)

// paymentRow is a row of the payments table. IDs come from AUTO_INCREMENT:
// one writer database per service makes a distributed generator unnecessary.
type paymentRow struct {
	ID             int64 `gorm:"primaryKey;autoIncrement"`
	OrderID        int64
	UserID         int64
	IdempotencyKey string
	AmountCents    int64
	Method         string
	Status         int64
	ProviderRef    string
	FailureReason  string
	// SucceededOrderID is OrderID while SUCCEEDED, else NULL (see the
	// migration): the unique key that allows one success per order.
	SucceededOrderID *int64
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

func (paymentRow) TableName() string { return "payments" }

func (r paymentRow) payment() service.Payment {
	return service.Payment{
		ID:             r.ID,
		OrderID:        r.OrderID,
		UserID:         r.UserID,
		IdempotencyKey: r.IdempotencyKey,
		AmountCents:    r.AmountCents,
		Method:         r.Method,
		Status:         payment.PaymentStatus(r.Status),
		ProviderRef:    r.ProviderRef,
		FailureReason:  r.FailureReason,
		CreatedAt:      r.CreatedAt.UTC(),
		UpdatedAt:      r.UpdatedAt.UTC(),
	}
}

// Payments is the MariaDB implementation of service.Payments.
type Payments struct{ db *gorm.DB }

// NewPayments returns the repository over db (already migrated).
func NewPayments(db *gorm.DB) *Payments { return &Payments{db: db} }

// now is what DATETIME(3) will hold, so an answer equals later reads.
func now() time.Time { return time.Now().UTC().Truncate(time.Millisecond) }

// CreatePending implements service.Payments.
func (r *Payments) CreatePending(ctx context.Context, p *service.Payment) error {
	t := now()
	row := paymentRow{
		OrderID:        p.OrderID,
		UserID:         p.UserID,
		IdempotencyKey: p.IdempotencyKey,
		AmountCents:    p.AmountCents,
		Method:         p.Method,
		Status:         int64(payment.PaymentStatus_PENDING),
		CreatedAt:      t,
		UpdatedAt:      t,
	}
	if err := r.db.WithContext(ctx).Create(&row).Error; err != nil {
		if mysqlx.IsDuplicateKey(err) {
			return service.ErrDuplicate
		}
		return fmt.Errorf("insert payment: %w", err)
	}
	*p = row.payment()
	return nil
}

// Settle implements service.Payments with one conditional UPDATE: only a
// PENDING row moves, and a success also claims the order's unique slot.
func (r *Payments) Settle(ctx context.Context, id int64, o service.Outcome) (service.Payment, error) {
	updates := map[string]any{
		"status":         int64(o.Status),
		"provider_ref":   o.ProviderRef,
		"failure_reason": o.FailureReason,
		"updated_at":     now(),
	}
	if o.Status == payment.PaymentStatus_SUCCEEDED {
		updates["succeeded_order_id"] = gorm.Expr("order_id")
	}
	res := r.db.WithContext(ctx).Model(&paymentRow{}).
		Where("id = ? AND status = ?", id, int64(payment.PaymentStatus_PENDING)).
		Updates(updates)
	if res.Error != nil {
		if mysqlx.IsDuplicateKey(res.Error) {
			return service.Payment{}, service.ErrAlreadyPaid
		}
		return service.Payment{}, fmt.Errorf("settle payment %d: %w", id, res.Error)
	}
	if res.RowsAffected == 0 {
		return service.Payment{}, service.ErrNotPending
	}
	var row paymentRow
	if err := r.db.WithContext(ctx).Where("id = ?", id).Take(&row).Error; err != nil {
		return service.Payment{}, fmt.Errorf("read settled payment %d: %w", id, err)
	}
	return row.payment(), nil
}

// ByOrderKey implements service.Payments.
func (r *Payments) ByOrderKey(ctx context.Context, orderID int64, key string) (service.Payment, error) {
	return r.one(ctx, "order_id = ? AND idempotency_key = ?", orderID, key)
}

// ByID implements service.Payments.
func (r *Payments) ByID(ctx context.Context, id, userID int64) (service.Payment, error) {
	return r.one(ctx, "id = ? AND user_id = ?", id, userID)
}

func (r *Payments) one(ctx context.Context, where string, args ...any) (service.Payment, error) {
	var row paymentRow
	err := r.db.WithContext(ctx).Where(where, args...).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return service.Payment{}, service.ErrNotFound
	}
	if err != nil {
		return service.Payment{}, fmt.Errorf("select payment: %w", err)
	}
	return row.payment(), nil
}

// ByOrder implements service.Payments.
func (r *Payments) ByOrder(ctx context.Context, orderID, userID int64) ([]service.Payment, error) {
	var rows []paymentRow
	if err := r.db.WithContext(ctx).Where("order_id = ? AND user_id = ?", orderID, userID).Order("id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("select payments of order %d: %w", orderID, err)
	}
	out := make([]service.Payment, len(rows))
	for i, row := range rows {
		out[i] = row.payment()
	}
	return out, nil
}

// Get implements service.Payments.
func (r *Payments) Get(ctx context.Context, id int64) (service.Payment, error) {
	return r.one(ctx, "id = ?", id)
}

// Pending implements service.Payments.
func (r *Payments) Pending(ctx context.Context, before time.Time, limit int) ([]service.Payment, error) {
	var rows []paymentRow
	if err := r.db.WithContext(ctx).Where("status = ? AND updated_at < ?", int64(payment.PaymentStatus_PENDING), before).
		Order("updated_at, id").Limit(limit).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("select payments pending since %v: %w", before, err)
	}
	out := make([]service.Payment, len(rows))
	for i, row := range rows {
		out[i] = row.payment()
	}
	return out, nil
}

// processedRow records that a consumer applied the message with a key.
type processedRow struct {
	Consumer    string `gorm:"primaryKey"`
	MsgKey      string `gorm:"primaryKey"`
	ProcessedAt time.Time
}

func (processedRow) TableName() string { return "processed_messages" }

// Refund implements service.Payments.
func (r *Payments) Refund(ctx context.Context, consumer, msgKey string, id int64, o service.Outcome) (bool, error) {
	moved := false
	err := r.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		t := now()
		rec := tx.Clauses(clause.Insert{Modifier: "IGNORE"}).Create(&processedRow{Consumer: consumer, MsgKey: msgKey, ProcessedAt: t})
		if rec.Error != nil {
			return fmt.Errorf("record message %s of %s: %w", msgKey, consumer, rec.Error)
		}
		if rec.RowsAffected == 0 {
			return nil
		}
		res := tx.Model(&paymentRow{}).Where("id = ? AND status = ?", id, int64(payment.PaymentStatus_SUCCEEDED)).
			Updates(map[string]any{
				"status":             int64(o.Status),
				"provider_ref":       o.ProviderRef,
				"failure_reason":     o.FailureReason,
				"succeeded_order_id": nil,
				"updated_at":         t,
			})
		if res.Error != nil {
			return fmt.Errorf("mark payment %d %s: %w", id, o.Status, res.Error)
		}
		moved = res.RowsAffected == 1
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("refund payment %d: %w", id, err)
	}
	return moved, nil
}

// HasSucceeded implements service.Payments.
func (r *Payments) HasSucceeded(ctx context.Context, orderID int64) (bool, error) {
	var n int64
	if err := r.db.WithContext(ctx).Model(&paymentRow{}).Where("succeeded_order_id = ?", orderID).Count(&n).Error; err != nil {
		return false, fmt.Errorf("count succeeded payments of order %d: %w", orderID, err)
	}
	return n > 0, nil
}
