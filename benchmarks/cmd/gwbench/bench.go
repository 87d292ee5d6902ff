package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/kitemall/platform/benchmarks/gwbench"
	"github.com/kitemall/platform/benchmarks/rpcbench"
)

// settle is how long to wait after a step before reading idle RSS.
const settle = 500 * time.Millisecond

// benchmark starts the platform and the bare server, measures, and stops
// and cleans up everything whatever happens.
func benchmark(ctx context.Context, cfg runConfig) (rep *gwbench.Report, err error) {
	rep = &gwbench.Report{Meta: meta(cfg)}
	if rep.Meta.LoadAvg[0], err = rpcbench.LoadAvg(); err != nil {
		return nil, err
	}
	step("starting the platform (run %s, transport %s): user, product, order, payment, gateway", cfg.platform.Run, cfg.transport)
	p, err := gwbench.StartPlatform(ctx, cfg.platform)
	if err != nil {
		return nil, err
	}
	defer func() {
		step("stopping the platform; dropping its databases and Redis keys")
		err = errors.Join(err, p.Stop())
	}()
	seed, err := gwbench.SeedPlatform(ctx, p.GatewayURL, "bench-"+cfg.platform.Run+"-password", cfg.stock)
	if err != nil {
		return nil, fmt.Errorf("seed: %w", err)
	}
	hc, err := gwbench.NewHTTPClient(max(slices.Max(cfg.conc), slices.Max(cfg.orderConc)))
	if err != nil {
		return nil, err
	}
	gwRead := gwbench.NewProductReader(hc, p.GatewayURL, seed.ProductID)
	body, err := gwRead.Fetch(ctx) // fills the product cache
	if err != nil {
		return nil, err
	}
	waitUntil(ctx, settle)
	mem := map[string]*gwbench.Memory{}
	var pids []int
	for _, proc := range p.Procs {
		m := &gwbench.Memory{Process: proc.Name}
		if m.IdleRSS, err = rpcbench.ProcRSS(proc.Pid()); err != nil {
			return nil, err
		}
		mem[proc.Name] = m
		pids = append(pids, proc.Pid())
	}
	step("idle RSS: %s", memLine(p, func(name string) int64 { return mem[name].IdleRSS }))

	bodyFile := filepath.Join(cfg.platform.LogDir, "product.json")
	if err := os.WriteFile(bodyFile, body, 0o644); err != nil {
		return nil, err
	}
	bare, err := startBare(cfg, seed.ProductID, bodyFile)
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, bare.stop()) }()
	bareRead := gwbench.NewProductReader(hc, "http://"+bare.addr, seed.ProductID)
	got, err := bareRead.Fetch(ctx)
	if err != nil {
		return nil, err
	}
	if string(got) != string(body) {
		return nil, fmt.Errorf("the bare server answers %q, the gateway %q", got, body)
	}

	gateway := p.Proc(gwbench.Gateway)
	var backends []int
	for _, svc := range gwbench.Services {
		backends = append(backends, p.Proc(svc).Pid())
	}
	sampler := gwbench.SampleRSS(pids, 50*time.Millisecond)
	targets := []struct {
		name     string
		caller   rpcbench.Caller
		front    int
		backends []int
	}{
		{gwbench.TargetGateway, gwRead, gateway.Pid(), backends},
		{gwbench.TargetGatewayNoCache, gwRead.NoCache(), gateway.Pid(), backends},
		{gwbench.TargetBare, bareRead, bare.pid(), nil},
	}
	total := cfg.rounds*len(cfg.conc)*len(targets) + cfg.orderRounds*len(cfg.orderConc)
	n := 0
	for round := 1; round <= cfg.rounds; round++ {
		for _, c := range cfg.conc {
			// Alternate which side goes first, so drift on a shared
			// machine does not always favour the same one.
			for i := range targets {
				t := targets[(i+round+c)%len(targets)]
				pt, err := measure(ctx, cfg, t.caller, c, 0, t.front, t.backends)
				if err != nil {
					return nil, fmt.Errorf("%s c=%d: %w", t.name, c, err)
				}
				pt.Target, pt.Route, pt.Round = t.name, gwbench.RouteGetProduct, round
				rep.Points = append(rep.Points, pt)
				n++
				printPoint(n, total, pt)
			}
		}
	}
	for round := 1; round <= cfg.orderRounds; round++ {
		for _, c := range cfg.orderConc {
			orders := gwbench.NewOrderCreator(hc, p.GatewayURL, seed.Token, seed.ProductID, fmt.Sprintf("bench-%s-r%d-c%d", cfg.platform.Run, round, c))
			pt, err := measure(ctx, cfg, orders, c, cfg.maxOrders, gateway.Pid(), backends)
			rep.Meta.Orders += orders.Created()
			if err != nil {
				return nil, fmt.Errorf("orders c=%d: %w", c, err)
			}
			pt.Target, pt.Route, pt.Round = gwbench.TargetGateway, gwbench.RouteCreateOrder, round
			rep.Points = append(rep.Points, pt)
			n++
			printPoint(n, total, pt)
		}
	}
	peaks := sampler.Stop()
	for _, proc := range p.Procs {
		m := mem[proc.Name]
		m.LoadRSS = peaks[proc.Pid()]
		if m.LoadHWM, err = rpcbench.ProcHWM(proc.Pid()); err != nil {
			return nil, err
		}
	}
	step("peak RSS under the gateway load (VmHWM): %s", memLine(p, func(name string) int64 { return mem[name].LoadHWM }))

	if cfg.profile != "" {
		if rep.CPUShares, err = profileGateway(ctx, cfg, gateway.Pid(), gwRead); err != nil {
			return nil, err
		}
		if rep.CPUShares != nil {
			rep.Profile = filepath.Base(cfg.profile)
		}
	}

	product := p.Proc("product")
	pm := mem["product"]
	if pm.ConcRSS, pm.ConcHWM, err = productUnderLoad(ctx, cfg, product, seed.ProductID); err != nil {
		return nil, fmt.Errorf("product service with %d calls in flight: %w", cfg.memConc, err)
	}
	step("product service with %d GetProduct calls in flight: peak RSS %.1f MiB (VmHWM %.1f MiB)", cfg.memConc, mib(pm.ConcRSS), mib(pm.ConcHWM))
	for _, proc := range p.Procs {
		rep.Memory = append(rep.Memory, *mem[proc.Name])
	}
	if rep.Meta.LoadAvg[1], err = rpcbench.LoadAvg(); err != nil {
		return nil, err
	}
	return rep, nil
}

