package apierr

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/cloudwego/hertz/pkg/app"
	"github.com/cloudwego/kitex/pkg/kerrors"

	"github.com/kitemall/platform/kitex_gen/base"
	"github.com/kitemall/platform/pkg/errs"
	"github.com/kitemall/platform/pkg/observability"
)

func TestFromMapsEveryServiceErrorCode(t *testing.T) {
	want := map[base.ErrorCode]int{
		base.ErrorCode_UNKNOWN:              http.StatusInternalServerError,
		base.ErrorCode_INVALID_ARGUMENT:     http.StatusBadRequest,
		base.ErrorCode_NOT_FOUND:            http.StatusNotFound,
		base.ErrorCode_ALREADY_EXISTS:       http.StatusConflict,
		base.ErrorCode_UNAUTHENTICATED:      http.StatusUnauthorized,
		base.ErrorCode_PERMISSION_DENIED:    http.StatusForbidden,
		base.ErrorCode_FAILED_PRECONDITION:  http.StatusConflict,
		base.ErrorCode_INSUFFICIENT_STOCK:   http.StatusConflict,
		base.ErrorCode_IDEMPOTENCY_CONFLICT: http.StatusUnprocessableEntity,
		base.ErrorCode_PAYMENT_DECLINED:     http.StatusPaymentRequired,
		base.ErrorCode_UNAVAILABLE:          http.StatusServiceUnavailable,
		base.ErrorCode_INTERNAL:             http.StatusInternalServerError,
	}
	// Every code the IDL declares must have a decided status: a new code
	// added to base.thrift fails here until it is mapped.
	for code := base.ErrorCode_UNKNOWN; ; code++ {
		if code.String() == "<UNSET>" {
			break
		}
		if _, ok := want[code]; !ok {
			t.Errorf("code %s has no expected status in this test", code)
		}
	}
	for code, status := range want {
		t.Run(code.String(), func(t *testing.T) {
			got := From(errs.New(code, "msg %d", 7))
			if got.Status != status {
				t.Errorf("status = %d, want %d", got.Status, status)
			}
			if code != base.ErrorCode_UNKNOWN && (got.Code != code.String() || got.Message != "msg 7") {
				t.Errorf("got %s %q, want %s %q", got.Code, got.Message, code, "msg 7")
			}
		})
	}
}

func TestFromMapsTransportFailures(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		wantStatus int
		wantCode   string
	}{
		{"service error wrapped in context", fmt.Errorf("create order: %w", errs.NotFound("product 9")), 404, "NOT_FOUND"},
		{"kitex rpc timeout", kerrors.ErrRPCTimeout.WithCause(errors.New("timeout=2s")), 504, CodeDeadlineExceeded},
		{"context deadline", fmt.Errorf("call: %w", context.DeadlineExceeded), 504, CodeDeadlineExceeded},
		{"open circuit", kerrors.ErrServiceCircuitBreak, 503, "UNAVAILABLE"},
		{"no instance in etcd", kerrors.ErrNoInstance, 503, "UNAVAILABLE"},
		{"connection refused", kerrors.ErrGetConnection.WithCause(errors.New("dial tcp: connection refused")), 503, "UNAVAILABLE"},
		{"remote closed", kerrors.ErrRemoteOrNetwork.WithCause(errors.New("EOF")), 503, "UNAVAILABLE"},
		{"gateway decision kept", New(http.StatusTooManyRequests, CodeRateLimited, "slow down"), 429, CodeRateLimited},
		{"anything else", errors.New("boom: secret detail"), 500, "INTERNAL"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := From(tc.err)
			if got.Status != tc.wantStatus || got.Code != tc.wantCode {
				t.Fatalf("From = %d %s, want %d %s", got.Status, got.Code, tc.wantStatus, tc.wantCode)
			}
			if strings.Contains(got.Message, "secret") {
				t.Fatalf("message %q leaks the cause", got.Message)
			}
		})
	}
}

func TestAbortWritesTheBodyAndLogsOnlyFaults(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		wantStatus int
		wantLogged bool
	}{
		{"client error is not logged", errs.InvalidArgument("bad"), 400, false},
		{"fault is logged with its cause", errors.New("db on fire"), 500, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			r := NewResponder(slog.New(observability.NewContextHandler(slog.NewJSONHandler(&logs, nil))))
			ctx := observability.WithRequestID(context.Background(), "req-42")
			c := app.NewContext(0)
			r.Abort(ctx, c, tc.err)

			if c.Response.StatusCode() != tc.wantStatus || !c.IsAborted() {
				t.Fatalf("status %d aborted %v, want %d aborted", c.Response.StatusCode(), c.IsAborted(), tc.wantStatus)
			}
			var body Body
			if err := json.Unmarshal(c.Response.Body(), &body); err != nil {
				t.Fatalf("body %q: %v", c.Response.Body(), err)
			}
			if body.RequestID != "req-42" || body.Code == "" || body.Message == "" {
				t.Fatalf("body = %+v", body)
			}
			logged := strings.Contains(logs.String(), `"request_id":"req-42"`)
			if logged != tc.wantLogged {
				t.Fatalf("logged = %v, want %v: %s", logged, tc.wantLogged, logs.String())
			}
			if tc.wantLogged && !strings.Contains(logs.String(), "db on fire") {
				t.Fatalf("log lacks the cause: %s", logs.String())
			}
		})
	}
}
