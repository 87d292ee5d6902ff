// Package dal stores the product service's data: the catalog, stock counters,
// reservations and stock ledger in MariaDB (GORM), and the product cache in
// Redis. Its repositories implement the interfaces of package service.
package dal

import (
	"context"
	"database/sql"
	"embed"

	"github.com/kitemall/platform/pkg/migrate"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrate brings the schema up to date; it is safe when two instances start
// at once.
func Migrate(ctx context.Context, db *sql.DB) error {
	return migrate.Apply(ctx, db, migrations, "migrations", "product")
}