// measure runs one closed-loop point and reads the CPU time of the HTTP
// server (front), the services (backends) and this process around exactly
// the measured phase.
func measure(ctx context.Context, cfg runConfig, c rpcbench.Caller, conc int, maxReq int64, front int, backends []int) (gwbench.Point, error) {
	var (
		cpuFront, cpuBack, cpuClient [2]time.Duration
		cpuErr                       error
	)
	read := func(i int) {
		var errs []error
		var err error
		cpuFront[i], err = rpcbench.ProcCPU(front)
		errs = append(errs, err)
		for _, pid := range backends {
			d, err := rpcbench.ProcCPU(pid)
			cpuBack[i] += d
			errs = append(errs, err)
		}
		cpuClient[i], err = rpcbench.ProcCPU(os.Getpid())
		cpuErr = errors.Join(append(errs, err, cpuErr)...)
	}
	res, err := rpcbench.Run(ctx, c, rpcbench.Load{
		Concurrency: conc,
		Warmup:      cfg.warmup,
		Duration:    cfg.duration,
		MaxRequests: maxReq,
		OnStart:     func() { read(0) },
		OnStop:      func() { read(1) },
	})
	if err != nil {
		return gwbench.Point{}, err
	}
	if cpuErr != nil {
		return gwbench.Point{}, cpuErr
	}
	if res.Requests == 0 {
		return gwbench.Point{}, fmt.Errorf("no successful request (%d errors, first: %s)", res.Errors, res.FirstError)
	}
	perReq := func(d time.Duration) float64 { return float64(d.Microseconds()) / float64(res.Requests) }
	return gwbench.Point{
		Concurrency:      conc,
		Result:           res,
		FrontCPUPerReq:   perReq(cpuFront[1] - cpuFront[0]),
		BackendCPUPerReq: perReq(cpuBack[1] - cpuBack[0]),
		ClientCPUPerReq:  perReq(cpuClient[1] - cpuClient[0]),
		FrontCPU:         (cpuFront[1] - cpuFront[0]).Seconds() / res.Elapsed.Seconds(),
	}, nil
}

