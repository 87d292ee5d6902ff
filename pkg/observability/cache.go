package observability

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// Results of a cache lookup, the values of cache_lookups_total's result.
const (
	CacheHit    = "hit"    // answered from the cache (a remembered absence too)
	CacheMiss   = "miss"   // not in the cache: read from the source
	CacheError  = "error"  // the cache failed: read from the source
	CacheBypass = "bypass" // the caller asked to skip the cache
)

// CacheLookups counts one cache's lookups in
// cache_lookups_total{cache, result}, the series the dashboard's hit ratio
// is drawn from. A nil *CacheLookups counts nothing.
type CacheLookups struct {
	byResult map[string]prometheus.Counter
}

// NewCacheLookups returns the counters of the cache named cache on reg.
// Several caches of one process share the metric.
func NewCacheLookups(reg prometheus.Registerer, cache string) (*CacheLookups, error) {
	vec := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "cache_lookups_total",
		Help: "Cache lookups by cache and result: hit, miss (read from the source), error (the cache failed; read from the source) or bypass (the caller skipped the cache).",
	}, []string{"cache", "result"})
	if err := reg.Register(vec); err != nil {
		var are prometheus.AlreadyRegisteredError
		if !errors.As(err, &are) {
			return nil, err
		}
		vec = are.ExistingCollector.(*prometheus.CounterVec)
	}
	c := &CacheLookups{byResult: map[string]prometheus.Counter{}}
	// Every result exists from the start, so a ratio has its series at 0.
	for _, r := range []string{CacheHit, CacheMiss, CacheError, CacheBypass} {
		c.byResult[r] = vec.WithLabelValues(cache, r)
	}
	return c, nil
}

// Add counts n lookups with result.
func (c *CacheLookups) Add(result string, n int) {
	if c == nil || n <= 0 {
		return
	}
	c.byResult[result].Add(float64(n))
}
