package gwbench

import (
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/kitemall/platform/benchmarks/rpcbench"
)

// Targets of a gateway run: the real gateway in front of the platform (as
// shipped, its micro-cache answering the product reads; and asked to read
// through it, so each read crosses the RPC hop to the product service and
// its Redis cache), and the bare Hertz handler answering the same JSON
// from memory.
const (
	TargetGateway        = "gateway"
	TargetGatewayNoCache = "gateway-no-cache"
	TargetBare           = "bare-hertz"
)

// Routes the load generator calls.
const (
	RouteGetProduct  = "GET /api/v1/products/{id}"
	RouteCreateOrder = "POST /api/v1/orders"
)

// Report is what a gateway run writes (results/gateway.json).
type Report struct {
	Meta   Meta     `json:"meta"`
	Points []Point  `json:"points"`
	Memory []Memory `json:"memory"`
	// Profile names the file holding the gateway's CPU profile summary
	// (perf), next to the report, and CPUShares sums its self time by
	// component; both empty when no profile was taken.
	Profile   string  `json:"profile,omitempty"`
	CPUShares []Share `json:"gateway_cpu_shares,omitempty"`
}

// Meta records how the run went.
type Meta struct {
	Started     time.Time `json:"started"`
	GoVersion   string    `json:"go_version"`
	CPUModel    string    `json:"cpu_model"`
	NumCPU      int       `json:"num_cpu"`
	ClientCPU   int       `json:"client_cpu"` // -1: not pinned
	ServerCPU   int       `json:"server_cpu"` // the gateway's and the bare server's core; -1: not pinned
	ServerProcs int       `json:"server_procs"`
	// Rounds of the read comparison; OrderRounds of the order writes.
	Rounds      int           `json:"rounds"`
	OrderRounds int           `json:"order_rounds"`
	Warmup      time.Duration `json:"warmup_ns"`
	Duration    time.Duration `json:"duration_ns"`
	// Concurrency of the product reads; OrderConcurrency of the order
	// writes, each point bounded to MaxOrders orders.
	Concurrency      []int  `json:"concurrency"`
	OrderConcurrency []int  `json:"order_concurrency"`
	MaxOrders        int64  `json:"max_orders_per_point"`
	Orders           int64  `json:"orders_created"`
	Transport        string `json:"transport"`
	GatewayLogLevel  string `json:"gateway_log_level"`
	// MemConcurrency is how many GetProduct calls were kept in flight at
	// the product service for its memory figure.
	MemConcurrency int        `json:"mem_concurrency"`
	LoadAvg        [2]float64 `json:"load_avg"`
}

// Point is one target and route at one concurrency in one round.
type Point struct {
	Target      string `json:"target"`
	Route       string `json:"route"`
	Concurrency int    `json:"concurrency"`
	Round       int    `json:"round"`
	rpcbench.Result
	// CPU per successful request in µs over the measured phase: the HTTP
	// server (the gateway or the bare server), the four services together,
	// and the load generator.
	FrontCPUPerReq   float64 `json:"front_cpu_us_per_req"`
	BackendCPUPerReq float64 `json:"backend_cpu_us_per_req"`
	ClientCPUPerReq  float64 `json:"client_cpu_us_per_req"`
	// FrontCPU is the HTTP server's CPU use in cores.
	FrontCPU float64 `json:"front_cpu_cores"`
}

// Memory is one process's resident memory (bytes): idle after start and
// one call, and at its peak under load.
type Memory struct {
	Process string `json:"process"`
	IdleRSS int64  `json:"idle_rss_bytes"`
	// LoadRSS is the highest VmRSS sampled (every 50 ms) during the
	// gateway's load runs; LoadHWM is VmHWM (the kernel's own peak) after
	// them.
	LoadRSS int64 `json:"load_rss_bytes"`
	LoadHWM int64 `json:"load_hwm_bytes"`
	// ConcRSS and ConcHWM: the same with Meta.MemConcurrency GetProduct
	// calls in flight at the product service (product only).
	ConcRSS int64 `json:"conc_rss_bytes,omitempty"`
	ConcHWM int64 `json:"conc_hwm_bytes,omitempty"`
}

// ReadReport reads a gateway run's JSON.
func ReadReport(path string) (*Report, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r Report
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	return &r, nil
}

// Write writes r as indented JSON.
func (r *Report) Write(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// RSSSampler tracks the peak VmRSS of some processes.
type RSSSampler struct {
	mu   sync.Mutex
	peak map[int]int64
	quit chan struct{}
	done chan struct{}
}

// SampleRSS reads the VmRSS of pids every interval until Stop.
func SampleRSS(pids []int, every time.Duration) *RSSSampler {
	s := &RSSSampler{peak: map[int]int64{}, quit: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			for _, pid := range pids {
				// A failed read (the process just exited) is no sample.
				if rss, err := rpcbench.ProcRSS(pid); err == nil {
					s.mu.Lock()
					s.peak[pid] = max(s.peak[pid], rss)
					s.mu.Unlock()
				}
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

// Stop ends sampling and returns each process's peak.
func (s *RSSSampler) Stop() map[int]int64 {
	close(s.quit)
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.peak
}