// productUnderLoad keeps cfg.memConc GetProduct calls in flight at the
// product service for the measured time and returns its peak sampled RSS
// and its VmHWM after.
func productUnderLoad(ctx context.Context, cfg runConfig, product *gwbench.Process, id int64) (rss, hwm int64, err error) {
	c, err := gwbench.NewProductCaller(product.Addr, cfg.transport, id)
	if err != nil {
		return 0, 0, err
	}
	defer func() { err = errors.Join(err, c.Close()) }()
	sampler := gwbench.SampleRSS([]int{product.Pid()}, 50*time.Millisecond)
	res, err := rpcbench.Run(ctx, c, rpcbench.Load{Concurrency: cfg.memConc, Warmup: cfg.warmup, Duration: cfg.duration})
	rss = sampler.Stop()[product.Pid()]
	if err != nil {
		return 0, 0, err
	}
	if res.Errors > 0 || res.Requests == 0 {
		return 0, 0, fmt.Errorf("%d calls, %d errors (first: %s)", res.Requests, res.Errors, res.FirstError)
	}
	fmt.Printf("    %d GetProduct calls in %v: %.0f qps, p99 %s\n", res.Requests, res.Elapsed.Round(time.Millisecond), res.QPS, res.P99.Round(10*time.Microsecond))
	hwm, err = rpcbench.ProcHWM(product.Pid())
	return rss, hwm, err
}

// profileGateway records the gateway's CPU with perf (Linux's sampling
// profiler; the gateway has no pprof endpoint) during an unmeasured read
// load at the highest concurrency, writes where the time goes (by
// component, charged to the causing library or by self time; by function,
// self time and with callees) to cfg.profile and returns the charged
// shares by component.
func profileGateway(ctx context.Context, cfg runConfig, pid int, read rpcbench.Caller) ([]gwbench.Share, error) {
	perf, err := exec.LookPath("perf")
	if err != nil {
		step("no perf (Debian linux-perf): gateway profile skipped")
		return nil, nil
	}
	data := filepath.Join(cfg.platform.LogDir, "gateway.perf")
	conc := slices.Max(cfg.conc)
	step("profiling the gateway with perf for %v at c=%d", cfg.profileFor, conc)
	rec := exec.CommandContext(ctx, perf, "record", "-F", "499", "-g", "-p", strconv.Itoa(pid), "-o", data,
		"--", "sleep", strconv.FormatFloat(cfg.profileFor.Seconds(), 'f', 1, 64))
	recOut := &strings.Builder{}
	rec.Stdout, rec.Stderr = recOut, recOut
	if err := rec.Start(); err != nil {
		return nil, err
	}
	res, err := rpcbench.Run(ctx, read, rpcbench.Load{Concurrency: conc, Duration: cfg.profileFor + time.Second})
	if werr := rec.Wait(); werr != nil {
		return nil, fmt.Errorf("perf record: %w\n%s", werr, recOut)
	}
	if err != nil {
		return nil, err
	}
	report := func(args ...string) (string, error) {
		b, err := exec.CommandContext(ctx, perf, append([]string{"report", "-i", data, "--stdio", "--sort", "symbol", "-g", "none"}, args...)...).Output()
		if err != nil {
			return "", fmt.Errorf("perf report: %w", err)
		}
		return string(b), nil
	}
	self, err := report("--no-children", "--percent-limit", "0")
	if err != nil {
		return nil, err
	}
	children, err := report("--children", "--percent-limit", "3")
	if err != nil {
		return nil, err
	}
	script, err := exec.CommandContext(ctx, perf, "script", "-i", data, "-F", "ip,sym").Output()
	if err != nil {
		return nil, fmt.Errorf("perf script: %w", err)
	}
	shares := gwbench.Attribute(string(script))
	var out strings.Builder
	fmt.Fprintf(&out, "perf profile of the gateway (pid %d) during %v of GET %s{id} at c=%d (%.0f qps, unmeasured), %s\n",
		pid, cfg.profileFor, gwbench.ProductPath, conc, res.QPS, time.Now().UTC().Format(time.RFC3339))
	for _, view := range []struct {
		title  string
		shares []gwbench.Share
	}{
		{"by component, runtime, standard library and kernel time charged to the innermost library frame that caused it", shares},
		{"self time by component", gwbench.Components(self)},
	} {
		fmt.Fprintf(&out, "\n== %s\n", view.title)
		for _, s := range view.shares {
			fmt.Fprintf(&out, "%6.2f%%  %s\n", s.Percent, s.Component)
		}
	}
	for _, view := range []struct {
		title, text string
		limit       float64
	}{
		{"self time by function (>= 0.5%)", self, 0.5},
		{"time with callees by function (>= 3%)", children, 3},
	} {
		fmt.Fprintf(&out, "\n== %s\n", view.title)
		for line := range strings.Lines(view.text) {
			f := strings.Fields(line)
			if len(f) < 3 || !strings.HasSuffix(f[0], "%") {
				continue
			}
			if pct, err := strconv.ParseFloat(strings.TrimSuffix(f[0], "%"), 64); err != nil || pct < view.limit {
				continue
			}
			// Columns: overhead [children] [k]/[.] symbol; perf pads them.
			fmt.Fprintf(&out, "%s\n", strings.Join(f[:len(f)-trailingDashes(f)], "  "))
		}
	}
	return shares, os.WriteFile(cfg.profile, []byte(out.String()), 0o644)
}

