// Command probe is the images' HEALTHCHECK. The runtime image is distroless
// (no shell, no curl), so this small static binary checks the process the
// way the Kubernetes probes do:
//
//	probe tcp            a TCP connection to LISTEN_ADDR opens (Kitex services)
//	probe http /healthz  GET http://LISTEN_ADDR/healthz answers 2xx (gateway)
//
// An unspecified listen host (":8881", "0.0.0.0:8881") is probed on
// 127.0.0.1. It exits 0 when healthy and 1 otherwise.
package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"
)

const timeout = 2 * time.Second

func main() {
	if err := run(os.Args[1:], os.Getenv("LISTEN_ADDR")); err != nil {
		fmt.Fprintf(os.Stderr, "probe: %v\n", err)
		os.Exit(1)
	}
}

func run(args []string, listen string) error {
	if len(args) == 0 {
		return errors.New("usage: probe tcp | probe http PATH")
	}
	addr, err := dialAddr(listen)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	switch {
	case args[0] == "tcp" && len(args) == 1:
		return checkTCP(ctx, addr)
	case args[0] == "http" && len(args) == 2:
		return checkHTTP(ctx, "http://"+addr+args[1])
	default:
		return fmt.Errorf("unknown check %q: want tcp or http PATH", args)
	}
}

// dialAddr turns a listen address into one a local client can dial.
func dialAddr(listen string) (string, error) {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return "", fmt.Errorf("LISTEN_ADDR %q: %w", listen, err)
	}
	if host == "" || net.ParseIP(host) != nil && net.ParseIP(host).IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port), nil
}

func checkTCP(ctx context.Context, addr string) error {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("tcp %s: %w", addr, err)
	}
	return conn.Close()
}

func checkHTTP(ctx context.Context, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("get %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("get %s: status %d", url, resp.StatusCode)
	}
	return nil
}
