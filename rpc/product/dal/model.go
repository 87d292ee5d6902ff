package dal

import (
	"time"

	"github.com/kitemall/platform/kitex_gen/product"
	"github.com/kitemall/platform/rpc/product/service"
)

type productRow struct {
	ID          int64 `gorm:"primaryKey;autoIncrement"`
	Name        string
	Description string
	Category    string
	PriceCents  int64
	Status      product.ProductStatus
	Available   int64
	Reserved    int64
	Sold        int64
	Version     int64
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

func (productRow) TableName() string { return "products" }

func (r *productRow) toService() *service.Product {
	return &service.Product{
		ID:          r.ID,
		Name:        r.Name,
		Description: r.Description,
		Category:    r.Category,
		PriceCents:  r.PriceCents,
		Status:      r.Status,
		Available:   r.Available,
		Reserved:    r.Reserved,
		Sold:        r.Sold,
		Version:     r.Version,
		CreatedAt:   r.CreatedAt.UTC(),
		UpdatedAt:   r.UpdatedAt.UTC(),
	}
}

// Reservation states; a reservation leaves HELD once and never returns.
const (
	stateHeld      = "HELD"
	stateReleased  = "RELEASED"
	stateConfirmed = "CONFIRMED"
)

type reservationRow struct {
	OrderID   int64 `gorm:"primaryKey;autoIncrement:false"`
	State     string
	CreatedAt time.Time
	UpdatedAt time.Time
}

func (reservationRow) TableName() string { return "stock_reservations" }

type reservationItemRow struct {
	OrderID   int64 `gorm:"primaryKey;autoIncrement:false"`
	ProductID int64 `gorm:"primaryKey;autoIncrement:false"`
	Quantity  int64
}

func (reservationItemRow) TableName() string { return "stock_reservation_items" }

// Ledger kinds and what each does to the counters.
const (
	kindRestock = "restock" // available += q
	kindReserve = "reserve" // available -= q, reserved += q
	kindRelease = "release" // reserved -= q, available += q
	kindConfirm = "confirm" // reserved -= q, sold += q
)

type ledgerRow struct {
	ID             int64 `gorm:"primaryKey;autoIncrement"`
	ProductID      int64
	OrderID        *int64
	Kind           string
	AvailableDelta int64
	ReservedDelta  int64
	SoldDelta      int64
	CreatedAt      time.Time
}

func (ledgerRow) TableName() string { return "stock_ledger" }

// now is the timestamp of a write, at the precision of DATETIME(3), so what
// a write returns equals what a later read returns.
func now() time.Time { return time.Now().UTC().Truncate(time.Millisecond) }
