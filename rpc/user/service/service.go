// Package service holds the user service's business operations, one per
// file. It owns the interfaces it needs (Users), so every operation is tested
// with an in-memory fake and the dal package supplies the real MariaDB and
// Redis implementations.
package service

import (
	"context"
	"errors"
	"time"

	"github.com/kitemall/platform/kitex_gen/user"
)

// Errors the Users implementations return; operations turn them into
// ServiceErrors.
var (
	ErrNotFound      = errors.New("user not found")
	ErrUsernameTaken = errors.New("username taken")
)

// User is a registered account without its credentials.
type User struct {
	ID int64
	// Username keeps the case chosen at registration.
	Username  string
	CreatedAt time.Time
}

// Credential is a user with its bcrypt hash; only Login reads it.
type Credential struct {
	User
	PasswordHash []byte
}

// Users stores accounts. Usernames are unique by their lower-case form.
type Users interface {
	// Create stores a new account and returns it with ID and CreatedAt set,
	// or ErrUsernameTaken when usernameLower is already registered.
	Create(ctx context.Context, username, usernameLower string, passwordHash []byte) (User, error)
	// CredentialByUsername returns ErrNotFound for an unknown username.
	CredentialByUsername(ctx context.Context, usernameLower string) (Credential, error)
	// ByID returns ErrNotFound for an unknown ID.
	ByID(ctx context.Context, id int64) (User, error)
	// ByIDs returns the known users among ids, in any order.
	ByIDs(ctx context.Context, ids []int64) ([]User, error)
}

// Deps is everything the operations need, built once by app.Build.
type Deps struct {
	// Service and Instance are what Ping reports.
	Service   string
	Instance  string
	Users     Users
	Passwords *Passwords
}

func toIDL(u User) *user.User {
	return &user.User{UserId: u.ID, Username: u.Username, CreatedAtUnixMs: u.CreatedAt.UnixMilli()}
}
