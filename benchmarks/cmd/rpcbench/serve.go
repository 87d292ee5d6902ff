package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"

	"github.com/cloudwego/kitex/pkg/klog"

	"github.com/kitemall/platform/benchmarks/rpcbench"
)

// serve runs one transport's server on a free loopback port until SIGTERM.
// Its first line on stdout, "READY <addr>", tells the sweep where it is.
func serve(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ExitOnError)
	name := fs.String("transport", "", "transport to serve")
	holdFor := fs.Duration("hold", 0, "how long to hold requests sent with CallHeld")
	cpuProfile := fs.String("cpuprofile", "", "write the server's CPU profile here on exit")
	if err := fs.Parse(args); err != nil {
		return err
	}
	t, err := rpcbench.Lookup(*name)
	if err != nil {
		return err
	}
	// Kitex logs every start at info level; keep the sweep's output readable.
	klog.SetLevel(klog.LevelWarn)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if *cpuProfile != "" {
		stopProfile, err := startProfile(*cpuProfile)
		if err != nil {
			return err
		}
		defer stopProfile()
	}
	if _, err := fmt.Printf("READY %s\n", ln.Addr()); err != nil {
		return err
	}
	return t.Serve(ctx, ln, rpcbench.ServerConfig{Hold: *holdFor})
}

// startProfile starts a CPU profile into path and returns its stop.
func startProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "rpcbench: close profile:", err)
		}
	}, nil
}
