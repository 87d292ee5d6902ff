package observability

import (
	"context"
	"errors"
	"maps"
	"testing"

	"github.com/cloudwego/kitex/pkg/rpcinfo"
	"github.com/cloudwego/kitex/pkg/stats"
	"github.com/prometheus/client_golang/prometheus"
)

// finishCall runs the tracer over one call from caller to callee.method
// with the given error and retry tag, as Kitex does at the call's end.
func finishCall(tr stats.Tracer, caller, callee, method string, err error, retry string) {
	var tags map[string]string
	if retry != "" {
		tags = map[string]string{rpcinfo.RetryTag: retry}
	}
	st := rpcinfo.NewRPCStats()
	ms := rpcinfo.AsMutableRPCStats(st)
	ms.SetLevel(stats.LevelBase)
	ctx := rpcinfo.NewCtxWithRPCInfo(context.Background(), rpcinfo.NewRPCInfo(
		rpcinfo.NewEndpointInfo(caller, "", nil, nil),
		rpcinfo.NewEndpointInfo(callee, method, nil, tags),
		rpcinfo.NewInvocation(callee, method), nil, st))
	ctx = tr.Start(ctx)
	st.Record(ctx, stats.RPCStart, stats.StatusInfo, "")
	if err != nil {
		ms.SetError(err)
	}
	st.Record(ctx, stats.RPCFinish, stats.StatusInfo, "")
	tr.Finish(ctx)
}

func TestREDTracerCountsEachCallUnderItsLabels(t *testing.T) {
	reg := prometheus.NewRegistry()
	tr, err := newREDTracer(reg, "server", "calls", "latency")
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		finishCall(tr, "gateway", "product", "GetProduct", nil, "")
	}
	finishCall(tr, "order", "product", "ReserveStock", errors.New("timeout"), "")
	finishCall(tr, "", "product", "GetProduct", nil, "1")

	type series map[string]string
	want := []struct {
		labels series
		calls  float64
	}{
		{series{"caller": "gateway", "callee": "product", "method": "GetProduct", "status": "succeed", "retry": "0"}, 2},
		{series{"caller": "order", "callee": "product", "method": "ReserveStock", "status": "error", "retry": "0"}, 1},
		{series{"caller": "unknown", "callee": "product", "method": "GetProduct", "status": "succeed", "retry": "1"}, 1},
	}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]map[string]float64{} // metric -> labels -> count
	key := func(l series) string {
		return l["caller"] + "/" + l["callee"] + "/" + l["method"] + "/" + l["status"] + "/" + l["retry"]
	}
	for _, f := range families {
		got[f.GetName()] = map[string]float64{}
		for _, m := range f.GetMetric() {
			l := series{}
			for _, p := range m.GetLabel() {
				l[p.GetName()] = p.GetValue()
			}
			if f.GetName() == "kitex_server_throughput" {
				got[f.GetName()][key(l)] = m.GetCounter().GetValue()
			} else {
				got[f.GetName()][key(l)] = float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	wantCounts := map[string]float64{}
	for _, w := range want {
		wantCounts[key(w.labels)] = w.calls
	}
	for _, name := range []string{"kitex_server_throughput", "kitex_server_latency_us"} {
		if !maps.Equal(got[name], wantCounts) {
			t.Errorf("%s = %v, want %v", name, got[name], wantCounts)
		}
	}
}

func TestTelemetryRegistersBothSidesOnce(t *testing.T) {
	tel, err := Setup(context.Background(), "test", DefaultConfig(""))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
	if tel.KitexServerTracer() == nil || tel.KitexClientTracer() == nil || tel.KitexClientTracer() != tel.KitexClientTracer() {
		t.Fatal("want one server and one client tracer per telemetry")
	}
	finishCall(tel.KitexClientTracer(), "gateway", "user", "Login", nil, "")
	families, err := tel.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, f := range families {
		names[f.GetName()] = true
	}
	if !names["kitex_client_throughput"] || !names["kitex_client_latency_us"] {
		t.Fatalf("registry lacks the client series after a call: %v", names)
	}
}
