// Package dal implements the order service's dependencies: orders and
// processed-message records in MariaDB (orders, order_items,
// processed_messages), the idempotency lock in Redis, the product service
// as a service.Catalog over its Kitex client, and the RocketMQ producer as
// a service.Publisher.
package dal

import (
	"context"
	"embed"
	"fmt"

	"gorm.io/gorm"

	"github.com/kitemall/platform/pkg/migrate"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrate applies the order service's schema migrations to db.
func Migrate(ctx context.Context, db *gorm.DB) error {
	ms, err := migrate.Load(migrations, "migrations")
	if err != nil {
		return err
	}
	sqlDB, err := db.DB()
	if err != nil {
		return fmt.Errorf("database handle: %w", err)
	}
	if _, err := migrate.Up(ctx, sqlDB, ms); err != nil {
		return err
	}
	return nil
}
