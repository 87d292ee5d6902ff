package manifesttest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/kitemall/platform/pkg/mq"
	"github.com/kitemall/platform/pkg/testenv"
)

// prometheusLabels are added by Prometheus to every scraped series; the
// rules and the dashboard may match on them.
var prometheusLabels = map[string]bool{"job": true, "instance": true, "namespace": true, "pod": true}

// prometheusMetrics are made by Prometheus itself, not exported.
var prometheusMetrics = map[string]bool{"up": true}

// running is one process started from its real binary.
type running struct {
	name    string
	cmd     *exec.Cmd
	listen  string // LISTEN_ADDR
	metrics string // where /metrics is served
	stderr  *syncBuffer
	done    chan struct{} // closed when the process exited
	err     error         // its exit error, once done is closed
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// goBuild builds packages of the module in dir into out, as `make build`
// does: in the repository's workspace (go.work) with default flags, even
// though this module's own tests run outside it (GOWORK=off).
func goBuild(t *testing.T, dir, out string, pkgs ...string) {
	t.Helper()
	cmd := exec.Command("go", append([]string{"build", "-o", out + string(filepath.Separator)}, pkgs...)...)
	cmd.Dir = filepath.Join(repoRoot(t), dir)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GOWORK=") && !strings.HasPrefix(kv, "GOFLAGS=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %v in %s: %v\n%s", pkgs, dir, err, b)
	}
}

