package gwbench

import (
	"bufio"
	"cmp"
	"slices"
	"strconv"
	"strings"
)

// Share is one component's part of a process's CPU time.
type Share struct {
	Component string  `json:"component"`
	Percent   float64 `json:"percent"`
}

// components attributes a function to a part of the gateway, first match
// wins; kernel samples ("[k]") are attributed before these.
var components = []struct {
	name     string
	prefixes []string
}{
	{"OpenTelemetry (spans, events, propagation; Hertz and Kitex tracers)", []string{"go.opentelemetry.io/", "github.com/hertz-contrib/obs-opentelemetry", "github.com/kitex-contrib/obs-opentelemetry"}},
	{"Prometheus (RED metrics)", []string{"github.com/prometheus/", "github.com/kitemall/platform/pkg/observability.(*redTracer)", "github.com/kitemall/platform/pkg/observability.newREDTracer"}},
	{"access log (log/slog JSON)", []string{"log/slog", "log/internal"}},
	{"encoding/json (response body)", []string{"encoding/json"}},
	{"Kitex client (middleware, TTHeader, codec, mux)", []string{"github.com/cloudwego/kitex/", "github.com/cloudwego/gopkg/", "github.com/cloudwego/frugal", "github.com/cloudwego/dynamicgo", "github.com/kitemall/platform/kitex_gen/"}},
	{"gateway code (handlers, middleware, rate limit)", []string{"github.com/kitemall/platform/"}},
	{"Hertz (HTTP/1.1 server)", []string{"github.com/cloudwego/hertz/"}},
	{"netpoll", []string{"github.com/cloudwego/netpoll"}},
	{"bytedance gopkg (goroutine pool)", []string{"github.com/bytedance/"}},
	{Runtime, []string{"runtime.", "runtime/", "internal/runtime", "internal/abi", "aeshash", "memeqbody", "indexbyte", "cmpbody", "gcWriteBarrier", "__vdso", "[vdso]", "sync/atomic"}},
	{Stdlib, []string{"sync.", "time.", "strconv.", "strings.", "bytes.", "fmt.", "context.", "net.", "net/", "io.", "unicode", "sort.", "reflect.", "math", "errors.", "syscall.", "internal/", "os.", "crypto/", "hash/", "slices.", "maps.", "encoding/", "bufio."}},
}

// Components that are not a library of the gateway's own choosing: time
// spent there is caused by a caller (Attribute charges it to that caller).
const (
	// Kernel is time in the kernel: system calls, loopback TCP, the
	// scheduler, interrupts.
	Kernel  = "kernel (system calls, loopback TCP, scheduler)"
	Runtime = "Go runtime (malloc, GC, scheduler, hashing)"
	Stdlib  = "Go standard library (other)"
	// GCWorkers is the runtime's background GC marking, which no caller
	// owns: the cost of the heap every component allocates into.
	GCWorkers = "Go GC background workers (all allocations)"
	// Other holds functions no component claims.
	Other = "other"
)

// Components sums `perf report --stdio --no-children --sort symbol -g
// none` output (one "  12.34%  [.] symbol" line per function, self time)
// by component, largest first.
func Components(perfReport string) []Share {
	sums := map[string]float64{}
	sc := bufio.NewScanner(strings.NewReader(perfReport))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 3 || !strings.HasSuffix(f[0], "%") {
			continue
		}
		pct, err := strconv.ParseFloat(strings.TrimSuffix(f[0], "%"), 64)
		if err != nil {
			continue
		}
		sums[component(f[1], f[2])] += pct
	}
	out := make([]Share, 0, len(sums))
	for name, pct := range sums {
		out = append(out, Share{Component: name, Percent: pct})
	}
	slices.SortFunc(out, func(a, b Share) int {
		return cmp.Or(cmp.Compare(b.Percent, a.Percent), strings.Compare(a.Component, b.Component))
	})
	return out
}

func component(kind, symbol string) string {
	if kind == "[k]" {
		return Kernel
	}
	for _, c := range components {
		for _, p := range c.prefixes {
			if strings.HasPrefix(symbol, p) {
				return c.name
			}
		}
	}
	return Other
}

// Attribute charges every sample of `perf script -F ip,sym` output (one
// frame per line, innermost first, samples separated by blank lines) to
// the innermost frame that belongs to a library or to the gateway itself,
// so the runtime's, the standard library's and the kernel's time lands on
// the component that caused it (its allocations, its system calls).
// Samples with no such frame are the GC's background workers, or the
// runtime's or kernel's own. Shares are percentages of all samples.
func Attribute(perfScript string) []Share {
	counts := map[string]int{}
	total := 0
	var frames []string
	flush := func() {
		if len(frames) > 0 {
			counts[attribute(frames)]++
			total++
		}
		frames = frames[:0]
	}
	sc := bufio.NewScanner(strings.NewReader(perfScript))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			flush()
			continue
		}
		frames = append(frames, line)
	}
	flush()
	out := make([]Share, 0, len(counts))
	for name, n := range counts {
		out = append(out, Share{Component: name, Percent: 100 * float64(n) / float64(total)})
	}
	slices.SortFunc(out, func(a, b Share) int {
		return cmp.Or(cmp.Compare(b.Percent, a.Percent), strings.Compare(a.Component, b.Component))
	})
	return out
}

// attribute names the component one sample's frames ("addr symbol",
// innermost first) are charged to.
func attribute(frames []string) string {
	innermost := ""
	for i, f := range frames {
		addr, sym, _ := strings.Cut(f, " ")
		kind := "[.]"
		if strings.HasPrefix(addr, "ffffffff") {
			kind = "[k]"
		}
		c := component(kind, strings.TrimSpace(sym))
		if i == 0 {
			innermost = c
		}
		switch c {
		case Kernel, Runtime, Stdlib, Other:
			if strings.HasPrefix(strings.TrimSpace(sym), "runtime.gcBgMarkWorker") {
				return GCWorkers
			}
			continue
		}
		return c
	}
	return innermost
}
