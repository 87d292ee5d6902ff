package manifesttest

import (
	"context"
	"net"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
)

const composeFile = "deploy/compose/compose.yaml"

// composeDeps are the dependencies the issue asks for, by Compose service.
var composeDeps = []string{"etcd", "mysql", "redis", "rocketmq-namesrv", "rocketmq-broker", "otel-collector", "jaeger", "prometheus", "grafana"}

// exampleEnv reads deploy/compose/.env.example, the values a user copies.
func exampleEnv(t *testing.T) types.Mapping {
	t.Helper()
	env := types.Mapping{}
	for _, line := range strings.Split(string(readFile(t, "deploy/compose/.env.example")), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf(".env.example line %q is not KEY=VALUE", line)
		}
		env[k] = v
	}
	return env
}

// loadCompose loads the Compose file with the compose-spec loader, which
// validates it against the Compose schema and interpolates env.
func loadCompose(t *testing.T, env types.Mapping) (*types.Project, error) {
	t.Helper()
	root := repoRoot(t)
	return loader.LoadWithContext(context.Background(), types.ConfigDetails{
		WorkingDir:  filepath.Join(root, "deploy/compose"),
		ConfigFiles: []types.ConfigFile{{Filename: filepath.Join(root, composeFile)}},
		Environment: env,
	}, func(o *loader.Options) { o.SetProjectName("kitemall", true) })
}

func TestComposeLoadsAndRefusesToStartWithoutSecrets(t *testing.T) {
	env := exampleEnv(t)
	if _, err := loadCompose(t, env); err != nil {
		t.Fatalf("compose file with .env.example: %v", err)
	}
	raw := string(readFile(t, composeFile))
	for _, secret := range []string{"MYSQL_PASSWORD", "MYSQL_ROOT_PASSWORD", "JWT_SECRET", "ADMIN_PASSWORD", "GRAFANA_ADMIN_PASSWORD"} {
		if regexp.MustCompile(`\$\{` + secret + `:?-`).MatchString(raw) {
			t.Errorf("%s has a default somewhere in the compose file; a secret must be required", secret)
		}
		without := types.Mapping{}
		for k, v := range env {
			if k != secret {
				without[k] = v
			}
		}
		if _, err := loadCompose(t, without); err == nil || !strings.Contains(err.Error(), secret) {
			t.Errorf("compose loads without %s (err %v): a secret must be required, never defaulted", secret, err)
		}
	}
}

func TestComposeRunsThePlatformWithTheConfigOfMakeRun(t *testing.T) {
	project, err := loadCompose(t, exampleEnv(t))
	if err != nil {
		t.Fatal(err)
	}
	root := repoRoot(t)
	for _, name := range append(append([]string{"seed"}, processes...), composeDeps...) {
		if _, ok := project.Services[name]; !ok {
			t.Errorf("compose has no service %s", name)
		}
	}
	for _, p := range append([]string{"seed"}, processes...) {
		t.Run(p, func(t *testing.T) {
			s := project.Services[p]
			image := p
			if p == "seed" {
				image = "gateway"
				if !slices.Equal(s.Entrypoint, types.ShellCommand{"/usr/local/bin/seed"}) {
					t.Errorf("seed entrypoint %v", s.Entrypoint)
				}
				if d := s.DependsOn["gateway"]; d.Condition != types.ServiceConditionHealthy {
					t.Errorf("seed must wait for a healthy gateway")
				}
			}
			if s.Image != "kitemall/"+image+":dev" {
				t.Errorf("image %s, want kitemall/%s:dev (make images tags it so)", s.Image, image)
			}
			if p != "seed" {
				if s.Build == nil || s.Build.Context != root || s.Build.Dockerfile != "deploy/docker/"+p+".Dockerfile" {
					t.Errorf("build %+v, want the repository root with deploy/docker/%s.Dockerfile", s.Build, p)
				}
			}
			pc := configOf(t, p)
			for name := range s.Environment {
				if !pc.reads(name) {
					t.Errorf("env %s is not read by %s", name, p)
				}
			}
			val := func(k string) string {
				if v := s.Environment[k]; v != nil {
					return *v
				}
				return ""
			}
			codePorts := portsOf(t, map[bool]string{true: "gateway", false: p}[p == "seed"])
			if port(t, val("LISTEN_ADDR")) != codePorts.RPC {
				t.Errorf("LISTEN_ADDR %q, the code listens on %d", val("LISTEN_ADDR"), codePorts.RPC)
			}
			if slices.Contains(services, p) && port(t, val("METRICS_ADDR")) != codePorts.Metrics {
				t.Errorf("METRICS_ADDR %q, the code serves metrics on %d", val("METRICS_ADDR"), codePorts.Metrics)
			}
			// The config file is the one `make run` uses, mounted read-only.
			confRel := "rpc/" + p + "/conf/" + p + ".yaml"
			if p == "gateway" || p == "seed" {
				confRel = "gateway/conf/gateway.yaml"
			}
			if !slices.ContainsFunc(s.Volumes, func(v types.ServiceVolumeConfig) bool {
				return v.Source == filepath.Join(root, confRel) && v.Target == val("CONFIG_FILE") && v.ReadOnly
			}) {
				t.Errorf("CONFIG_FILE %q is not %s mounted read-only", val("CONFIG_FILE"), confRel)
			}
			for _, k := range []string{"ETCD_ENDPOINTS", "MYSQL_ADDR", "REDIS_ADDR", "OTEL_EXPORTER_OTLP_ENDPOINT", "ROCKETMQ_NAMESRV", "ROCKETMQ_BROKER"} {
				if a := val(k); a != "" {
					host, _ := hostPort(t, a)
					if _, ok := project.Services[host]; !ok {
						t.Errorf("%s=%s names no Compose service", k, a)
					}
				}
			}
			// The local stack's 127.0.0.1 defaults do not reach a container.
			if pc.Env["ROCKETMQ_NAMESRV"] && (val("ROCKETMQ_NAMESRV") == "" || val("ROCKETMQ_BROKER") == "") {
				t.Errorf("%s uses RocketMQ but is not given ROCKETMQ_NAMESRV and ROCKETMQ_BROKER", p)
			}
			if val("KITEX_TRANSPORT") != "mux" && val("KITEX_TRANSPORT") != "pool" {
				t.Errorf("KITEX_TRANSPORT %q", val("KITEX_TRANSPORT"))
			}
		})
	}
	for _, p := range processes {
		for _, dep := range []string{"etcd", "mysql"} {
			if p == "gateway" {
				break // the gateway waits for the services instead
			}
			if project.Services[p].DependsOn[dep].Condition != types.ServiceConditionHealthy || project.Services[dep].HealthCheck == nil {
				t.Errorf("%s must wait for a healthy %s (with a healthcheck)", p, dep)
			}
		}
	}
	for _, name := range composeDeps {
		image := project.Services[name].Image
		if _, tag, ok := strings.Cut(image, ":"); !ok || tag == "latest" {
			t.Errorf("%s runs %q: pin an image tag", name, image)
		}
	}
}

