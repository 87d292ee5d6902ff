package manifesttest

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	kjson "k8s.io/apimachinery/pkg/runtime/serializer/json"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"

	"github.com/kitemall/platform/pkg/idgen"
	"github.com/kitemall/platform/pkg/kitexsuite"
)

// kustomizations are the directories `kubectl apply -k` takes.
var kustomizations = []string{"deploy/k8s/base", "deploy/k8s/overlays/dev", "deploy/k8s/overlays/prod"}

// dependencyHosts are the ExternalName Services the config names.
var dependencyHosts = []string{"etcd", "mysql", "redis", "rocketmq-namesrv", "rocketmq-broker", "otel-collector"}

// telemetryFlush is how long pkg/bootstrap waits for spans after Stop.
const telemetryFlush = 5 * time.Second

// workload is a Deployment or StatefulSet.
type workload struct {
	Kind     string
	Name     string
	Selector labels.Selector
	Template corev1.PodTemplateSpec
}

// k8sBuild is one kustomization after `kustomize build`, strictly decoded.
type k8sBuild struct {
	dir        string
	namespace  string
	workloads  map[string]workload
	services   map[string]*corev1.Service
	configMaps map[string]*corev1.ConfigMap
	pdbs       map[string]*policyv1.PodDisruptionBudget
	hpas       map[string]*autoscalingv2.HorizontalPodAutoscaler
	namespaces []string
}

func strictDecoder(t *testing.T) runtime.Decoder {
	t.Helper()
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		corev1.AddToScheme, appsv1.AddToScheme, policyv1.AddToScheme, autoscalingv2.AddToScheme,
	} {
		if err := add(scheme); err != nil {
			t.Fatal(err)
		}
	}
	return kjson.NewSerializerWithOptions(kjson.DefaultMetaFactory, scheme, scheme,
		kjson.SerializerOptions{Yaml: true, Strict: true})
}

// kustomizeBuild runs kustomize on dir and decodes every resource into its
// k8s.io/api type, failing on unknown fields, duplicate fields and kinds this
// platform does not use.
func kustomizeBuild(t *testing.T, dir string) *k8sBuild {
	t.Helper()
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	resMap, err := k.Run(filesys.MakeFsOnDisk(), repoRoot(t)+"/"+dir)
	if err != nil {
		t.Fatalf("kustomize build %s: %v", dir, err)
	}
	dec := strictDecoder(t)
	b := &k8sBuild{dir: dir, workloads: map[string]workload{}, services: map[string]*corev1.Service{},
		configMaps: map[string]*corev1.ConfigMap{}, pdbs: map[string]*policyv1.PodDisruptionBudget{},
		hpas: map[string]*autoscalingv2.HorizontalPodAutoscaler{}}
	namespaces := map[string]bool{}
	for _, r := range resMap.Resources() {
		y, err := r.AsYAML()
		if err != nil {
			t.Fatalf("%s: %v", dir, err)
		}
		obj, gvk, err := dec.Decode(y, nil, nil)
		if err != nil {
			t.Fatalf("%s: %s %s does not decode strictly: %v", dir, r.GetKind(), r.GetName(), err)
		}
		name := r.GetName()
		for _, msg := range validation.IsDNS1123Subdomain(name) {
			t.Errorf("%s: %s %q: %s", dir, gvk.Kind, name, msg)
		}
		if gvk.Kind != "Namespace" {
			namespaces[r.GetNamespace()] = true
		}
		switch o := obj.(type) {
		case *appsv1.Deployment:
			b.workloads[name] = workload{"Deployment", name, mustSelector(t, o.Spec.Selector), o.Spec.Template}
		case *appsv1.StatefulSet:
			b.workloads[name] = workload{"StatefulSet", name, mustSelector(t, o.Spec.Selector), o.Spec.Template}
		case *corev1.Service:
			b.services[name] = o
		case *corev1.ConfigMap:
			b.configMaps[name] = o
		case *policyv1.PodDisruptionBudget:
			b.pdbs[name] = o
		case *autoscalingv2.HorizontalPodAutoscaler:
			b.hpas[name] = o
		case *corev1.Namespace:
			b.namespaces = append(b.namespaces, name)
		case *corev1.Secret:
			t.Errorf("%s: Secret %s is in the manifests; credentials must only be referenced", dir, name)
		default:
			t.Errorf("%s: unexpected %s %s", dir, gvk.Kind, name)
		}
	}
	if len(namespaces) != 1 {
		t.Errorf("%s: resources span namespaces %v, want one", dir, namespaces)
	}
	for ns := range namespaces {
		b.namespace = ns
	}
	return b
}

