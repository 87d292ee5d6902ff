package dal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/kitemall/platform/kitex_gen/product"
	"github.com/kitemall/platform/pkg/observability"
	"github.com/kitemall/platform/rpc/product/service"
)

// CacheConfig tunes the product cache.
type CacheConfig struct {
	// TTL bounds an entry's life, and so the staleness of an entry whose
	// invalidation was lost (Redis unreachable from the writer only).
	TTL time.Duration `yaml:"ttl"`
	// NegativeTTL is how long an absent ID is remembered.
	NegativeTTL time.Duration `yaml:"negative_ttl"`
	// InvalidationTTL is how long an invalidation is remembered. It must
	// outlast LoadTimeout, so a load that raced a write is still refused
	// when it finishes.
	InvalidationTTL time.Duration `yaml:"invalidation_ttl"`
	// Jitter spreads TTLs by ±Jitter (a fraction), so entries filled
	// together do not expire, and reload, together.
	Jitter float64 `yaml:"jitter"`
	// LoadTimeout bounds one database load shared by coalesced misses.
	LoadTimeout time.Duration `yaml:"load_timeout"`
}

// DefaultCacheConfig returns the production defaults.
func DefaultCacheConfig() CacheConfig {
	return CacheConfig{
		TTL: time.Minute, NegativeTTL: 5 * time.Second, InvalidationTTL: 30 * time.Second,
		Jitter: 0.1, LoadTimeout: 3 * time.Second,
	}
}

// Validate checks the config; key is the config key prefix for messages.
func (c CacheConfig) Validate(key string) error {
	switch {
	case c.TTL <= 0:
		return fmt.Errorf("%s.ttl: must be positive", key)
	case c.NegativeTTL <= 0:
		return fmt.Errorf("%s.negative_ttl: must be positive", key)
	case c.Jitter < 0 || c.Jitter >= 1:
		return fmt.Errorf("%s.jitter: must be in [0, 1)", key)
	case c.LoadTimeout <= 0:
		return fmt.Errorf("%s.load_timeout: must be positive", key)
	case c.InvalidationTTL <= c.LoadTimeout:
		return fmt.Errorf("%s.invalidation_ttl: must exceed load_timeout (%s)", key, c.LoadTimeout)
	}
	return nil
}

// Cache implements service.ProductCache on Redis (standalone or Sentinel:
// one script touches the keys of a whole batch). A value is
// "<version>|<payload>", where the payload is the product as JSON, "-" for
// an absent ID (version 0), or empty for an invalidation.
type Cache struct {
	rdb     *redis.Client
	prefix  string
	cfg     CacheConfig
	lookups *observability.CacheLookups
}

// NewCache returns the cache on rdb; keys start with prefix. Each ID looked
// up is counted in lookups (which may be nil).
func NewCache(rdb *redis.Client, prefix string, cfg CacheConfig, lookups *observability.CacheLookups) *Cache {
	return &Cache{rdb: rdb, prefix: prefix, cfg: cfg, lookups: lookups}
}

var _ service.ProductCache = (*Cache)(nil)

const absent = "-"

// setUnlessNewer writes ARGV[2i] with a TTL of ARGV[2i-1] ms to KEYS[i],
// unless KEYS[i] holds a newer version. Check and write are one atomic step.
var setUnlessNewer = redis.NewScript(`
local written = 0
for i, key in ipairs(KEYS) do
  local value = ARGV[2 * i]
  local version = tonumber(string.match(value, '^(%d+)|'))
  local current = redis.call('GET', key)
  local held = current and string.match(current, '^(%d+)|')
  if not held or tonumber(held) <= version then
    redis.call('SET', key, value, 'PX', ARGV[2 * i - 1])
    written = written + 1
  end
end
return written
`)

// cachedProduct is the stored form; it changes only with the key's "v1".
type cachedProduct struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Category    string `json:"category"`
	PriceCents  int64  `json:"price_cents"`
	Status      int64  `json:"status"`
	Available   int64  `json:"available"`
	Reserved    int64  `json:"reserved"`
	Sold        int64  `json:"sold"`
	CreatedAtMs int64  `json:"created_at_ms"`
	UpdatedAtMs int64  `json:"updated_at_ms"`
}

func (c *Cache) key(id int64) string { return c.prefix + "v1:" + strconv.FormatInt(id, 10) }

