package service

import (
	"context"
	"errors"
	"fmt"

	"github.com/kitemall/platform/kitex_gen/user"
	"github.com/kitemall/platform/pkg/errs"
)

// Register creates an account.
type Register struct{ deps Deps }

// NewRegister returns the operation.
func NewRegister(deps Deps) *Register { return &Register{deps: deps} }

// Run validates the request, hashes the password and stores the account;
// a username taken in any letter case is ALREADY_EXISTS.
func (s *Register) Run(ctx context.Context, req *user.RegisterRequest) (*user.RegisterResponse, error) {
	if !validUsername(req.GetUsername()) {
		return nil, errs.InvalidArgument("username must be 3..32 characters of [a-zA-Z0-9_]")
	}
	if !validPassword(req.GetPassword()) {
		return nil, errs.InvalidArgument("password must be %d..%d bytes", minPasswordBytes, maxPasswordBytes)
	}
	hash, err := s.deps.Passwords.Hash(req.GetPassword())
	if err != nil {
		return nil, err
	}
	u, err := s.deps.Users.Create(ctx, req.GetUsername(), normalize(req.GetUsername()), hash)
	if errors.Is(err, ErrUsernameTaken) {
		return nil, errs.AlreadyExists("username %q is taken", req.GetUsername())
	}
	if err != nil {
		return nil, fmt.Errorf("register %q: %w", req.GetUsername(), err)
	}
	return &user.RegisterResponse{User: toIDL(u)}, nil
}
