package dal

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"gorm.io/gorm"

	"github.com/kitemall/platform/kitex_gen/product"
	"github.com/kitemall/platform/rpc/product/service"
)

// Products implements service.ProductRepository. IDs come from the
// auto-increment primary key: one writer database per service needs no
// other generator, and they grow with creation, which orders listings.
type Products struct{ db *gorm.DB }

// NewProducts returns the catalog repository on db.
func NewProducts(db *gorm.DB) *Products { return &Products{db: db} }

var _ service.ProductRepository = (*Products)(nil)

// Create implements service.ProductRepository.
func (r *Products) Create(ctx context.Context, p service.NewProduct) (*service.Product, error) {
	t := now()
	row := productRow{
		Name: p.Name, Description: p.Description, Category: p.Category, PriceCents: p.PriceCents,
		Status: product.ProductStatus_ACTIVE, Available: p.InitialStock, Version: 1, CreatedAt: t, UpdatedAt: t,
	}
	err := transact(ctx, r.db, func(tx *gorm.DB) error {
		row.ID = 0
		if err := tx.Create(&row).Error; err != nil {
			return fmt.Errorf("insert product: %w", err)
		}
		if p.InitialStock == 0 {
			return nil
		}
		return insertLedger(tx, ledgerRow{
			ProductID: row.ID, Kind: kindRestock, AvailableDelta: p.InitialStock, CreatedAt: t,
		})
	})
	if err != nil {
		return nil, err
	}
	return row.toService(), nil
}

// Update implements service.ProductRepository.
func (r *Products) Update(ctx context.Context, id int64, ch service.ProductChange) (*service.Product, error) {
	t := now()
	set := map[string]any{"version": gorm.Expr("version + 1"), "updated_at": t}
	if ch.Name != nil {
		set["name"] = *ch.Name
	}
	if ch.Description != nil {
		set["description"] = *ch.Description
	}
	if ch.Category != nil {
		set["category"] = *ch.Category
	}
	if ch.PriceCents != nil {
		set["price_cents"] = *ch.PriceCents
	}
	if ch.Status != nil {
		set["status"] = int64(*ch.Status)
	}
	if ch.AddStock > 0 {
		set["available"] = gorm.Expr("available + ?", ch.AddStock)
	}
	var row productRow
	err := transact(ctx, r.db, func(tx *gorm.DB) error {
		res := tx.Model(&productRow{}).Where("id = ?", id).Updates(set)
		if res.Error != nil {
			return fmt.Errorf("update product: %w", res.Error)
		}
		// version always changes, so a matched row is an affected row.
		if res.RowsAffected == 0 {
			return service.ErrNotFound
		}
		if ch.AddStock > 0 {
			if err := insertLedger(tx, ledgerRow{
				ProductID: id, Kind: kindRestock, AvailableDelta: ch.AddStock, CreatedAt: t,
			}); err != nil {
				return err
			}
		}
		// Read back inside the transaction: the row is locked by the update,
		// so this is exactly the version the update wrote.
		if err := tx.Take(&row, id).Error; err != nil {
			return fmt.Errorf("read back product: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return row.toService(), nil
}

// Get implements service.ProductRepository.
func (r *Products) Get(ctx context.Context, id int64) (*service.Product, error) {
	var row productRow
	err := r.db.WithContext(ctx).Take(&row, id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, service.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("select product: %w", err)
	}
	return row.toService(), nil
}

// GetMany implements service.ProductRepository.
func (r *Products) GetMany(ctx context.Context, ids []int64) ([]*service.Product, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var rows []productRow
	if err := r.db.WithContext(ctx).Where("id IN ?", ids).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("select products: %w", err)
	}
	out := make([]*service.Product, len(rows))
	for i := range rows {
		out[i] = rows[i].toService()
	}
	return out, nil
}

// ListActive implements service.ProductRepository. The count and the page
// are read in one read-only transaction, so they agree with each other.
func (r *Products) ListActive(ctx context.Context, q service.ListQuery) ([]*service.Product, int64, error) {
	var (
		rows  []productRow
		total int64
	)
	err := r.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		base := tx.Model(&productRow{}).Where("status = ?", int64(product.ProductStatus_ACTIVE))
		if q.Category != "" {
			base = base.Where("category = ?", q.Category)
		}
		if err := base.Session(&gorm.Session{}).Count(&total).Error; err != nil {
			return fmt.Errorf("count products: %w", err)
		}
		if total == 0 || int64(q.Offset) >= total {
			return nil
		}
		if err := base.Session(&gorm.Session{}).Order("id DESC").Offset(q.Offset).Limit(q.Limit).Find(&rows).Error; err != nil {
			return fmt.Errorf("select page: %w", err)
		}
		return nil
	}, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, 0, err
	}
	out := make([]*service.Product, len(rows))
	for i := range rows {
		out[i] = rows[i].toService()
	}
	return out, total, nil
}

func insertLedger(tx *gorm.DB, rows ...ledgerRow) error {
	if err := tx.Create(&rows).Error; err != nil {
		return fmt.Errorf("insert %d ledger rows: %w", len(rows), err)
	}
	return nil
}
