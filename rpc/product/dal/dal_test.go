package dal

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"gorm.io/gorm"

	"github.com/kitemall/platform/pkg/testenv"
	"github.com/kitemall/platform/rpc/product/service"
)

// openDB returns a migrated, fresh database that is dropped after the test.
func openDB(t *testing.T) *gorm.DB {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, sqlDB := testenv.OpenMySQL(t, testenv.MySQL(t))
	if err := Migrate(ctx, sqlDB); err != nil {
		t.Fatal(err)
	}
	return db
}

// openRedis returns the shared Redis with a key prefix of this test only;
// the test's keys are deleted after it.
func openRedis(t *testing.T) (*redis.Client, string) {
	t.Helper()
	rdb, cfg := testenv.Redis(t)
	return rdb, cfg.KeyPrefix
}

func mustCreate(t *testing.T, r *Products, name, category string, stock int64) *service.Product {
	t.Helper()
	p, err := r.Create(t.Context(), service.NewProduct{Name: name, Category: category, PriceCents: 100, InitialStock: stock})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

type counters struct{ available, reserved, sold int64 }

func countersOf(t *testing.T, db *gorm.DB, id int64) counters {
	t.Helper()
	var c counters
	if err := db.Raw("SELECT available, reserved, sold FROM products WHERE id = ?", id).Row().
		Scan(&c.available, &c.reserved, &c.sold); err != nil {
		t.Fatal(err)
	}
	return c
}

// auditLedger fails the test unless every product's counters equal the
// sums of its ledger rows.
func auditLedger(t *testing.T, db *gorm.DB) {
	t.Helper()
	rows, err := db.Raw(`SELECT p.id, p.available, p.reserved, p.sold,
			COALESCE(SUM(l.available_delta), 0), COALESCE(SUM(l.reserved_delta), 0), COALESCE(SUM(l.sold_delta), 0)
		FROM products p LEFT JOIN stock_ledger l ON l.product_id = p.id GROUP BY p.id`).Rows()
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var have, sum counters
		if err := rows.Scan(&id, &have.available, &have.reserved, &have.sold, &sum.available, &sum.reserved, &sum.sold); err != nil {
			t.Fatal(err)
		}
		if have != sum {
			t.Errorf("product %d: counters %+v, ledger sums %+v", id, have, sum)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
}
