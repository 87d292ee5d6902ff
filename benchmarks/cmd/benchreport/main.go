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

	"github.com/kitemall/platform/benchmarks/report"
	"github.com/kitemall/platform/benchmarks/rpcbench"
)

// Files of a run, in the results and the baseline directories alike.
const (
	codecFile   = "codec.txt"
	rpcFile     = "rpc.json"
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
	codec, rpc, err := readRun(resultsDir)
	if err != nil {
		return false, err
	}
	var tables []report.Table
	if codec != nil {
		tables = append(tables, report.CodecTable(codec), report.TargetTable(codec), report.ClaimTable(codec))
	}
	if rpc != nil {
		tables = append(tables, report.RPCTable(rpc), report.RPCRatioTable(rpc))
		if len(rpc.Memory) > 0 {
			tables = append(tables, report.MemoryTable(rpc))
		}
	}
	for _, t := range tables {
		if err := t.Text(out); err != nil {
			return false, err
		}
	}
	if err := report.WriteCharts(resultsDir, codec, rpc); err != nil {
		return false, err
	}
	fmt.Fprintf(out, "\nbenchreport: charts written to %s\n", resultsDir)

	cur := figures(codec, rpc)
	var md bytes.Buffer
	fmt.Fprintf(&md, "%s\n", runLine(rpc))
	for _, t := range tables {
		if err := t.Markdown(&md); err != nil {
			return false, err
		}
	}
	if err := report.FiguresTable("Tracked figures of this run (the regression gate compares these with the baseline)", cur).Markdown(&md); err != nil {
		return false, err
	}

	if gate {
		baseCodec, baseRPC, err := readRun(baselineDir)
		if err != nil {
			return false, fmt.Errorf("baseline (record one with `make bench-baseline`): %w", err)
		}
		// A part this run skipped (BENCH_PARTS) is not gated; a figure
		// missing from a part that ran still fails.
		if codec == nil {
			baseCodec = nil
			fmt.Fprintln(out, "\nbenchreport: no codec results in this run: codec figures not gated")
		}
		if rpc == nil {
			baseRPC = nil
			fmt.Fprintln(out, "\nbenchreport: no RPC results in this run: RPC figures not gated")
		}
		verdicts := report.Gate(figures(baseCodec, baseRPC), cur)
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

// readRun reads a run's codec and RPC results; either may be absent (a
// codec-only run), not both.
func readRun(dir string) (*report.CodecRuns, *rpcbench.Report, error) {
	codec, err := report.ReadCodecFile(filepath.Join(dir, codecFile))
	if errors.Is(err, fs.ErrNotExist) {
		codec, err = nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	rpc, err := rpcbench.ReadReport(filepath.Join(dir, rpcFile))
	if errors.Is(err, fs.ErrNotExist) {
		rpc, err = nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	if codec == nil && rpc == nil {
		return nil, nil, fmt.Errorf("no %s or %s in %s", codecFile, rpcFile, dir)
	}
	return codec, rpc, nil
}

func figures(codec *report.CodecRuns, rpc *rpcbench.Report) []report.Figure {
	var figs []report.Figure
	if codec != nil {
		figs = append(figs, report.CodecFigures(codec)...)
	}
	if rpc != nil {
		figs = append(figs, report.RPCFigures(rpc)...)
	}
	return figs
}

func runLine(rpc *rpcbench.Report) string {
	if rpc == nil {
		return "_Codec-only run._"
	}
	m := rpc.Meta
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
	for _, c := range []string{report.CodecChart, report.RPCQPSChart, report.RPCP99Chart, report.RPCCPUChart} {
		if _, err := os.Stat(filepath.Join(resultsDir, c)); err == nil {
			fmt.Fprintf(&charts, "![%s](%s)\n\n", strings.TrimSuffix(c, ".png"), filepath.ToSlash(filepath.Join(rel, c)))
		}
	}
	section := readmeBegin + "\n\n" + charts.String() + md + "\n" + readmeEnd
	return os.WriteFile(path, []byte(s[:i]+section+s[j+len(readmeEnd):]), 0o644)
}
