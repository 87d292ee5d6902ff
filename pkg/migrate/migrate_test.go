package migrate_test

import (
	"context"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/kitemall/platform/pkg/migrate"
	"github.com/kitemall/platform/pkg/mysqlx"
	"github.com/kitemall/platform/pkg/testenv"
)

var files = fstest.MapFS{
	"m/0001_create_widgets.sql": {Data: []byte("-- widgets\nCREATE TABLE widgets (\n  id BIGINT PRIMARY KEY AUTO_INCREMENT,\n  name VARCHAR(64) NOT NULL\n);\n")},
	"m/0002_add_price.sql":      {Data: []byte("ALTER TABLE widgets ADD COLUMN price_cents BIGINT NOT NULL DEFAULT 0;\nCREATE INDEX idx_widgets_name ON widgets (name);\n")},
}

type widget struct {
	ID         int64
	Name       string
	PriceCents int64
}

func TestLoadOrdersAndSplits(t *testing.T) {
	ms, err := migrate.Load(files, "m")
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 2 || ms[0].Version != 1 || ms[1].Version != 2 || len(ms[1].Statements) != 2 {
		t.Fatalf("unexpected migrations: %+v", ms)
	}
	if _, err := migrate.Load(fstest.MapFS{"m/x.sql": {Data: []byte("SELECT 1;")}}, "m"); err == nil {
		t.Fatal("a file without a version must be rejected")
	}
}

// Proves migrations run on the real MariaDB exactly once, even when two
// instances start at the same moment, and GORM reads the migrated schema.
func TestUpOnMariaDBRunsEachMigrationOnce(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg := testenv.MySQL(t)
	db, err := mysqlx.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	sqlDB, _ := db.DB()
	defer sqlDB.Close()
	ms, err := migrate.Load(files, "m")
	if err != nil {
		t.Fatal(err)
	}

	var wg sync.WaitGroup
	ran := make([]int, 2)
	errs := make([]error, 2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ran[i], errs[i] = migrate.Up(ctx, sqlDB, ms)
		}()
	}
	wg.Wait()
	if errs[0] != nil || errs[1] != nil {
		t.Fatalf("concurrent Up: %v / %v", errs[0], errs[1])
	}
	if ran[0]+ran[1] != 2 {
		t.Fatalf("migrations applied %d+%d times, want 2 in total", ran[0], ran[1])
	}
	if n, err := migrate.Up(ctx, sqlDB, ms); err != nil || n != 0 {
		t.Fatalf("second Up ran %d (err %v), want 0", n, err)
	}

	if err := db.WithContext(ctx).Create(&widget{Name: "gear", PriceCents: 250}).Error; err != nil {
		t.Fatal(err)
	}
	var got widget
	if err := db.WithContext(ctx).Where("name = ?", "gear").First(&got).Error; err != nil {
		t.Fatal(err)
	}
	if got.ID == 0 || got.PriceCents != 250 {
		t.Fatalf("round trip through GORM gave %+v", got)
	}
	if err := db.WithContext(ctx).Create(&widget{ID: got.ID, Name: "dup"}).Error; !mysqlx.IsDuplicateKey(err) {
		t.Fatalf("inserting a duplicate primary key gave %v, want a duplicate-key error", err)
	}
}
