// Package e2e drives the gateway through real HTTP against the real
// platform: the four service binaries built from rpc/ and started as
// processes on free ports, registered in the local etcd under a namespace of
// their own, each with a fresh MariaDB database and Redis key prefix, and
// the gateway under test started in-process on the same namespace.
package e2e

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/grpc"

	"github.com/kitemall/platform/gateway/internal/app"
	"github.com/kitemall/platform/gateway/internal/config"
	pkgconfig "github.com/kitemall/platform/pkg/config"
	"github.com/kitemall/platform/pkg/kitexsuite"
	"github.com/kitemall/platform/pkg/mysqlx"
	"github.com/kitemall/platform/pkg/observability"
	"github.com/kitemall/platform/pkg/testenv"
)

// services are started in dependency order; each registers under its name.
var services = []string{"user", "product", "order", "payment"}

const e2eSecret = "e2e-secret-0123456789abcdef0123456789"

// platform is one isolated copy of the whole system.
type platform struct {
	ns       string
	etcd     []string
	dbs      map[string]mysqlx.Config
	spans    *spanSink
	gateway  string // base URL of the main gateway under test
	registry kitexsuite.RegistryConfig
}

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "rpc", "go.mod")); err != nil {
		t.Fatalf("rpc module not found from %s: %v", root, err)
	}
	return root
}

// buildServices builds the four service binaries once per run.
func buildServices(t *testing.T, root string) string {
	t.Helper()
	dir := t.TempDir()
	args := []string{"build", "-o", dir + string(os.PathSeparator)}
	for _, s := range services {
		args = append(args, "./"+s)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = filepath.Join(root, "rpc")
	// Build in the repository's workspace even when this test runs with
	// GOWORK=off, so the services link the same pkg and kitex_gen.
	if work := filepath.Join(root, "go.work"); fileExists(work) {
		cmd.Env = append(os.Environ(), "GOWORK="+work)
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build the services: %v\n%s", err, out)
	}
	return dir
}

// startPlatform starts the services and the gateway and stops them when
// the test ends; databases are dropped and Redis keys deleted after.
func startPlatform(t *testing.T) *platform {
	t.Helper()
	root := repoRoot(t)
	p := &platform{
		ns:   "e2e" + testenv.Unique(),
		etcd: testenv.EtcdEndpoints(t),
		dbs:  map[string]mysqlx.Config{},
	}
	p.registry = kitexsuite.RegistryConfig{Endpoints: p.etcd, Namespace: p.ns}
	redisCfg := testenv.RedisConfig(t)
	testenv.CleanRedis(t, redisCfg, "t:"+p.ns+":")
	p.spans = startSpanSink(t)
	bin := buildServices(t, root)

	for _, svc := range services {
		p.dbs[svc] = testenv.MySQL(t)
	}
	for _, svc := range services {
		startService(t, root, bin, svc, []string{
			"CONFIG_FILE=" + filepath.Join(root, "rpc", svc, "conf", svc+".yaml"),
			"LISTEN_ADDR=" + testenv.FreeAddr(t),
			"METRICS_ADDR=" + testenv.FreeAddr(t),
			"ETCD_ENDPOINTS=" + strings.Join(p.etcd, ","),
			"SERVICE_NAMESPACE=" + p.ns,
			"KITEX_TRANSPORT=" + testenv.Transport(),
			"MYSQL_DATABASE=" + p.dbs[svc].Database,
			"REDIS_ADDR=" + redisCfg.Addr,
			"REDIS_KEY_PREFIX=t:" + p.ns + ":" + svc + ":",
			"SANDBOX_DECLINE_RATE=0",
			"SANDBOX_LATENCY=1ms",
			"OTEL_EXPORTER_OTLP_ENDPOINT=" + p.spans.addr,
			"OTEL_BSP_SCHEDULE_DELAY=100",
			"LOG_LEVEL=info",
		})
	}
	for _, svc := range services {
		testenv.WaitInstances(t, p.etcd, kitexsuite.Namespaced(svc, p.ns), 1)
	}
	p.gateway = p.startGateway(t, nil)
	return p
}

// startService runs one service binary; on failure its log is printed.
func startService(t *testing.T, root, bin, svc string, env []string) {
	t.Helper()
	logPath := filepath.Join(t.TempDir(), svc+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(bin, svc))
	cmd.Dir = filepath.Join(root, "rpc", svc)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", svc, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
			t.Errorf("%s did not stop within 15 s of SIGTERM", svc)
		}
		logFile.Close()
		if t.Failed() {
			if b, err := os.ReadFile(logPath); err == nil {
				t.Logf("--- %s log (last 4 KiB) ---\n%s", svc, tail(b, 4096))
			}
		}
	})
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

