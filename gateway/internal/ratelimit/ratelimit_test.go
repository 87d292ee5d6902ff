package ratelimit

import (
	"fmt"
	"testing"
	"time"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }

func newClock() *clock { return &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }

func TestBurstThenRejectThenRecover(t *testing.T) {
	clk := newClock()
	l := New(2, 5, 100, time.Minute, clk.now)
	for i := range 5 {
		if ok, _ := l.Allow("ip:1"); !ok {
			t.Fatalf("request %d of the burst was rejected", i+1)
		}
	}
	ok, wait := l.Allow("ip:1")
	if ok {
		t.Fatal("request over the burst was allowed")
	}
	if wait <= 0 || wait > 500*time.Millisecond {
		t.Fatalf("retry after %v, want (0, 500ms] at 2 rps", wait)
	}
	// Rejections do not consume tokens: after the announced wait one
	// request passes, however many were rejected meanwhile.
	for range 10 {
		l.Allow("ip:1")
	}
	clk.advance(wait)
	if ok, _ := l.Allow("ip:1"); !ok {
		t.Fatal("request after the announced wait was rejected")
	}
	if ok, _ := l.Allow("ip:1"); ok {
		t.Fatal("a second request right after the refill was allowed")
	}
}

func TestKeysHaveSeparateBuckets(t *testing.T) {
	clk := newClock()
	l := New(1, 1, 100, time.Minute, clk.now)
	if ok, _ := l.Allow("user:1"); !ok {
		t.Fatal("user 1 rejected")
	}
	if ok, _ := l.Allow("user:1"); ok {
		t.Fatal("user 1 allowed over its burst")
	}
	if ok, _ := l.Allow("user:2"); !ok {
		t.Fatal("user 2 was limited by user 1's bucket")
	}
}

func TestMapStaysBounded(t *testing.T) {
	tests := []struct {
		name string
		// gap is the time between two new keys.
		gap     time.Duration
		maxKeys int
	}{
		{"a flood of fresh keys evicts the least recently used", time.Millisecond, 10},
		{"idle keys are swept", time.Second, 1000},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clk := newClock()
			l := New(1, 1, tc.maxKeys, 5*time.Second, clk.now)
			for i := range 5000 {
				l.Allow(fmt.Sprintf("ip:%d", i))
				clk.advance(tc.gap)
				if n := l.Len(); n > tc.maxKeys {
					t.Fatalf("%d buckets after %d keys, want at most %d", n, i+1, tc.maxKeys)
				}
			}
			// Sweeps run once per TTL, so an idle bucket lives at most two
			// TTLs: ten keys at one new key per second.
			if tc.gap == time.Second && l.Len() > 10 {
				t.Fatalf("%d buckets kept with a 5 s idle TTL and one key per second", l.Len())
			}
		})
	}
}

func TestEvictionKeepsTheActiveKey(t *testing.T) {
	clk := newClock()
	l := New(1, 1, 3, time.Hour, clk.now)
	l.Allow("hot")
	for i := range 10 {
		clk.advance(time.Millisecond)
		// "hot" is used again before every new key, so it is never the
		// least recently used and its empty bucket must survive.
		if ok, _ := l.Allow("hot"); ok {
			t.Fatalf("hot key got a token on round %d: its bucket was evicted and refilled", i)
		}
		l.Allow(fmt.Sprintf("cold:%d", i))
	}
}
