package kitexsuite

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/cloudwego/kitex/pkg/kerrors"
	"github.com/cloudwego/kitex/pkg/rpcinfo"
	"github.com/cloudwego/kitex/pkg/rpcinfo/remoteinfo"
)

func callCtx(method string) context.Context {
	to := remoteinfo.NewRemoteInfo(&rpcinfo.EndpointBasicInfo{ServiceName: "svc"}, method)
	ri := rpcinfo.NewRPCInfo(nil, to, rpcinfo.NewInvocation("svc", method), nil, nil)
	return rpcinfo.NewCtxWithRPCInfo(context.Background(), ri)
}

func TestRetryMiddleware(t *testing.T) {
	cfg := RetryConfig{MaxRetries: 2, BackoffMin: time.Millisecond, BackoffMax: 2 * time.Millisecond, BudgetRatio: 0.1}
	connErr := kerrors.ErrGetConnection.WithCause(errors.New("refused"))
	cases := []struct {
		name      string
		method    string
		failures  int
		failWith  error
		wantCalls int
		wantErr   bool
	}{
		{"idempotent method recovers after a connection failure", "Get", 1, connErr, 2, false},
		{"retries stop at max_retries", "Get", 5, connErr, 3, true},
		{"a non-idempotent method is never retried", "Create", 1, connErr, 1, true},
		{"a timeout is not retried (the deadline covers the whole call)", "Get", 1, kerrors.ErrRPCTimeout, 1, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			calls := 0
			next := func(ctx context.Context, req, resp any) error {
				calls++
				if calls <= tc.failures {
					return tc.failWith
				}
				return nil
			}
			err := retryMiddleware(cfg, []string{"Get"})(next)(callCtx(tc.method), nil, nil)
			if calls != tc.wantCalls || (err != nil) != tc.wantErr {
				t.Fatalf("calls = %d, err = %v; want %d calls, error %v", calls, err, tc.wantCalls, tc.wantErr)
			}
		})
	}
}

func TestRetryBudgetStopsRetryStorms(t *testing.T) {
	b := newRetryBudget(0.1)
	spent := 0
	for range 100 {
		if b.spend() {
			spent++
		}
	}
	if spent != 5 {
		t.Fatalf("a failing downstream got %d retries from a fresh budget, want 5", spent)
	}
	for range 20 {
		b.success()
	}
	if !b.spend() {
		t.Fatal("successes must refill the budget")
	}
}
