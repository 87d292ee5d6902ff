package app_test

import (
	"bytes"
	"context"
	"database/sql"
	"net"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/cloudwego/kitex/client"
	"github.com/redis/go-redis/v9"

	"github.com/kitemall/platform/kitex_gen/product"
	"github.com/kitemall/platform/kitex_gen/product/productservice"
	"github.com/kitemall/platform/pkg/bootstrap"
	"github.com/kitemall/platform/pkg/kitexsuite"
	"github.com/kitemall/platform/pkg/mysqlx"
	"github.com/kitemall/platform/pkg/observability"
	"github.com/kitemall/platform/pkg/redisx"
	"github.com/kitemall/platform/pkg/testenv"
	"github.com/kitemall/platform/rpc/product/app"
)

// stack is what one test's instances share: a fresh database, a Redis key
// prefix and a service name of their own, so tests and runs never collide.
type stack struct {
	service string
	mysql   mysqlx.Config
	redis   redisx.Config
	etcd    []string
}

func newStack(t *testing.T) *stack {
	t.Helper()
	s := &stack{
		service: "product-test-" + testenv.Unique(),
		mysql:   testenv.MySQL(t),
		redis:   testenv.RedisConfig(t),
		etcd:    testenv.EtcdEndpoints(t),
	}
	t.Cleanup(func() { deleteKeys(t, s.redis) })
	return s
}

// config returns an instance config on a free port, in the connection
// model under test (KITEX_TRANSPORT).
func (s *stack) config(t *testing.T) *app.Config {
	t.Helper()
	cfg := app.DefaultConfig()
	cfg.Server.Service = s.service
	cfg.Server.Listen = testenv.FreeAddr(t)
	cfg.Server.Transport = testenv.Transport()
	cfg.Registry.Endpoints = s.etcd
	cfg.MySQL = s.mysql
	cfg.Redis = s.redis
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// telemetry is set up once per test binary, as once per process in
// production: Setup installs process-wide globals (the OpenTelemetry
// provider, Kitex's log level) that running servers and clients read.
var telemetry = sync.OnceValues(func() (*observability.Telemetry, error) {
	return observability.Setup(context.Background(), "product-test", observability.Config{LogLevel: "warn"})
})

// instance is one in-process product server.
type instance struct {
	addr string
	app  bootstrap.App
	done chan error
	stop func() error
}

// start builds and runs an instance, waits until it accepts connections
// and stops it when the test ends.
func start(t *testing.T, cfg *app.Config) *instance {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tel, err := telemetry()
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.Build(ctx, cfg, tel)
	if err != nil {
		t.Fatal(err)
	}
	in := &instance{addr: cfg.Server.Listen, app: a, done: make(chan error, 1)}
	go func() { in.done <- a.Run() }()
	in.stop = sync.OnceValue(func() error {
		err := a.Stop()
		if runErr := <-in.done; runErr != nil && err == nil {
			err = runErr
		}
		return err
	})
	t.Cleanup(func() {
		if err := in.stop(); err != nil {
			t.Errorf("stop instance %s: %v", in.addr, err)
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", in.addr, 200*time.Millisecond)
		if err == nil {
			conn.Close()
			return in
		}
		select {
		case err := <-in.done:
			t.Fatalf("instance %s exited while starting: %v", in.addr, err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("instance %s never listened: %v", in.addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// clientConfig is how a caller of the product service is configured, in
// the connection model under test.
func clientConfig(service string) kitexsuite.ClientConfig {
	cfg := kitexsuite.DefaultClientConfig(service, app.IdempotentMethods()...)
	cfg.Transport = testenv.Transport()
	return cfg
}

// dial returns a client of one instance, bypassing discovery.
func dial(t *testing.T, in *instance, service string) productservice.Client {
	t.Helper()
	c, err := productservice.NewClient(service,
		client.WithSuite(kitexsuite.NewClientSuite("product-test", clientConfig(service), nil, nil)),
		client.WithHostPorts(in.addr))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// startOne starts a single instance and returns a client of it.
func startOne(t *testing.T, s *stack, edit func(*app.Config)) productservice.Client {
	t.Helper()
	cfg := s.config(t)
	if edit != nil {
		edit(cfg)
	}
	return dial(t, start(t, cfg), s.service)
}

// openDB opens the test's database directly, to check what the service
// wrote.
func openDB(t *testing.T, cfg mysqlx.Config) *sql.DB {
	t.Helper()
	_, db := testenv.OpenMySQL(t, cfg)
	return db
}

func deleteKeys(t *testing.T, cfg redisx.Config) {
	rdb, err := redisx.Open(cfg)
	if err != nil {
		t.Errorf("open redis for cleanup: %v", err)
		return
	}
	defer rdb.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	keys, err := rdb.Keys(ctx, cfg.KeyPrefix+"*").Result()
	if err == nil && len(keys) > 0 {
		err = rdb.Del(ctx, keys...).Err()
	}
	if err != nil {
		t.Errorf("delete test keys: %v", err)
	}
}

func create(t *testing.T, c productservice.Client, name string, stock int64) *product.Product {
	t.Helper()
	resp, err := c.CreateProduct(t.Context(), &product.CreateProductRequest{
		Name: name, Description: "test", Category: "test", PriceCents: 500, InitialStock: stock,
	})
	if err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	return resp.Product
}

func stockOf(t *testing.T, c productservice.Client, id int64) int64 {
	t.Helper()
	resp, err := c.GetProduct(t.Context(), &product.GetProductRequest{ProductId: id})
	if err != nil {
		t.Fatalf("get product %d: %v", id, err)
	}
	return resp.Product.Stock
}

// privateRedis runs a redis-server of the test's own on a free port, so the
// test can kill it without touching the shared one. kill is idempotent.
func privateRedis(t *testing.T) (addr string, kill func()) {
	t.Helper()
	addr = testenv.FreeAddr(t)
	_, port, _ := net.SplitHostPort(addr)
	var out bytes.Buffer
	cmd := exec.Command("/usr/bin/redis-server", "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start redis-server: %v", err)
	}
	kill = sync.OnceFunc(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	t.Cleanup(kill)
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	defer rdb.Close()
	deadline := time.Now().Add(5 * time.Second)
	for rdb.Ping(t.Context()).Err() != nil {
		if time.Now().After(deadline) {
			t.Fatalf("private redis-server on %s never answered PING; its output:\n%s", addr, out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return addr, kill
}
