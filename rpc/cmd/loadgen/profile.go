package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The orders phase can be broken down two ways, both as deltas over the
// phase: the CPU time each process of the platform burnt (from /proc), and
// the calls each service served with their mean server-side latency (from
// the Kitex RED metrics on its /metrics). Together they say where the time
// of an order goes, whatever else the machine is running meanwhile.

// namedTargets parses "name=value,name=value".
func namedTargets(raw string) (map[string]string, error) {
	out := map[string]string{}
	if raw == "" {
		return out, nil
	}
	for _, part := range strings.Split(raw, ",") {
		name, value, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || name == "" || value == "" {
			return nil, fmt.Errorf("%q is not name=value", part)
		}
		out[name] = value
	}
	return out, nil
}

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat times on Linux.
const clockTicks = 100

// cpuTime is a process's user plus system CPU time so far.
func cpuTime(pid string) (time.Duration, error) {
	raw, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may hold spaces; fields count from after it.
	s := string(raw)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(fields) < 13 {
		return 0, fmt.Errorf("/proc/%s/stat: too few fields", pid)
	}
	utime, err1 := strconv.ParseInt(fields[11], 10, 64)
	stime, err2 := strconv.ParseInt(fields[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%s/stat: bad utime/stime", pid)
	}
	return time.Duration(utime+stime) * time.Second / clockTicks, nil
}

// cpuSampler follows the CPU time of named processes through a phase. A
// target is a pid, "self", or "@file" naming a pid file that is read again
// at every sample, so a process restarted during the phase (a fault) is
// followed into its new pid. Samples are taken every interval: a process
// killed during the phase is counted up to its last sample.
type cpuSampler struct {
	targets map[string]string
	mu      sync.Mutex
	// first and last CPU time seen, per name and pid.
	first, last map[string]map[string]time.Duration
	stop        chan struct{}
	done        chan struct{}
}

func startCPUSampler(targets map[string]string, interval time.Duration) *cpuSampler {
	c := &cpuSampler{targets: targets, first: map[string]map[string]time.Duration{}, last: map[string]map[string]time.Duration{},
		stop: make(chan struct{}), done: make(chan struct{})}
	c.sample(true)
	go func() {
		defer close(c.done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-c.stop:
				c.sample(false)
				return
			case <-t.C:
				c.sample(false)
			}
		}
	}()
	return c
}

func (c *cpuSampler) sample(initial bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for name, target := range c.targets {
		pid := target
		if file, ok := strings.CutPrefix(target, "@"); ok {
			raw, err := os.ReadFile(file)
			if err != nil {
				continue
			}
			pid = strings.TrimSpace(string(raw))
		}
		d, err := cpuTime(pid)
		if err != nil {
			continue
		}
		if c.first[name] == nil {
			c.first[name], c.last[name] = map[string]time.Duration{}, map[string]time.Duration{}
		}
		if _, seen := c.first[name][pid]; !seen {
			// A pid first seen after the start was started during the
			// phase: all of its CPU time belongs to it.
			c.first[name][pid] = 0
			if initial {
				c.first[name][pid] = d
			}
		}
		c.last[name][pid] = d
	}
}

// finish takes a last sample and returns the CPU time per name.
func (c *cpuSampler) finish() map[string]time.Duration {
	close(c.stop)
	<-c.done
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]time.Duration{}
	for name, pids := range c.last {
		for pid, last := range pids {
			out[name] += last - c.first[name][pid]
		}
	}
	return out
}

// serverLatency is, per "service method", the calls served and the total
// server-side latency, from kitex_server_latency_us.
type serverLatency map[string]struct {
	calls float64
	sumUs float64
}

func scrapeLatency(ctx context.Context, urls map[string]string) (serverLatency, error) {
	out := serverLatency{}
	for svc, url := range urls {
		if err := scrapeOne(ctx, svc, url, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func scrapeOne(ctx context.Context, svc, url string, out serverLatency) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("scrape %s: %w", url, err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(io.LimitReader(resp.Body, 16<<20))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		var suffix string
		switch {
		case strings.HasPrefix(line, "kitex_server_latency_us_sum{"):
			suffix = "sum"
		case strings.HasPrefix(line, "kitex_server_latency_us_count{"):
			suffix = "count"
		default:
			continue
		}
		method := label(line, "method")
		v, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
		if err != nil || method == "" {
			continue
		}
		key := svc + " " + method
		e := out[key]
		if suffix == "sum" {
			e.sumUs += v
		} else {
			e.calls += v
		}
		out[key] = e
	}
	return sc.Err()
}

// label returns the value of name in a Prometheus text-format sample line.
func label(line, name string) string {
	i := strings.Index(line, name+`="`)
	if i < 0 {
		return ""
	}
	rest := line[i+len(name)+2:]
	j := strings.IndexByte(rest, '"')
	if j < 0 {
		return ""
	}
	return rest[:j]
}

// breakdown is what happened during the orders phase.
type breakdown struct {
	cpu                 map[string]time.Duration
	latBefore, latAfter serverLatency
	wall                time.Duration
	orders              int64
}

func (b breakdown) print() {
	if len(b.cpu) > 0 {
		fmt.Printf("\nCPU during the orders phase (%v wall, %d orders created):\n", b.wall.Round(time.Millisecond), b.orders)
		var total time.Duration
		names := make([]string, 0, len(b.cpu))
		for name := range b.cpu {
			names = append(names, name)
		}
		sort.Slice(names, func(i, j int) bool { return b.cpu[names[i]] > b.cpu[names[j]] })
		for _, name := range names {
			d := b.cpu[name]
			total += d
			fmt.Printf("  %-10s %8v  %6.2f ms/order  %5.1f%% of one core\n", name, d.Round(10*time.Millisecond), perOrder(d, b.orders), 100*d.Seconds()/b.wall.Seconds())
		}
		fmt.Printf("  %-10s %8v  %6.2f ms/order: at most %.0f orders/s on 2 idle cores\n", "total", total.Round(10*time.Millisecond), perOrder(total, b.orders),
			2000/max(perOrder(total, b.orders), 0.001))
	}
	if len(b.latAfter) > 0 {
		fmt.Printf("\nserver-side calls during the orders phase (Kitex RED metrics):\n")
		keys := make([]string, 0, len(b.latAfter))
		for k := range b.latAfter {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			calls := b.latAfter[k].calls - b.latBefore[k].calls
			if calls <= 0 {
				continue
			}
			mean := time.Duration((b.latAfter[k].sumUs - b.latBefore[k].sumUs) / calls * float64(time.Microsecond))
			fmt.Printf("  %-32s %7.0f calls  %5.2f per order  mean %v\n", k, calls, calls/float64(max(b.orders, 1)), mean.Round(100*time.Microsecond))
		}
	}
}

func perOrder(d time.Duration, orders int64) float64 {
	if orders == 0 {
		return 0
	}
	return float64(d.Microseconds()) / 1000 / float64(orders)
}
