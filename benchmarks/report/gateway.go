package report

import (
	"fmt"
	"math"
	"slices"

	"github.com/kitemall/platform/benchmarks/gwbench"
	"github.com/kitemall/platform/benchmarks/rpcbench"
)

// Targets of the gateway run and the platform path (issue 8).
const (
	GatewayTargetQPS  = 0.5       // gateway QPS vs the bare Hertz handler, cached product read
	PlatformTargetCPU = 1.3       // platform path server CPU per request vs raw TCP, at most
	IdleRSSTarget     = 64 << 20  // each process idle, below
	LoadRSSTarget     = 200 << 20 // each process under load, below
)

// GatewayThreshold is generous: the ratio pits a one-process handler
// against five processes and the shared stack, on a shared 2-core machine.
const GatewayThreshold = 0.40

// Platform paths and the plain Kitex path each is compared with.
var PlatformPaths = []struct{ Path, Plain string }{
	{"kitex-platform", "kitex-thrift-mux"},
	{"kitex-platform-traced", "kitex-thrift-mux"},
	{"kitex-platform-pool", KitexThrift},
}

// gwKey groups a gateway run's points.
type gwKey struct {
	target, route string
	conc          int
}

// gwMedians is the median over rounds of a target's figures.
type gwMedians struct {
	QPS, P50, P99, P999, Front, Backend, Client float64
	Errors                                      int64
}

func gatewayMedians(rep *gwbench.Report) map[gwKey]gwMedians {
	groups := map[gwKey][]gwbench.Point{}
	for _, p := range rep.Points {
		k := gwKey{p.Target, p.Route, p.Concurrency}
		groups[k] = append(groups[k], p)
	}
	out := map[gwKey]gwMedians{}
	for k, ps := range groups {
		pick := func(f func(gwbench.Point) float64) float64 {
			v := make([]float64, len(ps))
			for i, p := range ps {
				v[i] = f(p)
			}
			return median(v)
		}
		m := gwMedians{
			QPS:     pick(func(p gwbench.Point) float64 { return p.QPS }),
			P50:     pick(func(p gwbench.Point) float64 { return float64(p.P50) }),
			P99:     pick(func(p gwbench.Point) float64 { return float64(p.P99) }),
			P999:    pick(func(p gwbench.Point) float64 { return float64(p.P999) }),
			Front:   pick(func(p gwbench.Point) float64 { return p.FrontCPUPerReq }),
			Backend: pick(func(p gwbench.Point) float64 { return p.BackendCPUPerReq }),
			Client:  pick(func(p gwbench.Point) float64 { return p.ClientCPUPerReq }),
		}
		for _, p := range ps {
			m.Errors += p.Errors
		}
		out[k] = m
	}
	return out
}

// gatewayRows lists a run's series in report order: the product read
// through the gateway and on the bare server, then the order write.
func gatewayRows(rep *gwbench.Report) []gwKey {
	var keys []gwKey
	for _, s := range []struct {
		target, route string
		conc          []int
	}{
		{gwbench.TargetGateway, gwbench.RouteGetProduct, rep.Meta.Concurrency},
		{gwbench.TargetGatewayNoCache, gwbench.RouteGetProduct, rep.Meta.Concurrency},
		{gwbench.TargetBare, gwbench.RouteGetProduct, rep.Meta.Concurrency},
		{gwbench.TargetGateway, gwbench.RouteCreateOrder, rep.Meta.OrderConcurrency},
	} {
		for _, c := range s.conc {
			keys = append(keys, gwKey{s.target, s.route, c})
		}
	}
	return keys
}

// GatewayTable lists every point of the gateway run (medians over rounds).
func GatewayTable(rep *gwbench.Report) Table {
	med := gatewayMedians(rep)
	m := rep.Meta
	t := Table{
		Title: fmt.Sprintf("Gateway: end to end over HTTP, median of %d rounds (orders: %d) of %v per point", m.Rounds, m.OrderRounds, m.Duration),
		Header: []string{"target", "route", "conc", "QPS", "p50 ms", "p99 ms", "p99.9 ms",
			"HTTP server µs/req", "services µs/req", "client µs/req", "errors"},
		Note: fmt.Sprintf("The gateway and the bare Hertz server pinned to core %d (GOMAXPROCS %d), the load generator (Hertz client, keep-alive, "+
			"one connection per caller) to core %d; the four services, etcd, MariaDB, Redis and RocketMQ of the shared stack unpinned. "+
			"Transport %s, gateway log level %s (an access-log line per request, as shipped), rate limits raised for the run. "+
			"CPU per request from /proc/<pid>/stat: the HTTP server's, the four services' together (not the stack's), the load generator's. "+
			"Orders: quantity 1 of one product, a new Idempotency-Key each, at most %d measured per point (%d created in the run). "+
			"Machine load average (1 min) %.1f at the start, %.1f at the end.",
			m.ServerCPU, m.ServerProcs, m.ClientCPU, m.Transport, m.GatewayLogLevel, m.MaxOrders, m.Orders, m.LoadAvg[0], m.LoadAvg[1]),
	}
	for _, k := range gatewayRows(rep) {
		v, ok := med[k]
		if !ok {
			continue
		}
		backend := fmt.Sprintf("%.1f", v.Backend)
		if k.target == gwbench.TargetBare {
			backend = "-"
		}
		t.Rows = append(t.Rows, []string{
			k.target, k.route, fmt.Sprint(k.conc), fmt.Sprintf("%.0f", v.QPS), msStr(v.P50), msStr(v.P99), msStr(v.P999),
			fmt.Sprintf("%.1f", v.Front), backend, fmt.Sprintf("%.1f", v.Client), fmt.Sprint(v.Errors),
		})
	}
	return t
}