func mustSelector(t *testing.T, s *metav1.LabelSelector) labels.Selector {
	t.Helper()
	sel, err := metav1.LabelSelectorAsSelector(s)
	if err != nil || sel.Empty() {
		t.Fatalf("selector %v: empty or invalid (%v)", s, err)
	}
	return sel
}

// configMapByPrefix finds a generated ConfigMap by its base name: kustomize
// appends "-" and a 10-character content hash.
func (b *k8sBuild) configMapByPrefix(t *testing.T, base string) *corev1.ConfigMap {
	t.Helper()
	for name, cm := range b.configMaps {
		if name == base || strings.HasPrefix(name, base+"-") && len(name) == len(base)+11 {
			return cm
		}
	}
	t.Fatalf("%s: no ConfigMap %s", b.dir, base)
	return nil
}

// containerEnv is a container's environment as the kubelet builds it:
// envFrom ConfigMaps first, explicit variables over them.
type containerEnv struct {
	values map[string]string
	from   map[string]corev1.EnvVarSource
}

func (b *k8sBuild) envOf(t *testing.T, c corev1.Container) containerEnv {
	t.Helper()
	e := containerEnv{values: map[string]string{}, from: map[string]corev1.EnvVarSource{}}
	for _, ef := range c.EnvFrom {
		if ef.ConfigMapRef == nil {
			t.Errorf("%s: container %s: envFrom other than a ConfigMap", b.dir, c.Name)
			continue
		}
		cm, ok := b.configMaps[ef.ConfigMapRef.Name]
		if !ok {
			t.Errorf("%s: container %s: envFrom ConfigMap %s is not in the build", b.dir, c.Name, ef.ConfigMapRef.Name)
			continue
		}
		for k, v := range cm.Data {
			e.values[k] = v
		}
	}
	for _, v := range c.Env {
		if v.ValueFrom != nil {
			e.from[v.Name] = *v.ValueFrom
			delete(e.values, v.Name)
			continue
		}
		e.values[v.Name] = v.Value
	}
	return e
}

func (e containerEnv) names() []string {
	var ns []string
	for k := range e.values {
		ns = append(ns, k)
	}
	for k := range e.from {
		ns = append(ns, k)
	}
	slices.Sort(ns)
	return ns
}

// parseGoBytes parses a GOMEMLIMIT value ("230MiB", "1GiB", "123456").
func parseGoBytes(s string) (int64, error) {
	units := []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40}, {"B", 1}}
	for _, u := range units {
		if n, ok := strings.CutSuffix(s, u.suffix); ok {
			v, err := strconv.ParseInt(n, 10, 64)
			return v * u.mult, err
		}
	}
	return strconv.ParseInt(s, 10, 64)
}

func TestKustomizationsBuildIntoTheRealSchemas(t *testing.T) {
	for _, dir := range kustomizations {
		t.Run(path.Base(dir), func(t *testing.T) {
			b := kustomizeBuild(t, dir)
			for _, p := range processes {
				w, ok := b.workloads[p]
				if !ok {
					t.Errorf("no workload %s", p)
					continue
				}
				wantKind := "Deployment"
				if p == "order" {
					wantKind = "StatefulSet" // the ordinal is the snowflake node
				}
				if w.Kind != wantKind {
					t.Errorf("%s is a %s, want a %s", p, w.Kind, wantKind)
				}
				for what, ok := range map[string]bool{
					"Service": b.services[p] != nil, "PodDisruptionBudget": b.pdbs[p] != nil,
					"HorizontalPodAutoscaler": b.hpas[p] != nil,
				} {
					if !ok {
						t.Errorf("%s has no %s", p, what)
					}
				}
				b.configMapByPrefix(t, p+"-config")
			}
			for _, h := range dependencyHosts {
				s := b.services[h]
				if s == nil || s.Spec.Type != corev1.ServiceTypeExternalName || s.Spec.ExternalName == "" {
					t.Errorf("dependency %s is not an ExternalName Service", h)
				}
			}
			if dir != "deploy/k8s/base" && (len(b.namespaces) != 1 || b.namespaces[0] != b.namespace) {
				t.Errorf("overlay creates namespaces %v, resources are in %q", b.namespaces, b.namespace)
			}
		})
	}
}

