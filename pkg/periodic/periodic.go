// Package periodic runs a service's background chores (sweeps, purges) at a
// fixed interval until the service stops.
package periodic

import (
	"context"
	"time"
)

// Loop is one running chore.
type Loop struct {
	cancel context.CancelFunc
	done   chan struct{}
}

// Start calls job every interval, the first time one interval from now,
// until Stop. Runs never overlap: a run that overruns the interval delays
// the next one.
func Start(interval time.Duration, job func(ctx context.Context)) *Loop {
	ctx, cancel := context.WithCancel(context.Background())
	l := &Loop{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(l.done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			job(ctx)
		}
	}()
	return l
}

// Stop cancels the context of a run in progress, waits for it to return
// and ends the loop. A nil *Loop is stopped already.
func (l *Loop) Stop() {
	if l == nil {
		return
	}
	l.cancel()
	<-l.done
}
