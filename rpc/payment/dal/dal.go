// Package dal stores payments in MariaDB (the payments table). It
// implements service.Payments.
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

// Migrate applies the payment service's schema migrations to db.
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