// startGateway starts a gateway on the platform's namespace and returns its
// base URL; mutate adjusts its config (rate limits).
func (p *platform) startGateway(t *testing.T, mutate func(*config.Config)) string {
	t.Helper()
	cfg := config.Default()
	if err := pkgconfig.Load(filepath.Join(repoRoot(t), "gateway", "conf", "gateway.yaml"), cfg); err != nil {
		t.Fatalf("load the shipped gateway config: %v", err)
	}
	cfg.HTTP.Listen = "127.0.0.1:0"
	cfg.HTTP.ExitWait = time.Second
	cfg.Registry = p.registry
	cfg.Transport = testenv.Transport()
	cfg.Auth.Secret = e2eSecret
	cfg.RateLimit.PerIP = config.BucketConfig{RPS: 1000, Burst: 1000}
	cfg.RateLimit.PerUser = config.BucketConfig{RPS: 1000, Burst: 1000}
	cfg.Observability = observability.Config{OTLPEndpoint: p.spans.addr, LogLevel: "warn"}
	if mutate != nil {
		mutate(cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	t.Setenv("OTEL_BSP_SCHEDULE_DELAY", "100")
	ctx := context.Background()
	tel, err := observability.Setup(ctx, "gateway", cfg.Observability)
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.Build(ctx, cfg, tel)
	if err != nil {
		t.Fatalf("build gateway: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Run() }()
	t.Cleanup(func() {
		if err := a.Stop(); err != nil {
			t.Errorf("stop gateway: %v", err)
		}
		if err := <-done; err != nil {
			t.Errorf("gateway run: %v", err)
		}
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = tel.Shutdown(sctx)
	})
	base := "http://" + a.Addr()
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return base
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("gateway at %s never became healthy: %v", base, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// snapshot returns, for every table of every service database, its row
// count and checksum, so a test can prove that nothing was written.
// quiescentSnapshot waits until the databases stop changing (the earlier
// subtests' asynchronous effects, such as a paid order's stock confirmation,
// have landed) and returns that snapshot, so a later comparison sees only
// what happens after it.
func (p *platform) quiescentSnapshot(t *testing.T) map[string]string {
	t.Helper()
	prev := p.snapshot(t)
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); {
		time.Sleep(time.Second)
		cur := p.snapshot(t)
		if maps.Equal(prev, cur) {
			return cur
		}
		prev = cur
	}
	t.Fatal("the databases kept changing for 20 s before the bad-input checks")
	return nil
}

func (p *platform) snapshot(t *testing.T) map[string]string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out := map[string]string{}
	for svc, cfg := range p.dbs {
		gdb, err := mysqlx.Open(ctx, cfg)
		if err != nil {
			t.Fatalf("open %s database: %v", svc, err)
		}
		db, err := gdb.DB()
		if err != nil {
			t.Fatal(err)
		}
		tables := queryStrings(ctx, t, db, "SHOW TABLES")
		if len(tables) == 0 {
			t.Fatalf("%s database %s has no tables", svc, cfg.Database)
		}
		for _, table := range tables {
			var count int64
			// Table names come from SHOW TABLES of our own database.
			if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM `"+table+"`").Scan(&count); err != nil {
				t.Fatalf("count %s.%s: %v", svc, table, err)
			}
			var name string
			var sum sql.NullInt64
			if err := db.QueryRowContext(ctx, "CHECKSUM TABLE `"+table+"`").Scan(&name, &sum); err != nil {
				t.Fatalf("checksum %s.%s: %v", svc, table, err)
			}
			out[svc+"."+table] = fmt.Sprintf("rows=%d checksum=%d", count, sum.Int64)
		}
		db.Close()
	}
	return out
}

func queryStrings(ctx context.Context, t *testing.T, db *sql.DB, q string) []string {
	t.Helper()
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// span is one span received over OTLP.
type span struct {
	Service, Name, TraceID string
	Attrs                  map[string]string
}

// spanSink is a minimal OTLP/gRPC trace receiver: the services and the
// gateway export their spans to it, so a test can follow one trace across
// processes.
type spanSink struct {
	coltracepb.UnimplementedTraceServiceServer
	addr  string
	mu    sync.Mutex
	spans []span
}

func startSpanSink(t *testing.T) *spanSink {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &spanSink{addr: ln.Addr().String()}
	srv := grpc.NewServer()
	coltracepb.RegisterTraceServiceServer(srv, s)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(srv.Stop)
	return s
}

// Export implements the OTLP trace service.
func (s *spanSink) Export(_ context.Context, req *coltracepb.ExportTraceServiceRequest) (*coltracepb.ExportTraceServiceResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, rs := range req.ResourceSpans {
		service := ""
		for _, kv := range rs.GetResource().GetAttributes() {
			if kv.Key == "service.name" {
				service = kv.GetValue().GetStringValue()
			}
		}
		for _, ss := range rs.ScopeSpans {
			for _, sp := range ss.Spans {
				attrs := map[string]string{}
				for _, kv := range sp.Attributes {
					attrs[kv.Key] = kv.GetValue().GetStringValue()
				}
				s.spans = append(s.spans, span{Service: service, Name: sp.Name, TraceID: hex.EncodeToString(sp.TraceId), Attrs: attrs})
			}
		}
	}
	return &coltracepb.ExportTraceServiceResponse{}, nil
}

// Trace returns the spans received so far for traceID.
func (s *spanSink) Trace(traceID string) []span {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []span
	for _, sp := range s.spans {
		if sp.TraceID == traceID {
			out = append(out, sp)
		}
	}
	return out
}

// client is an HTTP client of one gateway.
type client struct {
	t    *testing.T
	base string
	http *http.Client
}

func newClient(t *testing.T, base string) *client {
	c := &client{t: t, base: base, http: &http.Client{Timeout: 10 * time.Second}}
	t.Cleanup(c.http.CloseIdleConnections)
	return c
}

type header map[string]string

func (h header) with(k, v string) header {
	out := header{k: v}
	for key, val := range h {
		if key != k {
			out[key] = val
		}
	}
	return out
}

type response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body keeping numbers exact: order IDs are
// snowflake-like and exceed float64's 53 bits.
func (r response) JSON(t *testing.T) map[string]any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(r.Body))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("body %q is not a JSON object: %v", r.Body, err)
	}
	return m
}

func (r response) int(t *testing.T, key string) int64 {
	t.Helper()
	return jsonInt(t, r.JSON(t)[key])
}

func jsonInt(t *testing.T, v any) int64 {
	t.Helper()
	n, ok := v.(json.Number)
	if !ok {
		t.Fatalf("%v is not a number", v)
	}
	i, err := n.Int64()
	if err != nil {
		t.Fatalf("%v is not an int64: %v", v, err)
	}
	return i
}

// requireError checks a failure's status and its body {code, message,
// request_id}, whose request ID must match the response header.
func (r response) requireError(t *testing.T, status int, code string) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d; body %s", r.Status, status, r.Body)
	}
	m := r.JSON(t)
	if m["code"] != code || m["message"] == "" || len(m) != 3 {
		t.Fatalf("error body %s, want code %s, a message and a request_id", r.Body, code)
	}
	if id := r.Header.Get("X-Request-ID"); id == "" || m["request_id"] != id {
		t.Fatalf("request_id %v, want the X-Request-ID header %q", m["request_id"], id)
	}
}

