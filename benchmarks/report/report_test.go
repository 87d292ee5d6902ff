package report

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/kitemall/platform/benchmarks/gwbench"
	"github.com/kitemall/platform/benchmarks/rpcbench"
)

const twoRounds = `goos: linux
BenchmarkCodec/msg=M/codec=kitex-fastcodec/op=encode         	 100	        10.0 ns/op	  50 MB/s	 5.0 cpu-ns/op	       158.0 wire-B	       0 B/op	       0 allocs/op
BenchmarkCodec/msg=M/codec=kitex-fastcodec/op=decode         	 100	        30.0 ns/op	  50 MB/s	 5.0 cpu-ns/op	       158.0 wire-B	     224 B/op	       4 allocs/op
BenchmarkCodec/msg=M/codec=apache-binary/op=encode-2         	 100	        60.0 ns/op	  50 MB/s	 5.0 cpu-ns/op	       158.0 wire-B	       0 B/op	       0 allocs/op
BenchmarkCodec/msg=M/codec=apache-binary/op=decode-2         	 100	        60.0 ns/op	  50 MB/s	 5.0 cpu-ns/op	       158.0 wire-B	     224 B/op	       8 allocs/op
PASS
BenchmarkCodec/msg=M/codec=kitex-fastcodec/op=encode         	 100	        20.0 ns/op	  50 MB/s	 5.0 cpu-ns/op	       158.0 wire-B	       0 B/op	       0 allocs/op
BenchmarkCodec/msg=M/codec=kitex-fastcodec/op=decode         	 100	        20.0 ns/op	  50 MB/s	 5.0 cpu-ns/op	       158.0 wire-B	     224 B/op	       4 allocs/op
BenchmarkCodec/msg=M/codec=apache-binary/op=encode         	 100	        100.0 ns/op	  50 MB/s	 5.0 cpu-ns/op	       158.0 wire-B	       0 B/op	       0 allocs/op
BenchmarkCodec/msg=M/codec=apache-binary/op=decode         	 100	        100.0 ns/op	  50 MB/s	 5.0 cpu-ns/op	       158.0 wire-B	     224 B/op	       8 allocs/op
BenchmarkSpeedup/msg=M/vs=apache-binary 	 100	 1000 ns/op	 3.0 speedup	 4.0 enc-speedup	 2.0 dec-speedup
BenchmarkSpeedup/msg=M/vs=apache-binary 	 100	 1000 ns/op	 5.0 speedup	 6.0 enc-speedup	 4.0 dec-speedup
BenchmarkOther 	 100	        1.0 ns/op
`

func TestReadCodecSplitsRoundsAndUnits(t *testing.T) {
	runs, err := ReadCodec(strings.NewReader(twoRounds), "test")
	if err != nil {
		t.Fatal(err)
	}
	if got := runs.Rounds(); got != 2 {
		t.Fatalf("rounds = %d, want 2", got)
	}
	enc := runs.Samples[CodecKey{"M", FastCodec, "encode"}]
	if math.Abs(enc[0].NsPerOp-10) > 1e-9 || math.Abs(enc[1].NsPerOp-20) > 1e-9 || enc[0].WireBytes != 158 {
		t.Errorf("encode samples = %+v", enc)
	}
	if dec := runs.Samples[CodecKey{"M", ApacheBinary, "decode"}]; dec[0].AllocsPerOp != 8 || dec[0].BytesPerOp != 224 {
		t.Errorf("decode samples = %+v (the -2 suffix must not split the key)", dec)
	}
	if got := runs.Speedup("M", ApacheBinary, Encode); len(got) != 2 || got[1] != 6 {
		t.Errorf("encode speed-ups = %v, want [4 6]", got)
	}
	figs := CodecFigures(runs)
	if len(figs) == 0 || math.Abs(figs[0].Values[0]-3) > 1e-9 || math.Abs(figs[0].Values[1]-5) > 1e-9 {
		t.Fatalf("speed-up per round = %+v, want [3 5]", figs)
	}
}

func fig(name string, exact bool, vals ...float64) Figure {
	return Figure{Name: name, Unit: "x", Values: vals, Better: HigherIsBetter, Threshold: 0.15, Exact: exact}
}

func TestGate(t *testing.T) {
	base := []float64{3.0, 3.1, 2.9, 3.05, 2.95, 3.0}
	for _, tc := range []struct {
		name string
		cur  Figure
		want Status
	}{
		{"significant and beyond threshold", fig("f", false, 2.0, 2.1, 1.9, 2.05, 1.95, 2.0), StatusRegressed},
		{"significant but within threshold", fig("f", false, 2.8, 2.81, 2.79, 2.82, 2.78, 2.8), StatusOK},
		{"large but not significant", fig("f", false, 1.0, 5.0, 1.1, 4.9, 3.0, 1.2), StatusOK},
		{"better", fig("f", false, 4.0, 4.1, 3.9, 4.05, 3.95, 4.0), StatusImproved},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := Gate([]Figure{fig("f", false, base...)}, []Figure{tc.cur})
			if len(v) != 1 || v[0].Status != tc.want {
				t.Fatalf("verdict = %+v, want %s", v, tc.want)
			}
			if Failed(v) != (tc.want == StatusRegressed) {
				t.Errorf("Failed = %v", Failed(v))
			}
		})
	}
}

func TestGateExactFiguresFailOnAnyRegression(t *testing.T) {
	allocs := func(v float64) Figure {
		return Figure{Name: "allocs", Values: []float64{v, v, v}, Better: LowerIsBetter, Exact: true}
	}
	if v := Gate([]Figure{allocs(0)}, []Figure{allocs(1)}); !Failed(v) {
		t.Errorf("0 -> 1 allocation passed: %+v", v)
	}
	if v := Gate([]Figure{allocs(1)}, []Figure{allocs(1)}); Failed(v) {
		t.Errorf("unchanged allocations failed: %+v", v)
	}
}

