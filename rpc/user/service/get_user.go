package service

import (
	"context"
	"errors"
	"fmt"

	"github.com/kitemall/platform/kitex_gen/user"
	"github.com/kitemall/platform/pkg/errs"
)

// GetUser reads one user.
type GetUser struct{ deps Deps }

// NewGetUser returns the operation.
func NewGetUser(deps Deps) *GetUser { return &GetUser{deps: deps} }

// Run returns the user or NOT_FOUND.
func (s *GetUser) Run(ctx context.Context, req *user.GetUserRequest) (*user.GetUserResponse, error) {
	if req.GetUserId() <= 0 {
		return nil, errs.InvalidArgument("user_id must be positive")
	}
	u, err := s.deps.Users.ByID(ctx, req.GetUserId())
	if errors.Is(err, ErrNotFound) {
		return nil, errs.NotFound("user %d not found", req.GetUserId())
	}
	if err != nil {
		return nil, fmt.Errorf("get user %d: %w", req.GetUserId(), err)
	}
	return &user.GetUserResponse{User: toIDL(u)}, nil
}
