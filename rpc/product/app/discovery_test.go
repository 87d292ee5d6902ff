package app_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudwego/kitex/client"

	"github.com/kitemall/platform/kitex_gen/base"
	"github.com/kitemall/platform/kitex_gen/product"
	"github.com/kitemall/platform/kitex_gen/product/productservice"
	"github.com/kitemall/platform/pkg/kitexsuite"
	"github.com/kitemall/platform/pkg/testenv"
)

// streamTally counts a call stream's answers per phase and instance.
type streamTally struct {
	mu       sync.Mutex
	phase    int // 0: both up, 1: one stopping, 2: stopped
	answered [3]map[string]int
	calls    [3]int
	failures []string
}

func newStreamTally() *streamTally {
	return &streamTally{answered: [3]map[string]int{{}, {}, {}}}
}

func (s *streamTally) record(instance string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[s.phase]++
	if err != nil {
		s.failures = append(s.failures, fmt.Sprintf("phase %d: %v", s.phase, err))
		return
	}
	if instance != "" {
		s.answered[s.phase][instance]++
	}
}

func (s *streamTally) setPhase(p int) {
	s.mu.Lock()
	s.phase = p
	s.mu.Unlock()
}

func (s *streamTally) seen(phase int) map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.answered[phase]))
	for k, v := range s.answered[phase] {
		out[k] = v
	}
	return out
}

func TestDiscovery_GracefulStopOfOneInstanceLosesNoCalls(t *testing.T) {
	const workers = 4
	s := newStack(t)
	a := start(t, s.config(t))
	b := start(t, s.config(t))
	testenv.WaitInstances(t, s.etcd, s.service, 2)

	resolver, err := kitexsuite.NewResolver(kitexsuite.RegistryConfig{Endpoints: s.etcd})
	if err != nil {
		t.Fatal(err)
	}
	c, err := productservice.NewClient(s.service,
		client.WithSuite(kitexsuite.NewClientSuite("discovery-test", clientConfig(s.service), resolver, nil)))
	if err != nil {
		t.Fatal(err)
	}
	p := create(t, c, "discoverable", 5)

	// Workers stop between calls, never by cancelling one: every call
	// counts, and a failure is the system's, not the test's.
	tally := newStreamTally()
	var done atomic.Bool
	var wg sync.WaitGroup
	var wrong atomic.Int64
	for range workers {
		wg.Go(func() {
			for !done.Load() {
				resp, err := c.GetProduct(context.Background(), &product.GetProductRequest{ProductId: p.ProductId})
				if err == nil && resp.Product.Name != "discoverable" {
					wrong.Add(1)
				}
				tally.record("", err)
				ping, err := c.Ping(context.Background(), &base.PingRequest{})
				instance := ""
				if err == nil {
					instance = ping.Instance
				}
				tally.record(instance, err)
				time.Sleep(2 * time.Millisecond)
			}
		})
	}
	stopStream := func() {
		done.Store(true)
		wg.Wait()
	}
	defer stopStream()

	waitFor := func(what string, ok func() bool) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for !ok() {
			if time.Now().After(deadline) {
				stopStream()
				t.Fatalf("timed out waiting for %s; failures: %v", what, tally.failures)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitFor("both instances to answer", func() bool {
		seen := tally.seen(0)
		return seen[a.addr] >= 20 && seen[b.addr] >= 20
	})

	tally.setPhase(1)
	began := time.Now()
	if err := a.stop(); err != nil {
		t.Fatalf("graceful stop of %s: %v", a.addr, err)
	}
	stopTook := time.Since(began)
	tally.setPhase(2)
	waitFor("the stream to go on after the stop", func() bool { return tally.seen(2)[b.addr] >= 100 })
	stopStream()

	t.Logf("transport %s: stopped %s in %v, kept %s; calls before/during/after the stop %v; answered before %v, during %v, after %v",
		testenv.Transport(), a.addr, stopTook, b.addr, tally.calls, tally.seen(0), tally.seen(1), tally.seen(2))
	if len(tally.failures) > 0 {
		t.Fatalf("%d calls failed, first: %v", len(tally.failures), tally.failures[0])
	}
	if n := wrong.Load(); n > 0 {
		t.Fatalf("%d answers carried the wrong product", n)
	}
	if after := tally.seen(2); after[a.addr] != 0 {
		t.Fatalf("stopped instance %s answered %d calls after its stop returned", a.addr, after[a.addr])
	}
	testenv.WaitInstances(t, s.etcd, s.service, 1)
}