func TestGateFailsWhenAFigureDisappears(t *testing.T) {
	v := Gate([]Figure{fig("gone", false, 1, 1, 1)}, nil)
	if !Failed(v) || v[0].Status != StatusMissing {
		t.Errorf("verdicts = %+v", v)
	}
	if v := Gate(nil, []Figure{fig("new", false, 1, 1, 1)}); Failed(v) {
		t.Errorf("a new figure failed the gate: %+v", v)
	}
}

func TestRPCFiguresAreGeometricMeansPerRound(t *testing.T) {
	pt := func(tr string, c, round int, qps float64) rpcbench.Point {
		return rpcbench.Point{Transport: tr, Concurrency: c, Round: round,
			Result: rpcbench.Result{QPS: qps, P99: time.Millisecond}, ServerCPUPerReq: 10}
	}
	rep := &rpcbench.Report{
		Meta: rpcbench.Meta{Rounds: 1, Concurrency: []int{1, 100}},
		Points: []rpcbench.Point{
			pt(KitexThrift, 1, 1, 200), pt(GRPC, 1, 1, 100), // 2x
			pt(KitexThrift, 100, 1, 800), pt(GRPC, 100, 1, 100), // 8x
		},
	}
	for _, f := range RPCFigures(rep) {
		if f.Name == "rpc kitex-thrift: QPS / gRPC QPS" {
			if len(f.Values) != 1 || math.Abs(f.Values[0]-4) > 1e-9 {
				t.Fatalf("QPS ratio = %v, want [4] (geomean of 2 and 8)", f.Values)
			}
			return
		}
	}
	t.Fatal("no kitex-thrift QPS figure")
}

func TestGatewayFigureIsTheGeometricMeanOfQPSRatiosPerRound(t *testing.T) {
	pt := func(target string, c, round int, qps float64) gwbench.Point {
		return gwbench.Point{Target: target, Route: gwbench.RouteGetProduct, Concurrency: c, Round: round, Result: rpcbench.Result{QPS: qps}}
	}
	rep := &gwbench.Report{
		Meta: gwbench.Meta{Rounds: 2, Concurrency: []int{16, 64}},
		Points: []gwbench.Point{
			pt(gwbench.TargetGateway, 16, 1, 100), pt(gwbench.TargetBare, 16, 1, 1000), // 0.1
			pt(gwbench.TargetGateway, 64, 1, 400), pt(gwbench.TargetBare, 64, 1, 1000), // 0.4
			pt(gwbench.TargetGateway, 16, 2, 500), pt(gwbench.TargetBare, 16, 2, 1000),
			pt(gwbench.TargetGatewayNoCache, 16, 1, 50), pt(gwbench.TargetGatewayNoCache, 64, 1, 50), // 0.05
			// An order point must not count as a read.
			{Target: gwbench.TargetGateway, Route: gwbench.RouteCreateOrder, Concurrency: 64, Round: 2, Result: rpcbench.Result{QPS: 1}},
		},
	}
	figs := GatewayFigures(rep)
	if len(figs) != 2 || len(figs[0].Values) != 2 || len(figs[1].Values) != 1 {
		t.Fatalf("figures = %+v, want the shipped gateway's with two rounds and the no-cache one's with one", figs)
	}
	if v := figs[0].Values; math.Abs(v[0]-0.2) > 1e-9 || math.Abs(v[1]-0.5) > 1e-9 {
		t.Errorf("values = %v, want [0.2 (geomean of 0.1 and 0.4) 0.5]", v)
	}
	if v := figs[1].Values; math.Abs(v[0]-0.05) > 1e-9 {
		t.Errorf("no-cache values = %v, want [0.05]", v)
	}
	rows := GatewayRatioTable(rep).Rows
	if len(rows) != 4 || rows[0][2] != "0.30 ✗" || rows[1][2] != "0.40 ✗" || rows[2][0] != gwbench.TargetGatewayNoCache || rows[2][2] != "0.05 ✗" {
		t.Errorf("ratio rows = %v, want medians 0.30 (of 0.1 and 0.5) and 0.40, both missing the 0.5 target, then no-cache's 0.05", rows)
	}
}

func TestPlatformPathTableComparesWithRawTCPAndPlainKitex(t *testing.T) {
	pt := func(tr string, cpu float64) rpcbench.Point {
		return rpcbench.Point{Transport: tr, Concurrency: 16, Round: 1, Result: rpcbench.Result{QPS: 1000}, ServerCPUPerReq: cpu}
	}
	rep := &rpcbench.Report{
		Meta:   rpcbench.Meta{Rounds: 1, Concurrency: []int{16}},
		Points: []rpcbench.Point{pt("kitex-platform", 24), pt("kitex-thrift-mux", 12), pt(RawTCP, 20)},
	}
	rows := PlatformPathTable(rep).Rows
	if len(rows) != 1 || rows[0][3] != "1.20 ✓" || rows[0][5] != "2.00" {
		t.Errorf("rows = %v, want 1.20 ✓ against raw TCP and 2.00 against plain mux", rows)
	}
	for _, f := range RPCFigures(rep) {
		if f.Name == "rpc kitex-platform: raw-tcp server CPU/req / server CPU/req" {
			if math.Abs(f.Values[0]-20.0/24) > 1e-9 {
				t.Errorf("figure = %v, want %v", f.Values, 20.0/24)
			}
			return
		}
	}
	t.Error("no platform-path figure")
}
