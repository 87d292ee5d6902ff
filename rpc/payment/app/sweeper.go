package app

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/kitemall/platform/pkg/periodic"
)

// startSweeper runs the payment re-drive pass every interval until the
// loop is stopped.
func startSweeper(interval time.Duration, log *slog.Logger, pass func(context.Context) (int, error)) *periodic.Loop {
	return periodic.Start(interval, func(ctx context.Context) {
		n, err := pass(ctx)
		if err != nil && !errors.Is(err, context.Canceled) {
			log.ErrorContext(ctx, "payment sweep failed", "err", err)
		}
		if n > 0 {
			log.InfoContext(ctx, "payment sweep settled stuck payments", "settled", n)
		}
	})
}
