package service

import (
	"context"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// fakeUsers is an in-memory Users with the same uniqueness rule as the
// users table.
type fakeUsers struct {
	mu      sync.Mutex
	nextID  int64
	byID    map[int64]Credential
	byLower map[string]int64
	// hashes records what Create was asked to store.
	hashes [][]byte
}

func newFakeUsers() *fakeUsers {
	return &fakeUsers{byID: map[int64]Credential{}, byLower: map[string]int64{}}
}

func (f *fakeUsers) Create(_ context.Context, username, usernameLower string, hash []byte) (User, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hashes = append(f.hashes, hash)
	if _, taken := f.byLower[usernameLower]; taken {
		return User{}, ErrUsernameTaken
	}
	f.nextID++
	u := User{ID: f.nextID, Username: username, CreatedAt: time.Now().UTC().Truncate(time.Millisecond)}
	f.byID[u.ID] = Credential{User: u, PasswordHash: hash}
	f.byLower[usernameLower] = u.ID
	return u, nil
}

func (f *fakeUsers) CredentialByUsername(_ context.Context, usernameLower string) (Credential, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	id, ok := f.byLower[usernameLower]
	if !ok {
		return Credential{}, ErrNotFound
	}
	return f.byID[id], nil
}

func (f *fakeUsers) ByID(_ context.Context, id int64) (User, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.byID[id]
	if !ok {
		return User{}, ErrNotFound
	}
	return c.User, nil
}

func (f *fakeUsers) ByIDs(_ context.Context, ids []int64) ([]User, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []User
	// Reverse order: callers must not rely on the store's order.
	for i := len(ids) - 1; i >= 0; i-- {
		if c, ok := f.byID[ids[i]]; ok {
			out = append(out, c.User)
		}
	}
	return out, nil
}

func testDeps(t *testing.T, users Users) Deps {
	t.Helper()
	pw, err := NewPasswords(bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return Deps{Service: "user", Instance: "127.0.0.1:1", Users: users, Passwords: pw}
}

// mustRegister registers a user through the real operation.
func mustRegister(t *testing.T, deps Deps, username, password string) User {
	t.Helper()
	resp, err := NewRegister(deps).Run(context.Background(), registerReq(username, password))
	if err != nil {
		t.Fatalf("register %q: %v", username, err)
	}
	return User{ID: resp.User.UserId, Username: resp.User.Username}
}
