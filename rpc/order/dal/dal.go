// Package dal implements the order service's dependencies: orders and
// processed-message records in MariaDB (orders, order_items,
// processed_messages), the idempotency lock in Redis, the product service
// as a service.Catalog over its Kitex client, and the RocketMQ producer as
// a service.Publisher.
package dal

import (
	"context"
	"database/sql"
	"embed"

	"github.com/kitemall/platform/pkg/migrate"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrate brings the order schema up to date; it is safe when two
// instances start at once.
func Migrate(ctx context.Context, db *sql.DB) error {
	return migrate.Apply(ctx, db, migrations, "migrations", "order")
}
