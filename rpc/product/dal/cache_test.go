package dal

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kitemall/platform/kitex_gen/product"
	"github.com/kitemall/platform/pkg/observability"
	"github.com/kitemall/platform/rpc/product/service"
)

func cachedAt(id, version int64) service.CacheEntry {
	t := time.Date(2026, 3, 4, 5, 6, 7, 8e6, time.UTC)
	return service.CacheEntry{ID: id, Version: version, Product: &service.Product{
		ID: id, Name: "mug", Description: "blue", Category: "kitchen", PriceCents: 1299,
		Status: product.ProductStatus_ACTIVE, Available: 7, Reserved: 2, Sold: 1, Version: version,
		CreatedAt: t, UpdatedAt: t.Add(time.Second),
	}}
}

func TestCache_RoundTripKeepsEveryFieldAndCountsLookups(t *testing.T) {
	rdb, prefix := openRedis(t)
	reg := prometheus.NewRegistry()
	lookups, err := observability.NewCacheLookups(reg, "product")
	if err != nil {
		t.Fatal(err)
	}
	c := NewCache(rdb, prefix, DefaultCacheConfig(), lookups)
	want := cachedAt(1, 4)
	if err := c.Fill(t.Context(), []service.CacheEntry{want, {ID: 2}}); err != nil {
		t.Fatal(err)
	}
	got, err := c.Get(t.Context(), []int64{1, 2, 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("got %d entries, want 2 (3 was never cached)", len(got))
	}
	if *got[1].Product != *want.Product || got[1].Version != 4 {
		t.Fatalf("entry = %+v, want %+v", got[1].Product, want.Product)
	}
	if got[2].Product != nil || got[2].Version != 0 {
		t.Fatalf("absence = %+v, want no product at version 0", got[2])
	}
	// A remembered absence is a hit: it spared the database a read.
	for result, want := range map[string]float64{observability.CacheHit: 2, observability.CacheMiss: 1, observability.CacheError: 0} {
		if got := lookupsOf(t, reg, result); got != want {
			t.Errorf("cache_lookups_total{result=%q} = %v, want %v", result, got, want)
		}
	}
}

// lookupsOf returns the product cache's count of result in reg.
func lookupsOf(t *testing.T, reg *prometheus.Registry, result string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if f.GetName() == "cache_lookups_total" && labels["cache"] == "product" && labels["result"] == result {
				return m.GetCounter().GetValue()
			}
		}
	}
	t.Fatalf("no cache_lookups_total{cache=product,result=%s}", result)
	return 0
}

