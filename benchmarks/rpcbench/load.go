package rpcbench

import (
	"context"
	"errors"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Caller makes one call of a closed loop: a Client, or any other
// request (the gateway benchmark's HTTP callers).
type Caller interface {
	Call(ctx context.Context) error
}

// Load is one point of the sweep: a closed loop of Concurrency callers,
// each making its next call as soon as the previous one returns.
type Load struct {
	Concurrency int
	// Warmup runs before measuring so connections, pools and caches exist.
	Warmup time.Duration
	// Duration bounds the measured phase in time, MaxRequests in count;
	// the phase ends at whichever comes first.
	Duration    time.Duration
	MaxRequests int64
	// OnStart and OnStop, if set, run as the measured phase starts and
	// ends, to snapshot process counters (CPU, RSS) around exactly it.
	OnStart, OnStop func()
}

// Result is what one point measured.
type Result struct {
	Requests   int64         `json:"requests"`
	Errors     int64         `json:"errors"`
	Elapsed    time.Duration `json:"elapsed_ns"`
	QPS        float64       `json:"qps"`
	P50        time.Duration `json:"p50_ns"`
	P99        time.Duration `json:"p99_ns"`
	P999       time.Duration `json:"p999_ns"`
	Max        time.Duration `json:"max_ns"`
	FirstError string        `json:"first_error,omitempty"`
}

const (
	phaseWarmup int32 = iota
	phaseMeasure
	phaseDone
)

// Run drives c with l and returns the measured phase's figures. It stops
// by itself: after Warmup+Duration, or MaxRequests measured calls, plus
// the time the last in-flight calls take (each bounded by its timeout).
func Run(ctx context.Context, c Caller, l Load) (Result, error) {
	if l.Concurrency < 1 || l.Duration <= 0 {
		return Result{}, errors.New("rpcbench: load needs Concurrency >= 1 and Duration > 0")
	}
	if l.MaxRequests <= 0 {
		l.MaxRequests = math.MaxInt64
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	var (
		phase    atomic.Int32
		measured atomic.Int64
		errCount atomic.Int64
		firstErr atomic.Value
		full     = make(chan struct{})
		fullOnce sync.Once
		wg       sync.WaitGroup
	)
	lats := make([][]time.Duration, l.Concurrency)
	for w := range l.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			own := make([]time.Duration, 0, 1024)
			for phase.Load() != phaseDone && ctx.Err() == nil {
				start := time.Now()
				err := c.Call(ctx)
				took := time.Since(start)
				if phase.Load() != phaseMeasure {
					continue
				}
				if err != nil {
					errCount.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				own = append(own, took)
				if measured.Add(1) >= l.MaxRequests {
					fullOnce.Do(func() { close(full) })
				}
			}
			lats[w] = own
		}()
	}

	wait(ctx, l.Warmup, nil)
	if l.OnStart != nil {
		l.OnStart()
	}
	start := time.Now()
	phase.Store(phaseMeasure)
	wait(ctx, l.Duration, full)
	phase.Store(phaseDone)
	elapsed := time.Since(start)
	if l.OnStop != nil {
		l.OnStop()
	}
	wg.Wait()

	all := slices.Concat(lats...)
	slices.Sort(all)
	res := Result{
		Requests: int64(len(all)),
		Errors:   errCount.Load(),
		Elapsed:  elapsed,
		QPS:      float64(len(all)) / elapsed.Seconds(),
		P50:      quantile(all, 0.50),
		P99:      quantile(all, 0.99),
		P999:     quantile(all, 0.999),
	}
	if len(all) > 0 {
		res.Max = all[len(all)-1]
	}
	if e, ok := firstErr.Load().(string); ok {
		res.FirstError = e
	}
	return res, ctx.Err()
}

func wait(ctx context.Context, d time.Duration, early <-chan struct{}) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-early:
	case <-ctx.Done():
	}
}

// quantile returns the q-quantile of sorted (nearest rank).
func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}
