package rpcbench

import (
	"context"
	"net"
	"os"
	"reflect"
	"testing"
	"time"

	"github.com/cloudwego/kitex/pkg/klog"
)

func TestMain(m *testing.M) {
	klog.SetLevel(klog.LevelWarn)
	os.Exit(m.Run())
}

// serve starts t on a loopback port for the duration of the test.
func serve(tb testing.TB, t Transport, cfg ServerConfig) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- t.Serve(ctx, ln, cfg) }()
	tb.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				tb.Errorf("%s server: %v", t.Name(), err)
			}
		case <-time.After(10 * time.Second):
			tb.Errorf("%s server did not stop", t.Name())
		}
	})
	return ln.Addr().String()
}

func dial(tb testing.TB, t Transport, addr string, cfg ClientConfig) Client {
	tb.Helper()
	c, err := t.Dial(addr, cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	return c
}

// TestTransportsAnswerTheFixture proves each transport carries the whole
// CreateOrder answer, and that one tiny sweep point runs without errors.
// It asserts correctness only, never timing.
func TestTransportsAnswerTheFixture(t *testing.T) {
	for _, tr := range Transports() {
		t.Run(tr.Name(), func(t *testing.T) {
			addr := serve(t, tr, ServerConfig{})
			c := dial(t, tr, addr, ClientConfig{Concurrency: 4})
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()

			got, err := c.Fetch(ctx)
			if err != nil {
				t.Fatalf("fetch: %v", err)
			}
			if want := Response(); !reflect.DeepEqual(got, want) {
				t.Fatalf("answer differs\n got: %+v\nwant: %+v", got, want)
			}

			res, err := Run(ctx, c, Load{Concurrency: 4, Duration: time.Second, MaxRequests: 200})
			if err != nil {
				t.Fatal(err)
			}
			if res.Errors != 0 || res.Requests == 0 {
				t.Fatalf("sweep point: %d ok, %d errors (first: %s)", res.Requests, res.Errors, res.FirstError)
			}
			if res.P50 <= 0 || res.P50 > res.P99 || res.P99 > res.P999 || res.P999 > res.Max {
				t.Errorf("quantiles out of order: %+v", res)
			}
		})
	}
}

// TestHoldKeepsRequestsInFlight proves the memory probe's premise: a
// CallHeld request stays on the server for ServerConfig.Hold, a Call does
// not.
func TestHoldKeepsRequestsInFlight(t *testing.T) {
	const holdFor = 100 * time.Millisecond
	for _, tr := range Transports() {
		t.Run(tr.Name(), func(t *testing.T) {
			addr := serve(t, tr, ServerConfig{Hold: holdFor})
			c := dial(t, tr, addr, ClientConfig{Concurrency: 1})
			start := time.Now()
			if err := c.CallHeld(context.Background()); err != nil {
				t.Fatal(err)
			}
			if took := time.Since(start); took < holdFor {
				t.Errorf("held call returned after %v, want >= %v", took, holdFor)
			}
			start = time.Now()
			if err := c.Call(context.Background()); err != nil {
				t.Fatal(err)
			}
			if took := time.Since(start); took >= holdFor {
				t.Errorf("plain call took %v: it was held too", took)
			}
		})
	}
}

// TestServerRejectsAnotherRequest proves the server-side check works, so
// a transport that mangled requests could not pass the sweep.
func TestServerRejectsAnotherRequest(t *testing.T) {
	if _, err := checkRequest(want.userID+1, want.items, want.idemKey); err == nil {
		t.Error("a request for another user passed the check")
	}
	if _, err := checkRequest(want.userID, want.items-1, want.idemKey); err == nil {
		t.Error("a request missing an item passed the check")
	}
	if err := checkResponse(want.orderID, want.total, want.items, "another"); err == nil {
		t.Error("a response with another item name passed the check")
	}
}

func TestQuantileNearestRank(t *testing.T) {
	sorted := make([]time.Duration, 1000)
	for i := range sorted {
		sorted[i] = time.Duration(i + 1)
	}
	for _, tc := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 500}, {0.99, 990}, {0.999, 999}, {1, 1000}} {
		if got := quantile(sorted, tc.q); got != tc.want {
			t.Errorf("quantile(%v) = %v, want %v", tc.q, got, tc.want)
		}
	}
	if got := quantile(nil, 0.5); got != 0 {
		t.Errorf("quantile of nothing = %v", got)
	}
}

func TestProcReadsThisProcess(t *testing.T) {
	if _, err := ProcCPU(os.Getpid()); err != nil {
		t.Error(err)
	}
	rss, err := ProcRSS(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if rss < 1<<20 {
		t.Errorf("RSS of a Go test binary is %d bytes, want at least 1 MiB", rss)
	}
}
