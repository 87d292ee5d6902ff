package service

import (
	"context"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/kitemall/platform/kitex_gen/base"
	"github.com/kitemall/platform/kitex_gen/user"
	"github.com/kitemall/platform/pkg/errs"
)

func registerReq(username, password string) *user.RegisterRequest {
	return &user.RegisterRequest{Username: username, Password: password}
}

func TestRegisterRejectsBadInput(t *testing.T) {
	tests := []struct{ name, username, password string }{
		{"username too short", "ab", "password1"},
		{"username too long", strings.Repeat("a", 33), "password1"},
		{"username with a dash", "bob-smith", "password1"},
		{"username with a space", "bob smith", "password1"},
		{"username with non-ASCII letter", "bøb", "password1"},
		{"empty username", "", "password1"},
		{"password too short", "bob", "1234567"},
		{"password too long", "bob", strings.Repeat("p", 129)},
		{"empty password", "bob", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			users := newFakeUsers()
			_, err := NewRegister(testDeps(t, users)).Run(context.Background(), registerReq(tt.username, tt.password))
			if !errs.Is(err, base.ErrorCode_INVALID_ARGUMENT) {
				t.Fatalf("err = %v, want INVALID_ARGUMENT", err)
			}
			if len(users.hashes) != 0 {
				t.Error("a rejected request reached the store")
			}
		})
	}
}

func TestRegisterAcceptsBoundaryInput(t *testing.T) {
	tests := []struct{ name, username, password string }{
		{"shortest username and password", "abc", "12345678"},
		{"longest username and password", strings.Repeat("Z", 32), strings.Repeat("p", 128)},
		{"digits and underscore", "bob_42", "password1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := NewRegister(testDeps(t, newFakeUsers())).Run(context.Background(), registerReq(tt.username, tt.password))
			if err != nil {
				t.Fatal(err)
			}
			if resp.User.Username != tt.username || resp.User.UserId <= 0 || resp.User.CreatedAtUnixMs <= 0 {
				t.Errorf("user = %+v", resp.User)
			}
		})
	}
}

func TestRegisterStoresOnlyABcryptHash(t *testing.T) {
	users := newFakeUsers()
	const password = "s3cret-password"
	mustRegister(t, testDeps(t, users), "alice", password)
	if len(users.hashes) != 1 {
		t.Fatalf("store got %d hashes, want 1", len(users.hashes))
	}
	h := users.hashes[0]
	if _, err := bcrypt.Cost(h); err != nil {
		t.Errorf("stored %q is not a bcrypt hash: %v", h, err)
	}
	if strings.Contains(string(h), password) {
		t.Errorf("stored hash %q contains the password", h)
	}
}

func TestRegisterUsernameIsUniqueIgnoringCase(t *testing.T) {
	deps := testDeps(t, newFakeUsers())
	mustRegister(t, deps, "Bob", "password1")
	for _, name := range []string{"bob", "BOB", "bOb"} {
		_, err := NewRegister(deps).Run(context.Background(), registerReq(name, "password2"))
		if !errs.Is(err, base.ErrorCode_ALREADY_EXISTS) {
			t.Errorf("register %q after Bob: err = %v, want ALREADY_EXISTS", name, err)
		}
	}
}
