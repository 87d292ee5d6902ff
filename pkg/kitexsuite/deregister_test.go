package kitexsuite_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/cloudwego/kitex/client"

	"github.com/kitemall/platform/kitex_gen/base"
	"github.com/kitemall/platform/kitex_gen/user/userservice"
	"github.com/kitemall/platform/pkg/kitexsuite"
	"github.com/kitemall/platform/pkg/testenv"
)

// Proves a server stopped before its delayed registration (Kitex registers
// about a second after it listens) stops cleanly, where registry-etcd's
// Deregister used to panic, and never shows up in etcd afterwards.
func TestStopBeforeRegistrationIsClean(t *testing.T) {
	reg := kitexsuite.RegistryConfig{Endpoints: testenv.EtcdEndpoints(t), Namespace: "early" + testenv.Unique()}
	h, svr := startServer(t, reg, "user", testenv.Transport())
	deadline := time.Now().Add(5 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", h.addr, 100*time.Millisecond)
		if err == nil {
			conn.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("server never listened on %s: %v", h.addr, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := svr.Stop(); err != nil {
		t.Fatalf("stop before registration: %v", err)
	}
	time.Sleep(1500 * time.Millisecond) // past the registration delay
	testenv.WaitInstances(t, reg.Endpoints, kitexsuite.Namespaced("user", reg.Namespace), 0)
}

func TestStopLeavesEtcdBeforeItStopsServing(t *testing.T) {
	transport := testenv.Transport()
	const wait = 2 * time.Second
	reg := kitexsuite.RegistryConfig{Endpoints: testenv.EtcdEndpoints(t), Namespace: "drain" + testenv.Unique(), DeregisterWait: wait}
	h, svr := startServer(t, reg, "user", transport)
	name := kitexsuite.Namespaced("user", reg.Namespace)
	testenv.WaitInstances(t, reg.Endpoints, name, 1)

	start := time.Now()
	stopped := make(chan error, 1)
	go func() { stopped <- svr.Stop() }()
	testenv.WaitInstances(t, reg.Endpoints, name, 0)

	// Out of etcd, the server still takes new connections and calls, so a
	// caller that resolved it a moment ago loses nothing.
	cfg := kitexsuite.DefaultClientConfig("user", "Ping")
	cfg.Transport = transport
	direct, err := userservice.NewClient("user", client.WithSuite(kitexsuite.NewClientSuite("test", cfg, nil, nil)), client.WithHostPorts(h.addr))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if resp, err := direct.Ping(ctx, &base.PingRequest{}); err != nil || resp.Instance != h.addr {
		t.Fatalf("ping after leaving etcd = %+v, %v; want an answer from %s", resp, err, h.addr)
	}
	if err := <-stopped; err != nil {
		t.Fatalf("stop: %v", err)
	}
	if elapsed := time.Since(start); elapsed < wait {
		t.Fatalf("stop returned after %v, before the %v deregister wait", elapsed, wait)
	}
	if conn, err := net.DialTimeout("tcp", h.addr, 200*time.Millisecond); err == nil {
		conn.Close()
		t.Fatalf("%s still accepts connections after Stop", h.addr)
	}
}