// start runs bin with the Kubernetes config of the process and env (which
// points it at the local stack on free ports).
func start(t *testing.T, bin, name string, env map[string]string, listen, metrics string) *running {
	t.Helper()
	cmd := exec.Command(bin)
	cmd.Env = os.Environ()
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	r := &running{name: name, cmd: cmd, listen: listen, metrics: metrics, stderr: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = r.stderr, r.stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() {
		r.err = cmd.Wait()
		close(r.done)
	}()
	t.Cleanup(func() {
		select {
		case <-r.done:
		default:
			_ = cmd.Process.Kill()
			<-r.done
		}
		if t.Failed() {
			t.Logf("%s output:\n%s", name, tail(r.stderr.String(), 30))
		}
	})
	return r
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// get fetches url until it answers want or the deadline passes.
func get(t *testing.T, r *running, url string, want int, within time.Duration) []byte {
	t.Helper()
	deadline := time.Now().Add(within)
	var last string
	for {
		select {
		case <-r.done:
			t.Fatalf("%s exited while waiting for %s: %v", r.name, url, r.err)
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			cancel()
			if resp.StatusCode == want {
				return body
			}
			last = fmt.Sprintf("status %d: %s", resp.StatusCode, body)
		} else {
			cancel()
			last = err.Error()
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s never answered %d within %v (last: %s)", url, want, within, last)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// scrape returns the metric names /metrics exports (histograms and
// summaries with their _bucket/_sum/_count series) and their label names.
func scrape(t *testing.T, r *running) map[string]map[string]bool {
	t.Helper()
	body := get(t, r, "http://"+r.metrics+"/metrics", http.StatusOK, 5*time.Second)
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("parse %s /metrics: %v", r.name, err)
	}
	out := map[string]map[string]bool{}
	add := func(name string, m *dto.Metric) {
		if out[name] == nil {
			out[name] = map[string]bool{}
		}
		for _, lp := range m.GetLabel() {
			out[name][lp.GetName()] = true
		}
	}
	for name, f := range families {
		for _, m := range f.GetMetric() {
			switch f.GetType() {
			case dto.MetricType_HISTOGRAM:
				add(name+"_bucket", m)
				out[name+"_bucket"]["le"] = true
				add(name+"_sum", m)
				add(name+"_count", m)
			case dto.MetricType_SUMMARY:
				add(name, m)
				out[name]["quantile"] = true
				add(name+"_sum", m)
				add(name+"_count", m)
			default:
				add(name, m)
			}
		}
	}
	return out
}

// stop sends SIGTERM, as the kubelet does, and expects a clean exit.
func stop(t *testing.T, r *running) {
	t.Helper()
	if err := r.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Errorf("signal %s: %v", r.name, err)
		return
	}
	select {
	case <-r.done:
		if r.err != nil {
			t.Errorf("%s did not stop cleanly on SIGTERM: %v", r.name, r.err)
		}
	case <-time.After(15 * time.Second):
		t.Errorf("%s did not stop within 15 s of SIGTERM", r.name)
	}
}

// TestDashboardAndAlertsUseOnlyExportedMetrics starts the real binaries of
// the four services and the gateway with their Kubernetes configs (so those
// configs are proven to load and validate), points them at the local stack
// on free ports in a namespace and databases of their own, makes real calls
// through the gateway, scrapes every /metrics and checks that each metric
// the dashboard and the alert rules select is exported, with the labels
// they match on.
func TestDashboardAndAlertsUseOnlyExportedMetrics(t *testing.T) {
	began := time.Now()
	bin := t.TempDir()
	goBuild(t, "rpc", bin, "./user", "./product", "./order", "./payment")
	goBuild(t, "gateway", bin, ".", "./cmd/seed")
	probe := exec.Command("go", "build", "-o", filepath.Join(bin, "probe"), ".")
	probe.Dir = filepath.Join(repoRoot(t), "deploy/docker/probe")
	probe.Env = append(os.Environ(), "GOWORK=off")
	if b, err := probe.CombinedOutput(); err != nil {
		t.Fatalf("build probe: %v\n%s", err, b)
	}
	t.Logf("built the binaries in %v", time.Since(began).Round(time.Millisecond))
	began = time.Now()

	unique := testenv.Unique()
	etcd := testenv.EtcdEndpoints(t)
	redisCfg := testenv.RedisConfig(t)
	nameServer := testenv.RocketMQNameServer(t)
	broker := envOr("ROCKETMQ_BROKER", "127.0.0.1:10911")
	common := map[string]string{
		"ETCD_ENDPOINTS":              strings.Join(etcd, ","),
		"SERVICE_NAMESPACE":           "mt" + unique,
		"KITEX_TRANSPORT":             testenv.Transport(),
		"OTEL_EXPORTER_OTLP_ENDPOINT": "",
		"LOG_LEVEL":                   "warn",
	}
	procs := map[string]*running{}
	for _, s := range services {
		db := testenv.MySQL(t) // dropped when the test ends
		env := map[string]string{
			"CONFIG_FILE":      filepath.Join(repoRoot(t), "deploy/k8s/base/config", s+".yaml"),
			"LISTEN_ADDR":      testenv.FreeAddr(t),
			"METRICS_ADDR":     testenv.FreeAddr(t),
			"MYSQL_ADDR":       db.Addr,
			"MYSQL_USER":       db.User,
			"MYSQL_PASSWORD":   db.Password,
			"MYSQL_DATABASE":   db.Database,
			"REDIS_ADDR":       redisCfg.Addr,
			"REDIS_KEY_PREFIX": redisCfg.KeyPrefix + s + ":",
			"IDGEN_NODE":       "7",
			"ROCKETMQ_NAMESRV": nameServer,
			"ROCKETMQ_BROKER":  broker,
			// One redelivery, one second later, then the dead-letter queue.
			"MQ_MAX_RECONSUMES":    "1",
			"MQ_RETRY_DELAY_LEVEL": "1",
			// The Kubernetes config keeps serving 3 s after leaving etcd;
			// this run has no callers to wait for.
			"DEREGISTER_WAIT": "0s",
			"EXIT_WAIT":       "1s",
		}
		for k, v := range common {
			env[k] = v
		}
		procs[s] = start(t, filepath.Join(bin, s), s, env, env["LISTEN_ADDR"], env["METRICS_ADDR"])
	}
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		t.Fatal(err)
	}
	gwAddr := testenv.FreeAddr(t)
	gwEnv := map[string]string{
		"CONFIG_FILE": filepath.Join(repoRoot(t), "deploy/k8s/base/config/gateway.yaml"),
		"LISTEN_ADDR": gwAddr,
		"JWT_SECRET":  hex.EncodeToString(secret),
	}
	for k, v := range common {
		gwEnv[k] = v
	}
	gw := start(t, filepath.Join(bin, "gateway"), "gateway", gwEnv, gwAddr, gwAddr)
	procs["gateway"] = gw

	// /readyz pings every service through etcd: it answers 200 once all of
	// them registered in this run's namespace, and so exercises the Kitex
	// client and server metrics of all five processes.
	get(t, gw, "http://"+gwAddr+"/readyz", http.StatusOK, 30*time.Second)
	t.Logf("all five ready in %v", time.Since(began).Round(time.Millisecond))
	get(t, gw, "http://"+gwAddr+"/healthz", http.StatusOK, time.Second)
	// Real traffic: the seed command (as the README runs it in a gateway
	// pod) loads the catalog through the services; a user places an order,
	// whose order.created event the order service consumes; a malformed
	// message on that topic fails its deliveries and is dead-lettered.
	seed := exec.Command(filepath.Join(bin, "seed"), "-wait", "30s")
	seed.Env = os.Environ()
	for k, v := range gwEnv {
		seed.Env = append(seed.Env, k+"="+v)
	}
	seed.Env = append(seed.Env, "ADMIN_PASSWORD="+hex.EncodeToString(secret[:8]))
	if b, err := seed.CombinedOutput(); err != nil {
		t.Fatalf("seed: %v\n%s", err, b)
	}
	api := "http://" + gwAddr + "/api/v1"
	type product struct {
		ProductID int64 `json:"product_id"`
		Stock     int64 `json:"stock"`
	}
	var products struct {
		Items []product `json:"items"`
	}
	call(t, http.MethodGet, api+"/products?page_size=20", "", nil, http.StatusOK, &products)
	idx := slices.IndexFunc(products.Items, func(p product) bool { return p.Stock > 0 })
	if idx < 0 {
		t.Fatalf("the seeded catalog has no product in stock: %+v", products)
	}
	user := map[string]string{"username": "mt" + unique, "password": "correct-horse-" + unique}
	call(t, http.MethodPost, api+"/users/register", "", user, http.StatusCreated, nil)
	var login struct {
		Token string `json:"token"`
	}
	call(t, http.MethodPost, api+"/users/login", "", user, http.StatusOK, &login)
	var created struct {
		OrderID int64 `json:"order_id"`
	}
	order := map[string]any{"items": []map[string]any{{"product_id": products.Items[idx].ProductID, "quantity": 1}}}
	call(t, http.MethodPost, api+"/orders", login.Token, order, http.StatusCreated, &created)
	if created.OrderID <= 0 {
		t.Fatalf("order created without an ID: %+v", created)
	}
	deadLetter(t, mq.Config{NameServers: []string{nameServer}, BrokerAddr: broker, SendTimeout: 3 * time.Second, Retries: 2},
		common["SERVICE_NAMESPACE"])
	waitForMetrics(t, procs["order"], 60*time.Second, "mq_consumed_total", "mq_dead_letter_total")

	// The images' HEALTHCHECK is the probe binary: it must pass against
	// the real processes. The Kitex services' HTTP port serves only
	// /metrics (no health endpoint), which is why their probes are TCP.
	for _, p := range processes {
		r := procs[p]
		args := []string{"tcp"}
		if p == "gateway" {
			args = []string{"http", "/healthz"}
		} else {
			get(t, r, "http://"+r.metrics+"/healthz", http.StatusNotFound, time.Second)
		}
		cmd := exec.Command(filepath.Join(bin, "probe"), args...)
		cmd.Env = append(os.Environ(), "LISTEN_ADDR="+r.listen)
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("probe %v against %s: %v\n%s", args, p, err, b)
		}
	}

	exported := map[string]map[string]bool{}
	for _, p := range processes {
		for name, ls := range scrape(t, procs[p]) {
			if exported[name] == nil {
				exported[name] = map[string]bool{}
			}
			for l := range ls {
				exported[name][l] = true
			}
		}
	}
	refs := referencedMetrics(t)
	var missing []string
	for metric, ls := range refs {
		if prometheusMetrics[metric] {
			continue
		}
		have, ok := exported[metric]
		if !ok {
			missing = append(missing, metric)
			continue
		}
		for l := range ls {
			if !have[l] && !prometheusLabels[l] {
				t.Errorf("%s is selected by label %q, which it does not carry (it has %v)", metric, l, keys(have))
			}
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("the dashboard or the alerts use metrics no process exports: %v", missing)
	}
	t.Logf("%d metrics referenced by the dashboard and the alerts, %d exported", len(refs), len(exported))

	// SIGTERM: every process leaves etcd, drains and exits 0.
	for _, p := range append([]string{"gateway"}, services...) {
		stop(t, procs[p])
	}
}

func keys(m map[string]bool) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// call sends a JSON request through the gateway and decodes the answer.
func call(t *testing.T, method, url, token string, body any, want int, out any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", "manifesttest-"+strconv.FormatInt(time.Now().UnixNano(), 36))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("%s %s: status %d, want %d: %s", method, url, resp.StatusCode, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: decode %s: %v", method, url, b, err)
		}
	}
}

// deadLetter sends a message the order service cannot decode to its
// order.created topic: it fails its delivery and its one redelivery, then
// goes to the dead-letter queue.
func deadLetter(t *testing.T, cfg mq.Config, namespace string) {
	t.Helper()
	p, err := mq.NewProducer(cfg, mq.Namespaced("manifesttest-dlq", namespace))
	if err != nil {
		t.Fatalf("producer: %v", err)
	}
	defer p.Shutdown()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// The topic is order's events.TopicOrderCreated in this run's namespace.
	if err := p.Send(ctx, mq.Namespaced("order_created", namespace), "manifesttest-poison", []byte("not json"), nil); err != nil {
		t.Fatalf("send the malformed message: %v", err)
	}
}

// waitForMetrics polls r's /metrics until every name is exported: counter
// vectors appear only once something was counted.
func waitForMetrics(t *testing.T, r *running, within time.Duration, names ...string) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		exported := scrape(t, r)
		var missing []string
		for _, n := range names {
			if exported[n] == nil {
				missing = append(missing, n)
			}
		}
		if len(missing) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never exported %v within %v", r.name, missing, within)
		}
		time.Sleep(500 * time.Millisecond)
	}
}
