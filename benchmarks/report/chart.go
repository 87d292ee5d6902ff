package report

import (
	"fmt"
	"image/color"
	"math"
	"path/filepath"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/kitemall/platform/benchmarks/gwbench"
	"github.com/kitemall/platform/benchmarks/rpcbench"
)

// Chart files written into the results directory.
const (
	CodecChart   = "codec.png"
	RPCQPSChart  = "rpc_qps.png"
	RPCP99Chart  = "rpc_p99.png"
	RPCCPUChart  = "rpc_cpu.png"
	GatewayChart = "gateway.png"
)

// WriteCharts draws the codec table, the RPC sweep and the gateway run
// into dir; each may be nil.
func WriteCharts(dir string, c *CodecRuns, rep *rpcbench.Report, gw *gwbench.Report) error {
	if c != nil {
		if err := codecChart(filepath.Join(dir, CodecChart), c); err != nil {
			return fmt.Errorf("codec chart: %w", err)
		}
	}
	if gw != nil {
		if err := gatewayChart(filepath.Join(dir, GatewayChart), gw); err != nil {
			return fmt.Errorf("gateway chart: %w", err)
		}
	}
	if rep == nil {
		return nil
	}
	med := rpcMedians(rep)
	for _, ch := range []struct {
		file, title, y string
		log            bool
		value          func(pointMedians) float64
	}{
		{RPCQPSChart, "CreateOrder QPS over loopback (higher is better)", "requests/s", false,
			func(m pointMedians) float64 { return m.QPS }},
		{RPCP99Chart, "CreateOrder p99 latency (lower is better)", "p99 latency, ms (log)", true,
			func(m pointMedians) float64 { return m.P99 / 1e6 }},
		{RPCCPUChart, "Server CPU per request (lower is better)", "server CPU µs/request", false,
			func(m pointMedians) float64 { return m.ServerCPUPerReq }},
	} {
		if err := sweepChart(filepath.Join(dir, ch.file), ch.title, ch.y, ch.log, rep.Meta, med, ch.value); err != nil {
			return fmt.Errorf("%s: %w", ch.file, err)
		}
	}
	return nil
}

// codecChart draws, per message, each codec's encode+decode time relative
// to Kitex FastCodec: sizes differ by 100x between messages, ratios do not.
func codecChart(file string, c *CodecRuns) error {
	p := plot.New()
	p.Title.Text = "Encode+decode CPU time relative to Kitex FastCodec (lower is better)"
	p.Y.Label.Text = "time / FastCodec time"
	p.Legend.Top = true
	p.Legend.Left = true

	const barWidth = 9
	n := len(c.Codecs)
	top := 1.0
	for i, codec := range c.Codecs {
		vals := make(plotter.Values, len(c.Msgs))
		for j, msg := range c.Msgs {
			if !c.Has(msg, codec) {
				continue
			}
			vals[j] = encDecCPU(c, msg, codec) / encDecCPU(c, msg, FastCodec)
			top = max(top, vals[j])
		}
		bars, err := plotter.NewBarChart(vals, barWidth)
		if err != nil {
			return err
		}
		bars.Color = plotutil.Color(i)
		bars.LineStyle.Width = 0
		bars.Offset = vg.Length(float64(i)-float64(n-1)/2) * barWidth
		p.Add(bars)
		p.Legend.Add(codec, bars)
	}
	p.Add(hline(1, len(c.Msgs)))
	p.NominalX(c.Msgs...)
	p.Y.Min, p.Y.Max = 0, top*1.35 // head room for the legend
	return p.Save(28*vg.Centimeter, 13*vg.Centimeter, file)
}

// gatewayChart draws QPS over concurrency (log scale: the bare handler
// serves an order of magnitude more) for the product read through the
// gateway and on the bare Hertz server, and for the order write.
func gatewayChart(file string, rep *gwbench.Report) error {
	med := gatewayMedians(rep)
	series := map[string]map[int]pointMedians{}
	var labels []string
	var conc []int
	for _, k := range gatewayRows(rep) {
		m, ok := med[k]
		if !ok {
			continue
		}
		label := k.target + " " + k.route
		if series[label] == nil {
			series[label] = map[int]pointMedians{}
			labels = append(labels, label)
		}
		series[label][k.conc] = pointMedians{QPS: m.QPS}
		if !slices.Contains(conc, k.conc) {
			conc = append(conc, k.conc)
		}
	}
	slices.Sort(conc)
	meta := rpcbench.Meta{Concurrency: conc, Transports: labels}
	return sweepChart(file, "Gateway vs bare Hertz, end to end over HTTP (higher is better)", "requests/s (log)", true, meta, series,
		func(m pointMedians) float64 { return m.QPS })
}

// hline marks y=1 (FastCodec itself) across the chart.
func hline(y float64, groups int) *plotter.Line {
	l, _ := plotter.NewLine(plotter.XYs{{X: -0.5, Y: y}, {X: float64(groups) - 0.5, Y: y}}) // two finite points never fail
	l.Color = color.Gray{Y: 120}
	l.Dashes = []vg.Length{vg.Points(3), vg.Points(3)}
	return l
}

// sweepChart draws one line per transport over the concurrency levels,
// which are placed evenly (they are a log-ish sequence, not a scale).
func sweepChart(file, title, ylabel string, logY bool, meta rpcbench.Meta, med map[string]map[int]pointMedians, value func(pointMedians) float64) error {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "concurrent callers"
	p.Y.Label.Text = ylabel
	p.Legend.Top = true
	p.Legend.Left = true
	if logY {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	}
	top := 0.0
	var ticks []plot.Tick
	for i, c := range meta.Concurrency {
		ticks = append(ticks, plot.Tick{Value: float64(i), Label: fmt.Sprint(c)})
	}
	p.X.Tick.Marker = plot.ConstantTicks(ticks)
	p.X.Min, p.X.Max = -0.2, float64(len(meta.Concurrency)-1)+0.2

	for i, tr := range meta.Transports {
		var pts plotter.XYs
		for j, c := range meta.Concurrency {
			if m, ok := med[tr][c]; ok {
				if v := value(m); v > 0 && !math.IsNaN(v) {
					pts = append(pts, plotter.XY{X: float64(j), Y: v})
					top = max(top, v)
				}
			}
		}
		if len(pts) == 0 {
			continue
		}
		line, points, err := plotter.NewLinePoints(pts)
		if err != nil {
			return err
		}
		line.Color = plotutil.Color(i)
		line.Width = vg.Points(2)
		line.Dashes = plotutil.Dashes(0)
		points.Color = plotutil.Color(i)
		points.Shape = draw.CircleGlyph{}
		p.Add(line, points)
		p.Legend.Add(tr, line, points)
	}
	if !logY {
		// From zero, so bar-free line charts do not exaggerate gaps;
		// head room for the legend.
		p.Y.Min, p.Y.Max = 0, top*1.3
	} else {
		p.Y.Max = top * 3
	}
	return p.Save(20*vg.Centimeter, 12*vg.Centimeter, file)
}
