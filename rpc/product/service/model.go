package service

import (
	"errors"
	"fmt"
	"time"

	"github.com/kitemall/platform/kitex_gen/product"
)

// Product is a catalog entry with its stock counters. Stock only moves
// between the counters, so Available + Reserved + Sold changes only by
// restocks.
type Product struct {
	ID          int64
	Name        string
	Description string
	Category    string
	PriceCents  int64
	Status      product.ProductStatus
	Available   int64
	Reserved    int64
	Sold        int64
	// Version grows with every write to the product; the cache uses it to
	// refuse data older than its last invalidation.
	Version   int64
	CreatedAt time.Time
	UpdatedAt time.Time
}

// NewProduct is a product to create; it starts ACTIVE.
type NewProduct struct {
	Name         string
	Description  string
	Category     string
	PriceCents   int64
	InitialStock int64
}

// ProductChange lists the fields to change; nil fields stay as they are.
// AddStock > 0 restocks.
type ProductChange struct {
	Name        *string
	Description *string
	Category    *string
	PriceCents  *int64
	Status      *product.ProductStatus
	AddStock    int64
}

// ListQuery selects one page of ACTIVE products, newest first.
type ListQuery struct {
	Category string // empty: every category
	Offset   int
	Limit    int
}

// StockLine is a quantity of one product.
type StockLine struct {
	ProductID int64
	Quantity  int64
}

// RowVersion is a product row at the version a write left it in.
type RowVersion struct {
	ID      int64
	Version int64
}

// ReserveResult is the outcome of a reservation that was not rejected.
type ReserveResult struct {
	// Replayed is true when the order already had a reservation; nothing
	// changed and Existing holds the lines reserved back then.
	Replayed bool
	Existing []StockLine
	// Tombstoned is true when the order was released before it ever
	// reserved: a late or duplicate reserve then holds nothing.
	Tombstoned bool
	// Changed lists the product rows written.
	Changed []RowVersion
}

// StockChange is the outcome of a release or a confirmation.
type StockChange struct {
	// Applied is false when the order held nothing (never reserved,
	// already released or already confirmed); nothing changed then.
	Applied bool
	Changed []RowVersion
}

// ErrNotFound is returned by repositories for an absent product.
var ErrNotFound = errors.New("not found")

// RejectReason says why a reservation line cannot be held.
type RejectReason int

// Reasons a reservation is rejected.
const (
	RejectUnknownProduct RejectReason = iota + 1
	RejectInactiveProduct
	RejectInsufficientStock
)

// RejectionError is returned by InventoryRepository.Reserve when one line
// cannot be held; the whole reservation is then rolled back.
type RejectionError struct {
	ProductID int64
	Reason    RejectReason
	Requested int64
	Available int64
}

func (e *RejectionError) Error() string {
	switch e.Reason {
	case RejectUnknownProduct:
		return fmt.Sprintf("product %d does not exist", e.ProductID)
	case RejectInactiveProduct:
		return fmt.Sprintf("product %d is not active", e.ProductID)
	default:
		return fmt.Sprintf("product %d: %d requested, %d available", e.ProductID, e.Requested, e.Available)
	}
}

func (p *Product) toRPC() *product.Product {
	return &product.Product{
		ProductId:       p.ID,
		Name:            p.Name,
		Description:     p.Description,
		Category:        p.Category,
		PriceCents:      p.PriceCents,
		Status:          p.Status,
		Stock:           p.Available,
		CreatedAtUnixMs: p.CreatedAt.UnixMilli(),
		UpdatedAtUnixMs: p.UpdatedAt.UnixMilli(),
	}
}
