// Command gwbench runs the gateway benchmark against the real platform:
// the four services and the gateway (built binaries) started as processes
// on the shared local stack under a namespace, databases and Redis keys of
// their own; a closed-loop HTTP load of GET /api/v1/products/{id} (a cache
// hit) side by side with a bare Hertz server answering the same JSON from
// memory, then POST /api/v1/orders with a new Idempotency-Key per call
// (bounded in count); the RSS of every process idle and under load, and of
// the product service with many GetProduct calls in flight; optionally a
// perf profile of the gateway. Everything is stopped and dropped after.
//
//	gwbench run -bin DIR [-src ..] -out results/gateway.json [-profile results/gateway_profile.txt]
//	gwbench serve-bare -id N -body FILE   (started by run; prints "READY addr")
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/cloudwego/kitex/pkg/klog"

	"github.com/kitemall/platform/benchmarks/gwbench"
	"github.com/kitemall/platform/benchmarks/rpcbench"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "run":
		err = run(os.Args[2:])
	case "serve-bare":
		err = serveBare(os.Args[2:])
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gwbench:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: gwbench run -bin DIR [flags] | gwbench serve-bare -id N -body FILE")
	os.Exit(2)
}

// serveBare runs the bare Hertz server on a free loopback port until
// SIGTERM; its first line on stdout is "READY <addr>".
func serveBare(args []string) error {
	fs := flag.NewFlagSet("serve-bare", flag.ExitOnError)
	id := fs.Int64("id", 0, "the product ID the route answers")
	bodyFile := fs.String("body", "", "file holding the JSON answer")
	if err := fs.Parse(args); err != nil {
		return err
	}
	body, err := os.ReadFile(*bodyFile)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if _, err := fmt.Printf("READY %s\n", ln.Addr()); err != nil {
		return err
	}
	return gwbench.ServeBare(ctx, ln, *id, body)
}

type runConfig struct {
	out, profile               string
	rounds, orderRounds        int
	warmup, duration           time.Duration
	conc, orderConc            []int
	maxOrders, stock           int64
	clientCPU, serverCPU       int
	serverProcs, clientProcs   int
	memConc                    int
	platform                   gwbench.PlatformConfig
	profileFor                 time.Duration
	transport, gatewayLogLevel string
}