func TestWorkloadsAgreeWithTheServicesConfig(t *testing.T) {
	for _, dir := range kustomizations {
		b := kustomizeBuild(t, dir)
		for _, p := range processes {
			t.Run(path.Base(dir)+"/"+p, func(t *testing.T) {
				w, ok := b.workloads[p]
				if !ok {
					t.Fatalf("no workload %s", p)
				}
				checkWorkload(t, b, w, p)
			})
		}
	}
}

func checkWorkload(t *testing.T, b *k8sBuild, w workload, p string) {
	ports := portsOf(t, p)
	pc := configOf(t, p)
	spec := w.Template.Spec
	if !w.Selector.Matches(labels.Set(w.Template.Labels)) {
		t.Errorf("selector %s does not match the pod labels %v", w.Selector, w.Template.Labels)
	}
	if w.Template.Labels["app.kubernetes.io/part-of"] != "kitemall" || w.Template.Labels["app.kubernetes.io/name"] != p {
		t.Errorf("pod labels %v lack app.kubernetes.io/name=%s and part-of=kitemall (the k8s scrape config keys on them)", w.Template.Labels, p)
	}
	if len(spec.Containers) != 1 {
		t.Fatalf("%d containers, want 1", len(spec.Containers))
	}
	c := spec.Containers[0]
	image, tag, _ := strings.Cut(c.Image, ":")
	if image != "kitemall/"+p || tag == "" || tag == "latest" {
		t.Errorf("image %s, want kitemall/%s with a pinned tag", c.Image, p)
	}

	// Ports: the names the probes and Services use, the numbers the code uses.
	named := map[string]int32{}
	for _, cp := range c.Ports {
		named[cp.Name] = cp.ContainerPort
	}
	mainPort := "rpc"
	if p == "gateway" {
		mainPort = "http"
	}
	if int(named[mainPort]) != ports.RPC {
		t.Errorf("port %s is %d, the code listens on %d", mainPort, named[mainPort], ports.RPC)
	}
	if p != "gateway" && int(named["metrics"]) != ports.Metrics {
		t.Errorf("port metrics is %d, the code serves /metrics on %d", named["metrics"], ports.Metrics)
	}
	ann := w.Template.Annotations
	if ann["prometheus.io/scrape"] != "true" || ann["prometheus.io/port"] != strconv.Itoa(ports.Metrics) || ann["prometheus.io/path"] != "/metrics" {
		t.Errorf("scrape annotations %v, want port %d path /metrics", ann, ports.Metrics)
	}

	// Environment: every variable is one the process reads.
	env := b.envOf(t, c)
	for _, name := range env.names() {
		if name == "POD_IP" {
			continue // only expanded into LISTEN_ADDR by the kubelet, checked below
		}
		if !pc.reads(name) {
			t.Errorf("env %s is not read by %s (no env tag, no os.Getenv)", name, p)
		}
	}
	listen := env.values["LISTEN_ADDR"]
	if p == "gateway" {
		if port(t, listen) != ports.RPC {
			t.Errorf("LISTEN_ADDR %q, want port %d", listen, ports.RPC)
		}
	} else {
		// An unspecified host would be registered in etcd as is.
		if listen != fmt.Sprintf("$(POD_IP):%d", ports.RPC) {
			t.Errorf("LISTEN_ADDR %q, want $(POD_IP):%d so etcd holds a dialable address", listen, ports.RPC)
		}
		if src, ok := env.from["POD_IP"]; !ok || src.FieldRef == nil || src.FieldRef.FieldPath != "status.podIP" {
			t.Errorf("POD_IP is not taken from status.podIP")
		}
		if slices.IndexFunc(c.Env, func(e corev1.EnvVar) bool { return e.Name == "POD_IP" }) >
			slices.IndexFunc(c.Env, func(e corev1.EnvVar) bool { return e.Name == "LISTEN_ADDR" }) {
			t.Errorf("POD_IP is defined after LISTEN_ADDR, so $(POD_IP) is not expanded")
		}
	}
	if tr := env.values["KITEX_TRANSPORT"]; tr != kitexsuite.TransportMux && tr != kitexsuite.TransportPool {
		t.Errorf("KITEX_TRANSPORT %q is neither mux nor pool", tr)
	}
	if src, ok := env.from["IDGEN_NODE"]; p == "order" && (!ok || src.FieldRef == nil ||
		src.FieldRef.FieldPath != "metadata.labels['apps.kubernetes.io/pod-index']") {
		t.Errorf("IDGEN_NODE must come from the StatefulSet pod index, got %+v", src)
	}

	// Config: mounted where CONFIG_FILE points, with only keys the code knows.
	cfgFile := env.values["CONFIG_FILE"]
	cm := b.configMapByPrefix(t, p+"-config")
	var mounted bool
	for _, vm := range c.VolumeMounts {
		for _, v := range spec.Volumes {
			if v.Name == vm.Name && v.ConfigMap != nil && v.ConfigMap.Name == cm.Name && vm.MountPath == path.Dir(cfgFile) {
				mounted = true
			}
		}
	}
	data, ok := cm.Data[path.Base(cfgFile)]
	if !mounted || !ok {
		t.Fatalf("CONFIG_FILE %q is not a key of ConfigMap %s mounted at its directory", cfgFile, cm.Name)
	}
	var cfg map[string]any
	if err := yaml.Unmarshal([]byte(data), &cfg); err != nil {
		t.Fatalf("config in %s: %v", cm.Name, err)
	}
	if bad := pc.unknownKeys(cfg); len(bad) > 0 {
		t.Errorf("config keys %v are not keys of %s's config", bad, p)
	}
	if p != "gateway" {
		m, _ := lookupPath(cfg, "observability", "metrics_listen")
		if s, _ := m.(string); s == "" || port(t, s) != ports.Metrics {
			t.Errorf("observability.metrics_listen %v, want port %d", m, ports.Metrics)
		}
	}
	// Every address the process dials is a Service of the build.
	addrs := append(strings.Split(env.values["ETCD_ENDPOINTS"], ","), env.values["OTEL_EXPORTER_OTLP_ENDPOINT"])
	for _, k := range [][]string{{"mysql", "addr"}, {"redis", "addr"}, {"messaging", "rocketmq", "broker_addr"}} {
		if v, ok := lookupPath(cfg, k...); ok {
			addrs = append(addrs, v.(string))
		}
	}
	if ns, ok := lookupPath(cfg, "messaging", "rocketmq", "name_servers"); ok {
		for _, a := range ns.([]any) {
			addrs = append(addrs, a.(string))
		}
	}
	// Everything that talks to RocketMQ must be told where it is: the
	// default is the local stack's 127.0.0.1.
	if pc.Keys["messaging.rocketmq.name_servers"] {
		if _, ok := lookupPath(cfg, "messaging", "rocketmq", "broker_addr"); !ok {
			t.Errorf("%s uses RocketMQ but its config sets no messaging.rocketmq", p)
		}
	}
	for _, a := range addrs {
		host, portStr := hostPort(t, a)
		svc := b.services[host]
		if svc == nil {
			t.Errorf("address %s names no Service of the build", a)
			continue
		}
		if !slices.ContainsFunc(svc.Spec.Ports, func(sp corev1.ServicePort) bool { return strconv.Itoa(int(sp.Port)) == portStr }) {
			t.Errorf("address %s: Service %s has no port %s", a, host, portStr)
		}
	}

	checkProbes(t, c, p)
	checkShutdown(t, spec, c, cfg, p)
	checkResources(t, c, env)
	checkSecurity(t, spec, c)
}

