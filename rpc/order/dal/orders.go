package dal

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/kitemall/platform/kitex_gen/order"
	"github.com/kitemall/platform/pkg/mysqlx"
	"github.com/kitemall/platform/rpc/order/service"
)

// idempotencyKeyIndex is the unique key on (user_id, idempotency_key) in
// migrations/0001_create_orders.sql.
const idempotencyKeyIndex = "uk_orders_user_idempotency"

type orderRow struct {
	OrderID        int64 `gorm:"primaryKey;autoIncrement:false"`
	UserID         int64
	IdempotencyKey string
	Status         int8
	TotalCents     int64
	CancelReason   string
	PaidPaymentID  *int64
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

func (orderRow) TableName() string { return "orders" }

// order converts the row to the service's order, without its items.
func (r orderRow) order() *service.Order {
	o := &service.Order{
		ID: r.OrderID, UserID: r.UserID, IdempotencyKey: r.IdempotencyKey, Status: order.OrderStatus(r.Status),
		TotalCents: r.TotalCents, CancelReason: r.CancelReason,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
	}
	if r.PaidPaymentID != nil {
		o.PaidPaymentID = *r.PaidPaymentID
	}
	return o
}

// processedRow records that a consumer applied the message with a key.
type processedRow struct {
	Consumer    string `gorm:"primaryKey"`
	MsgKey      string `gorm:"primaryKey"`
	ProcessedAt time.Time
}

func (processedRow) TableName() string { return "processed_messages" }

type itemRow struct {
	OrderID        int64 `gorm:"primaryKey;autoIncrement:false"`
	LineNo         int16 `gorm:"primaryKey;autoIncrement:false"`
	ProductID      int64
	Name           string
	UnitPriceCents int64
	Quantity       int32
	SubtotalCents  int64
}

func (itemRow) TableName() string { return "order_items" }

// Orders stores orders in MariaDB. It implements service.Orders.
type Orders struct{ db *gorm.DB }

var _ service.Orders = (*Orders)(nil)

// NewOrders returns the repository over db.
func NewOrders(db *gorm.DB) *Orders { return &Orders{db: db} }

// Create implements service.Orders.
func (r *Orders) Create(ctx context.Context, o *service.Order) error {
	row := orderRow{
		OrderID: o.ID, UserID: o.UserID, IdempotencyKey: o.IdempotencyKey, Status: int8(o.Status),
		TotalCents: o.TotalCents, CancelReason: o.CancelReason, CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt,
	}
	items := make([]itemRow, len(o.Items))
	for i, it := range o.Items {
		items[i] = itemRow{
			OrderID: o.ID, LineNo: int16(i + 1), ProductID: it.ProductID, Name: it.Name,
			UnitPriceCents: it.UnitPriceCents, Quantity: it.Quantity, SubtotalCents: it.SubtotalCents,
		}
	}
	err := r.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		return tx.Create(&items).Error
	})
	// Only the idempotency key maps to ErrDuplicateKey: a clash on the
	// primary key means two instances share an idgen node, which is a bug.
	if mysqlx.IsDuplicateKey(err) && strings.Contains(err.Error(), idempotencyKeyIndex) {
		return fmt.Errorf("insert order %d of user %d: %w", o.ID, o.UserID, service.ErrDuplicateKey)
	}
	if err != nil {
		return fmt.Errorf("insert order %d of user %d: %w", o.ID, o.UserID, err)
	}
	return nil
}

// ByIdempotencyKey implements service.Orders.
func (r *Orders) ByIdempotencyKey(ctx context.Context, userID int64, key string) (*service.Order, error) {
	return r.first(ctx, r.db.Where("user_id = ? AND idempotency_key = ?", userID, key))
}

// Get implements service.Orders.
func (r *Orders) Get(ctx context.Context, userID, orderID int64) (*service.Order, error) {
	return r.first(ctx, r.db.Where("order_id = ? AND user_id = ?", orderID, userID))
}

func (r *Orders) first(ctx context.Context, q *gorm.DB) (*service.Order, error) {
	var row orderRow
	err := q.WithContext(ctx).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, service.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("select order: %w", err)
	}
	orders, err := r.withItems(ctx, []orderRow{row})
	if err != nil {
		return nil, err
	}
	return orders[0], nil
}

// List implements service.Orders. Ties in created_at (one millisecond) are
// broken by the ID, which grows with time too, so pages never overlap.
func (r *Orders) List(ctx context.Context, userID int64, offset, limit int) ([]*service.Order, int64, error) {
	db := r.db.WithContext(ctx)
	var total int64
	if err := db.Model(&orderRow{}).Where("user_id = ?", userID).Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("count orders of user %d: %w", userID, err)
	}
	var rows []orderRow
	if err := db.Where("user_id = ?", userID).Order("created_at DESC, order_id DESC").
		Offset(offset).Limit(limit).Find(&rows).Error; err != nil {
		return nil, 0, fmt.Errorf("select orders of user %d: %w", userID, err)
	}
	orders, err := r.withItems(ctx, rows)
	if err != nil {
		return nil, 0, err
	}
	return orders, total, nil
}

