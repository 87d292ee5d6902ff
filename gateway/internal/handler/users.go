package handler

import (
	"context"
	"net/http"
	"time"

	"github.com/cloudwego/hertz/pkg/app"

	"github.com/kitemall/platform/gateway/internal/apierr"
	"github.com/kitemall/platform/kitex_gen/base"
	"github.com/kitemall/platform/kitex_gen/user"
	"github.com/kitemall/platform/pkg/errs"
)

// Register serves POST /api/v1/users/register.
func (h *Handler) Register(ctx context.Context, c *app.RequestContext) {
	resp, err := h.register(ctx, c.Request.Body())
	h.respond(ctx, c, http.StatusCreated, resp, err)
}

func (h *Handler) register(ctx context.Context, body []byte) (registerResponse, error) {
	var req credentials
	if err := decodeJSON(body, &req); err != nil {
		return registerResponse{}, err
	}
	if err := req.validateRegister(); err != nil {
		return registerResponse{}, err
	}
	resp, err := h.clients.Users.Register(ctx, &user.RegisterRequest{Username: req.Username, Password: req.Password})
	if err != nil {
		return registerResponse{}, err
	}
	if resp.User == nil {
		return registerResponse{}, errEmpty("user")
	}
	return registerResponse{UserID: resp.User.UserId}, nil
}

// Login serves POST /api/v1/users/login.
func (h *Handler) Login(ctx context.Context, c *app.RequestContext) {
	resp, err := h.login(ctx, c.Request.Body())
	h.respond(ctx, c, http.StatusOK, resp, err)
}

func (h *Handler) login(ctx context.Context, body []byte) (loginResponse, error) {
	var req credentials
	if err := decodeJSON(body, &req); err != nil {
		return loginResponse{}, err
	}
	if err := req.validateLogin(); err != nil {
		return loginResponse{}, err
	}
	resp, err := h.clients.Users.Login(ctx, &user.LoginRequest{Username: req.Username, Password: req.Password})
	if errs.Is(err, base.ErrorCode_NOT_FOUND) {
		// An unknown user gets the same answer as a wrong password, so the
		// API does not tell which usernames exist.
		err = apierr.Unauthenticated("wrong username or password")
	}
	if err != nil {
		return loginResponse{}, err
	}
	if resp.User == nil {
		return loginResponse{}, errEmpty("user")
	}
	token, exp, err := h.tokens.Issue(resp.User.UserId, resp.User.Username)
	if err != nil {
		return loginResponse{}, err
	}
	return loginResponse{
		Token:     token,
		ExpiresAt: exp.UTC().Format(time.RFC3339),
		UserID:    resp.User.UserId,
		Role:      h.tokens.RoleFor(resp.User.Username),
	}, nil
}

// Me serves GET /api/v1/users/me.
func (h *Handler) Me(ctx context.Context, c *app.RequestContext) {
	resp, err := h.me(ctx)
	h.respond(ctx, c, http.StatusOK, resp, err)
}

func (h *Handler) me(ctx context.Context) (userJSON, error) {
	p, err := caller(ctx)
	if err != nil {
		return userJSON{}, err
	}
	resp, err := h.clients.Users.GetUser(ctx, &user.GetUserRequest{UserId: p.UserID})
	if err != nil {
		return userJSON{}, err
	}
	if resp.User == nil {
		return userJSON{}, errEmpty("user")
	}
	return toUserJSON(resp.User), nil
}
