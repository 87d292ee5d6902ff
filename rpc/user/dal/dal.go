// Package dal stores users in MariaDB (the users table) and caches the
// public part of each user in Redis. It implements service.Users.
package dal

import (
	"context"
	"database/sql"
	"embed"

	"github.com/kitemall/platform/pkg/migrate"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrate brings the user schema up to date; it is safe when two
// instances start at once.
func Migrate(ctx context.Context, db *sql.DB) error {
	return migrate.Apply(ctx, db, migrations, "migrations", "user")
}
