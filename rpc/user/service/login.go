package service

import (
	"context"
	"errors"
	"fmt"

	"github.com/kitemall/platform/kitex_gen/base"
	"github.com/kitemall/platform/kitex_gen/user"
	"github.com/kitemall/platform/pkg/errs"
)

// loginFailed is the one answer to every bad login, so a caller cannot tell
// an unknown username from a wrong password.
const loginFailed = "invalid username or password"

// Login checks a username and password.
type Login struct{ deps Deps }

// NewLogin returns the operation.
func NewLogin(deps Deps) *Login { return &Login{deps: deps} }

// Run returns the user when the password matches, UNAUTHENTICATED otherwise.
// An unknown or malformed username still costs one bcrypt comparison.
func (s *Login) Run(ctx context.Context, req *user.LoginRequest) (*user.LoginResponse, error) {
	if !validUsername(req.GetUsername()) {
		s.deps.Passwords.VerifyUnknown(req.GetPassword())
		return nil, errs.New(base.ErrorCode_UNAUTHENTICATED, loginFailed)
	}
	cred, err := s.deps.Users.CredentialByUsername(ctx, normalize(req.GetUsername()))
	if errors.Is(err, ErrNotFound) {
		s.deps.Passwords.VerifyUnknown(req.GetPassword())
		return nil, errs.New(base.ErrorCode_UNAUTHENTICATED, loginFailed)
	}
	if err != nil {
		return nil, fmt.Errorf("load credential of %q: %w", req.GetUsername(), err)
	}
	if !s.deps.Passwords.Verify(cred.PasswordHash, req.GetPassword()) {
		return nil, errs.New(base.ErrorCode_UNAUTHENTICATED, loginFailed)
	}
	return &user.LoginResponse{User: toIDL(cred.User)}, nil
}