// Get implements service.ProductCache.
func (c *Cache) Get(ctx context.Context, ids []int64) (map[int64]service.CacheEntry, error) {
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = c.key(id)
	}
	vals, err := c.rdb.MGet(ctx, keys...).Result()
	if err != nil {
		c.lookups.Add(observability.CacheError, len(ids))
		return nil, fmt.Errorf("mget %d product keys: %w", len(keys), err)
	}
	out := make(map[int64]service.CacheEntry, len(ids))
	for i, v := range vals {
		s, ok := v.(string)
		if !ok {
			continue
		}
		e, ok, err := decode(ids[i], s)
		if err != nil {
			c.lookups.Add(observability.CacheError, len(ids))
			return nil, fmt.Errorf("decode %s: %w", keys[i], err)
		}
		if ok {
			out[ids[i]] = e
		}
	}
	c.lookups.Add(observability.CacheHit, len(out))
	c.lookups.Add(observability.CacheMiss, len(ids)-len(out))
	return out, nil
}

// Fill implements service.ProductCache.
func (c *Cache) Fill(ctx context.Context, entries []service.CacheEntry) error {
	keys := make([]string, len(entries))
	args := make([]any, 0, 2*len(entries))
	for i, e := range entries {
		keys[i] = c.key(e.ID)
		if e.Product == nil {
			args = append(args, c.ttl(c.cfg.NegativeTTL), "0|"+absent)
			continue
		}
		body, err := json.Marshal(encode(e.Product))
		if err != nil {
			return fmt.Errorf("encode product %d: %w", e.ID, err)
		}
		args = append(args, c.ttl(c.cfg.TTL), strconv.FormatInt(e.Version, 10)+"|"+string(body))
	}
	return c.setUnlessNewer(ctx, keys, args)
}

// Invalidate implements service.ProductCache.
func (c *Cache) Invalidate(ctx context.Context, rows []service.RowVersion) error {
	keys := make([]string, len(rows))
	args := make([]any, 0, 2*len(rows))
	for i, r := range rows {
		keys[i] = c.key(r.ID)
		args = append(args, c.cfg.InvalidationTTL.Milliseconds(), strconv.FormatInt(r.Version, 10)+"|")
	}
	return c.setUnlessNewer(ctx, keys, args)
}

func (c *Cache) setUnlessNewer(ctx context.Context, keys []string, args []any) error {
	if len(keys) == 0 {
		return nil
	}
	if err := setUnlessNewer.Run(ctx, c.rdb, keys, args...).Err(); err != nil {
		return fmt.Errorf("write %d product keys: %w", len(keys), err)
	}
	return nil
}

// ttl returns d spread by ±Jitter, in milliseconds.
func (c *Cache) ttl(d time.Duration) int64 {
	spread := 1 + c.cfg.Jitter*(2*rand.Float64()-1)
	return max(1, int64(float64(d.Milliseconds())*spread))
}

// decode parses a stored value; ok is false for an invalidation.
func decode(id int64, s string) (e service.CacheEntry, ok bool, err error) {
	head, payload, found := strings.Cut(s, "|")
	if !found {
		return e, false, errors.New("no version separator")
	}
	version, err := strconv.ParseInt(head, 10, 64)
	if err != nil {
		return e, false, fmt.Errorf("version %q: %w", head, err)
	}
	switch payload {
	case "":
		return e, false, nil
	case absent:
		return service.CacheEntry{ID: id}, true, nil
	}
	var cp cachedProduct
	if err := json.Unmarshal([]byte(payload), &cp); err != nil {
		return e, false, fmt.Errorf("product json: %w", err)
	}
	p := &service.Product{
		ID: cp.ID, Name: cp.Name, Description: cp.Description, Category: cp.Category,
		PriceCents: cp.PriceCents, Status: product.ProductStatus(cp.Status),
		Available: cp.Available, Reserved: cp.Reserved, Sold: cp.Sold, Version: version,
		CreatedAt: time.UnixMilli(cp.CreatedAtMs).UTC(), UpdatedAt: time.UnixMilli(cp.UpdatedAtMs).UTC(),
	}
	return service.CacheEntry{ID: id, Version: version, Product: p}, true, nil
}

func encode(p *service.Product) cachedProduct {
	return cachedProduct{
		ID: p.ID, Name: p.Name, Description: p.Description, Category: p.Category,
		PriceCents: p.PriceCents, Status: int64(p.Status),
		Available: p.Available, Reserved: p.Reserved, Sold: p.Sold,
		CreatedAtMs: p.CreatedAt.UnixMilli(), UpdatedAtMs: p.UpdatedAt.UnixMilli(),
	}
}