// trailingDashes counts the empty ("-") columns perf prints after the
// symbol.
func trailingDashes(f []string) int {
	n := 0
	for i := len(f) - 1; i >= 0 && f[i] == "-"; i-- {
		n++
	}
	return n
}

// bareServer is the bare Hertz server, a child process.
type bareServer struct {
	cmd  *exec.Cmd
	addr string
	done chan error
}

func (b *bareServer) pid() int { return b.cmd.Process.Pid }

// startBare starts `self serve-bare` pinned to the gateway's core with
// its GOMAXPROCS and waits until it listens.
func startBare(cfg runConfig, id int64, bodyFile string) (*bareServer, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	args := []string{self, "serve-bare", "-id", strconv.FormatInt(id, 10), "-body", bodyFile}
	if cfg.serverCPU >= 0 {
		args = append([]string{"taskset", "-c", strconv.Itoa(cfg.serverCPU)}, args...)
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stderr = os.Stderr
	cmd.Env = append(os.Environ(), "GOMAXPROCS="+strconv.Itoa(cfg.serverProcs))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	b := &bareServer{cmd: cmd, done: make(chan error, 1)}
	ready := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		ready <- line
		b.done <- cmd.Wait()
	}()
	select {
	case line := <-ready:
		addr, ok := strings.CutPrefix(strings.TrimSpace(line), "READY ")
		if !ok {
			return nil, errors.Join(fmt.Errorf("bare server said %q, want READY <addr>", line), b.stop())
		}
		b.addr = addr
		return b, nil
	case <-time.After(15 * time.Second):
		return nil, errors.Join(errors.New("bare server not ready after 15s"), b.stop())
	}
}

func (b *bareServer) stop() error {
	if err := b.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	select {
	case err := <-b.done:
		return err
	case <-time.After(10 * time.Second):
		_ = b.cmd.Process.Kill() // it ignored SIGTERM; the error below says so
		<-b.done
		return errors.New("bare server ignored SIGTERM for 10s; killed")
	}
}

func meta(cfg runConfig) gwbench.Meta {
	return gwbench.Meta{
		Started:          time.Now().UTC(),
		GoVersion:        runtime.Version(),
		CPUModel:         rpcbench.CPUModel(),
		NumCPU:           rpcbench.OnlineCPUs(),
		ClientCPU:        cfg.clientCPU,
		ServerCPU:        cfg.serverCPU,
		ServerProcs:      cfg.serverProcs,
		Rounds:           cfg.rounds,
		OrderRounds:      cfg.orderRounds,
		Warmup:           cfg.warmup,
		Duration:         cfg.duration,
		Concurrency:      cfg.conc,
		OrderConcurrency: cfg.orderConc,
		MaxOrders:        cfg.maxOrders,
		Transport:        cfg.transport,
		GatewayLogLevel:  cfg.gatewayLogLevel,
		MemConcurrency:   cfg.memConc,
	}
}

var began = time.Now()

func step(format string, args ...any) {
	fmt.Printf("[gw %6s] %s\n", time.Since(began).Round(time.Second), fmt.Sprintf(format, args...))
}

func printPoint(n, total int, p gwbench.Point) {
	fmt.Printf("[gw %6s %2d/%d] round %d %-10s %-26s c=%-3d %7.0f qps  p50 %6.2fms  p99 %6.2fms  p999 %6.2fms  front %6.1fµs/req  services %6.1fµs/req  client %5.1fµs/req\n",
		time.Since(began).Round(time.Second), n, total, p.Round, p.Target, p.Route, p.Concurrency, p.QPS,
		ms(p.P50), ms(p.P99), ms(p.P999), p.FrontCPUPerReq, p.BackendCPUPerReq, p.ClientCPUPerReq)
	if p.Errors > 0 {
		fmt.Printf("    %d errors, first: %s\n", p.Errors, p.FirstError)
	}
}

func memLine(p *gwbench.Platform, v func(string) int64) string {
	var parts []string
	for _, proc := range p.Procs {
		parts = append(parts, fmt.Sprintf("%s %.1f MiB", proc.Name, mib(v(proc.Name))))
	}
	return strings.Join(parts, ", ")
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
func mib(b int64) float64        { return float64(b) / (1 << 20) }

// waitUntil returns after d or when ctx ends.
func waitUntil(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
