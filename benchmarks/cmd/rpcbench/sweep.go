package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/cloudwego/kitex/pkg/klog"

	"github.com/kitemall/platform/benchmarks/rpcbench"
)

type sweepConfig struct {
	out           string
	transports    []variant
	conc          []int
	rounds        int
	warmup        time.Duration
	duration      time.Duration
	clientCPU     int
	serverCPU     int
	memTransports []variant
	memConns      int
	memHold       time.Duration
	profileDir    string
}

func sweep(args []string) error {
	fs := flag.NewFlagSet("sweep", flag.ExitOnError)
	out := fs.String("out", "results/rpc.json", "where to write the results")
	transports := fs.String("transports", "kitex-thrift,kitex-thrift-mux,kitex-protobuf,kitex-platform,kitex-platform-traced,grpc,raw-tcp",
		"transports to sweep; name@N runs one with GOMAXPROCS=N on both sides (e.g. kitex-thrift@1,kitex-thrift@2)")
	procs := fs.String("procs", defaultProcs, "GOMAXPROCS of server and client per transport, name=N,...; others get 1 when pinned, Go's default when not")
	conc := fs.String("conc", "1,16,100,500", "concurrency levels")
	rounds := fs.Int("rounds", 4, "repeats of the whole sweep (for statistics)")
	warmup := fs.Duration("warmup", 300*time.Millisecond, "unmeasured warm-up of each point")
	duration := fs.Duration("duration", 2*time.Second, "measured time of each point")
	clientCPU := fs.Int("client-cpu", 0, "core for the client (this process); -1: no pinning")
	serverCPU := fs.Int("server-cpu", 1, "core for the server process; -1: no pinning")
	memTransports := fs.String("mem-transports", "kitex-thrift,kitex-thrift-mux,grpc", "transports for the memory probe; empty: skip it")
	memConns := fs.Int("mem-conns", 500, "connections and requests in flight for the memory probe")
	memHold := fs.Duration("mem-hold", 2*time.Second, "how long the memory probe holds each request")
	profileDir := fs.String("profile-dir", "", "write CPU profiles of every server and of the client, per transport and round, here")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg := sweepConfig{
		out: *out, rounds: *rounds, warmup: *warmup, duration: *duration,
		clientCPU: *clientCPU, serverCPU: *serverCPU,
		memConns: *memConns, memHold: *memHold, profileDir: *profileDir,
	}
	procsOf, err := parseProcs(*procs)
	if err != nil {
		return err
	}
	if *clientCPU < 0 {
		procsOf = nil // unpinned: Go's default everywhere unless name@N
	}
	if cfg.transports, err = variants(*transports, procsOf, *clientCPU >= 0); err != nil {
		return err
	}
	if cfg.memTransports, err = variants(*memTransports, procsOf, *clientCPU >= 0); err != nil {
		return err
	}
	if cfg.conc, err = parseInts(*conc); err != nil {
		return err
	}
	if cfg.rounds < 1 || cfg.duration <= 0 || cfg.memConns < 1 {
		return errors.New("need -rounds >= 1, -duration > 0, -mem-conns >= 1")
	}
	if rpcbench.OnlineCPUs() < 2 && cfg.clientCPU >= 0 {
		fmt.Println("rpcbench: fewer than 2 cores: client and server are not pinned")
		cfg.clientCPU, cfg.serverCPU = -1, -1
	}
	if err := rpcbench.PinSelf(cfg.clientCPU); err != nil {
		return err
	}
	klog.SetLevel(klog.LevelWarn)

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	self, err := os.Executable()
	if err != nil {
		return err
	}
	report := &rpcbench.Report{Meta: meta(cfg)}
	if report.Meta.LoadAvg[0], err = rpcbench.LoadAvg(); err != nil {
		return err
	}
	if err := runSweep(ctx, self, cfg, report); err != nil {
		return err
	}
	if err := runMemoryProbes(ctx, self, cfg, report); err != nil {
		return err
	}
	if report.Meta.LoadAvg[1], err = rpcbench.LoadAvg(); err != nil {
		return err
	}
	if err := report.Write(cfg.out); err != nil {
		return err
	}
	fmt.Printf("rpcbench: wrote %s\n", cfg.out)
	return nil
}

