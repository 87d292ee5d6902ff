package main

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestDialAddrProbesUnspecifiedHostsOnLoopback(t *testing.T) {
	cases := []struct{ listen, want string }{
		{":8881", "127.0.0.1:8881"},
		{"0.0.0.0:8080", "127.0.0.1:8080"},
		{"[::]:9181", "127.0.0.1:9181"},
		{"10.1.2.3:8881", "10.1.2.3:8881"},
		{"127.0.0.1:8882", "127.0.0.1:8882"},
	}
	for _, c := range cases {
		got, err := dialAddr(c.listen)
		if err != nil || got != c.want {
			t.Errorf("dialAddr(%q) = %q, %v; want %q", c.listen, got, err, c.want)
		}
	}
	if _, err := dialAddr("8881"); err == nil {
		t.Error("dialAddr accepted a listen address without a port")
	}
}

// closedAddr returns an address on which nothing listens.
func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestTCPCheckPassesOnlyWhileSomethingListens(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if err := run([]string{"tcp"}, ln.Addr().String()); err != nil {
		t.Fatalf("tcp check against a listener: %v", err)
	}
	if err := run([]string{"tcp"}, closedAddr(t)); err == nil {
		t.Fatal("tcp check passed with nothing listening")
	}
}

func TestHTTPCheckNeedsA2xxOnThePath(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	cases := []struct {
		name    string
		args    []string
		listen  string
		healthy bool
	}{
		{"200 on the path", []string{"http", "/healthz"}, addr, true},
		{"503 on the path", []string{"http", "/readyz"}, addr, false},
		{"nothing listening", []string{"http", "/healthz"}, closedAddr(t), false},
		{"missing path", []string{"http"}, addr, false},
		{"unknown check", []string{"udp"}, addr, false},
		{"no check", nil, addr, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := run(c.args, c.listen)
			if (err == nil) != c.healthy {
				t.Fatalf("run(%q) = %v, want healthy=%v", c.args, err, c.healthy)
			}
		})
	}
}
