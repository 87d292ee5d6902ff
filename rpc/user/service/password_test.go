package service

import (
	"bytes"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

func TestPasswordsHashIsBcryptWithTheConfiguredCostAndNotThePassword(t *testing.T) {
	p, err := NewPasswords(bcrypt.MinCost + 1)
	if err != nil {
		t.Fatal(err)
	}
	const password = "correct horse battery"
	hash, err := p.Hash(password)
	if err != nil {
		t.Fatal(err)
	}
	cost, err := bcrypt.Cost(hash)
	if err != nil {
		t.Fatalf("hash %q is not bcrypt: %v", hash, err)
	}
	if cost != bcrypt.MinCost+1 {
		t.Errorf("cost = %d, want %d", cost, bcrypt.MinCost+1)
	}
	if bytes.Contains(hash, []byte(password)) {
		t.Errorf("hash %q contains the password", hash)
	}
	again, err := p.Hash(password)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(hash, again) {
		t.Error("two hashes of one password are equal: salt missing")
	}
}

func TestPasswordsVerify(t *testing.T) {
	p, err := NewPasswords(bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("a", 100)
	// bcrypt alone would read only the first 72 bytes of these two.
	longOther := strings.Repeat("a", 99) + "b"
	tests := []struct {
		name, stored, given string
		want                bool
	}{
		{"same password matches", "password1", "password1", true},
		{"other password fails", "password1", "password2", false},
		{"letter case matters", "Password1", "password1", false},
		{"128-byte password matches", strings.Repeat("x", 128), strings.Repeat("x", 128), true},
		{"bytes after the 72nd count", long, longOther, false},
		{"prefix of the password fails", long, long[:72], false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hash, err := p.Hash(tt.stored)
			if err != nil {
				t.Fatal(err)
			}
			if got := p.Verify(hash, tt.given); got != tt.want {
				t.Errorf("Verify = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestPasswordsVerifyUnknownAlwaysFails(t *testing.T) {
	p, err := NewPasswords(bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	for _, pw := range []string{"", "dummy password for unknown users", "password1"} {
		if p.VerifyUnknown(pw) {
			t.Errorf("VerifyUnknown(%q) = true", pw)
		}
	}
}

func TestNewPasswordsRejectsCostOutsideBcryptRange(t *testing.T) {
	for _, cost := range []int{0, bcrypt.MinCost - 1, bcrypt.MaxCost + 1} {
		if _, err := NewPasswords(cost); err == nil {
			t.Errorf("NewPasswords(%d) succeeded", cost)
		}
	}
}
