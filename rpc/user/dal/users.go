package dal

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/kitemall/platform/pkg/mysqlx"
	"github.com/kitemall/platform/rpc/user/service"
)

// userRow is a row of the users table. IDs come from AUTO_INCREMENT: one
// writer database per service makes a distributed generator unnecessary.
type userRow struct {
	ID            int64 `gorm:"primaryKey;autoIncrement"`
	Username      string
	UsernameLower string
	PasswordHash  []byte
	CreatedAt     time.Time
}

func (userRow) TableName() string { return "users" }

func (r userRow) user() service.User {
	return service.User{ID: r.ID, Username: r.Username, CreatedAt: r.CreatedAt.UTC()}
}

// Users is the MariaDB implementation of service.Users.
type Users struct{ db *gorm.DB }

// NewUsers returns the repository over db (already migrated).
func NewUsers(db *gorm.DB) *Users { return &Users{db: db} }

// Create implements service.Users; the unique index on username_lower
// decides races between registrations of the same name.
func (r *Users) Create(ctx context.Context, username, usernameLower string, passwordHash []byte) (service.User, error) {
	row := userRow{
		Username:      username,
		UsernameLower: usernameLower,
		PasswordHash:  passwordHash,
		// DATETIME(3) keeps milliseconds; truncating here makes the answer
		// equal to what later reads return.
		CreatedAt: time.Now().UTC().Truncate(time.Millisecond),
	}
	if err := r.db.WithContext(ctx).Create(&row).Error; err != nil {
		if mysqlx.IsDuplicateKey(err) {
			return service.User{}, service.ErrUsernameTaken
		}
		return service.User{}, fmt.Errorf("insert user: %w", err)
	}
	return row.user(), nil
}

// CredentialByUsername implements service.Users.
func (r *Users) CredentialByUsername(ctx context.Context, usernameLower string) (service.Credential, error) {
	var row userRow
	err := r.db.WithContext(ctx).Where("username_lower = ?", usernameLower).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return service.Credential{}, service.ErrNotFound
	}
	if err != nil {
		return service.Credential{}, fmt.Errorf("select user by username: %w", err)
	}
	return service.Credential{User: row.user(), PasswordHash: row.PasswordHash}, nil
}

// ByID implements service.Users.
func (r *Users) ByID(ctx context.Context, id int64) (service.User, error) {
	var row userRow
	err := r.db.WithContext(ctx).Select("id", "username", "created_at").Where("id = ?", id).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return service.User{}, service.ErrNotFound
	}
	if err != nil {
		return service.User{}, fmt.Errorf("select user %d: %w", id, err)
	}
	return row.user(), nil
}

// ByIDs implements service.Users.
func (r *Users) ByIDs(ctx context.Context, ids []int64) ([]service.User, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var rows []userRow
	if err := r.db.WithContext(ctx).Select("id", "username", "created_at").Where("id IN ?", ids).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("select %d users: %w", len(ids), err)
	}
	out := make([]service.User, len(rows))
	for i, row := range rows {
		out[i] = row.user()
	}
	return out, nil
}
