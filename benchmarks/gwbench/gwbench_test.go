package gwbench

import (
	"context"
	"math"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cloudwego/hertz/pkg/app"
	"github.com/cloudwego/hertz/pkg/app/server"
	"github.com/cloudwego/hertz/pkg/protocol/consts"
	"gopkg.in/yaml.v3"

	"github.com/kitemall/platform/benchmarks/rpcbench"
)

const productID = 42

var productBody = []byte(`{"product_id":42,"name":"Kettle","description":"1.2 l","category":"gear","price_cents":4599,"stock":1000000,"status":"ON_SALE","created_at":"2026-11-24T03:00:00.000Z","updated_at":"2026-11-24T03:00:00.000Z"}` + "\n")

// listen returns a loopback listener and its base URL.
func listen(tb testing.TB) (net.Listener, string) {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	return ln, "http://" + ln.Addr().String()
}

// serveBare runs the bare server for the test's duration.
func serveBare(tb testing.TB) string {
	tb.Helper()
	ln, base := listen(tb)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ServeBare(ctx, ln, productID, productBody) }()
	tb.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				tb.Errorf("bare server: %v", err)
			}
		case <-time.After(10 * time.Second):
			tb.Error("bare server did not stop")
		}
	})
	return base
}

func newClient(tb testing.TB, conns int) *ProductReader {
	tb.Helper()
	c, err := NewHTTPClient(conns)
	if err != nil {
		tb.Fatal(err)
	}
	return NewProductReader(c, serveBare(tb), productID)
}

// TestBareServerAnswersTheProductAndNothingElse proves the bare handler
// serves exactly the body it was given on the gateway's route, and that
// the reader's check rejects another product's answer.
func TestBareServerAnswersTheProductAndNothingElse(t *testing.T) {
	r := newClient(t, 4)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	got, err := r.Fetch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(productBody) {
		t.Fatalf("body = %q, want %q", got, productBody)
	}
	other := NewProductReader(r.c, strings.TrimSuffix(r.url, ProductPath+"42"), productID+1)
	if err := other.Call(ctx); err == nil || !strings.Contains(err.Error(), "status 404") {
		t.Errorf("reading product %d: err = %v, want a 404", productID+1, err)
	}

	res, err := rpcbench.Run(ctx, r, rpcbench.Load{Concurrency: 4, Duration: time.Second, MaxRequests: 200})
	if err != nil {
		t.Fatal(err)
	}
	if res.Errors != 0 || res.Requests < 200 {
		t.Fatalf("closed loop: %d ok, %d errors (first: %s), want 200 ok", res.Requests, res.Errors, res.FirstError)
	}
}

// BenchmarkBareHertz drives the bare server with the load generator, 16
// callers, b.N calls in all, every answer checked; `make test` runs it once
// (-benchtime=1x).
func BenchmarkBareHertz(b *testing.B) {
	r := newClient(b, 16)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	b.ResetTimer()
	res, err := rpcbench.Run(ctx, r, rpcbench.Load{Concurrency: 16, Duration: 50 * time.Second, MaxRequests: int64(b.N)})
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	if res.Errors != 0 || res.Requests < int64(b.N) {
		b.Fatalf("%d ok, %d errors (first: %s), want %d ok", res.Requests, res.Errors, res.FirstError, b.N)
	}
	b.ReportMetric(res.QPS, "qps")
}

