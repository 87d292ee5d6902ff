package faulttest

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
)

// The ports a test restarts a process on are taken below the kernel's
// ephemeral range: while the process is down, no outgoing connection of
// anyone on the machine can be given that port as its source port, so the
// restart finds it free.
const lowestPort = 20000

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

// findFreePorts returns the first port of a run of n consecutive free ports
// outside the ephemeral range.
func findFreePorts(n int) (int, error) {
	high := ephemeralLow() - n
	low := lowestPort
	if high-low < 1000 {
		low = 10000
	}
	for range 200 {
		p := low + rand.IntN(high-low)
		free := true
		for i := range n {
			if !portFree(p + i) {
				free = false
				break
			}
		}
		if free {
			return p, nil
		}
	}
	return 0, fmt.Errorf("no %d consecutive free ports in %d..%d", n, low, high)
}

// freeAddr returns a free loopback host:port outside the ephemeral range.
func freeAddr(t testing.TB) string {
	t.Helper()
	p, err := findFreePorts(1)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("127.0.0.1:%d", p)
}
