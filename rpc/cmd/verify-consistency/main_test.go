package main

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kitemall/platform/pkg/mysqlx"
	"github.com/kitemall/platform/pkg/testenv"
	"github.com/kitemall/platform/rpc/consistency"
	orderdal "github.com/kitemall/platform/rpc/order/dal"
	paymentdal "github.com/kitemall/platform/rpc/payment/dal"
	productdal "github.com/kitemall/platform/rpc/product/dal"
)

// openMigrated opens a fresh database and applies a service's migrations.
func openMigrated(t *testing.T, migrate func(context.Context, *sql.DB) error) mysqlx.Config {
	t.Helper()
	cfg := testenv.MySQL(t)
	_, db := testenv.OpenMySQL(t, cfg)
	if err := migrate(context.Background(), db); err != nil {
		t.Fatal(err)
	}
	return cfg
}

func writeConf(t *testing.T, path, body string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
}

// Proves the command finds the databases and the payment window through
// the services' config files: an order pending for 30 minutes breaks the
// rules under a 10-minute window set there, and not under a 1-hour one.
func TestRunJudgesTheStackBySettingsInItsConfigFiles(t *testing.T) {
	ctx := context.Background()
	product := openMigrated(t, productdal.Migrate)
	order := openMigrated(t, orderdal.Migrate)
	payment := openMigrated(t, paymentdal.Migrate)

	dir := t.TempDir()
	productConf, orderConf, paymentConf := filepath.Join(dir, "product.yaml"), filepath.Join(dir, "order.yaml"), filepath.Join(dir, "payment.yaml")
	writeConf(t, productConf, "mysql:\n  database: "+product.Database+"\n")
	writeConf(t, paymentConf, "mysql:\n  database: "+payment.Database+"\n")

	g, err := mysqlx.Open(ctx, order)
	if err != nil {
		t.Fatal(err)
	}
	if db, err := g.DB(); err == nil {
		defer db.Close()
	}
	created := time.Now().UTC().Add(-30 * time.Minute)
	if err := g.Exec(`INSERT INTO orders (order_id, user_id, idempotency_key, status, total_cents, created_at, updated_at)
		VALUES (1, 7, 'k', 1, 100, ?, ?)`, created, created).Error; err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		window  string
		pending int
	}{
		{"1h", 0},
		{"10m", 1},
	} {
		writeConf(t, orderConf, "mysql:\n  database: "+order.Database+"\npayment_window: "+tc.window+"\n")
		r, err := run(productConf, orderConf, paymentConf, time.Second, 30*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if got := len(r.Broken(consistency.RulePendingOrder)); got != tc.pending || r.Orders["PENDING_PAYMENT"] != 1 {
			t.Fatalf("window %s: %d pending-order violations, want %d; report\n%s", tc.window, got, tc.pending, r)
		}
	}
}