func runSweep(ctx context.Context, self string, cfg sweepConfig, report *rpcbench.Report) error {
	total := cfg.rounds * len(cfg.transports) * len(cfg.conc)
	began := time.Now()
	n := 0
	for round := range cfg.rounds {
		// Rotate the order every round, so slow drift on a shared machine
		// does not always land on the same transport.
		for i := range cfg.transports {
			t := cfg.transports[(i+round)%len(cfg.transports)]
			serverProfile, stopClientProfile, err := profiles(cfg.profileDir, t.label, round+1)
			if err != nil {
				return err
			}
			t.setClientProcs()
			srv, err := startServer(self, cfg.serverCPU, t, 0, serverProfile)
			if err != nil {
				return err
			}
			for _, c := range cfg.conc {
				n++
				p, err := measurePoint(ctx, t, srv, c, cfg)
				if err != nil {
					srv.kill()
					return fmt.Errorf("%s c=%d: %w", t.label, c, err)
				}
				p.Round = round + 1
				report.Points = append(report.Points, p)
				fmt.Printf("[rpc %3d/%d %6s] round %d/%d %-16s c=%-3d %8.0f qps  p50 %7s  p99 %7s  p999 %7s  server %5.1fµs/req %4.2f cores  rss %5.1fMB\n",
					n, total, time.Since(began).Round(time.Second), round+1, cfg.rounds, t.label, c,
					p.QPS, ms(p.P50), ms(p.P99), ms(p.P999), p.ServerCPUPerReq, p.ServerCPU, float64(p.ServerRSSMax)/(1<<20))
				if p.Errors > 0 {
					fmt.Printf("    %d errors, first: %s\n", p.Errors, p.FirstError)
				}
			}
			stopClientProfile()
			if err := srv.stop(); err != nil {
				return fmt.Errorf("stop %s server: %w", t.label, err)
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
		}
	}
	return nil
}

// profiles, when dir is set, names the server's CPU profile for one
// transport and round and starts the client's; the returned func stops it.
func profiles(dir, transport string, round int) (server string, stopClient func(), err error) {
	if dir == "" {
		return "", func() {}, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", nil, err
	}
	name := fmt.Sprintf("%s-r%d.pprof", transport, round)
	stopClient, err = startProfile(filepath.Join(dir, "client-"+name))
	if err != nil {
		return "", nil, err
	}
	return filepath.Join(dir, "server-"+name), stopClient, nil
}

// measurePoint runs one transport at one concurrency against srv, with
// the server's CPU and RSS and this process's CPU read around exactly the
// measured phase.
func measurePoint(ctx context.Context, t variant, srv *server, conc int, cfg sweepConfig) (rpcbench.Point, error) {
	c, err := t.Dial(srv.addr, rpcbench.ClientConfig{Concurrency: conc})
	if err != nil {
		return rpcbench.Point{}, err
	}
	defer c.Close()

	var (
		serverCPU, clientCPU [2]time.Duration
		cpuErr               error
		rss                  *rssSampler
		rssMax               int64
	)
	cpu := func(i int) {
		var errS, errC error
		serverCPU[i], errS = rpcbench.ProcCPU(srv.pid())
		clientCPU[i], errC = rpcbench.ProcCPU(os.Getpid())
		cpuErr = errors.Join(cpuErr, errS, errC)
	}
	res, err := rpcbench.Run(ctx, c, rpcbench.Load{
		Concurrency: conc,
		Warmup:      cfg.warmup,
		Duration:    cfg.duration,
		MaxRequests: 50_000_000,
		OnStart: func() {
			cpu(0)
			rss = sampleRSS(srv.pid(), 50*time.Millisecond)
		},
		OnStop: func() {
			cpu(1)
			rssMax = rss.stop()
		},
	})
	if err != nil {
		return rpcbench.Point{}, err
	}
	if cpuErr != nil {
		return rpcbench.Point{}, cpuErr
	}
	if res.Requests == 0 {
		return rpcbench.Point{}, fmt.Errorf("no successful request (%d errors, first: %s)", res.Errors, res.FirstError)
	}
	p := rpcbench.Point{Transport: t.label, Concurrency: conc, Result: res, ServerRSSMax: rssMax}
	perReq := func(d time.Duration) float64 { return float64(d.Microseconds()) / float64(res.Requests) }
	p.ServerCPUPerReq = perReq(serverCPU[1] - serverCPU[0])
	p.ClientCPUPerReq = perReq(clientCPU[1] - clientCPU[0])
	p.ServerCPU = (serverCPU[1] - serverCPU[0]).Seconds() / res.Elapsed.Seconds()
	return p, nil
}

// rssSampler tracks the peak RSS of a process.
type rssSampler struct {
	peak atomic.Int64
	quit chan struct{}
	done chan struct{}
}

func sampleRSS(pid int, every time.Duration) *rssSampler {
	s := &rssSampler{quit: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			if rss, err := rpcbench.ProcRSS(pid); err == nil && rss > s.peak.Load() {
				s.peak.Store(rss)
			}
			select {
			case <-tick.C:
			case <-s.quit:
				return
			}
		}
	}()
	return s
}

func (s *rssSampler) stop() int64 {
	close(s.quit)
	<-s.done
	return s.peak.Load()
}

func meta(cfg sweepConfig) rpcbench.Meta {
	m := rpcbench.Meta{
		Started:     time.Now().UTC(),
		GoVersion:   runtime.Version(),
		CPUModel:    rpcbench.CPUModel(),
		NumCPU:      rpcbench.OnlineCPUs(),
		ClientCPU:   cfg.clientCPU,
		ServerCPU:   cfg.serverCPU,
		Rounds:      cfg.rounds,
		Warmup:      cfg.warmup,
		Duration:    cfg.duration,
		Concurrency: cfg.conc,
	}
	m.Procs = map[string]int{}
	for _, t := range cfg.transports {
		m.Transports = append(m.Transports, t.label)
		m.Procs[t.label] = t.procs
	}
	return m
}

func parseInts(list string) ([]int, error) {
	var out []int
	for s := range strings.SplitSeq(list, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("bad concurrency %q", s)
		}
		out = append(out, n)
	}
	return out, nil
}

func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 2, 64) + "ms"
}
