// Package dal stores users in MariaDB (the users table) and caches the
// public part of each user in Redis. It implements service.Users.
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

// Migrate applies the user service's schema migrations to db.
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
