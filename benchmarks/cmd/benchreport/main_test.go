package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kitemall/platform/benchmarks/gwbench"
	"github.com/kitemall/platform/benchmarks/rpcbench"
)

// writeRun writes a synthetic run whose FastCodec is `speedup` times faster
// than Apache binary, with a little spread over six rounds.
func writeRun(t *testing.T, dir string, speedup float64) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for round := range 6 {
		s := speedup * (1 + 0.01*float64(round%3))
		for _, codec := range []string{"kitex-fastcodec", "apache-binary", "protobuf-go", "kitex-protobuf"} {
			for _, op := range []string{"encode", "decode"} {
				fmt.Fprintf(&b, "BenchmarkCodec/msg=M/codec=%s/op=%s \t 100\t 100 ns/op\t 90 cpu-ns/op\t 158 wire-B\t 0 B/op\t 0 allocs/op\n", codec, op)
			}
		}
		for _, peer := range []string{"apache-binary", "protobuf-go", "kitex-protobuf"} {
			fmt.Fprintf(&b, "BenchmarkSpeedup/msg=M/vs=%s \t 100\t 1000 ns/op\t %.3f speedup\t %.3f enc-speedup\t %.3f dec-speedup\n", peer, s, s, s)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, codecFile), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	rep := &rpcbench.Report{Meta: rpcbench.Meta{Rounds: 2, Concurrency: []int{1}, Transports: []string{"kitex-thrift", "grpc"}, Duration: time.Second}}
	for round := 1; round <= 2; round++ {
		for tr, qps := range map[string]float64{"kitex-thrift": 200, "grpc": 100} {
			rep.Points = append(rep.Points, rpcbench.Point{Transport: tr, Concurrency: 1, Round: round,
				Result: rpcbench.Result{QPS: qps, Requests: 100, P50: time.Millisecond, P99: time.Millisecond, P999: time.Millisecond}, ServerCPUPerReq: 10})
		}
	}
	if err := rep.Write(filepath.Join(dir, rpcFile)); err != nil {
		t.Fatal(err)
	}
	writeGateway(t, dir, 0.1)
}

// writeGateway writes a synthetic gateway run in which the gateway serves
// ratio times the bare server's QPS, with a little spread over rounds.
func writeGateway(t *testing.T, dir string, ratio float64) {
	t.Helper()
	gw := &gwbench.Report{
		Meta:   gwbench.Meta{Rounds: 4, Concurrency: []int{16}, OrderConcurrency: []int{16}, MemConcurrency: 500, Duration: time.Second},
		Memory: []gwbench.Memory{{Process: "product", IdleRSS: 40 << 20, LoadHWM: 50 << 20, ConcHWM: 60 << 20}},
	}
	for round := 1; round <= 4; round++ {
		spread := 1 + 0.01*float64(round)
		for _, p := range []gwbench.Point{
			{Target: gwbench.TargetGateway, Route: gwbench.RouteGetProduct, Result: rpcbench.Result{QPS: 10000 * ratio * spread}},
			{Target: gwbench.TargetBare, Route: gwbench.RouteGetProduct, Result: rpcbench.Result{QPS: 10000}},
			{Target: gwbench.TargetGateway, Route: gwbench.RouteCreateOrder, Result: rpcbench.Result{QPS: 200}},
		} {
			p.Concurrency, p.Round = 16, round
			p.Requests, p.P50, p.P99, p.P999 = 100, time.Millisecond, time.Millisecond, time.Millisecond
			gw.Points = append(gw.Points, p)
		}
	}
	if err := gw.Write(filepath.Join(dir, gatewayFile)); err != nil {
		t.Fatal(err)
	}
}

// TestGateFailsOnASlowerCodec runs the whole report on synthetic runs: it
// passes against an equal baseline and fails when FastCodec's speed-up
// drops by a third, and writes the summary, the charts and the README.
func TestGateFailsOnASlowerCodec(t *testing.T) {
	dir := t.TempDir()
	base, same, slow := filepath.Join(dir, "base"), filepath.Join(dir, "same"), filepath.Join(dir, "slow")
	writeRun(t, base, 3)
	writeRun(t, same, 3)
	writeRun(t, slow, 2)
	readme := filepath.Join(dir, "README.md")
	if err := os.WriteFile(readme, []byte("# B\n"+readmeBegin+"\nold\n"+readmeEnd+"\ntail\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	failed, err := run(io.Discard, same, base, true, readme)
	if err != nil || failed {
		t.Fatalf("equal run: failed=%v err=%v", failed, err)
	}
	failed, err = run(io.Discard, slow, base, true, "")
	if err != nil || !failed {
		t.Fatalf("slower codec: failed=%v err=%v, want a failure", failed, err)
	}

	for _, f := range []string{summaryFile, "codec.png", "rpc_qps.png", "gateway.png"} {
		if _, err := os.Stat(filepath.Join(same, f)); err != nil {
			t.Errorf("run did not write %s: %v", f, err)
		}
	}
	b, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	if s := string(b); strings.Contains(s, "old") || !strings.Contains(s, "tail") || !strings.Contains(s, "codec.png") {
		t.Errorf("README section not refreshed in place:\n%s", s)
	}
}

// TestGateFailsOnASlowerGateway proves the gateway's QPS ratio is gated:
// a run whose gateway serves half the baseline's share of the bare
// server's QPS fails.
func TestGateFailsOnASlowerGateway(t *testing.T) {
	dir := t.TempDir()
	base, slow := filepath.Join(dir, "base"), filepath.Join(dir, "slow")
	writeRun(t, base, 3)
	writeRun(t, slow, 3)
	writeGateway(t, slow, 0.05)
	failed, err := run(io.Discard, slow, base, true, "")
	if err != nil || !failed {
		t.Fatalf("slower gateway: failed=%v err=%v, want a failure", failed, err)
	}
}
