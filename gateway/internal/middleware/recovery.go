package middleware

import (
	"context"
	"fmt"
	"runtime/debug"

	"github.com/cloudwego/hertz/pkg/app"

	"github.com/kitemall/platform/gateway/internal/apierr"
)

// Recovery turns a panic in a later handler into a 500 with the error body
// (never a dropped connection); the responder logs the panic and its stack.
func Recovery(errs *apierr.Responder) app.HandlerFunc {
	return func(ctx context.Context, c *app.RequestContext) {
		defer func() {
			if r := recover(); r != nil {
				c.Response.ResetBody()
				errs.Abort(ctx, c, fmt.Errorf("panic: %v\n%s", r, debug.Stack()))
			}
		}()
		c.Next(ctx)
	}
}
