package kitexsuite_test

import (
	"net"
	"testing"
	"time"

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
