package kitexsuite_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudwego/kitex/client"
	"github.com/cloudwego/kitex/server"

	"github.com/kitemall/platform/kitex_gen/base"
	"github.com/kitemall/platform/kitex_gen/user"
	"github.com/kitemall/platform/kitex_gen/user/userservice"
	"github.com/kitemall/platform/pkg/errs"
	"github.com/kitemall/platform/pkg/kitexsuite"
	"github.com/kitemall/platform/pkg/observability"
	"github.com/kitemall/platform/pkg/testenv"
)

// pinger answers Ping with its own address and GetUser with a business
// error, which must cross the wire as the declared exception.
type pinger struct {
	user.UserService
	addr  string
	calls atomic.Int64
}

func (p *pinger) Ping(ctx context.Context, _ *base.PingRequest) (*base.PingResponse, error) {
	p.calls.Add(1)
	return &base.PingResponse{Service: "user", Instance: p.addr, TimeUnixMs: time.Now().UnixMilli()}, nil
}

func (p *pinger) GetUser(ctx context.Context, req *user.GetUserRequest) (*user.GetUserResponse, error) {
	return nil, errs.NotFound("user %d", req.UserId)
}

func startServer(t *testing.T, reg kitexsuite.RegistryConfig, service, transport string) (*pinger, server.Server) {
	t.Helper()
	tel, err := observability.Setup(context.Background(), service, observability.Config{})
	if err != nil {
		t.Fatal(err)
	}
	registry, err := kitexsuite.NewRegistry(reg)
	if err != nil {
		t.Fatal(err)
	}
	cfg := kitexsuite.DefaultServerConfig(service, testenv.FreeAddr(t))
	cfg.Transport = transport
	cfg.ExitWait = time.Second
	h := &pinger{addr: cfg.Listen}
	svr := userservice.NewServer(h, server.WithSuite(kitexsuite.NewServerSuite(cfg, registry, tel)))
	go func() {
		if err := svr.Run(); err != nil {
			t.Errorf("server run: %v", err)
		}
	}()
	t.Cleanup(func() { _ = svr.Stop() })
	return h, svr
}

func newClient(t *testing.T, reg kitexsuite.RegistryConfig, service, transport string) userservice.Client {
	t.Helper()
	resolver, err := kitexsuite.NewResolver(reg)
	if err != nil {
		t.Fatal(err)
	}
	cfg := kitexsuite.DefaultClientConfig(service, "Ping", "GetUser")
	cfg.Transport = transport
	cli, err := userservice.NewClient(service, client.WithSuite(kitexsuite.NewClientSuite("test", cfg, resolver, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return cli
}

// Proves the suites work end to end on the real etcd in the configured
// connection model: the server registers (under a namespace), the client
// resolves it, a ping answers and a business error arrives typed.
func TestPingResolvedThroughEtcd(t *testing.T) {
	transport := testenv.Transport()
	reg := kitexsuite.RegistryConfig{Endpoints: testenv.EtcdEndpoints(t), Namespace: "smoke" + testenv.Unique()}
	h, _ := startServer(t, reg, "user", transport)
	addrs := testenv.WaitInstances(t, reg.Endpoints, kitexsuite.Namespaced("user", reg.Namespace), 1)
	if addrs[0] != h.addr {
		t.Fatalf("etcd resolved %v, want %s", addrs, h.addr)
	}

	cli := newClient(t, reg, "user", transport)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	resp, err := cli.Ping(ctx, &base.PingRequest{})
	if err != nil {
		t.Fatalf("ping over %s: %v", transport, err)
	}
	if resp.Instance != h.addr || resp.Service != "user" {
		t.Fatalf("ping answered by %+v, want %s", resp, h.addr)
	}
	_, err = cli.GetUser(ctx, &user.GetUserRequest{UserId: 42})
	var se *base.ServiceError
	if !errors.As(err, &se) || se.Code != base.ErrorCode_NOT_FOUND || !strings.Contains(se.Message, "42") {
		t.Fatalf("GetUser error = %v, want a NOT_FOUND ServiceError", err)
	}
}

// Proves a stopped server leaves etcd: Kitex deregisters before it drains.
func TestStopDeregisters(t *testing.T) {
	reg := kitexsuite.RegistryConfig{Endpoints: testenv.EtcdEndpoints(t), Namespace: "smoke" + testenv.Unique()}
	_, svr := startServer(t, reg, "user", testenv.Transport())
	name := kitexsuite.Namespaced("user", reg.Namespace)
	testenv.WaitInstances(t, reg.Endpoints, name, 1)
	if err := svr.Stop(); err != nil {
		t.Fatal(err)
	}
	testenv.WaitInstances(t, reg.Endpoints, name, 0)
}

// Proves the connection model is a per-client choice: because every client
// speaks TTHeader, a pooled client is answered by a mux server and a mux
// client by a pooled server (a plain Framed client would get "EOF peer close"
// from a mux server).
func TestEveryClientTransportTalksToEveryServerTransport(t *testing.T) {
	models := []string{kitexsuite.TransportMux, kitexsuite.TransportPool}
	for _, srv := range models {
		for _, cli := range models {
			t.Run(srv+" server, "+cli+" client", func(t *testing.T) {
				reg := kitexsuite.RegistryConfig{Endpoints: testenv.EtcdEndpoints(t), Namespace: "smoke" + testenv.Unique()}
				h, _ := startServer(t, reg, "user", srv)
				testenv.WaitInstances(t, reg.Endpoints, kitexsuite.Namespaced("user", reg.Namespace), 1)
				c := newClient(t, reg, "user", cli)
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				for range 3 {
					resp, err := c.Ping(ctx, &base.PingRequest{})
					if err != nil || resp.Instance != h.addr {
						t.Fatalf("ping = %+v, %v", resp, err)
					}
				}
				if h.calls.Load() != 3 {
					t.Fatalf("server saw %d calls, want 3", h.calls.Load())
				}
			})
		}
	}
}

func TestClientConfigValidate(t *testing.T) {
	ok := kitexsuite.DefaultClientConfig("product")
	cases := []struct {
		name   string
		mutate func(*kitexsuite.ClientConfig)
		want   string
	}{
		{"defaults are valid", func(*kitexsuite.ClientConfig) {}, ""},
		{"unknown transport", func(c *kitexsuite.ClientConfig) { c.Transport = "http" }, "clients.product.transport"},
		{"no rpc timeout", func(c *kitexsuite.ClientConfig) { c.RPCTimeout = 0 }, "rpc_timeout"},
		{"too many retries", func(c *kitexsuite.ClientConfig) { c.Retry.MaxRetries = 9 }, "max_retries"},
		{"breaker rate out of range", func(c *kitexsuite.ClientConfig) { c.Breaker.ErrRate = 2 }, "err_rate"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := ok
			tc.mutate(&c)
			err := c.Validate("clients.product")
			if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("Validate() = %v, want mention of %q", err, tc.want)
			}
		})
	}
}
