// Command benchreport reads a `make bench` run from the results directory,
// prints its tables, draws its charts, writes results/summary.md, refreshes
// the results section of the README, and gates the run against the
// baseline: it exits 1 when a tracked figure regressed beyond its
// threshold with significance (see report.Gate).
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/kitemall/platform/benchmarks/gwbench"
	"github.com/kitemall/platform/benchmarks/report"
	"github.com/kitemall/platform/benchmarks/rpcbench"
)

// Files of a run, in the results and the baseline directories alike.
const (
	codecFile   = "codec.txt"
	rpcFile     = "rpc.json"
	gatewayFile = "gateway.json"
	summaryFile = "summary.md"
)

// The README section between these markers is rewritten from each run.
const (
	readmeBegin = "<!-- results:begin (written by cmd/benchreport; edit outside these markers) -->"
	readmeEnd   = "<!-- results:end -->"
)

func main() {
	results := flag.String("results", "results", "directory of the run to report")
	baseline := flag.String("baseline", "baseline", "directory of the baseline run")
	gate := flag.Bool("gate", true, "compare with the baseline and exit 1 on a regression")
	readme := flag.String("readme", "", "README whose results section to refresh (empty: none)")
	flag.Parse()

	failed, err := run(os.Stdout, *results, *baseline, *gate, *readme)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchreport:", err)
		os.Exit(2)
	}
	if failed {
		fmt.Println("\nbenchreport: FAIL: a tracked figure regressed against the baseline (see above)")
		os.Exit(1)
	}
}

// run is main without the exits, so a failure and a regression stay apart.
func run(out io.Writer, resultsDir, baselineDir string, gate bool, readme string) (failed bool, err error) {
	cur, err := readRun(resultsDir)
	if err != nil {
		return false, err
	}
	var tables []report.Table
	if cur.codec != nil {
		tables = append(tables, report.CodecTable(cur.codec), report.TargetTable(cur.codec), report.ClaimTable(cur.codec))
	}
	if cur.rpc != nil {
		tables = append(tables, report.RPCTable(cur.rpc), report.RPCRatioTable(cur.rpc), report.PlatformPathTable(cur.rpc))
		if len(cur.rpc.Memory) > 0 {
			tables = append(tables, report.MemoryTable(cur.rpc))
		}
	}
	if cur.gw != nil {
		tables = append(tables, report.GatewayTable(cur.gw), report.GatewayRatioTable(cur.gw), report.GatewayMemoryTable(cur.gw))
		if len(cur.gw.CPUShares) > 0 {
			tables = append(tables, report.GatewayProfileTable(cur.gw))
		}
	}
	for _, t := range tables {
		if err := t.Text(out); err != nil {
			return false, err
		}
	}
	if err := report.WriteCharts(resultsDir, cur.codec, cur.rpc, cur.gw); err != nil {
		return false, err
	}
	fmt.Fprintf(out, "\nbenchreport: charts written to %s\n", resultsDir)

	figs := cur.figures()
	var md bytes.Buffer
	fmt.Fprintf(&md, "%s\n", cur.runLine())
	for _, t := range tables {
		if err := t.Markdown(&md); err != nil {
			return false, err
		}
	}
	if err := report.FiguresTable("Tracked figures of this run (the regression gate compares these with the baseline)", figs).Markdown(&md); err != nil {
		return false, err
	}

	if gate {
		base, err := readRun(baselineDir)
		if err != nil {
			return false, fmt.Errorf("baseline (record one with `make bench-baseline`): %w", err)
		}
		// A part this run skipped (BENCH_PARTS) is not gated; a figure
		// missing from a part that ran still fails.
		for _, part := range []struct {
			name    string
			skipped bool
			drop    func()
		}{
			{"codec", cur.codec == nil, func() { base.codec = nil }},
			{"RPC", cur.rpc == nil, func() { base.rpc = nil }},
			{"gateway", cur.gw == nil, func() { base.gw = nil }},
		} {
			if part.skipped {
				part.drop()
				fmt.Fprintf(out, "\nbenchreport: no %s results in this run: %s figures not gated\n", part.name, part.name)
			}
		}
		verdicts := report.Gate(base.figures(), figs)
		fmt.Fprintf(out, "\n== Regression gate: this run vs %s (Mann-Whitney U over rounds, ratios of peers measured in the same round)\n", baselineDir)
		if err := report.PrintGate(out, verdicts); err != nil {
			return false, err
		}
		failed = report.Failed(verdicts)
	}

	if err := os.WriteFile(filepath.Join(resultsDir, summaryFile), md.Bytes(), 0o644); err != nil {
		return failed, err
	}
	if readme != "" {
		if err := refreshReadme(readme, resultsDir, md.String()); err != nil {
			return failed, err
		}
	}
	return failed, nil
}