// The race this guards: a reader loads version 3, a writer commits version
// 4 and invalidates, then the reader's fill arrives. It must be refused.
func TestCache_FillNeverReplacesNewerData(t *testing.T) {
	type op struct {
		invalidate bool
		version    int64 // 0 with !invalidate: an absence
	}
	cases := []struct {
		name        string
		before      []op
		fill        op
		wantVersion int64 // -1: no entry
	}{
		{"fill into an empty key is stored", nil, op{version: 3}, 3},
		{"fill older than an invalidation is refused", []op{{true, 4}}, op{version: 3}, -1},
		{"fill at the invalidated version is stored", []op{{true, 4}}, op{version: 4}, 4},
		{"fill older than the entry is refused", []op{{false, 5}}, op{version: 4}, 5},
		{"newer fill replaces the entry", []op{{false, 5}}, op{version: 6}, 6},
		{"absence after a create's invalidation is refused", []op{{true, 1}}, op{version: 0}, -1},
		{"invalidation older than the entry is ignored", []op{{false, 5}, {true, 4}}, op{version: 4}, 5},
		{"invalidation drops the entry", []op{{false, 5}, {true, 6}}, op{invalidate: true, version: 6}, -1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rdb, prefix := openRedis(t)
			c := NewCache(rdb, prefix, DefaultCacheConfig(), nil)
			apply := func(o op) {
				t.Helper()
				var err error
				switch {
				case o.invalidate:
					err = c.Invalidate(t.Context(), []service.RowVersion{{ID: 1, Version: o.version}})
				case o.version == 0:
					err = c.Fill(t.Context(), []service.CacheEntry{{ID: 1}})
				default:
					err = c.Fill(t.Context(), []service.CacheEntry{cachedAt(1, o.version)})
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			for _, o := range tc.before {
				apply(o)
			}
			apply(tc.fill)
			got, err := c.Get(t.Context(), []int64{1})
			if err != nil {
				t.Fatal(err)
			}
			e, ok := got[1]
			switch {
			case tc.wantVersion < 0 && ok:
				t.Fatalf("entry at version %d, want none", e.Version)
			case tc.wantVersion >= 0 && (!ok || e.Version != tc.wantVersion):
				t.Fatalf("entry = %+v (present %v), want version %d", e, ok, tc.wantVersion)
			}
		})
	}
}

func TestCache_TTLsAreJitteredWithinBounds(t *testing.T) {
	rdb, prefix := openRedis(t)
	cfg := CacheConfig{TTL: 10 * time.Second, NegativeTTL: 2 * time.Second, InvalidationTTL: 5 * time.Second, Jitter: 0.1, LoadTimeout: time.Second}
	c := NewCache(rdb, prefix, cfg, nil)
	var entries []service.CacheEntry
	for id := int64(1); id <= 20; id++ {
		entries = append(entries, cachedAt(id, 1), service.CacheEntry{ID: 100 + id})
	}
	if err := c.Fill(t.Context(), entries); err != nil {
		t.Fatal(err)
	}
	if err := c.Invalidate(t.Context(), []service.RowVersion{{ID: 500, Version: 1}}); err != nil {
		t.Fatal(err)
	}
	check := func(ids []int64, base time.Duration, wantSpread bool) {
		t.Helper()
		seen := map[time.Duration]bool{}
		for _, id := range ids {
			ttl, err := rdb.PTTL(t.Context(), c.key(id)).Result()
			if err != nil {
				t.Fatal(err)
			}
			// Allow for the time spent since the write.
			if ttl < base*9/10-time.Second || ttl > base*11/10 {
				t.Fatalf("key %d TTL %v outside %v ±10%%", id, ttl, base)
			}
			seen[ttl/time.Millisecond] = true
		}
		if wantSpread && len(seen) < len(ids)/2 {
			t.Fatalf("only %d distinct TTLs among %d keys: not jittered", len(seen), len(ids))
		}
	}
	var present, absentIDs []int64
	for id := int64(1); id <= 20; id++ {
		present, absentIDs = append(present, id), append(absentIDs, 100+id)
	}
	check(present, cfg.TTL, true)
	check(absentIDs, cfg.NegativeTTL, true)
	check([]int64{500}, cfg.InvalidationTTL, false)
}

func TestCache_AbsenceExpiresAfterNegativeTTL(t *testing.T) {
	rdb, prefix := openRedis(t)
	cfg := DefaultCacheConfig()
	cfg.NegativeTTL = 200 * time.Millisecond
	c := NewCache(rdb, prefix, cfg, nil)
	if err := c.Fill(t.Context(), []service.CacheEntry{{ID: 9}}); err != nil {
		t.Fatal(err)
	}
	if got, err := c.Get(t.Context(), []int64{9}); err != nil || len(got) != 1 {
		t.Fatalf("right after fill: %v, %v; want the absence", got, err)
	}
	time.Sleep(300 * time.Millisecond)
	if got, err := c.Get(t.Context(), []int64{9}); err != nil || len(got) != 0 {
		t.Fatalf("after the negative TTL: %v, %v; want a miss", got, err)
	}
}

func TestCache_CorruptValueIsReportedThenRepairedByFill(t *testing.T) {
	rdb, prefix := openRedis(t)
	c := NewCache(rdb, prefix, DefaultCacheConfig(), nil)
	if err := rdb.Set(t.Context(), c.key(1), "not a cache value", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Get(t.Context(), []int64{1}); err == nil {
		t.Fatal("a corrupt value was not reported")
	}
	if err := c.Fill(t.Context(), []service.CacheEntry{cachedAt(1, 2)}); err != nil {
		t.Fatal(err)
	}
	if got, err := c.Get(t.Context(), []int64{1}); err != nil || got[1].Version != 2 {
		t.Fatalf("after fill: %v, %v; want version 2", got, err)
	}
}

func TestCacheConfig_ValidateNamesTheBadKey(t *testing.T) {
	cases := []struct {
		name string
		edit func(c *CacheConfig)
		want string
	}{
		{"defaults are valid", func(*CacheConfig) {}, ""},
		{"zero ttl", func(c *CacheConfig) { c.TTL = 0 }, "cache.ttl"},
		{"zero negative ttl", func(c *CacheConfig) { c.NegativeTTL = 0 }, "cache.negative_ttl"},
		{"jitter of 1", func(c *CacheConfig) { c.Jitter = 1 }, "cache.jitter"},
		{"zero load timeout", func(c *CacheConfig) { c.LoadTimeout = 0 }, "cache.load_timeout"},
		{"invalidation shorter than a load", func(c *CacheConfig) { c.InvalidationTTL = c.LoadTimeout }, "cache.invalidation_ttl"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultCacheConfig()
			tc.edit(&c)
			err := c.Validate("cache")
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to start with %s", err, tc.want)
			}
		})
	}
}
