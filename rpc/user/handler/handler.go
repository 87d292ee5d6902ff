// Package handler adapts the user service's operations to Kitex: one short
// method per RPC, and the single place where errors become ServiceErrors.
package handler

import (
	"context"
	"log/slog"

	"github.com/kitemall/platform/kitex_gen/base"
	"github.com/kitemall/platform/kitex_gen/user"
	"github.com/kitemall/platform/pkg/errs"
	"github.com/kitemall/platform/rpc/user/service"
)

// Handler implements user.UserService.
type Handler struct {
	deps service.Deps
	log  *slog.Logger
}

var _ user.UserService = (*Handler)(nil)

// New returns the handler over deps.
func New(deps service.Deps, log *slog.Logger) *Handler { return &Handler{deps: deps, log: log} }

// Ping implements user.UserService.
func (h *Handler) Ping(ctx context.Context, req *base.PingRequest) (*base.PingResponse, error) {
	resp, err := service.NewPing(h.deps).Run(ctx, req)
	return resp, h.rpcErr(ctx, "Ping", err)
}

// Register implements user.UserService.
func (h *Handler) Register(ctx context.Context, req *user.RegisterRequest) (*user.RegisterResponse, error) {
	resp, err := service.NewRegister(h.deps).Run(ctx, req)
	return resp, h.rpcErr(ctx, "Register", err)
}

// Login implements user.UserService.
func (h *Handler) Login(ctx context.Context, req *user.LoginRequest) (*user.LoginResponse, error) {
	resp, err := service.NewLogin(h.deps).Run(ctx, req)
	return resp, h.rpcErr(ctx, "Login", err)
}

// GetUser implements user.UserService.
func (h *Handler) GetUser(ctx context.Context, req *user.GetUserRequest) (*user.GetUserResponse, error) {
	resp, err := service.NewGetUser(h.deps).Run(ctx, req)
	return resp, h.rpcErr(ctx, "GetUser", err)
}

// BatchGetUsers implements user.UserService.
func (h *Handler) BatchGetUsers(ctx context.Context, req *user.BatchGetUsersRequest) (*user.BatchGetUsersResponse, error) {
	resp, err := service.NewBatchGetUsers(h.deps).Run(ctx, req)
	return resp, h.rpcErr(ctx, "BatchGetUsers", err)
}

// rpcErr maps err once for the wire and logs causes the caller will not see.
func (h *Handler) rpcErr(ctx context.Context, method string, err error) error {
	rpcErr, cause := errs.ForRPC(err)
	if cause != nil {
		h.log.ErrorContext(ctx, "rpc failed", "method", method, "err", cause)
	}
	return rpcErr
}