// GatewayRatioTable compares the product read through the gateway, as
// shipped (its micro-cache) and read through to the product service, with
// the bare Hertz handler at each concurrency.
func GatewayRatioTable(rep *gwbench.Report) Table {
	med := gatewayMedians(rep)
	t := Table{
		Title:  "Gateway hop: product read through the gateway vs the bare Hertz handler",
		Header: []string{"gateway", "conc", "QPS gateway / bare", "p99 gateway / bare", "gateway CPU/req / bare", "gateway + services CPU/req / bare"},
		Note: fmt.Sprintf("Target: QPS gateway / bare >= %.1f (met: ✓, missed: ✗). Ratios of medians. "+
			"gateway: as shipped, the product served by its one-second micro-cache; "+
			"gateway-no-cache: Cache-Control: no-cache, so every read crosses the Kitex hop to the product service and its Redis cache.", GatewayTargetQPS),
	}
	for _, target := range []string{gwbench.TargetGateway, gwbench.TargetGatewayNoCache} {
		for _, c := range rep.Meta.Concurrency {
			g, ok1 := med[gwKey{target, gwbench.RouteGetProduct, c}]
			b, ok2 := med[gwKey{gwbench.TargetBare, gwbench.RouteGetProduct, c}]
			if !ok1 || !ok2 {
				continue
			}
			t.Rows = append(t.Rows, []string{
				target, fmt.Sprint(c), mark(g.QPS/b.QPS, g.QPS/b.QPS >= GatewayTargetQPS),
				fmt.Sprintf("%.1f", g.P99/b.P99), fmt.Sprintf("%.1f", g.Front/b.Front), fmt.Sprintf("%.1f", (g.Front+g.Backend)/b.Front),
			})
		}
	}
	return t
}

// GatewayMemoryTable reports every process's RSS idle and under load
// against the memory targets.
func GatewayMemoryTable(rep *gwbench.Report) Table {
	t := Table{
		Title:  "Memory of the real processes (RSS, MiB)",
		Header: []string{"process", "idle", "peak under the gateway load (VmHWM)", "peak sampled", fmt.Sprintf("peak at %d GetProduct in flight", rep.Meta.MemConcurrency)},
		Note: fmt.Sprintf("Idle: after start and one call reaching the process. Under load: during every gateway run above (reads at up to %d, orders at up to %d callers). "+
			"%d in flight: a closed loop of %d callers of GetProduct at the product service through a kitexsuite client (%s), %v. "+
			"Targets: idle < %d MiB, under load < %d MiB (met: ✓, missed: ✗).",
			slices.Max(rep.Meta.Concurrency), slices.Max(rep.Meta.OrderConcurrency), rep.Meta.MemConcurrency, rep.Meta.MemConcurrency,
			rep.Meta.Transport, rep.Meta.Duration, IdleRSSTarget>>20, LoadRSSTarget>>20),
	}
	mb := func(b int64) float64 { return float64(b) / (1 << 20) }
	for _, m := range rep.Memory {
		conc := "-"
		if m.ConcHWM > 0 {
			conc = strMark(fmt.Sprintf("%.1f", mb(max(m.ConcRSS, m.ConcHWM))), max(m.ConcRSS, m.ConcHWM) < LoadRSSTarget)
		}
		t.Rows = append(t.Rows, []string{
			m.Process, strMark(fmt.Sprintf("%.1f", mb(m.IdleRSS)), m.IdleRSS < IdleRSSTarget),
			strMark(fmt.Sprintf("%.1f", mb(m.LoadHWM)), m.LoadHWM < LoadRSSTarget),
			fmt.Sprintf("%.1f", mb(m.LoadRSS)), conc,
		})
	}
	return t
}

