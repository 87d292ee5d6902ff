package app

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// sweeper runs the payment re-drive pass every interval until stopped.
type sweeper struct {
	cancel context.CancelFunc
	done   chan struct{}
}

// startSweeper starts the loop; pass runs one sweep.
func startSweeper(interval time.Duration, log *slog.Logger, pass func(context.Context) (int, error)) *sweeper {
	ctx, cancel := context.WithCancel(context.Background())
	s := &sweeper{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			n, err := pass(ctx)
			if err != nil && !errors.Is(err, context.Canceled) {
				log.ErrorContext(ctx, "payment sweep failed", "err", err)
			}
			if n > 0 {
				log.InfoContext(ctx, "payment sweep settled stuck payments", "settled", n)
			}
		}
	}()
	return s
}

// stop ends the loop and waits for a pass in progress to return.
func (s *sweeper) stop() {
	s.cancel()
	<-s.done
}