func (c *client) do(method, path string, h header, body string) response {
	c.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range h {
		req.Header.Set(k, v)
	}
	return c.send(req)
}

func (c *client) send(req *http.Request) response {
	c.t.Helper()
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// signup registers username and returns its bearer header.
func (c *client) signup(username, password string) header {
	c.t.Helper()
	creds := fmt.Sprintf(`{"username":%q,"password":%q}`, username, password)
	if r := c.do("POST", "/api/v1/users/register", nil, creds); r.Status != http.StatusCreated {
		c.t.Fatalf("register %s: %d %s", username, r.Status, r.Body)
	}
	return c.login(username, password)
}

func (c *client) login(username, password string) header {
	c.t.Helper()
	r := c.do("POST", "/api/v1/users/login", nil, fmt.Sprintf(`{"username":%q,"password":%q}`, username, password))
	if r.Status != http.StatusOK {
		c.t.Fatalf("login %s: %d %s", username, r.Status, r.Body)
	}
	return header{"Authorization": "Bearer " + r.JSON(c.t)["token"].(string)}
}

func decode(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
}

// jsonBody marshals v for a request body.
func jsonBody(t *testing.T, v any) string {
	t.Helper()
	var b bytes.Buffer
	if err := json.NewEncoder(&b).Encode(v); err != nil {
		t.Fatal(err)
	}
	return b.String()
}
