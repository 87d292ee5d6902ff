// Package dal stores payments in MariaDB (the payments table). It
// implements service.Payments.
package dal

import (
	"context"
	"database/sql"
	"embed"

	"github.com/kitemall/platform/pkg/migrate"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrate brings the payment schema up to date; it is safe when two
// instances start at once.
func Migrate(ctx context.Context, db *sql.DB) error {
	return migrate.Apply(ctx, db, migrations, "migrations", "payment")
}
