// Package testenv connects integration tests to the real local stack
// started by deploy/local/stack.sh (etcd, MariaDB, Redis, RocketMQ). When a
// server is not reachable the test fails with how to start it: integration
// tests never skip and never fall back to a fake.
package testenv

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cloudwego/kitex/pkg/discovery"
	"github.com/cloudwego/kitex/pkg/rpcinfo"
	etcd "github.com/kitex-contrib/registry-etcd"
	"github.com/redis/go-redis/v9"
	"gorm.io/gorm"

	"github.com/kitemall/platform/pkg/mysqlx"
	"github.com/kitemall/platform/pkg/redisx"
)

const hint = "start the local stack with `deploy/local/stack.sh up` (make test does this)"

func env(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// Unique returns a short random suffix for names that must not collide
// between test runs (databases, key prefixes, topics, consumer groups).
func Unique() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func requireTCP(t testing.TB, what, addr string) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatalf("%s at %s is not reachable (%v): %s", what, addr, err, hint)
	}
	conn.Close()
}

// EtcdEndpoints returns the etcd endpoints, failing the test if etcd is down.
func EtcdEndpoints(t testing.TB) []string {
	t.Helper()
	eps := strings.Split(env("ETCD_ENDPOINTS", "127.0.0.1:2379"), ",")
	requireTCP(t, "etcd", eps[0])
	return eps
}

var unsafeName = regexp.MustCompile(`[^a-z0-9_]`)

// MySQL returns the config of a fresh database named after the test, dropped
// when the test ends.
func MySQL(t testing.TB) mysqlx.Config {
	t.Helper()
	cfg := mysqlx.DefaultConfig("")
	cfg.Addr = env("MYSQL_ADDR", cfg.Addr)
	cfg.User = env("MYSQL_USER", cfg.User)
	cfg.Password = env("MYSQL_PASSWORD", cfg.Password)
	requireTCP(t, "MariaDB", cfg.Addr)
	name := unsafeName.ReplaceAllString(strings.ToLower(t.Name()), "_")
	if len(name) > 40 {
		name = name[:40]
	}
	cfg.Database = "t_" + name + "_" + Unique()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := mysqlx.DropDatabase(ctx, cfg); err != nil {
			t.Errorf("drop test database: %v", err)
		}
	})
	return cfg
}

// OpenMySQL opens the database of cfg (creating it if needed) and closes
// it when the test ends, before a database testenv.MySQL made is dropped.
func OpenMySQL(t testing.TB, cfg mysqlx.Config) (*gorm.DB, *sql.DB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	g, err := mysqlx.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	db, err := g.DB()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return g, db
}

// RedisConfig returns a Redis config with a key prefix unique to this test;
// the keys under it are deleted when the test ends.
func RedisConfig(t testing.TB) redisx.Config {
	t.Helper()
	cfg := redisx.DefaultConfig("t:" + Unique() + ":")
	cfg.Addr = env("REDIS_ADDR", cfg.Addr)
	requireTCP(t, "Redis", cfg.Addr)
	CleanRedis(t, cfg, cfg.KeyPrefix)
	return cfg
}

// CleanRedis deletes the keys under prefix on cfg's Redis when the test
// ends (after the cleanups registered later, such as stopping the
// processes that write them).
func CleanRedis(t testing.TB, cfg redisx.Config, prefix string) {
	t.Helper()
	t.Cleanup(func() {
		rdb, err := redisx.Open(cfg)
		if err != nil {
			t.Errorf("open redis to clean %s*: %v", prefix, err)
			return
		}
		defer rdb.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := redisx.DeletePrefix(ctx, rdb, prefix); err != nil {
			t.Errorf("clean redis: %v", err)
		}
	})
}

// Redis returns a client to the real Redis, checked with a PING.
func Redis(t testing.TB) (*redis.Client, redisx.Config) {
	t.Helper()
	cfg := RedisConfig(t)
	rdb, err := redisx.Open(cfg)
	if err != nil {
		t.Fatalf("open redis: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := rdb.Ping(ctx).Err(); err != nil {
		t.Fatalf("redis at %s does not answer PING (%v): %s", cfg.Addr, err, hint)
	}
	t.Cleanup(func() { rdb.Close() })
	return rdb, cfg
}

// RocketMQNameServer returns the name server address, failing the test if
// the name server or the broker is down.
func RocketMQNameServer(t testing.TB) string {
	t.Helper()
	ns := env("ROCKETMQ_NAMESRV", "127.0.0.1:9876")
	requireTCP(t, "RocketMQ name server", ns)
	requireTCP(t, "RocketMQ broker", env("ROCKETMQ_BROKER", "127.0.0.1:10911"))
	return ns
}

// WaitInstances waits until etcd resolves service to exactly want instances
// (registration lands about a second after a server listens) and returns
// their addresses.
func WaitInstances(t testing.TB, endpoints []string, service string, want int) []string {
	t.Helper()
	r, err := etcd.NewEtcdResolver(endpoints)
	if err != nil {
		t.Fatalf("etcd resolver: %v", err)
	}
	desc := r.Target(context.Background(), rpcinfo.NewEndpointInfo(service, "", nil, nil))
	deadline := time.Now().Add(30 * time.Second)
	var last []discovery.Instance
	for time.Now().Before(deadline) {
		// etcd's resolver reports "no instance" as an error.
		res, err := r.Resolve(context.Background(), desc)
		if (err == nil || want == 0) && len(res.Instances) == want {
			addrs := make([]string, len(res.Instances))
			for i, in := range res.Instances {
				addrs[i] = in.Address().String()
			}
			return addrs
		}
		last = res.Instances
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("etcd never resolved %s to %d instances (last: %d): %s", service, want, len(last), hint)
	return nil
}

// Transport returns the connection model under test, from KITEX_TRANSPORT
// ("mux" by default, or "pool"); servers and clients in a test must share it.
func Transport() string {
	return env("KITEX_TRANSPORT", "mux")
}

// RocketMQBroker returns the broker address (topics are created on it),
// failing the test if the broker is down.
func RocketMQBroker(t testing.TB) string {
	t.Helper()
	addr := env("ROCKETMQ_BROKER", "127.0.0.1:10911")
	requireTCP(t, "RocketMQ broker", addr)
	return addr
}
