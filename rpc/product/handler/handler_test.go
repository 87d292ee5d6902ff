package handler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/kitemall/platform/kitex_gen/base"
	"github.com/kitemall/platform/kitex_gen/product"
	"github.com/kitemall/platform/pkg/errs"
	"github.com/kitemall/platform/rpc/product/service"
)

// failingProducts fails every read with err.
type failingProducts struct {
	service.ProductRepository
	err error
}

func (f failingProducts) Get(context.Context, int64) (*service.Product, error) { return nil, f.err }

// emptyCache misses every read and accepts every write.
type emptyCache struct{}

func (emptyCache) Get(context.Context, []int64) (map[int64]service.CacheEntry, error) {
	return nil, nil
}
func (emptyCache) Fill(context.Context, []service.CacheEntry) error       { return nil }
func (emptyCache) Invalidate(context.Context, []service.RowVersion) error { return nil }

func TestHandler_ErrorsLeaveAsTheBareIDLExceptionWithTheirCode(t *testing.T) {
	cases := []struct {
		name      string
		repoErr   error
		wantCode  base.ErrorCode
		wantInMsg string
	}{
		{"absent product is NOT_FOUND", service.ErrNotFound, base.ErrorCode_NOT_FOUND, "product 5"},
		{"wrapped business error is unwrapped", fmt.Errorf("layer: %w", errs.FailedPrecondition("frozen")), base.ErrorCode_FAILED_PRECONDITION, "frozen"},
		{"database deadline is UNAVAILABLE", fmt.Errorf("select: %w", context.DeadlineExceeded), base.ErrorCode_UNAVAILABLE, "unavailable"},
		{"anything else is INTERNAL without its cause", errors.New("secret table xyz is corrupt"), base.ErrorCode_INTERNAL, "internal"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var logged strings.Builder
			h := New(&service.Deps{
				Products:    failingProducts{err: tc.repoErr},
				Cache:       emptyCache{},
				LoadTimeout: time.Second,
				Logger:      slog.New(slog.NewTextHandler(&logged, nil)),
			})
			_, err := h.GetProduct(t.Context(), &product.GetProductRequest{ProductId: 5})
			// Kitex only sends the declared exception if it is the exact type.
			se, ok := err.(*base.ServiceError)
			if !ok {
				t.Fatalf("err = %T %v, want a bare *base.ServiceError", err, err)
			}
			if se.Code != tc.wantCode || !strings.Contains(se.Message, tc.wantInMsg) {
				t.Fatalf("err = %v, want code %v mentioning %q", se, tc.wantCode, tc.wantInMsg)
			}
			if strings.Contains(se.Message, "secret") {
				t.Fatalf("message %q leaks the cause", se.Message)
			}
			causeLogged := strings.Contains(logged.String(), "rpc failed")
			if wantLogged := tc.wantCode == base.ErrorCode_UNAVAILABLE || tc.wantCode == base.ErrorCode_INTERNAL; causeLogged != wantLogged {
				t.Fatalf("cause logged = %v, want %v; log: %s", causeLogged, wantLogged, logged.String())
			}
		})
	}
}

func TestHandler_SuccessReturnsNoError(t *testing.T) {
	h := New(&service.Deps{Service: "product", Instance: "127.0.0.1:9", Logger: slog.New(slog.DiscardHandler)})
	resp, err := h.Ping(t.Context(), &base.PingRequest{})
	if err != nil || resp.Instance != "127.0.0.1:9" {
		t.Fatalf("ping = %v, %v", resp, err)
	}
}
