package middleware

import (
	"context"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/cloudwego/hertz/pkg/app"

	"github.com/kitemall/platform/gateway/internal/apierr"
	"github.com/kitemall/platform/gateway/internal/auth"
	"github.com/kitemall/platform/gateway/internal/ratelimit"
)

// RateLimitByIP takes a token from the client IP's bucket.
func RateLimitByIP(l *ratelimit.Limiter, errs *apierr.Responder) app.HandlerFunc {
	return func(ctx context.Context, c *app.RequestContext) {
		limit(ctx, c, l, errs, "ip:"+c.ClientIP())
	}
}

// RateLimitByUser takes a token from the caller's bucket; it runs after Auth.
func RateLimitByUser(l *ratelimit.Limiter, errs *apierr.Responder) app.HandlerFunc {
	return func(ctx context.Context, c *app.RequestContext) {
		p, ok := auth.FromContext(ctx)
		if !ok {
			errs.Abort(ctx, c, apierr.Unauthenticated("a bearer token is required"))
			return
		}
		limit(ctx, c, l, errs, "user:"+strconv.FormatInt(p.UserID, 10))
	}
}

func limit(ctx context.Context, c *app.RequestContext, l *ratelimit.Limiter, errs *apierr.Responder, key string) {
	ok, wait := l.Allow(key)
	if ok {
		c.Next(ctx)
		return
	}
	secs := retryAfterSeconds(wait)
	c.Response.Header.Set("Retry-After", strconv.Itoa(secs))
	errs.Abort(ctx, c, apierr.New(http.StatusTooManyRequests, apierr.CodeRateLimited, "too many requests, retry after %d s", secs))
}

// retryAfterSeconds rounds up, so a client that waits as told finds a token.
func retryAfterSeconds(d time.Duration) int {
	return max(1, int(math.Ceil(d.Seconds())))
}
