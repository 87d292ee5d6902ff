package report

import (
	"fmt"
	"math"
	"slices"

	"golang.org/x/perf/benchmath"

	"github.com/kitemall/platform/benchmarks/rpcbench"
)

// Names of the peers the figures compare against.
const (
	FastCodec     = "kitex-fastcodec"
	ApacheBinary  = "apache-binary"
	ProtobufGo    = "protobuf-go"
	KitexProtobuf = "kitex-protobuf"

	KitexThrift = "kitex-thrift"
	GRPC        = "grpc"
	RawTCP      = "raw-tcp"
)

// KitexTransports are the sweep's Kitex paths, compared with gRPC.
var KitexTransports = []string{"kitex-thrift", "kitex-thrift-mux", "kitex-protobuf"}

// Direction says which way a figure improves.
type Direction int

const (
	HigherIsBetter Direction = iota
	LowerIsBetter
)

// Figure is one tracked number, measured once per round. Every figure is
// a ratio between peers measured in the same round (or an exact count),
// so a slower or busier machine moves both sides and cancels out.
type Figure struct {
	Name   string
	Unit   string
	Values []float64
	Better Direction
	// Threshold is the relative regression that fails the gate when it is
	// also statistically significant; Exact figures (allocation counts)
	// are deterministic and fail on any regression.
	Threshold float64
	Exact     bool
}

// Center is the figure's median over rounds.
func (f Figure) Center() float64 { return median(f.Values) }

// Gate thresholds. Paired codec ratios (CPU time, alternating slices) are
// steady to a few percent between runs; RPC ratios move more on a shared
// 2-core machine, tail latency most.
const (
	CodecThreshold = 0.15
	RPCThreshold   = 0.25
	TailThreshold  = 0.35
)

// CodecFigures derives the tracked codec figures: for every message,
// FastCodec's encode+decode speed-up over Apache binary and protobuf-go
// (paired measurements, see codec.Pair), and FastCodec's allocations.
func CodecFigures(c *CodecRuns) []Figure {
	var figs []Figure
	for _, msg := range c.Msgs {
		for _, peer := range []string{ApacheBinary, ProtobufGo} {
			if v := c.Speedup(msg, peer, Both); len(v) > 0 {
				figs = append(figs, Figure{
					Name:      fmt.Sprintf("codec %s: fastcodec speed-up vs %s", msg, peer),
					Unit:      "x",
					Values:    v,
					Better:    HigherIsBetter,
					Threshold: CodecThreshold,
				})
			}
		}
		for _, op := range []string{"encode", "decode"} {
			var allocs []float64
			for _, s := range c.Samples[CodecKey{msg, FastCodec, op}] {
				allocs = append(allocs, s.AllocsPerOp)
			}
			if len(allocs) > 0 {
				figs = append(figs, Figure{
					Name:   fmt.Sprintf("codec %s: fastcodec %s allocs/op", msg, op),
					Unit:   "allocs",
					Values: allocs,
					Better: LowerIsBetter,
					Exact:  true,
				})
			}
		}
	}
	return figs
}

// rpcRatio returns, per round, the geometric mean over concurrency levels
// of f(transport's point, peer's point).
func rpcRatio(rep *rpcbench.Report, transport, peer string, f func(t, p rpcbench.Point) float64) []float64 {
	byKey := map[[3]int]rpcbench.Point{} // round, concurrency, side
	for _, p := range rep.Points {
		switch p.Transport {
		case transport:
			byKey[[3]int{p.Round, p.Concurrency, 0}] = p
		case peer:
			byKey[[3]int{p.Round, p.Concurrency, 1}] = p
		}
	}
	var out []float64
	for round := 1; round <= rep.Meta.Rounds; round++ {
		logSum, n := 0.0, 0
		for _, c := range rep.Meta.Concurrency {
			t, ok1 := byKey[[3]int{round, c, 0}]
			p, ok2 := byKey[[3]int{round, c, 1}]
			if !ok1 || !ok2 {
				continue
			}
			if v := f(t, p); v > 0 && !math.IsInf(v, 0) {
				logSum += math.Log(v)
				n++
			}
		}
		if n > 0 {
			out = append(out, math.Exp(logSum/float64(n)))
		}
	}
	return out
}

// RPCFigures derives the tracked RPC figures: each Kitex path's QPS over
// gRPC's, and for the default path (Thrift over the pool) also gRPC's p99
// and server CPU per request over ours, and our QPS over the raw ceiling;
// for the platform paths, raw TCP's server CPU per request over theirs.
// Each is the geometric mean over the concurrency levels of one round.
func RPCFigures(rep *rpcbench.Report) []Figure {
	qps := func(t, p rpcbench.Point) float64 { return t.QPS / p.QPS }
	var figs []Figure
	for _, tr := range KitexTransports {
		figs = append(figs, Figure{
			Name: fmt.Sprintf("rpc %s: QPS / gRPC QPS", tr), Unit: "x",
			Values: rpcRatio(rep, tr, GRPC, qps), Better: HigherIsBetter, Threshold: RPCThreshold,
		})
	}
	figs = append(figs,
		Figure{
			Name: "rpc kitex-thrift: gRPC p99 / p99", Unit: "x",
			Values: rpcRatio(rep, KitexThrift, GRPC, func(t, p rpcbench.Point) float64 { return float64(p.P99) / float64(t.P99) }),
			Better: HigherIsBetter, Threshold: TailThreshold,
		},
		Figure{
			Name: "rpc kitex-thrift: gRPC server CPU/req / server CPU/req", Unit: "x",
			Values: rpcRatio(rep, KitexThrift, GRPC, func(t, p rpcbench.Point) float64 { return p.ServerCPUPerReq / t.ServerCPUPerReq }),
			Better: HigherIsBetter, Threshold: RPCThreshold,
		},
		Figure{
			Name: "rpc kitex-thrift: QPS / raw-tcp QPS", Unit: "x",
			Values: rpcRatio(rep, KitexThrift, RawTCP, qps), Better: HigherIsBetter, Threshold: RPCThreshold,
		},
	)
	for _, pp := range PlatformPaths {
		figs = append(figs, Figure{
			Name: fmt.Sprintf("rpc %s: raw-tcp server CPU/req / server CPU/req", pp.Path), Unit: "x",
			Values: rpcRatio(rep, pp.Path, RawTCP, func(t, p rpcbench.Point) float64 { return p.ServerCPUPerReq / t.ServerCPUPerReq }),
			Better: HigherIsBetter, Threshold: RPCThreshold,
		})
	}
	return slices.DeleteFunc(figs, func(f Figure) bool { return len(f.Values) == 0 })
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	return benchmath.AssumeNothing.Summary(benchmath.NewSample(slices.Clone(v), &benchmath.DefaultThresholds), 0.95).Center
}