func checkProbes(t *testing.T, c corev1.Container, p string) {
	probes := map[string]*corev1.Probe{"startup": c.StartupProbe, "readiness": c.ReadinessProbe, "liveness": c.LivenessProbe}
	for kind, pr := range probes {
		if pr == nil {
			t.Errorf("no %s probe", kind)
			continue
		}
		if p != "gateway" {
			// The services serve no HTTP health endpoint (their HTTP port
			// answers only /metrics): the Kitex port accepting is the check.
			if pr.TCPSocket == nil || pr.TCPSocket.Port != intstr.FromString("rpc") {
				t.Errorf("%s probe %+v, want tcpSocket on port rpc", kind, pr.ProbeHandler)
			}
			continue
		}
		want := "/healthz"
		if kind == "startup" {
			want = "/readyz" // first traffic only once every service answers
		}
		if pr.HTTPGet == nil || pr.HTTPGet.Path != want || pr.HTTPGet.Port != intstr.FromString("http") {
			t.Errorf("%s probe %+v, want GET %s on port http", kind, pr.ProbeHandler, want)
		}
	}
	if p == "gateway" {
		router := string(readFile(t, "gateway/internal/router/router.go"))
		for _, route := range []string{"/healthz", "/readyz", "/metrics"} {
			if !strings.Contains(router, `h.GET("`+route+`"`) {
				t.Errorf("the gateway router registers no GET %s", route)
			}
		}
	}
}