// withItems loads the items of rows in one query and builds the orders.
func (r *Orders) withItems(ctx context.Context, rows []orderRow) ([]*service.Order, error) {
	if len(rows) == 0 {
		return nil, nil
	}
	ids := make([]int64, len(rows))
	for i, row := range rows {
		ids[i] = row.OrderID
	}
	var items []itemRow
	if err := r.db.WithContext(ctx).Where("order_id IN ?", ids).Order("order_id, line_no").Find(&items).Error; err != nil {
		return nil, fmt.Errorf("select items of orders %v: %w", ids, err)
	}
	byOrder := make(map[int64][]service.Item, len(rows))
	for _, it := range items {
		byOrder[it.OrderID] = append(byOrder[it.OrderID], service.Item{
			ProductID: it.ProductID, Name: it.Name, UnitPriceCents: it.UnitPriceCents,
			Quantity: it.Quantity, SubtotalCents: it.SubtotalCents,
		})
	}
	out := make([]*service.Order, len(rows))
	for i, row := range rows {
		out[i] = row.order()
		out[i].Items = byOrder[row.OrderID]
	}
	return out, nil
}

// Cancel implements service.Orders.
func (r *Orders) Cancel(ctx context.Context, userID, orderID int64, reason string, at time.Time) (bool, error) {
	res := r.db.WithContext(ctx).Model(&orderRow{}).
		Where("order_id = ? AND user_id = ? AND status = ?", orderID, userID, int8(order.OrderStatus_PENDING_PAYMENT)).
		Updates(map[string]any{"status": int8(order.OrderStatus_CANCELLED), "cancel_reason": reason, "updated_at": at})
	if res.Error != nil {
		return false, fmt.Errorf("cancel order %d: %w", orderID, res.Error)
	}
	return res.RowsAffected == 1, nil
}

// Exists implements service.Orders.
func (r *Orders) Exists(ctx context.Context, orderID int64) (bool, error) {
	var n int64
	if err := r.db.WithContext(ctx).Model(&orderRow{}).Where("order_id = ?", orderID).Count(&n).Error; err != nil {
		return false, fmt.Errorf("look up order %d: %w", orderID, err)
	}
	return n > 0, nil
}

// ByID implements service.Orders.
func (r *Orders) ByID(ctx context.Context, orderID int64) (*service.Order, error) {
	var row orderRow
	err := r.db.WithContext(ctx).Where("order_id = ?", orderID).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, service.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("select order %d: %w", orderID, err)
	}
	return row.order(), nil
}

// Expire implements service.Orders.
func (r *Orders) Expire(ctx context.Context, consumer, msgKey string, orderID int64, reason string, at time.Time) (order.OrderStatus, error) {
	var status order.OrderStatus
	err := r.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		row, err := lockOrder(tx, orderID)
		if err != nil {
			return err
		}
		fresh, err := recordProcessed(tx, consumer, msgKey, at)
		if err != nil {
			return err
		}
		status = order.OrderStatus(row.Status)
		if !fresh || status != order.OrderStatus_PENDING_PAYMENT {
			return nil
		}
		err = tx.Model(&orderRow{}).Where("order_id = ?", orderID).
			Updates(map[string]any{"status": int8(order.OrderStatus_CANCELLED), "cancel_reason": reason, "updated_at": at}).Error
		if err != nil {
			return fmt.Errorf("cancel order %d: %w", orderID, err)
		}
		status = order.OrderStatus_CANCELLED
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("expire order %d: %w", orderID, err)
	}
	return status, nil
}

// ApplyPayment implements service.Orders.
func (r *Orders) ApplyPayment(ctx context.Context, consumer, msgKey string, n service.PaymentNotice, at time.Time) (*service.Order, error) {
	var out *service.Order
	err := r.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		row, err := lockOrder(tx, n.OrderID)
		if err != nil {
			return err
		}
		fresh, err := recordProcessed(tx, consumer, msgKey, at)
		if err != nil {
			return err
		}
		out = row.order()
		if !fresh || out.Status != order.OrderStatus_PENDING_PAYMENT || out.TotalCents != n.AmountCents {
			return nil
		}
		err = tx.Model(&orderRow{}).Where("order_id = ?", n.OrderID).
			Updates(map[string]any{"status": int8(order.OrderStatus_PAID), "paid_payment_id": n.PaymentID, "updated_at": at}).Error
		if err != nil {
			return fmt.Errorf("mark order %d paid: %w", n.OrderID, err)
		}
		out.Status, out.PaidPaymentID, out.UpdatedAt = order.OrderStatus_PAID, n.PaymentID, at
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("apply payment %d to order %d: %w", n.PaymentID, n.OrderID, err)
	}
	return out, nil
}

// lockOrder reads the order row and locks it until the transaction ends,
// so the status it returns is the one the transaction changes.
func lockOrder(tx *gorm.DB, orderID int64) (orderRow, error) {
	var row orderRow
	err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("order_id = ?", orderID).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return row, service.ErrNotFound
	}
	if err != nil {
		return row, fmt.Errorf("lock order %d: %w", orderID, err)
	}
	return row, nil
}

// recordProcessed records the message and reports whether the record is
// new; an existing one means the message was applied before.
func recordProcessed(tx *gorm.DB, consumer, msgKey string, at time.Time) (bool, error) {
	res := tx.Clauses(clause.Insert{Modifier: "IGNORE"}).Create(&processedRow{Consumer: consumer, MsgKey: msgKey, ProcessedAt: at})
	if res.Error != nil {
		return false, fmt.Errorf("record message %s of %s: %w", msgKey, consumer, res.Error)
	}
	return res.RowsAffected == 1, nil
}
