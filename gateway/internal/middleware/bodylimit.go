package middleware

import (
	"context"
	"io"
	"net/http"

	"github.com/cloudwego/hertz/pkg/app"

	"github.com/kitemall/platform/gateway/internal/apierr"
)

// BodyLimit answers 413 to a body over limit bytes, declared or actual.
// The server runs with streamed bodies, so an oversized body is refused
// after reading at most limit+1 bytes of it; the connection is then closed
// rather than drained.
func BodyLimit(limit int, errs *apierr.Responder) app.HandlerFunc {
	tooLarge := apierr.New(http.StatusRequestEntityTooLarge, apierr.CodePayloadTooLarge, "request body exceeds %d bytes", limit)
	return func(ctx context.Context, c *app.RequestContext) {
		reject := func(err error) {
			c.SetConnectionClose()
			errs.Abort(ctx, c, err)
		}
		if c.Request.Header.ContentLength() > limit {
			reject(tooLarge)
			return
		}
		if c.Request.IsBodyStream() {
			body, err := io.ReadAll(io.LimitReader(c.Request.BodyStream(), int64(limit)+1))
			if err != nil {
				reject(apierr.InvalidArgument("the request body could not be read"))
				return
			}
			if len(body) > limit {
				reject(tooLarge)
				return
			}
			c.Request.SetBody(body)
		} else if len(c.Request.Body()) > limit {
			reject(tooLarge)
			return
		}
		c.Next(ctx)
	}
}
