package middleware

import (
	"context"
	"errors"
	"strings"

	"github.com/cloudwego/hertz/pkg/app"

	"github.com/kitemall/platform/gateway/internal/apierr"
	"github.com/kitemall/platform/gateway/internal/auth"
)

// Auth requires a valid bearer token and puts its caller into the context.
func Auth(tokens *auth.Tokens, errs *apierr.Responder) app.HandlerFunc {
	return func(ctx context.Context, c *app.RequestContext) {
		p, err := authenticate(tokens, string(c.GetHeader("Authorization")))
		if err != nil {
			c.Response.Header.Set("WWW-Authenticate", `Bearer realm="kitemall"`)
			errs.Abort(ctx, c, err)
			return
		}
		c.Set(userIDKey, p.UserID)
		c.Next(auth.WithPrincipal(ctx, p))
	}
}

func authenticate(tokens *auth.Tokens, header string) (auth.Principal, error) {
	const scheme = "Bearer "
	if len(header) <= len(scheme) || !strings.EqualFold(header[:len(scheme)], scheme) {
		return auth.Principal{}, apierr.Unauthenticated("a bearer token is required (Authorization: Bearer <token>)")
	}
	p, err := tokens.Verify(strings.TrimSpace(header[len(scheme):]))
	if err != nil {
		if errors.Is(err, auth.ErrTokenExpired) {
			return auth.Principal{}, apierr.Unauthenticated("the token has expired, log in again")
		}
		return auth.Principal{}, apierr.Unauthenticated("the token is invalid")
	}
	return p, nil
}

// RequireAdmin lets only admin callers through; it runs after Auth.
func RequireAdmin(errs *apierr.Responder) app.HandlerFunc {
	return func(ctx context.Context, c *app.RequestContext) {
		if p, ok := auth.FromContext(ctx); !ok || !p.IsAdmin() {
			errs.Abort(ctx, c, apierr.PermissionDenied("this operation needs the admin role"))
			return
		}
		c.Next(ctx)
	}
}
