// Package errs builds and inspects the platform's one error model: the
// base.ServiceError exception declared in idl/base.thrift. Services return
// these from handlers; the gateway maps their codes to HTTP statuses.
package errs

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"

	"github.com/cloudwego/kitex/pkg/kerrors"
	"github.com/go-sql-driver/mysql"

	"github.com/kitemall/platform/kitex_gen/base"
)

// New returns a ServiceError with the given code and formatted message.
func New(code base.ErrorCode, format string, args ...any) *base.ServiceError {
	return &base.ServiceError{Code: code, Message: fmt.Sprintf(format, args...)}
}

// InvalidArgument reports a malformed or out-of-range request.
func InvalidArgument(format string, args ...any) *base.ServiceError {
	return New(base.ErrorCode_INVALID_ARGUMENT, format, args...)
}

// NotFound reports an entity that does not exist or is not the caller's.
func NotFound(format string, args ...any) *base.ServiceError {
	return New(base.ErrorCode_NOT_FOUND, format, args...)
}

// AlreadyExists reports a unique key that is taken.
func AlreadyExists(format string, args ...any) *base.ServiceError {
	return New(base.ErrorCode_ALREADY_EXISTS, format, args...)
}

// FailedPrecondition reports an entity in a state that forbids the operation.
func FailedPrecondition(format string, args ...any) *base.ServiceError {
	return New(base.ErrorCode_FAILED_PRECONDITION, format, args...)
}

// Unavailable reports a dependency that is down; the caller may retry later.
func Unavailable(format string, args ...any) *base.ServiceError {
	return New(base.ErrorCode_UNAVAILABLE, format, args...)
}

// Internal reports our own fault. The message should not leak internals.
func Internal(format string, args ...any) *base.ServiceError {
	return New(base.ErrorCode_INTERNAL, format, args...)
}

// As returns the ServiceError inside err, if any.
func As(err error) (*base.ServiceError, bool) {
	var se *base.ServiceError
	if errors.As(err, &se) {
		return se, true
	}
	return nil, false
}

// Code returns err's ServiceError code, or UNKNOWN when err is not one.
func Code(err error) base.ErrorCode {
	if se, ok := As(err); ok {
		return se.Code
	}
	return base.ErrorCode_UNKNOWN
}

// Is reports whether err is a ServiceError with the given code.
func Is(err error, code base.ErrorCode) bool {
	se, ok := As(err)
	return ok && se.Code == code
}

// ForRPC maps err once, at a Kitex handler's edge: a ServiceError anywhere in
// the chain is returned bare (Kitex recognises only the exact declared type),
// a dead or slow dependency becomes UNAVAILABLE, anything else INTERNAL. The
// original error is returned second so the handler can log it.
func ForRPC(err error) (rpcErr error, cause error) {
	if err == nil {
		return nil, nil
	}
	if se, ok := As(err); ok {
		return se, nil
	}
	if IsUnavailable(err) {
		return Unavailable("a dependency is unavailable, try again later"), err
	}
	return Internal("internal error"), err
}

// IsUnavailable reports errors that mean a dependency is down or too slow:
// deadlines, refused or reset connections, and a database that went away.
func IsUnavailable(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, driver.ErrBadConn) || errors.Is(err, mysql.ErrInvalidConn) {
		return true
	}
	if kerrors.IsTimeoutError(err) || errors.Is(err, kerrors.ErrGetConnection) || errors.Is(err, kerrors.ErrCircuitBreak) ||
		errors.Is(err, kerrors.ErrNoMoreInstance) || errors.Is(err, kerrors.ErrServiceDiscovery) {
		return true
	}
	var netErr net.Error
	return errors.As(err, &netErr)
}