// TestOrderCreatorSendsAFreshKeyAndTheTokenEachCall proves every order
// call carries the bearer token, the one-item body and an Idempotency-Key
// never sent before, and that an answer other than 201 with an order ID
// fails the call.
func TestOrderCreatorSendsAFreshKeyAndTheTokenEachCall(t *testing.T) {
	var (
		mu   sync.Mutex
		keys []string
	)
	ln, base := listen(t)
	h := server.New(server.WithListener(ln), server.WithDisablePrintRoute(true), server.WithExitWaitTime(time.Second))
	h.POST("/api/v1/orders", func(_ context.Context, c *app.RequestContext) {
		key := string(c.GetHeader("Idempotency-Key"))
		if string(c.GetHeader("Authorization")) != "Bearer tok" || string(c.Request.Body()) != `{"items":[{"product_id":42,"quantity":1}]}` {
			c.Data(consts.StatusBadRequest, "application/json", []byte(`{"code":"INVALID_ARGUMENT"}`))
			return
		}
		mu.Lock()
		keys = append(keys, key)
		mu.Unlock()
		if key == "run-3" {
			c.Data(consts.StatusConflict, "application/json", []byte(`{"code":"INSUFFICIENT_STOCK"}`))
			return
		}
		c.Data(consts.StatusCreated, "application/json", []byte(`{"order_id":7,"status":"PENDING_PAYMENT"}`))
	})
	go func() { _ = h.Run() }() // stopped by Shutdown below, which reports its error
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := h.Shutdown(ctx); err != nil {
			t.Error(err)
		}
	})
	c, err := NewHTTPClient(1)
	if err != nil {
		t.Fatal(err)
	}
	o := NewOrderCreator(c, base, "tok", productID, "run")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// The listener is open already, so the first call waits in its backlog
	// until the server runs.
	for range 2 {
		if err := o.Call(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if err := o.Call(ctx); err == nil || !strings.Contains(err.Error(), "status 409") {
		t.Errorf("third call: err = %v, want the 409 reported", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(keys) != 3 || keys[0] == keys[1] || keys[1] == keys[2] || keys[2] != "run-3" {
		t.Errorf("keys = %v, want three distinct keys ending with run-3", keys)
	}
	if o.Created() != 3 {
		t.Errorf("Created = %d, want 3", o.Created())
	}
}

// TestGatewayConfigRaisesOnlyTheRateLimits proves the run's gateway config
// is the shipped one with both rate limits out of the way.
func TestGatewayConfigRaisesOnlyTheRateLimits(t *testing.T) {
	src := t.TempDir()
	shipped, err := os.ReadFile(filepath.Join("..", "..", "gateway", "conf", "gateway.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(src, "gateway", "conf"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "gateway", "conf", "gateway.yaml"), shipped, 0o644); err != nil {
		t.Fatal(err)
	}
	path, err := writeGatewayConfig(PlatformConfig{Src: src, LogDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	var before, after map[string]any
	for _, f := range []struct {
		path string
		into *map[string]any
	}{{filepath.Join(src, "gateway", "conf", "gateway.yaml"), &before}, {path, &after}} {
		b, err := os.ReadFile(f.path)
		if err != nil {
			t.Fatal(err)
		}
		if err := yaml.Unmarshal(b, f.into); err != nil {
			t.Fatal(err)
		}
	}
	limits := after["rate_limit"].(map[string]any)
	for _, k := range []string{"per_ip", "per_user"} {
		b := limits[k].(map[string]any)
		if b["rps"].(float64) < 1e9 || b["burst"].(int) < 1e9 {
			t.Errorf("rate_limit.%s = %v, want out of the way", k, b)
		}
	}
	delete(before, "rate_limit")
	delete(after, "rate_limit")
	if a, b := mustYAML(t, before), mustYAML(t, after); a != b {
		t.Errorf("keys besides rate_limit changed:\n%s\nvs\n%s", a, b)
	}
}

func mustYAML(t *testing.T, v any) string {
	t.Helper()
	b, err := yaml.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestComponentsSumsSelfTimeByComponent proves perf's self-time lines are
// attributed to the right component and summed, largest first.
func TestComponentsSumsSelfTimeByComponent(t *testing.T) {
	perf := `# Samples: 1K of event 'cpu-clock'
#
     4.84%  [k] _raw_spin_unlock_irqrestore     -      -
     3.36%  [.] runtime.memmove                 -      -
     2.00%  [.] go.opentelemetry.io/otel/sdk/trace.(*recordingSpan).End
     1.50%  [.] github.com/kitex-contrib/obs-opentelemetry/tracing.(*clientTracer).Finish
     1.00%  [.] github.com/kitemall/platform/kitex_gen/product.(*Product).FastRead
     0.50%  [.] github.com/kitemall/platform/gateway/internal/middleware.limit
     0.25%  [.] log/slog.(*handleState).appendAttr
     0.10%  [.] mystery
`
	got := Components(perf)
	want := map[string]float64{
		Kernel: 4.84,
		"Go runtime (malloc, GC, scheduler, hashing)":                         3.36,
		"OpenTelemetry (spans, events, propagation; Hertz and Kitex tracers)": 3.5,
		"Kitex client (middleware, TTHeader, codec, mux)":                     1.0,
		"gateway code (handlers, middleware, rate limit)":                     0.5,
		"access log (log/slog JSON)":                                          0.25,
		Other:                                                                 0.1,
	}
	if len(got) != len(want) {
		t.Fatalf("components = %+v, want %d of them", got, len(want))
	}
	for i, s := range got {
		if math.Abs(s.Percent-want[s.Component]) > 1e-9 {
			t.Errorf("%s = %.2f%%, want %.2f%%", s.Component, s.Percent, want[s.Component])
		}
		if i > 0 && got[i-1].Percent < s.Percent {
			t.Errorf("not sorted: %+v", got)
		}
	}
}

// TestAttributeChargesRuntimeTimeToItsCaller proves a sample is charged to
// the innermost library frame under runtime, standard library and kernel
// frames, and that the GC's background workers get their own share.
func TestAttributeChargesRuntimeTimeToItsCaller(t *testing.T) {
	script := `
	ffffffff81000c82 asm_exc_page_fault
	           27f2e runtime.mallocgc
	           27f2f runtime.newobject
	           1111 go.opentelemetry.io/otel/sdk/trace.(*tracer).Start
	           2222 github.com/cloudwego/hertz/pkg/route.(*Engine).ServeHTTP

	           3333 runtime.scanObject
	           4444 runtime.gcBgMarkWorker
	           5555 runtime.goexit.abi0

	ffffffff8100aaaa tcp_sendmsg
	           6666 syscall.Syscall6
	           7777 github.com/cloudwego/netpoll.sendmsg

	           8888 go.shape.struct { Name string }.Mystery
`
	got := map[string]float64{}
	for _, s := range Attribute(script) {
		got[s.Component] = s.Percent
	}
	want := map[string]float64{
		"OpenTelemetry (spans, events, propagation; Hertz and Kitex tracers)": 25,
		GCWorkers: 25,
		"netpoll": 25,
		Other:     25,
	}
	if len(got) != len(want) {
		t.Fatalf("shares = %v, want %v", got, want)
	}
	for k, v := range want {
		if math.Abs(got[k]-v) > 1e-9 {
			t.Errorf("%s = %.1f%%, want %.1f%%", k, got[k], v)
		}
	}
}
