package dal

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"gorm.io/gorm"

	"github.com/kitemall/platform/kitex_gen/product"
	"github.com/kitemall/platform/pkg/mysqlx"
	"github.com/kitemall/platform/rpc/product/service"
)

// Inventory implements service.InventoryRepository. Every operation is one
// transaction that first claims the order's reservation row (insert, or
// conditional state change) and then changes the products' counters with
// conditional updates, in ascending product ID order: concurrent calls
// take those row locks in one global order, so stock updates never deadlock
// each other, and no counter is ever read and then written. (The one
// deadlock InnoDB can still pick, on a reservation key, is rerun by
// transact.)
type Inventory struct{ db *gorm.DB }

// NewInventory returns the inventory repository on db.
func NewInventory(db *gorm.DB) *Inventory { return &Inventory{db: db} }

var _ service.InventoryRepository = (*Inventory)(nil)

// Reserve implements service.InventoryRepository.
func (r *Inventory) Reserve(ctx context.Context, orderID int64, lines []service.StockLine) (service.ReserveResult, error) {
	lines = slices.SortedFunc(slices.Values(lines), func(a, b service.StockLine) int { return cmp.Compare(a.ProductID, b.ProductID) })
	var out service.ReserveResult
	err := transact(ctx, r.db, func(tx *gorm.DB) error {
		out = service.ReserveResult{}
		t := now()
		// The primary key makes this insert the idempotency check; a
		// concurrent call with the same order waits here for the first one
		// to commit or roll back.
		err := tx.Create(&reservationRow{OrderID: orderID, State: stateHeld, CreatedAt: t, UpdatedAt: t}).Error
		if mysqlx.IsDuplicateKey(err) {
			var prior reservationRow
			if err := tx.Take(&prior, orderID).Error; err != nil {
				return fmt.Errorf("read reservation of order %d: %w", orderID, err)
			}
			existing, err := reservedLines(tx, orderID)
			out = service.ReserveResult{Replayed: true, Existing: existing,
				Tombstoned: prior.State == stateReleased && len(existing) == 0}
			return err
		}
		if err != nil {
			return fmt.Errorf("insert reservation: %w", err)
		}
		items := make([]reservationItemRow, len(lines))
		ledger := make([]ledgerRow, len(lines))
		ids := make([]int64, len(lines))
		for i, l := range lines {
			res := tx.Exec(`UPDATE products
				SET available = available - ?, reserved = reserved + ?, version = version + 1, updated_at = ?
				WHERE id = ? AND status = ? AND available >= ?`,
				l.Quantity, l.Quantity, t, l.ProductID, int64(product.ProductStatus_ACTIVE), l.Quantity)
			if res.Error != nil {
				return fmt.Errorf("hold %d of product %d: %w", l.Quantity, l.ProductID, res.Error)
			}
			if res.RowsAffected == 0 {
				return rejection(tx, l)
			}
			items[i] = reservationItemRow{OrderID: orderID, ProductID: l.ProductID, Quantity: l.Quantity}
			ledger[i] = ledgerRow{
				ProductID: l.ProductID, OrderID: &orderID, Kind: kindReserve,
				AvailableDelta: -l.Quantity, ReservedDelta: l.Quantity, CreatedAt: t,
			}
			ids[i] = l.ProductID
		}
		if err := tx.Create(&items).Error; err != nil {
			return fmt.Errorf("insert reservation items: %w", err)
		}
		if err := insertLedger(tx, ledger...); err != nil {
			return err
		}
		out.Changed, err = versions(tx, ids)
		return err
	})
	if err != nil {
		return service.ReserveResult{}, err
	}
	return out, nil
}

// rejection explains why the conditional update of l matched no row.
func rejection(tx *gorm.DB, l service.StockLine) error {
	rej := &service.RejectionError{ProductID: l.ProductID, Requested: l.Quantity}
	var row productRow
	err := tx.Select("status", "available").Take(&row, l.ProductID).Error
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound):
		rej.Reason = service.RejectUnknownProduct
	case err != nil:
		return fmt.Errorf("explain rejected hold of product %d: %w", l.ProductID, err)
	case row.Status != product.ProductStatus_ACTIVE:
		rej.Reason = service.RejectInactiveProduct
	default:
		rej.Reason, rej.Available = service.RejectInsufficientStock, row.Available
	}
	return rej
}

