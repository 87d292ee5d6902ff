package manifesttest

import (
	"encoding/json"
	"os/exec"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

const (
	rulesFile     = "deploy/observability/prometheus/rules/kitemall.rules.yml"
	rulesTestFile = "deploy/observability/prometheus/tests/kitemall.rules.test.yml"
	dashboardFile = "deploy/observability/grafana/dashboards/kitemall-overview.json"
)

// selector is one metric selector of a PromQL expression.
type selector struct {
	Metric string
	Labels []string // label names in its matchers
}

var (
	promString  = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)
	promRange   = regexp.MustCompile(`\[[^\]]*\]`)
	promGrouped = regexp.MustCompile(`\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)`)
	promIdent   = regexp.MustCompile(`[a-zA-Z_:][a-zA-Z0-9_:]*`)
	promMatcher = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)`)
	// Grafana's variables: $var, ${var}, ${var:fmt}, [[var]].
	grafanaVar = regexp.MustCompile(`\$\{[^}]*\}|\$[a-zA-Z_]\w*|\[\[[^\]]*\]\]`)
)

var promKeywords = map[string]bool{
	"and": true, "or": true, "unless": true, "bool": true, "offset": true, "by": true, "without": true,
	"on": true, "ignoring": true, "group_left": true, "group_right": true, "inf": true, "nan": true,
}

// selectors returns the metric selectors of a PromQL expression (or of a
// Grafana label_values(...) query): identifiers that are neither functions,
// keywords, numbers nor label names, with the label names they match on.
func selectors(expr string) []selector {
	expr = grafanaVar.ReplaceAllString(expr, "x")
	expr = promString.ReplaceAllString(expr, `""`)
	expr = promRange.ReplaceAllString(expr, "")
	expr = promGrouped.ReplaceAllString(expr, "")
	var out []selector
	for i := 0; i < len(expr); {
		loc := promIdent.FindStringIndex(expr[i:])
		if loc == nil {
			break
		}
		start, end := i+loc[0], i+loc[1]
		name := expr[start:end]
		i = end
		// Part of a number (1e+06) or a duration: skip.
		if start > 0 && (expr[start-1] >= '0' && expr[start-1] <= '9' || expr[start-1] == '.') {
			continue
		}
		rest := strings.TrimLeft(expr[end:], " \t\n")
		if strings.HasPrefix(rest, "(") || promKeywords[strings.ToLower(name)] {
			continue // a function or an operator keyword
		}
		sel := selector{Metric: name}
		if strings.HasPrefix(rest, "{") {
			closeAt := strings.Index(rest, "}")
			for _, m := range promMatcher.FindAllStringSubmatch(rest[1:closeAt], -1) {
				sel.Labels = append(sel.Labels, m[1])
			}
			i = len(expr) - len(rest) + closeAt + 1
		}
		// label_values(metric, label): the label after the comma is no metric.
		if strings.HasPrefix(rest, ")") && strings.Contains(expr[:start], "label_values(") && strings.HasSuffix(strings.TrimRight(expr[:start], " "), ",") {
			continue
		}
		out = append(out, sel)
	}
	return out
}

func TestSelectorsFindMetricsAndTheirLabels(t *testing.T) {
	cases := []struct {
		expr string
		want []selector
	}{
		{`up{job=~"user|order"} == 0`, []selector{{"up", []string{"job"}}}},
		{`sum by (callee, le) (rate(kitex_server_latency_us_bucket{status="error", method!="Ping"}[5m])) > 500000`,
			[]selector{{"kitex_server_latency_us_bucket", []string{"status", "method"}}}},
		{`histogram_quantile(0.99, sum by (le) (rate(gateway_http_request_duration_seconds_bucket{route!~"/healthz|/readyz"}[$__rate_interval]))) > 1e+06`,
			[]selector{{"gateway_http_request_duration_seconds_bucket", []string{"route"}}}},
		{`go_memstats_heap_inuse_bytes{job=~"$job"} / go_gc_gomemlimit_bytes > bool 0.9 and on (job) process_open_fds offset 5m`,
			[]selector{{"go_memstats_heap_inuse_bytes", []string{"job"}}, {"go_gc_gomemlimit_bytes", nil}, {"process_open_fds", nil}}},
		{`label_values(kitex_server_throughput{callee=~"$service"}, method)`,
			[]selector{{"kitex_server_throughput", []string{"callee"}}}},
		{`absent(up{job="user"}) or absent(up{job="gateway"})`,
			[]selector{{"up", []string{"job"}}, {"up", []string{"job"}}}},
	}
	for _, c := range cases {
		got := selectors(c.expr)
		if len(got) != len(c.want) {
			t.Errorf("selectors(%q) = %+v, want %+v", c.expr, got, c.want)
			continue
		}
		for i := range got {
			if got[i].Metric != c.want[i].Metric || !slices.Equal(got[i].Labels, c.want[i].Labels) {
				t.Errorf("selectors(%q)[%d] = %+v, want %+v", c.expr, i, got[i], c.want[i])
			}
		}
	}
}

// ruleExprs returns each alert's name and expression.
func ruleExprs(t *testing.T) map[string]string {
	t.Helper()
	var doc struct {
		Groups []struct {
			Rules []struct {
				Alert string `json:"alert"`
				Expr  string `json:"expr"`
			} `json:"rules"`
		} `json:"groups"`
	}
	if err := yaml.Unmarshal(readFile(t, rulesFile), &doc); err != nil {
		t.Fatalf("parse %s: %v", rulesFile, err)
	}
	out := map[string]string{}
	for _, g := range doc.Groups {
		for _, r := range g.Rules {
			out[r.Alert] = r.Expr
		}
	}
	if len(out) == 0 {
		t.Fatalf("%s has no alerts", rulesFile)
	}
	return out
}

// dashboardExprs returns every query of the dashboard: panel targets and
// template variable queries.
func dashboardExprs(t *testing.T) []string {
	t.Helper()
	var dash struct {
		UID        string `json:"uid"`
		Templating struct {
			List []struct {
				Type  string `json:"type"`
				Query any    `json:"query"`
			} `json:"list"`
		} `json:"templating"`
		Panels []struct {
			ID         int    `json:"id"`
			Type       string `json:"type"`
			Title      string `json:"title"`
			Datasource *struct {
				UID string `json:"uid"`
			} `json:"datasource"`
			Targets []struct {
				Expr  string `json:"expr"`
				RefID string `json:"refId"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(readFile(t, dashboardFile), &dash); err != nil {
		t.Fatalf("parse %s: %v", dashboardFile, err)
	}
	var exprs []string
	ids := map[int]bool{}
	for _, p := range dash.Panels {
		if ids[p.ID] {
			t.Errorf("panel id %d is used twice", p.ID)
		}
		ids[p.ID] = true
		if p.Type == "row" {
			continue
		}
		if p.Datasource == nil || p.Datasource.UID != "${datasource}" || len(p.Targets) == 0 {
			t.Errorf("panel %q: want targets on the ${datasource} variable", p.Title)
		}
		for _, tg := range p.Targets {
			if strings.TrimSpace(tg.Expr) == "" {
				t.Errorf("panel %q target %s has no expression", p.Title, tg.RefID)
			}
			exprs = append(exprs, tg.Expr)
		}
	}
	for _, v := range dash.Templating.List {
		if q, ok := v.Query.(map[string]any); ok && v.Type == "query" {
			exprs = append(exprs, q["query"].(string))
		}
	}
	return exprs
}