// PlatformPathTable compares the platform's own Kitex path (kitexsuite on
// both sides) with the raw TCP ceiling and with plain Kitex on the same
// connection model, by server CPU per request.
func PlatformPathTable(rep *rpcbench.Report) Table {
	med := rpcMedians(rep)
	t := Table{
		Title:  "Platform path: Kitex with kitexsuite (tracing, metrics, middleware) vs raw TCP and plain Kitex, server CPU per request",
		Header: []string{"transport", "conc", "server µs/req", "/ raw TCP", "plain Kitex µs/req", "/ plain Kitex", "QPS / plain Kitex"},
		Note: fmt.Sprintf("Target: platform path server CPU per request / raw TCP's <= %.1f (met: ✓, missed: ✗). "+
			"Plain Kitex on the same connection model: kitex-thrift-mux for kitex-platform and kitex-platform-traced, kitex-thrift (pool) for kitex-platform-pool. "+
			"kitex-platform: tracing as shipped without a collector (spans unrecorded, IDs propagated); kitex-platform-traced: every span recorded and batch-exported (to a discarding exporter).", PlatformTargetCPU),
	}
	for _, pp := range PlatformPaths {
		for _, c := range rep.Meta.Concurrency {
			k, ok1 := med[pp.Path][c]
			r, ok2 := med[RawTCP][c]
			p, ok3 := med[pp.Plain][c]
			if !ok1 || !ok2 || !ok3 {
				continue
			}
			t.Rows = append(t.Rows, []string{
				pp.Path, fmt.Sprint(c), fmt.Sprintf("%.1f", k.ServerCPUPerReq),
				mark(k.ServerCPUPerReq/r.ServerCPUPerReq, k.ServerCPUPerReq/r.ServerCPUPerReq <= PlatformTargetCPU),
				fmt.Sprintf("%.1f", p.ServerCPUPerReq), fmt.Sprintf("%.2f", k.ServerCPUPerReq/p.ServerCPUPerReq), fmt.Sprintf("%.2f", k.QPS/p.QPS),
			})
		}
	}
	return t
}

// GatewayFigures derives the gateway's tracked figures: per round, the
// geometric mean over concurrency of the gateway's product-read QPS over
// the bare Hertz handler's, both measured in that round; once as shipped
// (micro-cache) and once read through to the product service.
func GatewayFigures(rep *gwbench.Report) []Figure {
	byKey := map[gwKey]map[int]float64{} // -> round -> QPS
	for _, p := range rep.Points {
		k := gwKey{p.Target, p.Route, p.Concurrency}
		if byKey[k] == nil {
			byKey[k] = map[int]float64{}
		}
		byKey[k][p.Round] = p.QPS
	}
	var figs []Figure
	for _, s := range []struct{ target, name string }{
		{gwbench.TargetGateway, "gateway GET product: QPS / bare Hertz QPS"},
		{gwbench.TargetGatewayNoCache, "gateway GET product, no-cache: QPS / bare Hertz QPS"},
	} {
		var vals []float64
		for round := 1; round <= rep.Meta.Rounds; round++ {
			logSum, n := 0.0, 0
			for _, c := range rep.Meta.Concurrency {
				g, ok1 := byKey[gwKey{s.target, gwbench.RouteGetProduct, c}][round]
				b, ok2 := byKey[gwKey{gwbench.TargetBare, gwbench.RouteGetProduct, c}][round]
				if ok1 && ok2 && g > 0 && b > 0 {
					logSum += math.Log(g / b)
					n++
				}
			}
			if n > 0 {
				vals = append(vals, math.Exp(logSum/float64(n)))
			}
		}
		if len(vals) > 0 {
			figs = append(figs, Figure{Name: s.name, Unit: "x", Values: vals, Better: HigherIsBetter, Threshold: GatewayThreshold})
		}
	}
	return figs
}

// GatewayProfileTable shows where the gateway's CPU goes on the cached
// product read: perf self time summed by component.
func GatewayProfileTable(rep *gwbench.Report) Table {
	t := Table{
		Title:  "Where the gateway's CPU goes on the cached product read (perf, by component)",
		Header: []string{"component", "share of the gateway's CPU"},
		Note: fmt.Sprintf("Sampled with perf at 499 Hz for 3 s during an unmeasured read load at %d callers. Each sample is charged to the "+
			"innermost frame of a library or of the gateway itself, so allocation, GC assists, system calls and scheduling land on the "+
			"component that caused them; the GC's background workers are the cost of everyone's allocations. Self time by component "+
			"and by function, and time with callees, in `results/%s`.", slices.Max(rep.Meta.Concurrency), rep.Profile),
	}
	for _, s := range rep.CPUShares {
		t.Rows = append(t.Rows, []string{s.Component, fmt.Sprintf("%.1f %%", s.Percent)})
	}
	return t
}
