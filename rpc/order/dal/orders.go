package dal

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/kitemall/platform/kitex_gen/order"
	"github.com/kitemall/platform/pkg/errs"
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
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

func (orderRow) TableName() string { return "orders" }

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
		out[i] = &service.Order{
			ID: row.OrderID, UserID: row.UserID, IdempotencyKey: row.IdempotencyKey, Status: order.OrderStatus(row.Status),
			TotalCents: row.TotalCents, CancelReason: row.CancelReason,
			CreatedAt: row.CreatedAt.UTC(), UpdatedAt: row.UpdatedAt.UTC(), Items: byOrder[row.OrderID],
		}
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

// MarkPaid moves an order from PENDING_PAYMENT to PAID and reports whether
// this call did. An order that is already PAID is not an error (a repeated
// payment notice); a CANCELLED one is FAILED_PRECONDITION, so the caller
// knows the money must be refunded; an unknown one is NOT_FOUND.
func (r *Orders) MarkPaid(ctx context.Context, orderID int64, at time.Time) (bool, error) {
	res := r.db.WithContext(ctx).Model(&orderRow{}).
		Where("order_id = ? AND status = ?", orderID, int8(order.OrderStatus_PENDING_PAYMENT)).
		Updates(map[string]any{"status": int8(order.OrderStatus_PAID), "updated_at": at})
	if res.Error != nil {
		return false, fmt.Errorf("mark order %d paid: %w", orderID, res.Error)
	}
	if res.RowsAffected == 1 {
		return true, nil
	}
	var row orderRow
	err := r.db.WithContext(ctx).Select("status").Where("order_id = ?", orderID).Take(&row).Error
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound):
		return false, errs.NotFound("order %d not found", orderID)
	case err != nil:
		return false, fmt.Errorf("read status of order %d: %w", orderID, err)
	case order.OrderStatus(row.Status) == order.OrderStatus_PAID:
		return false, nil
	default:
		return false, errs.FailedPrecondition("order %d is %v and cannot be paid", orderID, order.OrderStatus(row.Status))
	}
}
