package testenv

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Ports for processes a test starts are taken below the kernel's ephemeral
// range. A port the kernel hands out for "127.0.0.1:0" comes from that
// range, and once the probe closes it, any outgoing connection on the
// machine may get it as its source port before the process binds it
// ("address already in use", seen in CI). Below the range only another
// listener can take it.
const lowestPort = 20000

var (
	handedMu sync.Mutex
	// handed holds the ports this test binary gave out, so two callers in
	// one process never get the same one.
	handed = map[int]bool{}
)

// FreeAddr returns a loopback host:port where nothing listens, outside the
// kernel's ephemeral range, for a process the test starts.
func FreeAddr(t testing.TB) string {
	t.Helper()
	p, err := FreePorts(1)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("127.0.0.1:%d", p)
}

// FreePorts returns the first of n consecutive ports where nothing listens,
// outside the kernel's ephemeral range (RocketMQ's broker takes its port,
// port-2 and port+1).
func FreePorts(n int) (int, error) {
	high := ephemeralLow() - n
	low := lowestPort
	if high-low < 1000 {
		low = 10000
	}
	handedMu.Lock()
	defer handedMu.Unlock()
	for range 500 {
		p := low + rand.IntN(high-low)
		free := true
		for i := range n {
			if handed[p+i] || !portFree(p+i) {
				free = false
				break
			}
		}
		if free {
			for i := range n {
				handed[p+i] = true
			}
			return p, nil
		}
	}
	return 0, fmt.Errorf("no %d consecutive free ports in %d..%d", n, low, high)
}

func ephemeralLow() int {
	raw, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 32768
	}
	fields := strings.Fields(string(raw))
	if len(fields) == 0 {
		return 32768
	}
	low, err := strconv.Atoi(fields[0])
	if err != nil {
		return 32768
	}
	return low
}

// portFree reports whether nothing listens on port, on loopback or on all
// addresses (the broker's HA port binds all addresses).
func portFree(port int) bool {
	for _, host := range []string{"127.0.0.1", ""} {
		ln, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
		if err != nil {
			return false
		}
		ln.Close()
	}
	return true
}
