package app_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/kitemall/platform/kitex_gen/base"
	"github.com/kitemall/platform/kitex_gen/product"
	"github.com/kitemall/platform/pkg/errs"
	"github.com/kitemall/platform/pkg/redisx"
	"github.com/kitemall/platform/rpc/product/app"
)

// cacheValue returns the raw cache value of a product ID ("" when absent).
func cacheValue(t *testing.T, cfg redisx.Config, id int64) string {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: cfg.Addr})
	defer rdb.Close()
	v, err := rdb.Get(t.Context(), cfg.KeyPrefix+"v1:"+strconv.FormatInt(id, 10)).Result()
	if err == redis.Nil {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestGetProduct_EveryWriteIsVisibleOnTheNextRead(t *testing.T) {
	s := newStack(t)
	c := startOne(t, s, nil)
	p := create(t, c, "fresh", 10)

	get := func() *product.Product {
		t.Helper()
		resp, err := c.GetProduct(t.Context(), &product.GetProductRequest{ProductId: p.ProductId})
		if err != nil {
			t.Fatal(err)
		}
		return resp.Product
	}
	batch := func() *product.Product {
		t.Helper()
		resp, err := c.BatchGetProducts(t.Context(), &product.BatchGetProductsRequest{ProductIds: []int64{p.ProductId}})
		if err != nil || len(resp.Products) != 1 {
			t.Fatalf("batch get: %v, %v", resp, err)
		}
		return resp.Products[0]
	}
	get()
	if v := cacheValue(t, s.redis, p.ProductId); v == "" {
		t.Fatal("a read did not fill the cache")
	}

	price := int64(777)
	steps := []struct {
		name      string
		write     func() error
		wantPrice int64
		wantStock int64
	}{
		{"price change", func() error {
			_, err := c.UpdateProduct(t.Context(), &product.UpdateProductRequest{ProductId: p.ProductId, PriceCents: &price})
			return err
		}, 777, 10},
		{"reservation", func() error {
			_, err := c.ReserveStock(t.Context(), &product.ReserveStockRequest{OrderId: 5, Items: []*product.StockItem{{ProductId: p.ProductId, Quantity: 4}}})
			return err
		}, 777, 6},
		{"release", func() error {
			_, err := c.ReleaseStock(t.Context(), &product.ReleaseStockRequest{OrderId: 5})
			return err
		}, 777, 10},
		{"restock", func() error {
			add := int64(5)
			_, err := c.UpdateProduct(t.Context(), &product.UpdateProductRequest{ProductId: p.ProductId, AddStock: &add})
			return err
		}, 777, 15},
	}
	for _, st := range steps {
		// Both read paths hold a cached copy before the write.
		get()
		batch()
		if err := st.write(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		for name, read := range map[string]func() *product.Product{"GetProduct": get, "BatchGetProducts": batch} {
			if got := read(); got.PriceCents != st.wantPrice || got.Stock != st.wantStock {
				t.Fatalf("after %s, %s shows price %d stock %d; want %d and %d", st.name, name, got.PriceCents, got.Stock, st.wantPrice, st.wantStock)
			}
		}
	}
}

func TestGetProduct_MissingIDIsCachedBrieflyAndACreateReplacesIt(t *testing.T) {
	s := newStack(t)
	c := startOne(t, s, nil)
	// The database is fresh, so the first product will get ID 1.
	if _, err := c.GetProduct(t.Context(), &product.GetProductRequest{ProductId: 1}); !errs.Is(err, base.ErrorCode_NOT_FOUND) {
		t.Fatalf("before create: err = %v, want NOT_FOUND", err)
	}
	if v := cacheValue(t, s.redis, 1); v != "0|-" {
		t.Fatalf("cache holds %q for the missing ID, want the absence marker", v)
	}
	rdb := redis.NewClient(&redis.Options{Addr: s.redis.Addr})
	defer rdb.Close()
	ttl, err := rdb.PTTL(t.Context(), s.redis.KeyPrefix+"v1:1").Result()
	if err != nil {
		t.Fatal(err)
	}
	if maxTTL := app.DefaultConfig().Cache.NegativeTTL * 11 / 10; ttl <= 0 || ttl > maxTTL {
		t.Fatalf("absence TTL = %v, want a short one, at most %v", ttl, maxTTL)
	}

	p := create(t, c, "late", 3)
	if p.ProductId != 1 {
		t.Fatalf("created ID %d, want 1", p.ProductId)
	}
	resp, err := c.GetProduct(t.Context(), &product.GetProductRequest{ProductId: 1})
	if err != nil {
		t.Fatalf("right after create, within the negative TTL: %v", err)
	}
	if resp.Product.Name != "late" || resp.Product.Stock != 3 {
		t.Fatalf("product = %+v", resp.Product)
	}
	batch, err := c.BatchGetProducts(t.Context(), &product.BatchGetProductsRequest{ProductIds: []int64{1, 2}})
	if err != nil || len(batch.Products) != 1 || batch.Products[0].ProductId != 1 {
		t.Fatalf("batch get [1 2] = %v, %v; want only product 1", batch, err)
	}
}

func TestGetProduct_ReadsKeepWorkingWhenRedisDies(t *testing.T) {
	s := newStack(t)
	redisAddr, killRedis := privateRedis(t)
	c := startOne(t, s, func(cfg *app.Config) { cfg.Redis.Addr = redisAddr })
	p := create(t, c, "resilient", 10)
	if got := stockOf(t, c, p.ProductId); got != 10 {
		t.Fatalf("stock = %d", got)
	}
	private := s.redis
	private.Addr = redisAddr
	if cacheValue(t, private, p.ProductId) == "" {
		t.Fatal("the private Redis was not used as the cache")
	}

	killRedis()

	began := time.Now()
	if got := stockOf(t, c, p.ProductId); got != 10 {
		t.Fatalf("stock with Redis dead = %d, want 10", got)
	}
	t.Logf("first GetProduct with Redis dead took %v", time.Since(began))
	// Writes still work, and reads see them straight from the database.
	if _, err := c.ReserveStock(t.Context(), &product.ReserveStockRequest{OrderId: 1, Items: []*product.StockItem{{ProductId: p.ProductId, Quantity: 3}}}); err != nil {
		t.Fatalf("reserve with Redis dead: %v", err)
	}
	began = time.Now()
	const reads = 20
	for range reads {
		if got := stockOf(t, c, p.ProductId); got != 7 {
			t.Fatalf("stock after reserve with Redis dead = %d, want 7", got)
		}
	}
	each := time.Since(began) / reads
	t.Logf("%d GetProduct calls with Redis dead: %v each", reads, each)
	// A read that waited on the dead cache would pay at least its timeout.
	if each >= s.redis.Timeout {
		t.Fatalf("reads with Redis dead take %v each, want well under the %v cache timeout", each, s.redis.Timeout)
	}
	batch, err := c.BatchGetProducts(t.Context(), &product.BatchGetProductsRequest{ProductIds: []int64{p.ProductId, 999}})
	if err != nil || len(batch.Products) != 1 || batch.Products[0].Stock != 7 {
		t.Fatalf("batch get with Redis dead = %v, %v", batch, err)
	}
	list, err := c.ListProducts(t.Context(), &product.ListProductsRequest{})
	if err != nil || list.Page.Total != 1 {
		t.Fatalf("list with Redis dead = %v, %v", list, err)
	}
	if _, err := c.GetProduct(t.Context(), &product.GetProductRequest{ProductId: 999}); !errs.Is(err, base.ErrorCode_NOT_FOUND) {
		t.Fatalf("missing ID with Redis dead: err = %v, want NOT_FOUND", err)
	}
}
