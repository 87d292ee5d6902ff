package report

import (
	"fmt"
	"io"
	"slices"
	"text/tabwriter"

	"golang.org/x/perf/benchmath"
)

// Alpha is the significance level of the gate's Mann-Whitney U-test.
const Alpha = 0.05

// Status is the gate's verdict on one figure.
type Status string

const (
	StatusOK        Status = "ok"
	StatusImproved  Status = "improved"
	StatusRegressed Status = "REGRESSED"
	StatusNew       Status = "new"     // not in the baseline: nothing to compare
	StatusMissing   Status = "MISSING" // in the baseline but no longer measured
)

// Verdict compares one figure with its baseline.
type Verdict struct {
	Name       string
	Unit       string
	Base, Cur  float64 // medians
	Worse      float64 // relative change in the bad direction (0.2 = 20% worse)
	P          float64 // U-test p-value; 1 when not computed
	Status     Status
	Threshold  float64
	Exact      bool
	Samples    [2]int
	CompareErr string
}

// Gate compares the current figures with the baseline. A figure regresses
// when it is worse by more than its threshold and the difference is
// significant (p < Alpha); an exact figure regresses when it is worse at
// all. A figure that vanished from the run also fails: a gate that stops
// measuring something must be re-baselined on purpose.
func Gate(base, cur []Figure) []Verdict {
	byName := map[string]Figure{}
	for _, f := range base {
		byName[f.Name] = f
	}
	var out []Verdict
	seen := map[string]bool{}
	for _, f := range cur {
		seen[f.Name] = true
		v := Verdict{Name: f.Name, Unit: f.Unit, Cur: f.Center(), P: 1, Threshold: f.Threshold, Exact: f.Exact}
		b, ok := byName[f.Name]
		if !ok {
			v.Status = StatusNew
			out = append(out, v)
			continue
		}
		v.Base = b.Center()
		v.Samples = [2]int{len(b.Values), len(f.Values)}
		switch {
		case v.Cur == v.Base: // also 0 allocations before and after
			v.Worse = 0
		case f.Better == HigherIsBetter:
			v.Worse = v.Base/v.Cur - 1
		default:
			v.Worse = v.Cur/v.Base - 1
		}
		if f.Exact {
			v.P = 0
			v.Status = StatusOK
			if v.Worse > 0 {
				v.Status = StatusRegressed
			} else if v.Worse < 0 {
				v.Status = StatusImproved
			}
			out = append(out, v)
			continue
		}
		th := benchmath.Thresholds{CompareAlpha: Alpha}
		cmp := benchmath.AssumeNothing.Compare(
			benchmath.NewSample(slices.Clone(b.Values), &th),
			benchmath.NewSample(slices.Clone(f.Values), &th))
		v.P = cmp.P
		if len(cmp.Warnings) > 0 {
			v.CompareErr = cmp.Warnings[0].Error()
		}
		significant := cmp.P < Alpha
		switch {
		case significant && v.Worse > f.Threshold:
			v.Status = StatusRegressed
		case significant && v.Worse < 0:
			v.Status = StatusImproved
		default:
			v.Status = StatusOK
		}
		out = append(out, v)
	}
	for _, b := range base {
		if !seen[b.Name] {
			out = append(out, Verdict{Name: b.Name, Unit: b.Unit, Base: b.Center(), P: 1, Status: StatusMissing})
		}
	}
	return out
}

// Failed reports whether any verdict fails the gate.
func Failed(vs []Verdict) bool {
	return slices.ContainsFunc(vs, func(v Verdict) bool {
		return v.Status == StatusRegressed || v.Status == StatusMissing
	})
}

// PrintGate writes the verdicts as an aligned table.
func PrintGate(w io.Writer, vs []Verdict) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "tracked figure\tbaseline\tnow\tworse by\tthreshold\tp\tverdict")
	for _, v := range vs {
		th := fmt.Sprintf("%.0f%% & p<%.2f", 100*v.Threshold, Alpha)
		p := fmt.Sprintf("%.3f", v.P)
		if v.Exact {
			th, p = "any (exact)", "-"
		}
		worse := fmt.Sprintf("%+.1f%%", 100*v.Worse)
		if v.Status == StatusNew || v.Status == StatusMissing {
			worse, p = "-", "-"
		}
		status := string(v.Status)
		if v.CompareErr != "" && v.Status == StatusOK {
			status += " (" + v.CompareErr + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", v.Name, num(v.Base, v.Unit), num(v.Cur, v.Unit), worse, th, p, status)
	}
	return tw.Flush()
}

func num(v float64, unit string) string {
	if unit == "x" {
		return fmt.Sprintf("%.2fx", v)
	}
	return fmt.Sprintf("%.4g", v)
}
