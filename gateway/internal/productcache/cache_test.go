package productcache

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kitemall/platform/kitex_gen/product"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// backend counts loads and answers each with the stock it holds now.
type backend struct {
	loads atomic.Int64
	stock atomic.Int64
}

func (b *backend) load(_ context.Context, id int64) (*product.Product, error) {
	b.loads.Add(1)
	return &product.Product{ProductId: id, Stock: b.stock.Load()}, nil
}

func newCache(t *testing.T, max int) (*Cache, *clock) {
	t.Helper()
	clk := &clock{t: time.Unix(1_700_000_000, 0)}
	c, err := New(Config{TTL: time.Second, MaxEntries: max}, prometheus.NewRegistry(), clk.now)
	if err != nil {
		t.Fatal(err)
	}
	return c, clk
}

func TestConcurrentMissesShareOneLoad(t *testing.T) {
	c, _ := newCache(t, 10)
	release := make(chan struct{})
	var loads atomic.Int64
	load := func(_ context.Context, id int64) (*product.Product, error) {
		loads.Add(1)
		<-release
		return &product.Product{ProductId: id}, nil
	}
	const callers = 20
	var wg sync.WaitGroup
	got := make([]*product.Product, callers)
	for i := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p, err := c.Get(context.Background(), 7, false, load)
			if err != nil {
				t.Error(err)
			}
			got[i] = p
		}()
	}
	// Let every caller reach the shared load before it returns.
	time.Sleep(50 * time.Millisecond)
	close(release)
	wg.Wait()
	if n := loads.Load(); n != 1 {
		t.Fatalf("%d loads for %d concurrent callers, want 1", n, callers)
	}
	for i, p := range got {
		if p == nil || p.ProductId != 7 {
			t.Fatalf("caller %d got %+v", i, p)
		}
	}
}

func TestALoadThatStartedBeforeForgetIsNotKept(t *testing.T) {
	c, _ := newCache(t, 10)
	b := &backend{}
	b.stock.Store(10)
	started, release := make(chan struct{}), make(chan struct{})
	slow := func(ctx context.Context, id int64) (*product.Product, error) {
		p, err := b.load(ctx, id)
		close(started)
		<-release
		return p, err
	}
	done := make(chan *product.Product)
	go func() {
		p, _ := c.Get(context.Background(), 1, false, slow)
		done <- p
	}()
	<-started
	// An order changes the stock and forgets the product while the read
	// that saw the old stock is still in flight.
	b.stock.Store(8)
	c.Forget(1)
	p, err := c.Get(context.Background(), 1, false, b.load)
	if err != nil || p.Stock != 8 {
		t.Fatalf("a read after Forget got %+v, %v; want stock 8, not a share of the older read", p, err)
	}
	close(release)
	if old := <-done; old.Stock != 10 {
		t.Fatalf("the older read got %+v, want what it loaded", old)
	}
	if p, _ := c.Get(context.Background(), 1, false, b.load); p.Stock != 8 {
		t.Fatalf("after the older read finished the cache serves stock %d, want 8", p.Stock)
	}
	if n := b.loads.Load(); n != 2 {
		t.Fatalf("%d loads, want 2 (the last read is a hit)", n)
	}
}

func TestEntriesExpireAndErrorsAreNotKept(t *testing.T) {
	c, clk := newCache(t, 10)
	b := &backend{}
	fail := errors.New("product service down")
	if _, err := c.Get(context.Background(), 1, false, func(context.Context, int64) (*product.Product, error) { return nil, fail }); !errors.Is(err, fail) {
		t.Fatalf("error %v, want the load's", err)
	}
	for range 3 {
		if _, err := c.Get(context.Background(), 1, false, b.load); err != nil {
			t.Fatal(err)
		}
	}
	if n := b.loads.Load(); n != 1 {
		t.Fatalf("%d loads after a failed one and 3 reads, want 1", n)
	}
	clk.advance(time.Second)
	if _, err := c.Get(context.Background(), 1, false, b.load); err != nil || b.loads.Load() != 2 {
		t.Fatalf("after the TTL: %d loads (%v), want 2", b.loads.Load(), err)
	}
}

func TestTheCacheStaysWithinMaxEntries(t *testing.T) {
	c, clk := newCache(t, 2)
	b := &backend{}
	for id := int64(1); id <= 3; id++ {
		if _, err := c.Get(context.Background(), id, false, b.load); err != nil {
			t.Fatal(err)
		}
	}
	if c.Len() != 2 {
		t.Fatalf("%d entries, want 2 (the limit)", c.Len())
	}
	if _, _ = c.Get(context.Background(), 3, false, b.load); b.loads.Load() != 4 {
		t.Fatalf("product 3 was kept beyond the limit (%d loads)", b.loads.Load())
	}
	clk.advance(time.Second)
	if _, err := c.Get(context.Background(), 3, false, b.load); err != nil {
		t.Fatal(err)
	}
	if _, _ = c.Get(context.Background(), 3, false, b.load); b.loads.Load() != 5 || c.Len() != 1 {
		t.Fatalf("after the others expired: %d loads, %d entries; want product 3 kept alone", b.loads.Load(), c.Len())
	}
}

func TestANilCacheReadsThrough(t *testing.T) {
	c, err := New(Config{TTL: 0}, prometheus.NewRegistry(), time.Now)
	if err != nil || c != nil {
		t.Fatalf("New with TTL 0 = %v, %v; want nil, nil", c, err)
	}
	b := &backend{}
	for range 2 {
		if _, err := c.Get(context.Background(), 1, false, b.load); err != nil {
			t.Fatal(err)
		}
	}
	c.Forget(1)
	if b.loads.Load() != 2 || c.Len() != 0 {
		t.Fatalf("%d loads, %d entries; want 2 and 0", b.loads.Load(), c.Len())
	}
}