func duration(t *testing.T, cfg map[string]any, def time.Duration, keys ...string) time.Duration {
	t.Helper()
	v, ok := lookupPath(cfg, keys...)
	if !ok {
		return def
	}
	d, err := time.ParseDuration(fmt.Sprint(v))
	if err != nil {
		t.Fatalf("%s: %v", strings.Join(keys, "."), err)
	}
	return d
}

// checkShutdown proves the stop sequence fits the grace period and, for the
// services, that a pod leaves etcd for longer than callers take to notice.
func checkShutdown(t *testing.T, spec corev1.PodSpec, c corev1.Container, cfg map[string]any, p string) {
	if spec.TerminationGracePeriodSeconds == nil {
		t.Fatal("no terminationGracePeriodSeconds: the stop sequence must be sized against it")
	}
	grace := time.Duration(*spec.TerminationGracePeriodSeconds) * time.Second
	if p == "gateway" {
		if c.Lifecycle == nil || c.Lifecycle.PreStop == nil || c.Lifecycle.PreStop.Sleep == nil || c.Lifecycle.PreStop.Sleep.Seconds < 3 {
			t.Fatalf("the gateway needs a preStop sleep of 3s or more so the endpoint removal lands before it stops listening")
		}
		pause := time.Duration(c.Lifecycle.PreStop.Sleep.Seconds) * time.Second
		exitWait := duration(t, cfg, 5*time.Second, "http", "exit_wait")
		// app.Stop allows exit_wait plus one second.
		if need := pause + exitWait + time.Second + telemetryFlush; grace < need {
			t.Errorf("terminationGracePeriodSeconds %v < preStop %v + exit_wait %v + 1s + flush %v", grace, pause, exitWait, telemetryFlush)
		}
		return
	}
	// A kubelet preStop runs while the pod is still registered in etcd, so
	// the pause that matters is the service's own deregister_wait.
	if c.Lifecycle != nil && c.Lifecycle.PreStop != nil {
		t.Errorf("preStop on a Kitex service delays its deregistration instead of preceding it; use registry.deregister_wait")
	}
	wait := duration(t, cfg, 0, "registry", "deregister_wait")
	refresh := callersRefreshInterval(t, p)
	if wait <= refresh {
		t.Errorf("registry.deregister_wait %v must exceed the callers' resolver refresh interval %v", wait, refresh)
	}
	exitWait := duration(t, cfg, 3*time.Second, "server", "exit_wait")
	if need := wait + exitWait + telemetryFlush; grace < need {
		t.Errorf("terminationGracePeriodSeconds %v < deregister_wait %v + exit_wait %v + flush %v", grace, wait, exitWait, telemetryFlush)
	}
}

