package rpcbench

import (
	"encoding/json"
	"fmt"
	"os"
	"time"
)

// Report is what a sweep writes (results/rpc.json) and the reporter reads.
type Report struct {
	Meta   Meta          `json:"meta"`
	Points []Point       `json:"points"`
	Memory []MemoryProbe `json:"memory,omitempty"`
}

// Meta records how a sweep ran, so results are read with their context.
type Meta struct {
	Started     time.Time     `json:"started"`
	GoVersion   string        `json:"go_version"`
	CPUModel    string        `json:"cpu_model"`
	NumCPU      int           `json:"num_cpu"`
	ClientCPU   int           `json:"client_cpu"` // -1: not pinned
	ServerCPU   int           `json:"server_cpu"` // -1: not pinned
	Rounds      int           `json:"rounds"`
	Warmup      time.Duration `json:"warmup_ns"`
	Duration    time.Duration `json:"duration_ns"`
	Concurrency []int         `json:"concurrency"`
	Transports  []string      `json:"transports"`
	// Procs is each transport's GOMAXPROCS, server and client alike
	// (0: Go's default).
	Procs map[string]int `json:"procs"`
	// LoadAvg is the machine's 1-minute load average as the sweep started
	// and ended: on a shared machine it says how much others competed.
	LoadAvg [2]float64 `json:"load_avg"`
}

// Point is one transport at one concurrency in one round.
type Point struct {
	Transport   string `json:"transport"`
	Concurrency int    `json:"concurrency"`
	Round       int    `json:"round"`
	Result
	// CPU time per successful request, in microseconds, over the measured
	// phase; the server is a separate process, the client is the harness.
	ServerCPUPerReq float64 `json:"server_cpu_us_per_req"`
	ClientCPUPerReq float64 `json:"client_cpu_us_per_req"`
	// ServerCPU is the server's CPU use in cores (1 = one core busy).
	ServerCPU    float64 `json:"server_cpu_cores"`
	ServerRSSMax int64   `json:"server_rss_max_bytes"`
}

// MemoryProbe is the server's memory cost of connections and of requests
// in flight, measured as RSS growth of a fresh server process.
type MemoryProbe struct {
	Transport string `json:"transport"`
	// N idle connections (one client each, one call made), then one held
	// request on each of them.
	Conns       int     `json:"conns"`
	BaseRSS     int64   `json:"base_rss_bytes"`
	ConnsRSS    int64   `json:"conns_rss_bytes"`
	InflightRSS int64   `json:"inflight_rss_bytes"`
	PerConn     float64 `json:"per_conn_bytes"`
	PerInflight float64 `json:"per_inflight_bytes"`
	// The same N requests held at once by one client configured as users
	// configure it: the pool opens N connections, mux and gRPC share one.
	SharedConns   int     `json:"shared_conns"`
	SharedBaseRSS int64   `json:"shared_base_rss_bytes"`
	SharedRSS     int64   `json:"shared_rss_bytes"`
	SharedPerReq  float64 `json:"shared_per_inflight_bytes"`
}

// ReadReport reads a sweep's JSON.
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
