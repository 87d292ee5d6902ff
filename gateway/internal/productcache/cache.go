// Package productcache is the gateway's micro-cache of product reads.
//
// A product page is the same for every caller and read far more often than
// it changes, and each read that reaches the product service costs an RPC
// hop: keeping each product for about a second serves a hot product at the
// cost of one call per second per gateway. What this gateway changes itself
// (an update, an order or a cancel that moves stock) is forgotten at once,
// so a caller reads its own writes through the same gateway; anything else
// (another gateway, a timeout that released stock) shows within the TTL.
package productcache

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/singleflight"

	"github.com/kitemall/platform/kitex_gen/product"
	"github.com/kitemall/platform/pkg/observability"
)

// Config is the cache's part of the gateway config.
type Config struct {
	// TTL is how long a product is served from memory; 0 turns the cache off.
	TTL time.Duration `yaml:"ttl" env:"PRODUCT_CACHE_TTL"`
	// MaxEntries bounds the memory: when full (after dropping what has
	// expired), a new product is served but not kept.
	MaxEntries int `yaml:"max_entries"`
}

// LoadFunc reads a product from the product service.
type LoadFunc func(ctx context.Context, id int64) (*product.Product, error)

// Cache holds products by ID. A nil *Cache is valid and caches nothing.
type Cache struct {
	ttl time.Duration
	max int
	now func() time.Time

	mu      sync.Mutex
	entries map[int64]entry
	// gen counts Forget calls: a load that started before one may carry
	// what was just changed, so its result is served to its own callers
	// but not kept, and later readers do not join it.
	gen uint64

	loads   singleflight.Group
	lookups *observability.CacheLookups
}

type entry struct {
	p       *product.Product
	expires time.Time
}

// New returns the cache, or nil when cfg.TTL is 0. Its lookups are counted
// in cache_lookups_total{cache="gateway_product"}: hit, miss, or bypass
// (the caller sent Cache-Control: no-cache).
func New(cfg Config, reg prometheus.Registerer, now func() time.Time) (*Cache, error) {
	if cfg.TTL <= 0 {
		return nil, nil
	}
	lookups, err := observability.NewCacheLookups(reg, "gateway_product")
	if err != nil {
		return nil, err
	}
	return &Cache{ttl: cfg.TTL, max: cfg.MaxEntries, now: now, entries: make(map[int64]entry), lookups: lookups}, nil
}

// Get returns product id from memory, or loads it (one load per product at
// a time) and keeps it. fresh skips the memory, as HTTP's
// Cache-Control: no-cache asks, and keeps what it loads. Errors are not
// kept. The product returned is shared: callers must not modify it.
func (c *Cache) Get(ctx context.Context, id int64, fresh bool, load LoadFunc) (*product.Product, error) {
	if c == nil {
		return load(ctx, id)
	}
	c.mu.Lock()
	e, ok := c.entries[id]
	gen := c.gen
	c.mu.Unlock()
	now := c.now()
	switch {
	case fresh:
		c.lookups.Add(observability.CacheBypass, 1)
		return c.load(ctx, id, gen, load)
	case ok && now.Before(e.expires):
		c.lookups.Add(observability.CacheHit, 1)
		return e.p, nil
	}
	c.lookups.Add(observability.CacheMiss, 1)
	// Callers that arrive while a load of the same generation runs share
	// it. It keeps the first caller's trace but not its cancellation, so
	// one client hanging up fails no other; the client's RPC timeout
	// still bounds it.
	shared := context.WithoutCancel(ctx)
	v, err, _ := c.loads.Do(strconv.FormatInt(id, 10)+"/"+strconv.FormatUint(gen, 10), func() (any, error) {
		return c.load(shared, id, gen, load)
	})
	if err != nil {
		return nil, err
	}
	return v.(*product.Product), nil
}

func (c *Cache) load(ctx context.Context, id int64, gen uint64, load LoadFunc) (*product.Product, error) {
	p, err := load(ctx, id)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return p, nil
	}
	if len(c.entries) >= c.max {
		c.dropExpired()
	}
	if _, ok := c.entries[id]; ok || len(c.entries) < c.max {
		c.entries[id] = entry{p: p, expires: c.now().Add(c.ttl)}
	}
	return p, nil
}

// dropExpired removes every expired entry; c.mu is held.
func (c *Cache) dropExpired() {
	now := c.now()
	for id, e := range c.entries {
		if !now.Before(e.expires) {
			delete(c.entries, id)
		}
	}
}

// Forget drops the products whose stock or details this gateway has just
// changed, and keeps loads already running from storing what they read.
func (c *Cache) Forget(ids ...int64) {
	if c == nil || len(ids) == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	for _, id := range ids {
		delete(c.entries, id)
	}
}

// Len is the number of products kept, expired ones included until they are
// dropped.
func (c *Cache) Len() int {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}
