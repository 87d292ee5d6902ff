package errs

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/cloudwego/kitex/pkg/kerrors"

	"github.com/kitemall/platform/kitex_gen/base"
)

func TestForRPCMapsOnce(t *testing.T) {
	cases := []struct {
		name      string
		err       error
		wantCode  base.ErrorCode
		wantCause bool
	}{
		{"wrapped service error is returned bare", fmt.Errorf("reserve: %w", NotFound("product 7")), base.ErrorCode_NOT_FOUND, false},
		{"deadline is unavailable", fmt.Errorf("query: %w", context.DeadlineExceeded), base.ErrorCode_UNAVAILABLE, true},
		{"open circuit is unavailable", kerrors.ErrCircuitBreak.WithCause(errors.New("x")), base.ErrorCode_UNAVAILABLE, true},
		{"anything else is internal", errors.New("boom"), base.ErrorCode_INTERNAL, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rpcErr, cause := ForRPC(tc.err)
			se, ok := rpcErr.(*base.ServiceError)
			if !ok {
				t.Fatalf("ForRPC returned %T, want *base.ServiceError (Kitex matches the exact type)", rpcErr)
			}
			if se.Code != tc.wantCode {
				t.Fatalf("code = %v, want %v", se.Code, tc.wantCode)
			}
			if (cause != nil) != tc.wantCause {
				t.Fatalf("cause = %v, want cause present = %v", cause, tc.wantCause)
			}
		})
	}
	if rpcErr, cause := ForRPC(nil); rpcErr != nil || cause != nil {
		t.Fatalf("ForRPC(nil) = %v, %v", rpcErr, cause)
	}
}

func TestCodeAndIs(t *testing.T) {
	err := fmt.Errorf("ctx: %w", New(base.ErrorCode_INSUFFICIENT_STOCK, "product %d short by %d", 3, 2))
	if Code(err) != base.ErrorCode_INSUFFICIENT_STOCK || !Is(err, base.ErrorCode_INSUFFICIENT_STOCK) || Is(err, base.ErrorCode_NOT_FOUND) {
		t.Fatalf("code detection failed for %v", err)
	}
	if Code(errors.New("plain")) != base.ErrorCode_UNKNOWN {
		t.Fatal("a plain error must be UNKNOWN")
	}
}