func TestComposeObservabilityIsWiredToTheServices(t *testing.T) {
	project, err := loadCompose(t, exampleEnv(t))
	if err != nil {
		t.Fatal(err)
	}
	root := repoRoot(t)
	mounted := func(service, rel string) string {
		t.Helper()
		for _, v := range project.Services[service].Volumes {
			if v.Source == filepath.Join(root, rel) {
				return v.Target
			}
		}
		t.Fatalf("%s does not mount %s", service, rel)
		return ""
	}

	// Prometheus scrapes every process on its metrics port, job = name.
	mounted("prometheus", "deploy/observability/prometheus/prometheus.compose.yml")
	mounted("prometheus", "deploy/observability/prometheus/rules")
	prom := readYAML(t, "deploy/observability/prometheus/prometheus.compose.yml")
	jobs := map[string][]string{}
	scrapes, _ := prom["scrape_configs"].([]any)
	for _, sc := range scrapes {
		m := sc.(map[string]any)
		statics, _ := m["static_configs"].([]any)
		for _, st := range statics {
			for _, target := range st.(map[string]any)["targets"].([]any) {
				jobs[m["job_name"].(string)] = append(jobs[m["job_name"].(string)], target.(string))
			}
		}
	}
	for _, p := range processes {
		want := net.JoinHostPort(p, strconv.Itoa(portsOf(t, p).Metrics))
		if !slices.Equal(jobs[p], []string{want}) {
			t.Errorf("scrape job %s targets %v, want [%s]", p, jobs[p], want)
		}
	}

	// The collector receives OTLP where the services send it and exports
	// to Jaeger.
	mounted("otel-collector", "deploy/observability/otel-collector/config.yaml")
	otel := readYAML(t, "deploy/observability/otel-collector/config.yaml")
	grpc, _ := lookupPath(otel, "receivers", "otlp", "protocols", "grpc", "endpoint")
	sendTo := *project.Services["user"].Environment["OTEL_EXPORTER_OTLP_ENDPOINT"]
	if port(t, grpc.(string)) != port(t, sendTo) {
		t.Errorf("collector receives OTLP/gRPC on %v, services send to %s", grpc, sendTo)
	}
	jaeger, _ := lookupPath(otel, "exporters", "otlp/jaeger", "endpoint")
	if host, _ := hostPort(t, jaeger.(string)); project.Services[host].Image == "" || !strings.HasPrefix(project.Services[host].Image, "jaegertracing/") {
		t.Errorf("collector exports to %v, which is not the Jaeger service", jaeger)
	}
	pipeline, _ := lookupPath(otel, "service", "pipelines", "traces")
	for _, section := range []string{"receivers", "processors", "exporters"} {
		for _, name := range pipeline.(map[string]any)[section].([]any) {
			if _, ok := lookupPath(otel, section, name.(string)); !ok {
				t.Errorf("traces pipeline uses %s %v, which is not defined", section, name)
			}
		}
	}

	// Grafana loads the dashboard from the directory the provider reads,
	// with the datasource the dashboard asks for.
	dashDir := mounted("grafana", "deploy/observability/grafana/dashboards")
	mounted("grafana", "deploy/observability/grafana/provisioning")
	provider := readYAML(t, "deploy/observability/grafana/provisioning/dashboards/kitemall.yml")
	providers, _ := provider["providers"].([]any)
	if p, _ := lookupPath(providers[0].(map[string]any), "options", "path"); p != dashDir {
		t.Errorf("dashboard provider reads %v, dashboards are mounted at %s", p, dashDir)
	}
	ds := readYAML(t, "deploy/observability/grafana/provisioning/datasources/prometheus.yml")
	dss, _ := ds["datasources"].([]any)
	first := dss[0].(map[string]any)
	if first["type"] != "prometheus" || first["url"] != "http://prometheus:9090" {
		t.Errorf("datasource %v does not point at the Prometheus service", first)
	}
}
