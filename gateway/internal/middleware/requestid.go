// Package middleware holds the gateway's cross-cutting HTTP handlers:
// request IDs, panic recovery, access logs and metrics, body limits, rate
// limits and bearer-token auth.
package middleware

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"regexp"

	"github.com/cloudwego/hertz/pkg/app"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/kitemall/platform/pkg/observability"
)

// RequestIDHeader carries the request ID in both directions.
const RequestIDHeader = "X-Request-ID"

// saneRequestID accepts what common proxies and clients generate (UUIDs,
// hex, base64url) and nothing that could break a log line or a header.
var saneRequestID = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`)

// RequestID keeps the client's X-Request-ID when it is sane, generates one
// otherwise, echoes it in the response, puts it on the trace span and into
// the context, from where the logger and the Kitex clients (TTHeader
// metadata) pick it up.
func RequestID() app.HandlerFunc {
	return func(ctx context.Context, c *app.RequestContext) {
		id := string(c.GetHeader(RequestIDHeader))
		if !saneRequestID.MatchString(id) {
			id = newRequestID()
		}
		c.Response.Header.Set(RequestIDHeader, id)
		trace.SpanFromContext(ctx).SetAttributes(attribute.String("http.request_id", id))
		c.Next(observability.WithRequestID(ctx, id))
	}
}

func newRequestID() string {
	b := make([]byte, 16)
	// crypto/rand.Read never fails on supported platforms (Go 1.24+).
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
