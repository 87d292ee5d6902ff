package main

import (
	"fmt"
	"runtime"
	"strconv"
	"strings"

	"github.com/kitemall/platform/benchmarks/rpcbench"
)

// defaultProcs gives Kitex two Ps even on one pinned core. netpoll's poller
// waits in a blocking epoll_wait that keeps its P until sysmon takes it
// back (up to 10 ms later), so with GOMAXPROCS=1 every goroutine woken in
// the meantime stalls: measured in the README, this halves Kitex's QPS on
// one core and multiplies its p99. gRPC and raw TCP use Go's own netpoller,
// which has no such wait, and do best with one P per core.
const defaultProcs = "kitex-thrift=2,kitex-thrift-mux=2,kitex-protobuf=2,kitex-platform=2,kitex-platform-traced=2,kitex-platform-pool=2"

// variant is a transport run with a given GOMAXPROCS on both sides.
type variant struct {
	rpcbench.Transport
	label string // the name, or name@N when N was asked for explicitly
	procs int    // 0: Go's default
}

// setClientProcs gives this process (the client) the variant's GOMAXPROCS.
func (v variant) setClientProcs() {
	if v.procs > 0 {
		runtime.GOMAXPROCS(v.procs)
	} else {
		runtime.GOMAXPROCS(runtime.NumCPU()) // the affinity mask's size, Go's default
	}
}

// variants parses "name,name@N,...": procsOf gives each name's GOMAXPROCS
// unless N is given; pinned transports not in procsOf get 1.
func variants(list string, procsOf map[string]int, pinned bool) ([]variant, error) {
	var vs []variant
	for item := range strings.SplitSeq(list, ",") {
		if item = strings.TrimSpace(item); item == "" {
			continue
		}
		name, n, explicit := strings.Cut(item, "@")
		t, err := rpcbench.Lookup(name)
		if err != nil {
			return nil, err
		}
		v := variant{Transport: t, label: name, procs: procsOf[name]}
		if v.procs == 0 && pinned {
			v.procs = 1
		}
		if explicit {
			if v.procs, err = strconv.Atoi(n); err != nil || v.procs < 1 {
				return nil, fmt.Errorf("bad GOMAXPROCS in %q", item)
			}
			v.label = item
		}
		vs = append(vs, v)
	}
	return vs, nil
}

// parseProcs parses "name=N,...".
func parseProcs(list string) (map[string]int, error) {
	out := map[string]int{}
	for item := range strings.SplitSeq(list, ",") {
		if item = strings.TrimSpace(item); item == "" {
			continue
		}
		name, n, ok := strings.Cut(item, "=")
		procs, err := strconv.Atoi(n)
		if !ok || err != nil || procs < 1 {
			return nil, fmt.Errorf("bad -procs item %q, want name=N", item)
		}
		if _, err := rpcbench.Lookup(name); err != nil {
			return nil, err
		}
		out[name] = procs
	}
	return out, nil
}