func run(args []string) error {
	fs := flag.NewFlagSet("run", flag.ExitOnError)
	bin := fs.String("bin", "", "directory with the user, product, order, payment and gateway binaries")
	src := fs.String("src", "..", "repository root (its rpc/*/conf and gateway/conf are used)")
	out := fs.String("out", "results/gateway.json", "where to write the results")
	profile := fs.String("profile", "", "write a perf profile summary of the gateway here (empty: none)")
	// Four rounds: with fewer, the gate's U-test cannot reach p < 0.05.
	rounds := fs.Int("rounds", 4, "repeats of the read comparison (gated)")
	orderRounds := fs.Int("order-rounds", 2, "repeats of the order runs (reported, not gated)")
	warmup := fs.Duration("warmup", 300*time.Millisecond, "unmeasured warm-up of each point")
	duration := fs.Duration("duration", 2*time.Second, "measured time of each point")
	conc := fs.String("conc", "16,64", "concurrency of the product reads")
	orderConc := fs.String("order-conc", "16,64", "concurrency of the order writes")
	maxOrders := fs.Int64("max-orders", 1500, "orders measured per order point at most")
	stock := fs.Int64("stock", 1_000_000, "stock of the benchmark's product")
	clientCPU := fs.Int("client-cpu", 0, "core for the load generator (this process); -1: no pinning")
	serverCPU := fs.Int("server-cpu", 1, "core for the gateway and the bare Hertz server; -1: no pinning")
	serverProcs := fs.Int("server-procs", 2, "GOMAXPROCS of the gateway and the bare server (netpoll, as Kitex in the RPC sweep)")
	clientProcs := fs.Int("client-procs", 2, "GOMAXPROCS of the load generator (Hertz client on netpoll)")
	memConc := fs.Int("mem-conc", 500, "GetProduct calls in flight at the product service for its memory figure")
	transport := fs.String("transport", envOr("KITEX_TRANSPORT", "mux"), "KITEX_TRANSPORT of the platform")
	logLevel := fs.String("gateway-log-level", "info", "LOG_LEVEL of the gateway (the shipped config's is info: one access-log line per request)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg := runConfig{
		out: *out, profile: *profile, rounds: *rounds, orderRounds: *orderRounds, warmup: *warmup, duration: *duration,
		maxOrders: *maxOrders, stock: *stock, clientCPU: *clientCPU, serverCPU: *serverCPU,
		serverProcs: *serverProcs, clientProcs: *clientProcs, memConc: *memConc,
		profileFor: 3 * time.Second, transport: *transport, gatewayLogLevel: *logLevel,
	}
	var err error
	if cfg.conc, err = parseInts(*conc); err != nil {
		return err
	}
	if cfg.orderConc, err = parseInts(*orderConc); err != nil {
		return err
	}
	switch {
	case *bin == "":
		return errors.New("-bin is required")
	case cfg.rounds < 1 || cfg.orderRounds < 1 || cfg.duration <= 0 || cfg.maxOrders < 1 || cfg.memConc < 1:
		return errors.New("need -rounds >= 1, -order-rounds >= 1, -duration > 0, -max-orders >= 1, -mem-conc >= 1")
	case int64(cfg.orderRounds*len(cfg.orderConc))*2*cfg.maxOrders > cfg.stock:
		// Warm-up and in-flight calls add to the measured orders; twice
		// the bound leaves room for them, so stock never runs out.
		return fmt.Errorf("-stock %d is too small for %d rounds x %d levels x 2 x %d orders", cfg.stock, cfg.orderRounds, len(cfg.orderConc), cfg.maxOrders)
	}
	if rpcbench.OnlineCPUs() < 2 && cfg.clientCPU >= 0 {
		fmt.Println("gwbench: fewer than 2 cores: nothing is pinned")
		cfg.clientCPU, cfg.serverCPU = -1, -1
	}
	if err := rpcbench.PinSelf(cfg.clientCPU); err != nil {
		return err
	}
	runtime.GOMAXPROCS(cfg.clientProcs)
	klog.SetLevel(klog.LevelWarn)

	binDir, err := filepath.Abs(*bin)
	if err != nil {
		return err
	}
	srcDir, err := filepath.Abs(*src)
	if err != nil {
		return err
	}
	logDir, err := os.MkdirTemp("", "gwbench-")
	if err != nil {
		return err
	}
	runID := strconv.FormatInt(time.Now().UnixMilli(), 36)
	cfg.platform = gwbench.PlatformConfig{
		Bin: binDir, Src: srcDir, Run: runID, Stack: gwbench.DefaultStack(),
		Transport: cfg.transport, GatewayCPU: cfg.serverCPU, GatewayProcs: cfg.serverProcs,
		GatewayLogLevel: cfg.gatewayLogLevel, LogDir: logDir, ServicePin: unpin(),
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	report, err := benchmark(ctx, cfg)
	if err != nil {
		return fmt.Errorf("%w (process logs in %s)", err, logDir)
	}
	if err := report.Write(cfg.out); err != nil {
		return err
	}
	fmt.Printf("gwbench: wrote %s\n", cfg.out)
	return os.RemoveAll(logDir)
}

// unpin is the taskset prefix that lets the services run on every core:
// they are children of this pinned process and would inherit its core.
func unpin() []string {
	n := rpcbench.OnlineCPUs()
	if n < 2 {
		return nil
	}
	return []string{"taskset", "-c", fmt.Sprintf("0-%d", n-1)}
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
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
