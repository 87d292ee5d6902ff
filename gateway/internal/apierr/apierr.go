// Package apierr is the one place where errors become HTTP answers: the
// services' base.ServiceError codes, Kitex transport failures and the
// gateway's own rejections all end here as a status code and the body
// {"code","message","request_id"}.
package apierr

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/cloudwego/hertz/pkg/app"
	"github.com/cloudwego/kitex/pkg/kerrors"

	"github.com/kitemall/platform/kitex_gen/base"
	"github.com/kitemall/platform/pkg/errs"
	"github.com/kitemall/platform/pkg/observability"
)

// Codes the gateway answers with besides the base.ErrorCode names.
const (
	CodeDeadlineExceeded = "DEADLINE_EXCEEDED"
	CodePayloadTooLarge  = "PAYLOAD_TOO_LARGE"
	CodeRateLimited      = "RATE_LIMITED"
	CodeMethodNotAllowed = "METHOD_NOT_ALLOWED"
)

// Error is an answer the gateway decided on: an HTTP status, an
// UPPER_SNAKE code and a message safe to show the client.
type Error struct {
	Status  int
	Code    string
	Message string
}

func (e *Error) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message) }

// New returns an Error.
func New(status int, code, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// InvalidArgument is a request rejected at the door (400).
func InvalidArgument(format string, args ...any) *Error {
	return New(http.StatusBadRequest, base.ErrorCode_INVALID_ARGUMENT.String(), format, args...)
}

// Unauthenticated is a missing or bad token, or wrong credentials (401).
func Unauthenticated(format string, args ...any) *Error {
	return New(http.StatusUnauthorized, base.ErrorCode_UNAUTHENTICATED.String(), format, args...)
}

// PermissionDenied is an authenticated caller without the needed role (403).
func PermissionDenied(format string, args ...any) *Error {
	return New(http.StatusForbidden, base.ErrorCode_PERMISSION_DENIED.String(), format, args...)
}

// NotFound is an unknown route or entity (404).
func NotFound(format string, args ...any) *Error {
	return New(http.StatusNotFound, base.ErrorCode_NOT_FOUND.String(), format, args...)
}

// Internal is the gateway's own fault (500); the message must not leak
// internals.
func Internal() *Error {
	return New(http.StatusInternalServerError, base.ErrorCode_INTERNAL.String(), "internal error")
}

// statusOf maps each service error code to its HTTP status.
var statusOf = map[base.ErrorCode]int{
	base.ErrorCode_INVALID_ARGUMENT:    http.StatusBadRequest,
	base.ErrorCode_NOT_FOUND:           http.StatusNotFound,
	base.ErrorCode_ALREADY_EXISTS:      http.StatusConflict,
	base.ErrorCode_UNAUTHENTICATED:     http.StatusUnauthorized,
	base.ErrorCode_PERMISSION_DENIED:   http.StatusForbidden,
	base.ErrorCode_FAILED_PRECONDITION: http.StatusConflict,
	base.ErrorCode_INSUFFICIENT_STOCK:  http.StatusConflict,
	// An Idempotency-Key reused with a different request: 422, as in the
	// IETF draft "The Idempotency-Key HTTP Header Field" (409 is kept for
	// state conflicts the client can resolve by re-reading).
	base.ErrorCode_IDEMPOTENCY_CONFLICT: http.StatusUnprocessableEntity,
	base.ErrorCode_PAYMENT_DECLINED:     http.StatusPaymentRequired,
	base.ErrorCode_UNAVAILABLE:          http.StatusServiceUnavailable,
	base.ErrorCode_INTERNAL:             http.StatusInternalServerError,
}

// From maps any error to the answer the client sees: an *Error as it is,
// a ServiceError by its code, Kitex transport failures by kind (timeout 504,
// open circuit or no instance 503), anything else 500.
func From(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	if se, ok := errs.As(err); ok {
		status, known := statusOf[se.Code]
		if !known {
			return Internal()
		}
		return &Error{Status: status, Code: se.Code.String(), Message: se.Message}
	}
	switch {
	case kerrors.IsTimeoutError(err), errors.Is(err, context.DeadlineExceeded):
		return New(http.StatusGatewayTimeout, CodeDeadlineExceeded, "a downstream service did not answer in time")
	case errors.Is(err, kerrors.ErrCircuitBreak):
		return New(http.StatusServiceUnavailable, base.ErrorCode_UNAVAILABLE.String(), "a downstream service is failing; its circuit is open, try again later")
	case errors.Is(err, kerrors.ErrServiceDiscovery), errors.Is(err, kerrors.ErrNoMoreInstance),
		errors.Is(err, kerrors.ErrLoadbalance), errors.Is(err, kerrors.ErrGetConnection),
		errors.Is(err, kerrors.ErrRemoteOrNetwork), errors.Is(err, kerrors.ErrOverlimit):
		return New(http.StatusServiceUnavailable, base.ErrorCode_UNAVAILABLE.String(), "a downstream service is unavailable, try again later")
	}
	return Internal()
}

// Body is the JSON error body of every failed request.
type Body struct {
	Code      string `json:"code"`
	Message   string `json:"message"`
	RequestID string `json:"request_id"`
}

// Responder writes error answers and logs the cause of every 5xx once.
type Responder struct {
	logger *slog.Logger
}

// NewResponder returns a Responder logging to logger.
func NewResponder(logger *slog.Logger) *Responder { return &Responder{logger: logger} }

// Abort maps err, writes the answer and stops the handler chain.
func (r *Responder) Abort(ctx context.Context, c *app.RequestContext, err error) {
	e := From(err)
	if e.Status >= http.StatusInternalServerError {
		r.logger.ErrorContext(ctx, "request failed", "status", e.Status, "code", e.Code, "err", err)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	// Messages quote user input such as "<token>"; HTML escaping would only
	// make them harder to read.
	enc.SetEscapeHTML(false)
	if err := enc.Encode(Body{Code: e.Code, Message: e.Message, RequestID: observability.RequestID(ctx)}); err != nil {
		// Three strings always encode; keep the answer well-formed anyway.
		buf.Reset()
		buf.WriteString(`{"code":"INTERNAL","message":"internal error","request_id":""}`)
	}
	c.AbortWithStatus(e.Status)
	c.Data(e.Status, "application/json; charset=utf-8", buf.Bytes())
}