// callersRefreshInterval is the longest refresh_interval among the clients
// of service in the Kubernetes configs (the kitexsuite default when unset).
func callersRefreshInterval(t *testing.T, service string) time.Duration {
	t.Helper()
	longest := kitexsuite.DefaultClientConfig(service).RefreshInterval
	for _, caller := range processes {
		cfg := readYAML(t, "deploy/k8s/base/config/"+caller+".yaml")
		clients, _ := lookupPath(cfg, "clients")
		m, _ := clients.(map[string]any)
		for _, cc := range m {
			ccm, _ := cc.(map[string]any)
			if ccm["service"] != service {
				continue
			}
			if d := duration(t, ccm, 0, "refresh_interval"); d > longest {
				longest = d
			}
		}
	}
	return longest
}

func checkResources(t *testing.T, c corev1.Container, env containerEnv) {
	for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		req, okReq := c.Resources.Requests[r]
		lim, okLim := c.Resources.Limits[r]
		if !okReq || !okLim {
			t.Errorf("%s request or limit missing", r)
			continue
		}
		if req.Cmp(lim) > 0 {
			t.Errorf("%s request %s above limit %s", r, req.String(), lim.String())
		}
	}
	limit := c.Resources.Limits[corev1.ResourceMemory]
	gml, err := parseGoBytes(env.values["GOMEMLIMIT"])
	if err != nil || gml <= 0 {
		t.Fatalf("GOMEMLIMIT %q: %v", env.values["GOMEMLIMIT"], err)
	}
	// The Go limit must leave room for non-heap memory below the cgroup's.
	if ratio := float64(gml) / float64(limit.Value()); ratio < 0.7 || ratio > 0.95 {
		t.Errorf("GOMEMLIMIT %s is %.0f%% of the memory limit %s, want 70..95%%", env.values["GOMEMLIMIT"], ratio*100, limit.String())
	}
}

func checkSecurity(t *testing.T, spec corev1.PodSpec, c corev1.Container) {
	psc, sc := spec.SecurityContext, c.SecurityContext
	if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.RunAsUser == nil || *psc.RunAsUser != imageUID {
		t.Errorf("pod must run as non-root uid %d (the image's USER)", imageUID)
	}
	if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
		sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
		sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") {
		t.Errorf("container security context %+v: want read-only root, no privilege escalation, all capabilities dropped", sc)
	}
	if spec.AutomountServiceAccountToken == nil || *spec.AutomountServiceAccountToken {
		t.Errorf("the pods call no Kubernetes API: do not mount a service account token")
	}
}

func TestServicesBudgetsAndAutoscalersSelectTheirWorkloads(t *testing.T) {
	for _, dir := range kustomizations {
		b := kustomizeBuild(t, dir)
		for _, p := range processes {
			t.Run(path.Base(dir)+"/"+p, func(t *testing.T) {
				w := b.workloads[p]
				podLabels := labels.Set(w.Template.Labels)
				svc := b.services[p]
				if svc == nil || !labels.SelectorFromSet(svc.Spec.Selector).Matches(podLabels) || len(svc.Spec.Selector) == 0 {
					t.Errorf("Service %s does not select the %s pods", p, p)
				} else {
					ports := map[string]bool{}
					for _, cp := range w.Template.Spec.Containers[0].Ports {
						ports[cp.Name] = true
					}
					for _, sp := range svc.Spec.Ports {
						if !ports[sp.TargetPort.String()] && sp.TargetPort.Type == intstr.String {
							t.Errorf("Service %s targets port %s the container does not name", p, sp.TargetPort.String())
						}
					}
				}
				if w.Kind == "StatefulSet" && (svc == nil || svc.Spec.ClusterIP != corev1.ClusterIPNone) {
					t.Errorf("the StatefulSet's Service must be headless")
				}
				pdb := b.pdbs[p]
				if sel, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector); err != nil || sel.Empty() || !sel.Matches(podLabels) {
					t.Errorf("PodDisruptionBudget %s does not select the pods (%v)", p, err)
				}
				if pdb.Spec.MaxUnavailable == nil || pdb.Spec.MaxUnavailable.IntValue() != 1 {
					t.Errorf("PodDisruptionBudget %s: want maxUnavailable 1, which never blocks a drain of a single pod", p)
				}
				hpa := b.hpas[p]
				ref := hpa.Spec.ScaleTargetRef
				if ref.Kind != w.Kind || ref.Name != w.Name || ref.APIVersion != "apps/v1" {
					t.Errorf("HPA %s targets %s/%s %s", p, ref.APIVersion, ref.Kind, ref.Name)
				}
				if hpa.Spec.MinReplicas == nil || *hpa.Spec.MinReplicas < 1 || hpa.Spec.MaxReplicas < *hpa.Spec.MinReplicas {
					t.Errorf("HPA %s min %v max %d", p, hpa.Spec.MinReplicas, hpa.Spec.MaxReplicas)
				}
				// Order pods take their snowflake node from the StatefulSet
				// ordinal, 0..maxReplicas-1, which must fit the node bits.
				if p == "order" && int64(hpa.Spec.MaxReplicas) > idgen.MaxNode+1 {
					t.Errorf("HPA order may scale to %d pods, but order IDs have nodes 0..%d only", hpa.Spec.MaxReplicas, idgen.MaxNode)
				}
				if len(hpa.Spec.Metrics) == 0 || hpa.Spec.Metrics[0].Resource == nil || hpa.Spec.Metrics[0].Resource.Name != corev1.ResourceCPU {
					t.Errorf("HPA %s does not scale on CPU, which needs the CPU request it is measured against", p)
				}
			})
		}
	}
}

