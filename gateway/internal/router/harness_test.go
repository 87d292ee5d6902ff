package router

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cloudwego/hertz/pkg/app/server"
	"github.com/cloudwego/hertz/pkg/common/hlog"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/kitemall/platform/gateway/internal/config"
	"github.com/kitemall/platform/gateway/internal/handler"
	"github.com/kitemall/platform/pkg/observability"
)

func TestMain(m *testing.M) {
	hlog.SetLevel(hlog.LevelWarn)
	// Installs the global tracer provider and W3C propagator, as the
	// gateway's main does, so spans are real and trace context is parsed.
	tel, err := observability.Setup(context.Background(), "gateway-test", observability.Config{LogLevel: "error"})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	_ = tel.Shutdown(context.Background())
	os.Exit(code)
}

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// testClock is the server's clock; tests move it to expire tokens and
// refill rate-limit buckets without sleeping.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// gateway is a real gateway HTTP server on a free port, backed by fakes.
type gateway struct {
	t     *testing.T
	base  string
	fake  *platform
	clock *testClock
	logs  *syncBuffer
	http  *http.Client
}

const testSecret = "router-test-secret-0123456789abcdef"

func startGateway(t *testing.T, mutate func(*config.Config)) *gateway {
	t.Helper()
	cfg := config.Default()
	cfg.Auth.Secret = testSecret
	cfg.HTTP.ExitWait = 100 * time.Millisecond
	cfg.HTTP.ReadyTimeout = 200 * time.Millisecond
	cfg.RateLimit.PerIP = config.BucketConfig{RPS: 1000, Burst: 1000}
	cfg.RateLimit.PerUser = config.BucketConfig{RPS: 1000, Burst: 1000}
	if mutate != nil {
		mutate(cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("test config: %v", err)
	}
	fake := newPlatform()
	clock := &testClock{t: time.Now()}
	logs := &syncBuffer{}
	reg := prometheus.NewRegistry()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h, err := New(Deps{
		Config:         cfg,
		Clients:        handler.Clients{Users: fakeUsers{fake}, Products: fakeProducts{fake}, Orders: fakeOrders{fake}, Payments: fakePayments{fake}},
		Logger:         slog.New(observability.NewContextHandler(slog.NewJSONHandler(logs, nil))),
		Metrics:        reg,
		MetricsHandler: promhttp.HandlerFor(reg, promhttp.HandlerOpts{}),
		Now:            clock.Now,
	}, server.WithListener(ln))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- h.Run() }()
	client := &http.Client{Timeout: 5 * time.Second}
	t.Cleanup(func() {
		client.CloseIdleConnections()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if err := h.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		<-done
	})
	g := &gateway{t: t, base: "http://" + ln.Addr().String(), fake: fake, clock: clock, logs: logs, http: client}
	deadline := time.Now().Add(5 * time.Second)
	for !h.IsRunning() {
		if time.Now().After(deadline) {
			t.Fatal("gateway did not start")
		}
		time.Sleep(5 * time.Millisecond)
	}
	return g
}

// response is an answer with its body decoded for assertions.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r response) JSON(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("body %q is not a JSON object: %v", r.Body, err)
	}
	return m
}

// requireError checks the status and the error body of every failure:
// the code, a message, and the request ID of the response header.
func (r response) requireError(t *testing.T, status int, code string) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d; body %s", r.Status, status, r.Body)
	}
	m := r.JSON(t)
	if m["code"] != code {
		t.Fatalf("code %v, want %s; body %s", m["code"], code, r.Body)
	}
	if msg, _ := m["message"].(string); msg == "" {
		t.Fatalf("no message in %s", r.Body)
	}
	if id := r.Header.Get("X-Request-ID"); id == "" || m["request_id"] != id {
		t.Fatalf("request_id %v, want header X-Request-ID %q", m["request_id"], id)
	}
	if len(m) != 3 {
		t.Fatalf("error body has extra fields: %s", r.Body)
	}
}

type header map[string]string

func (g *gateway) do(method, path string, h header, body string) response {
	g.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, g.base+path, rd)
	if err != nil {
		g.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range h {
		req.Header.Set(k, v)
	}
	return g.send(req)
}

func (g *gateway) send(req *http.Request) response {
	g.t.Helper()
	resp, err := g.http.Do(req)
	if err != nil {
		g.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		g.t.Fatal(err)
	}
	return response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// signup registers and logs in username, returning its bearer header.
func (g *gateway) signup(username string) header {
	g.t.Helper()
	creds := fmt.Sprintf(`{"username":%q,"password":"password123"}`, username)
	if r := g.do("POST", "/api/v1/users/register", nil, creds); r.Status != http.StatusCreated {
		g.t.Fatalf("register %s: %d %s", username, r.Status, r.Body)
	}
	r := g.do("POST", "/api/v1/users/login", nil, creds)
	if r.Status != http.StatusOK {
		g.t.Fatalf("login %s: %d %s", username, r.Status, r.Body)
	}
	return header{"Authorization": "Bearer " + r.JSON(g.t)["token"].(string)}
}

func (h header) with(k, v string) header {
	out := header{k: v}
	for key, val := range h {
		if key != k {
			out[key] = val
		}
	}
	return out
}
