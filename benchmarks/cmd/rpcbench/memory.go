package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/kitemall/platform/benchmarks/rpcbench"
)

// settle is how long the probe waits after a step before reading RSS, so
// the server has finished the work the step caused.
const settle = 500 * time.Millisecond

func runMemoryProbes(ctx context.Context, self string, cfg sweepConfig, report *rpcbench.Report) error {
	for i, t := range cfg.memTransports {
		fmt.Printf("[mem %d/%d] %s: %d idle connections, then a request held on each, then %d held from one client\n",
			i+1, len(cfg.memTransports), t.label, cfg.memConns, cfg.memConns)
		p, err := probeMemory(ctx, self, cfg, t)
		if err != nil {
			return fmt.Errorf("memory probe %s: %w", t.label, err)
		}
		report.Memory = append(report.Memory, p)
		fmt.Printf("    per connection %.1f KiB, per request in flight %.1f KiB; one client, %d connections: %.1f KiB per request in flight\n",
			p.PerConn/1024, p.PerInflight/1024, p.SharedConns, p.SharedPerReq/1024)
	}
	return nil
}

// probeMemory measures, on fresh server processes, the RSS that idle
// connections and requests in flight add. RSS only grows back slowly after
// Go frees memory, so each step adds load on top of the previous one and
// the second question gets its own server.
func probeMemory(ctx context.Context, self string, cfg sweepConfig, t variant) (rpcbench.MemoryProbe, error) {
	n := cfg.memConns
	p := rpcbench.MemoryProbe{Transport: t.label, Conns: n}
	t.setClientProcs()

	// 1. N clients with one connection each, idle; then one held request
	// on every connection.
	err := withServer(self, cfg, t, func(srv *server) error {
		var err error
		if p.BaseRSS, err = warmBase(ctx, t, srv); err != nil {
			return err
		}
		clients := make([]rpcbench.Client, 0, n)
		defer func() {
			for _, c := range clients {
				c.Close()
			}
		}()
		for range n {
			c, err := t.Dial(srv.addr, rpcbench.ClientConfig{Concurrency: 1})
			if err != nil {
				return err
			}
			clients = append(clients, c)
			if err := c.Call(ctx); err != nil {
				return err
			}
		}
		waitUntil(ctx, settle)
		if p.ConnsRSS, err = rpcbench.ProcRSS(srv.pid()); err != nil {
			return err
		}
		p.InflightRSS, _, err = holdAll(ctx, srv.pid(), cfg.memHold, n, func(i int) error {
			return clients[i].CallHeld(ctx)
		})
		return err
	})
	if err != nil {
		return p, err
	}
	p.PerConn = float64(p.ConnsRSS-p.BaseRSS) / float64(n)
	p.PerInflight = float64(p.InflightRSS-p.ConnsRSS) / float64(n)

	// 2. N held requests from one client configured as users configure it:
	// the pool opens a connection per request, mux and gRPC share one.
	err = withServer(self, cfg, t, func(srv *server) error {
		var err error
		if p.SharedBaseRSS, err = warmBase(ctx, t, srv); err != nil {
			return err
		}
		c, err := t.Dial(srv.addr, rpcbench.ClientConfig{Concurrency: n})
		if err != nil {
			return err
		}
		defer c.Close()
		var sockets int
		p.SharedRSS, sockets, err = holdAll(ctx, srv.pid(), cfg.memHold, n, func(int) error {
			return c.CallHeld(ctx)
		})
		p.SharedConns = sockets - 1 // the listener
		return err
	})
	p.SharedPerReq = float64(p.SharedRSS-p.SharedBaseRSS) / float64(n)
	return p, err
}

func withServer(self string, cfg sweepConfig, t variant, f func(*server) error) error {
	srv, err := startServer(self, cfg.serverCPU, t, cfg.memHold, "")
	if err != nil {
		return err
	}
	err = f(srv)
	return errors.Join(err, srv.stop())
}

// warmBase makes one call, so code paths and pools the first call sets up
// are in the baseline, and returns the server's RSS once it is idle again.
func warmBase(ctx context.Context, t rpcbench.Transport, srv *server) (int64, error) {
	c, err := t.Dial(srv.addr, rpcbench.ClientConfig{Concurrency: 1})
	if err != nil {
		return 0, err
	}
	err = c.Call(ctx)
	c.Close()
	if err != nil {
		return 0, err
	}
	waitUntil(ctx, settle)
	return rpcbench.ProcRSS(srv.pid())
}

// holdAll starts n held calls at once and returns the server's peak RSS
// and socket count while they are all in flight: sampled from 40% to 90%
// of the hold, after every call has arrived and before any returns.
func holdAll(ctx context.Context, pid int, hold time.Duration, n int, call func(i int) error) (int64, int, error) {
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	start := time.Now()
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := call(i); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		}()
	}
	waitUntil(ctx, time.Until(start.Add(hold*4/10)))
	var peakRSS int64
	var peakSockets int
	for time.Since(start) < hold*9/10 && ctx.Err() == nil {
		rss, err := rpcbench.ProcRSS(pid)
		if err != nil {
			return 0, 0, err
		}
		sockets, err := rpcbench.ProcSockets(pid)
		if err != nil {
			return 0, 0, err
		}
		peakRSS, peakSockets = max(peakRSS, rss), max(peakSockets, sockets)
		waitUntil(ctx, 50*time.Millisecond)
	}
	wg.Wait()
	if len(errs) > 0 {
		return 0, 0, fmt.Errorf("%d of %d held calls failed, first: %w", len(errs), n, errs[0])
	}
	return peakRSS, peakSockets, nil
}
