package faulttest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/kitemall/platform/pkg/errs"
	"github.com/kitemall/platform/pkg/mq"
	"github.com/kitemall/platform/pkg/mysqlx"
	"github.com/kitemall/platform/pkg/testenv"
)

// Proves the proxy behaves like a MariaDB that becomes unreachable and comes
// back: while cut, a query on a pooled connection fails fast with an error
// the services classify as UNAVAILABLE (never a hang, never INTERNAL); after
// restore the same *sql.DB works again without being reopened.
func TestProxyCutsAndRestoresMariaDB(t *testing.T) {
	cfg := testenv.MySQL(t)
	proxy := startProxy(t, cfg.Addr)
	viaProxy := cfg
	viaProxy.Addr = proxy.addr
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	gdb, err := mysqlx.Open(ctx, viaProxy)
	if err != nil {
		t.Fatal(err)
	}
	db, err := gdb.DB()
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	query := func() error {
		qctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		var one int
		return db.QueryRowContext(qctx, "SELECT 1").Scan(&one)
	}
	if err := query(); err != nil {
		t.Fatalf("query through the proxy: %v", err)
	}

	proxy.cut()
	for i := range 3 {
		start := time.Now()
		err := query()
		if err == nil {
			t.Fatalf("query %d succeeded while the proxy was cut", i)
		}
		if !errs.IsUnavailable(err) {
			t.Fatalf("query %d while cut: %v is not classified as unavailable", i, err)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Fatalf("query %d while cut took %v: a cut must fail fast", i, d)
		}
	}

	proxy.restore(t)
	deadline := time.Now().Add(5 * time.Second)
	for {
		err := query()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the pool did not recover within 5 s of restore: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Proves the private broker survives a crash the way the fault tests need:
// after `stack.sh restart --kill broker` the same long-lived producer and
// consumer (no restart of the client side) send and receive again.
func TestPrivateBrokerRecoversFromKill(t *testing.T) {
	r := privateRocketMQ(t)
	cfg := mq.DefaultConfig()
	cfg.NameServers, cfg.BrokerAddr = []string{r.namesrv}, r.broker
	run := testenv.Unique()
	topic, group := "ft_selftest_"+run, "ft_selftest_"+run
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := mq.CreateTopics(ctx, cfg, topic); err != nil {
		t.Fatal(err)
	}
	p, err := mq.NewTxProducer(cfg, group+"_p", topic, func(context.Context, string, time.Time) (bool, error) { return true, nil })
	if err != nil {
		t.Fatal(err)
	}
	defer p.Shutdown()

	var mu sync.Mutex
	seen := map[string]int{}
	// A new topic's route reaches the name server a moment after it is
	// created; until then a consumer cannot start.
	var c *mq.Consumer
	for deadline := time.Now().Add(30 * time.Second); ; {
		c, err = mq.NewConsumer(cfg, group+"_c", topic, mq.ConsumerOptions{FromFirstOffset: true}, func(_ context.Context, m mq.Message) error {
			mu.Lock()
			seen[m.Key]++
			mu.Unlock()
			return nil
		})
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(500 * time.Millisecond)
	}
	defer c.Shutdown()

	send := func(key string, within time.Duration) time.Duration {
		start := time.Now()
		var err error
		for time.Since(start) < within {
			if err = p.Send(ctx, topic, key, []byte(key), nil, func(context.Context) error { return nil }); err == nil {
				return time.Since(start)
			}
			time.Sleep(200 * time.Millisecond)
		}
		t.Fatalf("send %s for %v: %v", key, within, err)
		return 0
	}
	received := func(key string, within time.Duration) {
		deadline := time.Now().Add(within)
		for time.Now().Before(deadline) {
			mu.Lock()
			n := seen[key]
			mu.Unlock()
			if n > 0 {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Fatalf("message %s not received within %v", key, within)
	}

	send("before", 30*time.Second)
	received("before", 30*time.Second)
	down, err := r.restartBroker()
	if err != nil {
		t.Fatal(err)
	}
	recovery := send("after", 60*time.Second)
	received("after", 60*time.Second)
	mu.Lock()
	defer mu.Unlock()
	t.Logf("broker restart took %v; the producer's first successful send after it took %v; deliveries %v",
		down.Round(time.Millisecond), recovery.Round(time.Millisecond), seen)
}
