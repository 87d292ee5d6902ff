package kitexsuite

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/cloudwego/kitex/pkg/endpoint"
	"github.com/cloudwego/kitex/pkg/kerrors"
	"github.com/cloudwego/kitex/pkg/rpcinfo"
	"github.com/cloudwego/kitex/pkg/rpcinfo/remoteinfo"
)

// Why not Kitex's own failure retry: in v0.16.3 it decodes each attempt into
// a fresh result and copies back only the success field, so a declared Thrift
// exception (our base.ServiceError) is lost and the caller gets a nil
// response with a nil error. This middleware retries on the caller's result
// object instead.

// retryBudget throttles retries like gRPC's retry throttling: each retry
// spends a token, each success earns `ratio` tokens, and retries stop while
// fewer than half the tokens are left. Under a persistent failure, retries
// add at most about `ratio` extra load per call.
type retryBudget struct {
	mu     sync.Mutex
	tokens float64
	max    float64
	ratio  float64
}

func newRetryBudget(ratio float64) *retryBudget {
	return &retryBudget{tokens: 10, max: 10, ratio: ratio}
}

func (b *retryBudget) success() {
	b.mu.Lock()
	b.tokens = min(b.max, b.tokens+b.ratio)
	b.mu.Unlock()
}

func (b *retryBudget) spend() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.tokens <= b.max/2 {
		return false
	}
	b.tokens--
	return true
}

// retryable reports transport failures worth another instance: no
// connection could be made, or the connection broke. Timeouts are not
// retried, because the RPC timeout bounds the whole call, retries included.
func retryable(err error) bool {
	return errors.Is(err, kerrors.ErrGetConnection) || errors.Is(err, kerrors.ErrRemoteOrNetwork)
}

// retryMiddleware retries the idempotent methods on transport failures with
// random backoff, re-picking the instance for each attempt.
func retryMiddleware(cfg RetryConfig, idempotent []string) endpoint.Middleware {
	methods := make(map[string]bool, len(idempotent))
	for _, m := range idempotent {
		methods[m] = true
	}
	budget := newRetryBudget(cfg.BudgetRatio)
	return func(next endpoint.Endpoint) endpoint.Endpoint {
		return func(ctx context.Context, req, resp any) error {
			ri := rpcinfo.GetRPCInfo(ctx)
			if ri == nil || !methods[ri.To().Method()] {
				return next(ctx, req, resp)
			}
			err := next(ctx, req, resp)
			for attempt := 1; attempt <= cfg.MaxRetries && retryable(err) && budget.spend(); attempt++ {
				if !sleep(ctx, backoff(cfg)) {
					return err
				}
				// Let the load balancer pick again, away from a dead instance.
				if remote := remoteinfo.AsRemoteInfo(ri.To()); remote != nil {
					remote.SetInstance(nil)
				}
				err = next(ctx, req, resp)
			}
			if err == nil {
				budget.success()
			}
			return err
		}
	}
}

func backoff(cfg RetryConfig) time.Duration {
	if cfg.BackoffMax <= cfg.BackoffMin {
		return cfg.BackoffMin
	}
	return cfg.BackoffMin + rand.N(cfg.BackoffMax-cfg.BackoffMin)
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