// runData is one run's results; a part the run skipped is nil.
type runData struct {
	codec *report.CodecRuns
	rpc   *rpcbench.Report
	gw    *gwbench.Report
}

// readRun reads a run's codec, RPC and gateway results; any may be
// absent (BENCH_PARTS), not all.
func readRun(dir string) (runData, error) {
	var r runData
	var err error
	if r.codec, err = optional(report.ReadCodecFile(filepath.Join(dir, codecFile))); err != nil {
		return r, err
	}
	if r.rpc, err = optional(rpcbench.ReadReport(filepath.Join(dir, rpcFile))); err != nil {
		return r, err
	}
	if r.gw, err = optional(gwbench.ReadReport(filepath.Join(dir, gatewayFile))); err != nil {
		return r, err
	}
	if r.codec == nil && r.rpc == nil && r.gw == nil {
		return r, fmt.Errorf("no %s, %s or %s in %s", codecFile, rpcFile, gatewayFile, dir)
	}
	return r, nil
}

// optional turns a missing file into nil.
func optional[T any](v *T, err error) (*T, error) {
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return v, err
}

func (r runData) figures() []report.Figure {
	var figs []report.Figure
	if r.codec != nil {
		figs = append(figs, report.CodecFigures(r.codec)...)
	}
	if r.rpc != nil {
		figs = append(figs, report.RPCFigures(r.rpc)...)
	}
	if r.gw != nil {
		figs = append(figs, report.GatewayFigures(r.gw)...)
	}
	return figs
}

func (r runData) runLine() string {
	var m rpcbench.Meta
	switch {
	case r.rpc != nil:
		m = r.rpc.Meta
	case r.gw != nil:
		g := r.gw.Meta
		m = rpcbench.Meta{Started: g.Started, NumCPU: g.NumCPU, CPUModel: g.CPUModel, GoVersion: g.GoVersion}
	default:
		return "_Codec-only run._"
	}
	return fmt.Sprintf("_Run of %s on %d× %s, %s._", m.Started.Format("2006-01-02 15:04 UTC"), m.NumCPU, m.CPUModel, m.GoVersion)
}

// refreshReadme replaces the README's results section with md, with chart
// links relative to the README.
func refreshReadme(path, resultsDir, md string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	s := string(b)
	i, j := strings.Index(s, readmeBegin), strings.Index(s, readmeEnd)
	if i < 0 || j < i {
		return fmt.Errorf("%s has no %q ... %q section", path, readmeBegin, readmeEnd)
	}
	rel, err := filepath.Rel(filepath.Dir(path), resultsDir)
	if err != nil {
		return err
	}
	var charts strings.Builder
	for _, c := range []string{report.CodecChart, report.RPCQPSChart, report.RPCP99Chart, report.RPCCPUChart, report.GatewayChart} {
		if _, err := os.Stat(filepath.Join(resultsDir, c)); err == nil {
			fmt.Fprintf(&charts, "![%s](%s)\n\n", strings.TrimSuffix(c, ".png"), filepath.ToSlash(filepath.Join(rel, c)))
		}
	}
	section := readmeBegin + "\n\n" + charts.String() + md + "\n" + readmeEnd
	return os.WriteFile(path, []byte(s[:i]+section+s[j+len(readmeEnd):]), 0o644)
}
