// Package ratelimit keeps one token bucket per key (a client IP, a user) in
// a bounded map: idle buckets are evicted, and when the map is full the least
// recently used one goes, so a flood of distinct keys cannot grow memory.
package ratelimit

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Limiter is a set of token buckets sharing one rate and burst.
type Limiter struct {
	limit   rate.Limit
	burst   int
	maxKeys int
	idleTTL time.Duration
	now     func() time.Time

	mu        sync.Mutex
	buckets   map[string]*bucket
	lastSweep time.Time
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

// New returns a Limiter refilling rps tokens per second up to burst per
// key, keeping at most maxKeys buckets and dropping those unused for
// idleTTL. now is the clock (time.Now outside tests).
func New(rps float64, burst, maxKeys int, idleTTL time.Duration, now func() time.Time) *Limiter {
	return &Limiter{
		limit:     rate.Limit(rps),
		burst:     burst,
		maxKeys:   maxKeys,
		idleTTL:   idleTTL,
		now:       now,
		buckets:   make(map[string]*bucket),
		lastSweep: now(),
	}
}

// Allow takes a token from key's bucket. When the bucket is empty it takes
// nothing and returns how long until a token is available.
func (l *Limiter) Allow(key string) (bool, time.Duration) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.lastSweep) >= l.idleTTL {
		l.sweep(now)
	}
	b, ok := l.buckets[key]
	if !ok {
		l.makeRoom(now)
		b = &bucket{lim: rate.NewLimiter(l.limit, l.burst)}
		l.buckets[key] = b
	}
	b.seen = now
	r := b.lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		// Give the token back: a rejected request must not push the next
		// allowed one further away.
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// Len returns the number of buckets held.
func (l *Limiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}

// sweep drops buckets idle for idleTTL; such a bucket is full again, so
// forgetting it changes no decision.
func (l *Limiter) sweep(now time.Time) {
	for k, b := range l.buckets {
		if now.Sub(b.seen) >= l.idleTTL {
			delete(l.buckets, k)
		}
	}
	l.lastSweep = now
}

// makeRoom ensures one more bucket fits, evicting idle buckets first and
// then the least recently used one.
func (l *Limiter) makeRoom(now time.Time) {
	if len(l.buckets) < l.maxKeys {
		return
	}
	l.sweep(now)
	for len(l.buckets) >= l.maxKeys {
		var (
			oldestKey string
			oldest    time.Time
			found     bool
		)
		for k, b := range l.buckets {
			if !found || b.seen.Before(oldest) {
				oldestKey, oldest, found = k, b.seen, true
			}
		}
		delete(l.buckets, oldestKey)
	}
}
