// Package dal stores the product service's data: the catalog, stock counters,
// reservations and stock ledger in MariaDB (GORM), and the product cache in
// Redis. Its repositories implement the interfaces of package service.
package dal

import (
	"context"
	"database/sql"
	"embed"
	"fmt"

	"github.com/kitemall/platform/pkg/migrate"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrate brings the schema up to date; it is safe when two instances start
// at once.
func Migrate(ctx context.Context, db *sql.DB) error {
	ms, err := migrate.Load(migrations, "migrations")
	if err != nil {
		return err
	}
	if _, err := migrate.Up(ctx, db, ms); err != nil {
		return fmt.Errorf("migrate product schema: %w", err)
	}
	return nil
}
