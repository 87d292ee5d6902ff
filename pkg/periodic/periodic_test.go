package periodic

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

func TestLoopRunsAtItsIntervalAndStopCancelsTheRunningJob(t *testing.T) {
	var runs atomic.Int32
	started, cancelled := make(chan struct{}), make(chan struct{})
	l := Start(20*time.Millisecond, func(ctx context.Context) {
		if runs.Add(1) < 3 {
			return
		}
		close(started)
		<-ctx.Done()
		close(cancelled)
	})
	select {
	case <-started:
	case <-time.After(5 * time.Second):
		t.Fatalf("%d runs in 5 s at a 20 ms interval, want 3", runs.Load())
	}
	l.Stop()
	select {
	case <-cancelled:
	default:
		t.Fatal("Stop returned before the running job saw its context cancelled")
	}
	n := runs.Load()
	time.Sleep(60 * time.Millisecond)
	if runs.Load() != n {
		t.Fatal("the job ran again after Stop")
	}
	var stopped *Loop
	stopped.Stop()
}