// referencedMetrics returns every metric the alerts and the dashboard
// select, with the label names each is matched on.
func referencedMetrics(t *testing.T) map[string]map[string]bool {
	t.Helper()
	exprs := dashboardExprs(t)
	for _, e := range ruleExprs(t) {
		exprs = append(exprs, e)
	}
	out := map[string]map[string]bool{}
	for _, e := range exprs {
		for _, s := range selectors(e) {
			if out[s.Metric] == nil {
				out[s.Metric] = map[string]bool{}
			}
			for _, l := range s.Labels {
				out[s.Metric][l] = true
			}
		}
	}
	return out
}

func TestDashboardAndRulesCoverTheIssuesSignals(t *testing.T) {
	refs := referencedMetrics(t)
	var names []string
	for m := range refs {
		names = append(names, m)
	}
	sort.Strings(names)
	// RED of the services and the gateway, MQ lag, cache hit ratio, the
	// database pools, and the runtime.
	for _, m := range []string{
		"kitex_server_throughput", "kitex_server_latency_us_bucket", "kitex_client_throughput",
		"kitex_client_latency_us_bucket", "gateway_http_requests_total", "gateway_http_request_duration_seconds_bucket",
		"mq_consume_lag_seconds_bucket", "cache_lookups_total", "go_sql_in_use_connections", "go_sql_wait_duration_seconds_total",
		"go_goroutines", "process_resident_memory_bytes", "up",
	} {
		if refs[m] == nil {
			t.Errorf("neither the dashboard nor the alerts use %s (they use %v)", m, names)
		}
	}
	alerts := ruleExprs(t)
	for _, a := range []string{"GatewayHighErrorRatio", "KitexServerHighErrorRatio", "KitexServerHighLatencyP99", "GatewayHighLatencyP99", "KitexCircuitBreakerOpen",
		"MQConsumerLagging", "MQDeadLetterGrowth", "DBPoolWaiting"} {
		if alerts[a] == "" {
			t.Errorf("no alert %s", a)
		}
	}
}