// Release implements service.InventoryRepository. Releasing an order that
// never reserved leaves a tombstone (a RELEASED reservation with no items),
// so a reserve of that order arriving late, after its creator gave up on
// it, holds nothing.
func (r *Inventory) Release(ctx context.Context, orderID int64) (service.StockChange, error) {
	out, err := r.settle(ctx, orderID, stateReleased, kindRelease,
		"available = available + ?", func(q int64) ledgerRow { return ledgerRow{AvailableDelta: q} })
	if err != nil || out.Applied {
		return out, err
	}
	t := now()
	if err := r.db.WithContext(ctx).Exec(
		"INSERT IGNORE INTO stock_reservations (order_id, state, created_at, updated_at) VALUES (?, ?, ?, ?)",
		orderID, stateReleased, t, t).Error; err != nil {
		return service.StockChange{}, fmt.Errorf("tombstone reservation of order %d: %w", orderID, err)
	}
	return out, nil
}

// Confirm implements service.InventoryRepository.
func (r *Inventory) Confirm(ctx context.Context, orderID int64) (service.StockChange, error) {
	return r.settle(ctx, orderID, stateConfirmed, kindConfirm,
		"sold = sold + ?", func(q int64) ledgerRow { return ledgerRow{SoldDelta: q} })
}

// settle moves a HELD reservation to state: it takes each line out of
// reserved and adds it to the counter in set. The conditional state change
// is the idempotency check: only one call can move a reservation out of
// HELD, and every other call changes nothing.
func (r *Inventory) settle(ctx context.Context, orderID int64, state, kind, set string, delta func(q int64) ledgerRow) (service.StockChange, error) {
	var out service.StockChange
	err := transact(ctx, r.db, func(tx *gorm.DB) error {
		out = service.StockChange{}
		t := now()
		res := tx.Model(&reservationRow{}).Where("order_id = ? AND state = ?", orderID, stateHeld).
			Updates(map[string]any{"state": state, "updated_at": t})
		if res.Error != nil {
			return fmt.Errorf("mark reservation %s: %w", state, res.Error)
		}
		if res.RowsAffected == 0 {
			return nil
		}
		lines, err := reservedLines(tx, orderID)
		if err != nil {
			return err
		}
		ledger := make([]ledgerRow, len(lines))
		ids := make([]int64, len(lines))
		for i, l := range lines {
			res := tx.Exec(`UPDATE products SET reserved = reserved - ?, `+set+`, version = version + 1, updated_at = ?
				WHERE id = ? AND reserved >= ?`, l.Quantity, l.Quantity, t, l.ProductID, l.Quantity)
			if res.Error != nil {
				return fmt.Errorf("%s %d of product %d: %w", kind, l.Quantity, l.ProductID, res.Error)
			}
			if res.RowsAffected == 0 {
				// Only a hand edit of the counters can get here; refuse rather
				// than make the books disagree with the ledger.
				return fmt.Errorf("%s %d of product %d: fewer units reserved than the reservation holds", kind, l.Quantity, l.ProductID)
			}
			ledger[i] = delta(l.Quantity)
			ledger[i].ProductID, ledger[i].OrderID, ledger[i].Kind = l.ProductID, &orderID, kind
			ledger[i].ReservedDelta, ledger[i].CreatedAt = -l.Quantity, t
			ids[i] = l.ProductID
		}
		if err := insertLedger(tx, ledger...); err != nil {
			return err
		}
		out.Applied = true
		out.Changed, err = versions(tx, ids)
		return err
	})
	if err != nil {
		return service.StockChange{}, err
	}
	return out, nil
}

// reservedLines returns the order's lines in ascending product ID order,
// the order in which their rows are locked.
func reservedLines(tx *gorm.DB, orderID int64) ([]service.StockLine, error) {
	var rows []reservationItemRow
	if err := tx.Where("order_id = ?", orderID).Order("product_id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("select reservation items: %w", err)
	}
	lines := make([]service.StockLine, len(rows))
	for i, row := range rows {
		lines[i] = service.StockLine{ProductID: row.ProductID, Quantity: row.Quantity}
	}
	return lines, nil
}

// versions reads the versions the transaction's updates wrote; the rows
// are locked by those updates, so no other writer can have moved them on.
func versions(tx *gorm.DB, ids []int64) ([]service.RowVersion, error) {
	var rows []productRow
	if err := tx.Select("id", "version").Where("id IN ?", ids).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("select product versions: %w", err)
	}
	out := make([]service.RowVersion, len(rows))
	for i, row := range rows {
		out[i] = service.RowVersion{ID: row.ID, Version: row.Version}
	}
	return out, nil
}
