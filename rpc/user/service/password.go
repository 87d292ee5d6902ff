package service

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"

	"golang.org/x/crypto/bcrypt"
)

// Passwords hashes and checks passwords with bcrypt.
//
// bcrypt reads at most 72 bytes and x/crypto refuses longer input, while we
// accept passwords up to 128 bytes. Every password is therefore first reduced
// to the base64 of its SHA-256 (44 bytes, no NUL), so all of it counts.
type Passwords struct {
	cost int
	// dummy is a hash of no real password: Login compares against it for an
	// unknown username so that answering takes as long as a wrong password.
	dummy []byte
}

// NewPasswords returns a hasher with the given bcrypt cost (4..31; tests use
// the minimum to stay fast).
func NewPasswords(cost int) (*Passwords, error) {
	if cost < bcrypt.MinCost || cost > bcrypt.MaxCost {
		return nil, fmt.Errorf("bcrypt cost %d is outside %d..%d", cost, bcrypt.MinCost, bcrypt.MaxCost)
	}
	dummy, err := bcrypt.GenerateFromPassword(bcryptInput("dummy password for unknown users"), cost)
	if err != nil {
		return nil, fmt.Errorf("hash dummy password: %w", err)
	}
	return &Passwords{cost: cost, dummy: dummy}, nil
}

// Hash returns the bcrypt hash to store for password.
func (p *Passwords) Hash(password string) ([]byte, error) {
	h, err := bcrypt.GenerateFromPassword(bcryptInput(password), p.cost)
	if err != nil {
		return nil, fmt.Errorf("hash password: %w", err)
	}
	return h, nil
}

// Verify reports whether password matches hash.
func (p *Passwords) Verify(hash []byte, password string) bool {
	return bcrypt.CompareHashAndPassword(hash, bcryptInput(password)) == nil
}

// VerifyUnknown spends the time of one Verify and always fails.
func (p *Passwords) VerifyUnknown(password string) bool {
	_ = bcrypt.CompareHashAndPassword(p.dummy, bcryptInput(password))
	return false
}

func bcryptInput(password string) []byte {
	sum := sha256.Sum256([]byte(password))
	out := make([]byte, base64.StdEncoding.EncodedLen(len(sum)))
	base64.StdEncoding.Encode(out, sum[:])
	return out
}