func TestOverlaysSetNamespaceImagesAndScale(t *testing.T) {
	cases := []struct {
		dir        string
		namespace  string
		tag        *regexp.Regexp
		minReplica int32
	}{
		{"deploy/k8s/overlays/dev", "kitemall-dev", regexp.MustCompile(`^dev$`), 1},
		// Production runs a released version, never a moving tag.
		{"deploy/k8s/overlays/prod", "kitemall", regexp.MustCompile(`^\d+\.\d+\.\d+$`), 3},
	}
	for _, c := range cases {
		t.Run(path.Base(c.dir), func(t *testing.T) {
			b := kustomizeBuild(t, c.dir)
			if b.namespace != c.namespace {
				t.Errorf("namespace %q, want %q", b.namespace, c.namespace)
			}
			for _, p := range processes {
				_, tag, _ := strings.Cut(b.workloads[p].Template.Spec.Containers[0].Image, ":")
				if !c.tag.MatchString(tag) {
					t.Errorf("%s image tag %q does not match %s", p, tag, c.tag)
				}
				if m := b.hpas[p].Spec.MinReplicas; *m < c.minReplica {
					t.Errorf("%s min replicas %d, want at least %d", p, *m, c.minReplica)
				}
			}
			for _, h := range dependencyHosts {
				if ext := b.services[h].Spec.ExternalName; !strings.Contains(ext, "."+path.Base(c.dir)+".") {
					t.Errorf("%s points at %s, not the %s clusters", h, ext, path.Base(c.dir))
				}
			}
		})
	}
}

// secretRef is a Secret key a container reads.
type secretRef struct{ name, key string }

func TestSecretsAreOnlyReferencedAndTheREADMEShowsHowToCreateThem(t *testing.T) {
	readme := string(readFile(t, "deploy/README.md"))
	for _, dir := range kustomizations {
		b := kustomizeBuild(t, dir) // fails on any Secret object
		refs := map[secretRef]bool{}
		for _, w := range b.workloads {
			for _, c := range w.Template.Spec.Containers {
				for _, e := range c.Env {
					if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
						refs[secretRef{e.ValueFrom.SecretKeyRef.Name, e.ValueFrom.SecretKeyRef.Key}] = true
					}
				}
			}
		}
		if len(refs) == 0 {
			t.Fatalf("%s references no Secret: where do the credentials come from?", dir)
		}
		for r := range refs {
			// e.g. kubectl -n NS create secret generic user-mysql --from-literal=username=...
			pattern := regexp.MustCompile(`create secret generic ` + regexp.QuoteMeta(r.name) + `\b[^\n]*--from-literal=` + regexp.QuoteMeta(r.key) + `=`)
			if !pattern.MatchString(readme) {
				t.Errorf("%s: deploy/README.md does not show how to create Secret %s key %s", dir, r.name, r.key)
			}
		}
	}
}
