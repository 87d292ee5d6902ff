package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

func TestNamedTargetsParsesNameValueLists(t *testing.T) {
	tests := []struct {
		name    string
		raw     string
		want    map[string]string
		wantErr bool
	}{
		{"empty is nothing", "", map[string]string{}, false},
		{"pairs with spaces", "order=12, product=34", map[string]string{"order": "12", "product": "34"}, false},
		{"a url keeps its own equals signs", "order=http://h/metrics?a=b", map[string]string{"order": "http://h/metrics?a=b"}, false},
		{"a bare name is refused", "order", nil, true},
		{"an empty value is refused", "order=", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := namedTargets(tt.raw)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for k, v := range tt.want {
				if got[k] != v {
					t.Fatalf("got %v, want %v", got, tt.want)
				}
			}
		})
	}
}

func TestCPUTimeGrowsWithWork(t *testing.T) {
	pid := strconv.Itoa(os.Getpid())
	before, err := cpuTime(pid)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(300 * time.Millisecond)
	for x := 0; time.Now().Before(deadline); x++ {
		_ = strconv.Itoa(x)
	}
	after, err := cpuTime(pid)
	if err != nil {
		t.Fatal(err)
	}
	if after-before < 100*time.Millisecond {
		t.Fatalf("300 ms of busy work read as %v of CPU", after-before)
	}
	if _, err := cpuTime("0"); err == nil {
		t.Fatal("pid 0 has no /proc entry, want an error")
	}
}

func TestCPUSamplerFollowsAPidFile(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "svc.pid")
	if err := os.WriteFile(pidFile, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := startCPUSampler(map[string]string{"byfile": "@" + pidFile, "self": "self", "gone": "@" + pidFile + ".missing"}, 50*time.Millisecond)
	deadline := time.Now().Add(300 * time.Millisecond)
	for x := 0; time.Now().Before(deadline); x++ {
		_ = strconv.Itoa(x)
	}
	got := s.finish()
	for _, name := range []string{"byfile", "self"} {
		if got[name] < 100*time.Millisecond {
			t.Fatalf("%s: 300 ms of busy work read as %v of CPU", name, got[name])
		}
	}
	if _, ok := got["gone"]; ok {
		t.Fatalf("a missing pid file was counted: %v", got)
	}
}

func TestScrapeLatencySumsKitexServerHistogramsPerMethod(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`# TYPE kitex_server_latency_us histogram
kitex_server_latency_us_bucket{callee="order",caller="gateway",method="CreateOrder",le="+Inf"} 3
kitex_server_latency_us_sum{callee="order",caller="gateway",method="CreateOrder"} 3000
kitex_server_latency_us_count{callee="order",caller="gateway",method="CreateOrder"} 3
kitex_server_latency_us_sum{callee="order",caller="payment",method="GetOrder"} 400
kitex_server_latency_us_count{callee="order",caller="payment",method="GetOrder"} 2
kitex_server_latency_us_sum{callee="order",caller="gateway",method="GetOrder"} 100
kitex_server_latency_us_count{callee="order",caller="gateway",method="GetOrder"} 1
go_goroutines 12
`))
	}))
	defer srv.Close()
	got, err := scrapeLatency(context.Background(), map[string]string{"order": srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	if e := got["order CreateOrder"]; e.calls != 3 || e.sumUs != 3000 {
		t.Fatalf("CreateOrder = %+v, want 3 calls, 3000 us", e)
	}
	if e := got["order GetOrder"]; e.calls != 3 || e.sumUs != 500 {
		t.Fatalf("GetOrder (two callers) = %+v, want 3 calls, 500 us", e)
	}
	if len(got) != 2 {
		t.Fatalf("got %d methods, want 2: %v", len(got), got)
	}
}
