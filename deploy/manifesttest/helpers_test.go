package manifesttest

import (
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// services are the Kitex services; processes adds the gateway.
var (
	services  = []string{"user", "product", "order", "payment"}
	processes = append(append([]string{}, services...), "gateway")
)

// repoRoot is the repository root: this package lives in deploy/manifesttest.
func repoRoot(t testing.TB) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.work")); err != nil {
		t.Fatalf("repository root %s has no go.work: %v", root, err)
	}
	return root
}

func readFile(t testing.TB, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// readYAML decodes a YAML file of the repository into a generic document.
func readYAML(t testing.TB, rel string) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := yaml.Unmarshal(readFile(t, rel), &doc); err != nil {
		t.Fatalf("parse %s: %v", rel, err)
	}
	return doc
}

// lookupPath walks a decoded YAML document along keys.
func lookupPath(doc map[string]any, keys ...string) (any, bool) {
	var cur any = doc
	for _, k := range keys {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[k]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// hostPort returns the host:port of an address, which may also be written
// as a URL (OTEL_EXPORTER_OTLP_ENDPOINT=http://collector:4317).
func hostPort(t testing.TB, addr string) (string, string) {
	t.Helper()
	if strings.Contains(addr, "://") {
		u, err := url.Parse(addr)
		if err != nil {
			t.Fatalf("address %q: %v", addr, err)
		}
		addr = u.Host
	}
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("address %q: %v", addr, err)
	}
	return host, p
}

// port returns the port of a host:port address (or URL).
func port(t testing.TB, addr string) int {
	t.Helper()
	_, p := hostPort(t, addr)
	n, err := strconv.Atoi(p)
	if err != nil {
		t.Fatalf("address %q: port %v", addr, err)
	}
	return n
}

// processPorts are a process's ports as its own config file (the one
// `make run` uses) declares them.
type processPorts struct {
	// RPC is the Kitex port (services) or the HTTP API port (gateway).
	RPC int
	// Metrics serves /metrics; for the gateway it is the API port.
	Metrics int
}

// portsOf reads the ports from rpc/<svc>/conf/<svc>.yaml or
// gateway/conf/gateway.yaml.
func portsOf(t testing.TB, process string) processPorts {
	t.Helper()
	if process == "gateway" {
		doc := readYAML(t, "gateway/conf/gateway.yaml")
		listen, ok := lookupPath(doc, "http", "listen")
		if !ok {
			t.Fatal("gateway/conf/gateway.yaml has no http.listen")
		}
		if m, _ := lookupPath(doc, "observability", "metrics_listen"); m != "" {
			t.Fatalf("gateway/conf/gateway.yaml serves metrics on %v; the manifests expect /metrics on the API port", m)
		}
		p := port(t, listen.(string))
		return processPorts{RPC: p, Metrics: p}
	}
	rel := "rpc/" + process + "/conf/" + process + ".yaml"
	doc := readYAML(t, rel)
	listen, ok1 := lookupPath(doc, "server", "listen")
	metrics, ok2 := lookupPath(doc, "observability", "metrics_listen")
	if !ok1 || !ok2 {
		t.Fatalf("%s lacks server.listen or observability.metrics_listen", rel)
	}
	return processPorts{RPC: port(t, listen.(string)), Metrics: port(t, metrics.(string))}
}