// The breaker alert restates pkg/kitexsuite's trip conditions; it must use
// the thresholds the clients are configured with.
func TestBreakerAlertUsesTheClientsBreakerThresholds(t *testing.T) {
	expr := ruleExprs(t)["KitexCircuitBreakerOpen"]
	for _, caller := range []string{"order", "payment"} {
		cfg := readYAML(t, "deploy/k8s/base/config/"+caller+".yaml")
		clients, _ := lookupPath(cfg, "clients")
		for name, cc := range clients.(map[string]any) {
			rate, _ := lookupPath(cc.(map[string]any), "breaker", "err_rate")
			sample, _ := lookupPath(cc.(map[string]any), "breaker", "min_sample")
			ratio := regexp.MustCompile(`\)\s*>=\s*` + regexp.QuoteMeta(jsonNumber(rate)) + `\s*\)`)
			volume := regexp.MustCompile(`\*\s*10\s*>=\s*` + regexp.QuoteMeta(jsonNumber(sample)) + `\s*\)`)
			if !ratio.MatchString(expr) || !volume.MatchString(expr) {
				t.Errorf("%s's %s client trips at err_rate %v, min_sample %v per 10 s; the alert says:\n%s", caller, name, rate, sample, expr)
			}
		}
	}
}

func jsonNumber(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// promtool comes from Debian's prometheus package (apt-get install
// prometheus); make test installs it, so its absence is a failure.
func promtool(t *testing.T, args ...string) string {
	t.Helper()
	bin, err := exec.LookPath("promtool")
	if err != nil {
		t.Fatalf("promtool not found: install Debian's prometheus package (apt-get install -y prometheus): %v", err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = repoRoot(t)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func TestAlertRulesPassPromtool(t *testing.T) {
	out := promtool(t, "check", "rules", rulesFile)
	if n := len(ruleExprs(t)); !strings.Contains(out, "SUCCESS: "+jsonNumber(n)+" rules found") {
		t.Errorf("promtool check rules did not find the %d rules:\n%s", n, out)
	}
	// The unit tests replay series and assert which alerts fire.
	if out := promtool(t, "test", "rules", rulesTestFile); !strings.Contains(out, "SUCCESS") {
		t.Errorf("promtool test rules:\n%s", out)
	}
	// Debian's promtool is built without Kubernetes discovery, so only the
	// Compose scrape config can be checked with it (the Kubernetes one is
	// checked against the manifests below).
	promtool(t, "check", "config", "deploy/observability/prometheus/prometheus.compose.yml")
}

func TestEveryAlertHasARunbookInTheREADME(t *testing.T) {
	readme := string(readFile(t, "deploy/README.md"))
	for alert := range ruleExprs(t) {
		if !regexp.MustCompile(`(?m)^#+ ` + alert + `$`).MatchString(readme) {
			t.Errorf("deploy/README.md has no section titled %s (the alert's runbook annotation points there)", alert)
		}
	}
	rules := string(readFile(t, rulesFile))
	if n := strings.Count(rules, "runbook: deploy/README.md#"); n != len(ruleExprs(t)) {
		t.Errorf("%d runbook annotations for %d alerts", n, len(ruleExprs(t)))
	}
}

// The Kubernetes scrape config keeps pods by the labels and annotations the
// manifests set; a rename on one side would silently stop scraping.
func TestKubernetesScrapeConfigMatchesThePods(t *testing.T) {
	cfg := string(readFile(t, "deploy/observability/prometheus/prometheus.k8s.yml"))
	for _, needle := range []string{
		"__meta_kubernetes_pod_label_app_kubernetes_io_part_of]\n        regex: kitemall",
		"__meta_kubernetes_pod_annotation_prometheus_io_scrape]\n        regex: \"true\"",
		"__meta_kubernetes_pod_annotation_prometheus_io_port]",
		"__meta_kubernetes_pod_annotation_prometheus_io_path]",
		"__meta_kubernetes_pod_label_app_kubernetes_io_name]\n        target_label: job",
	} {
		if !strings.Contains(cfg, needle) {
			t.Errorf("prometheus.k8s.yml lacks %q", needle)
		}
	}
	b := kustomizeBuild(t, "deploy/k8s/base")
	for _, p := range processes {
		tpl := b.workloads[p].Template
		if tpl.Labels["app.kubernetes.io/part-of"] != "kitemall" || tpl.Labels["app.kubernetes.io/name"] != p ||
			tpl.Annotations["prometheus.io/scrape"] != "true" || tpl.Annotations["prometheus.io/port"] == "" {
			t.Errorf("%s pods lack the labels or annotations the scrape config keys on", p)
		}
	}
}
