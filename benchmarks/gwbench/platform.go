package gwbench

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/kitemall/platform/pkg/mysqlx"
	"github.com/kitemall/platform/pkg/redisx"
	"github.com/kitemall/platform/pkg/testenv"
)

// Services are the platform's services, started in this order.
var Services = []string{"user", "product", "order", "payment"}

// Gateway is the gateway's process name.
const Gateway = "gateway"

// StackConfig is where the shared local stack listens.
type StackConfig struct {
	Etcd          string // host:port
	MySQL         string
	MySQLUser     string
	MySQLPassword string
	Redis         string
}

// DefaultStack is deploy/local/stack.sh's stack.
func DefaultStack() StackConfig {
	return StackConfig{Etcd: "127.0.0.1:2379", MySQL: "127.0.0.1:3306", MySQLUser: "platform", MySQLPassword: "platform", Redis: "127.0.0.1:6379"}
}

// PlatformConfig says how to start one isolated copy of the platform.
type PlatformConfig struct {
	// Bin holds the user, product, order, payment and gateway binaries.
	Bin string
	// Src is the repository root; the shipped conf/*.yaml files are read
	// from it.
	Src string
	// Run names this copy: the etcd namespace, the databases
	// (bench_<run>_<svc>), Redis key prefixes and RocketMQ topics all
	// carry it, so the copy shares the stack with others without touching
	// their data.
	Run   string
	Stack StackConfig
	// Transport is KITEX_TRANSPORT for the services and the gateway.
	Transport string
	// GatewayCPU pins the gateway to one core (-1: not pinned), with
	// GatewayProcs as its GOMAXPROCS (0: Go's default).
	GatewayCPU, GatewayProcs int
	// ServicePin prefixes the services' command lines (e.g. taskset with
	// every core, when this process is pinned and they would inherit it).
	ServicePin []string
	// GatewayLogLevel is the gateway's LOG_LEVEL; the shipped "info" writes
	// one access-log line per request, which is part of its cost.
	GatewayLogLevel string
	// LogDir receives every process's log.
	LogDir string
}

// Process is one running binary of the platform.
type Process struct {
	Name string
	Addr string // Kitex or HTTP address
	cmd  *exec.Cmd
	done chan error
	log  *os.File
}

// Pid is the process's own pid (taskset execs in place).
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Platform is a running copy of the platform.
type Platform struct {
	cfg PlatformConfig
	// Procs holds the services, then the gateway.
	Procs      []*Process
	GatewayURL string
}

// Namespace is the etcd namespace and RocketMQ suffix of the run.
func (c PlatformConfig) Namespace() string { return "bench" + c.Run }

// Database is a service's database in this run.
func (c PlatformConfig) Database(svc string) string { return "bench_" + c.Run + "_" + svc }

// RedisPrefix is the key prefix of every Redis key of this run.
func (c PlatformConfig) RedisPrefix() string { return "bench:" + c.Run + ":" }

// StartPlatform starts the four services and the gateway and waits until
// the gateway's /readyz says every service answers. On error everything
// started is stopped and cleaned up again.
func StartPlatform(ctx context.Context, cfg PlatformConfig) (p *Platform, err error) {
	p = &Platform{cfg: cfg}
	defer func() {
		if err != nil {
			err = errors.Join(err, p.Stop())
		}
	}()
	for _, svc := range Services {
		addr, err := FreeAddr()
		if err != nil {
			return p, err
		}
		metrics, err := FreeAddr()
		if err != nil {
			return p, err
		}
		env := append(p.commonEnv(),
			"CONFIG_FILE="+filepath.Join(cfg.Src, "rpc", svc, "conf", svc+".yaml"),
			"LISTEN_ADDR="+addr,
			"METRICS_ADDR="+metrics,
			"MYSQL_ADDR="+cfg.Stack.MySQL,
			"MYSQL_USER="+cfg.Stack.MySQLUser,
			"MYSQL_PASSWORD="+cfg.Stack.MySQLPassword,
			"MYSQL_DATABASE="+cfg.Database(svc),
			"REDIS_ADDR="+cfg.Stack.Redis,
			"REDIS_KEY_PREFIX="+cfg.RedisPrefix()+svc+":",
			"LOG_LEVEL=warn",
		)
		proc, err := p.start(svc, addr, cfg.ServicePin, env)
		if err != nil {
			return p, err
		}
		p.Procs = append(p.Procs, proc)
	}
	gwConf, err := writeGatewayConfig(cfg)
	if err != nil {
		return p, err
	}
	addr, err := FreeAddr()
	if err != nil {
		return p, err
	}
	env := append(p.commonEnv(),
		"CONFIG_FILE="+gwConf,
		"LISTEN_ADDR="+addr,
		"LOG_LEVEL="+cfg.GatewayLogLevel,
	)
	if cfg.GatewayProcs > 0 {
		env = append(env, "GOMAXPROCS="+strconv.Itoa(cfg.GatewayProcs))
	}
	var pin []string
	if cfg.GatewayCPU >= 0 {
		pin = []string{"taskset", "-c", strconv.Itoa(cfg.GatewayCPU)}
	}
	gw, err := p.start(Gateway, addr, pin, env)
	if err != nil {
		return p, err
	}
	p.Procs = append(p.Procs, gw)
	p.GatewayURL = "http://" + addr
	return p, p.waitReady(ctx)
}

func (p *Platform) commonEnv() []string {
	return append(os.Environ(),
		"ETCD_ENDPOINTS="+p.cfg.Stack.Etcd,
		"SERVICE_NAMESPACE="+p.cfg.Namespace(),
		"KITEX_TRANSPORT="+p.cfg.Transport,
		"OTEL_EXPORTER_OTLP_ENDPOINT=",
	)
}

// writeGatewayConfig writes the shipped gateway config with the rate
// limits raised out of the benchmark's way: the gateway has no environment
// variable for them, and the committed config must keep its limits.
func writeGatewayConfig(cfg PlatformConfig) (string, error) {
	b, err := os.ReadFile(filepath.Join(cfg.Src, "gateway", "conf", "gateway.yaml"))
	if err != nil {
		return "", err
	}
	var doc map[string]any
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return "", fmt.Errorf("parse the shipped gateway config: %w", err)
	}
	limits, ok := doc["rate_limit"].(map[string]any)
	if !ok {
		return "", errors.New("the shipped gateway config has no rate_limit section")
	}
	unlimited := map[string]any{"rps": 1e9, "burst": 1_000_000_000}
	limits["per_ip"], limits["per_user"] = unlimited, unlimited
	if b, err = yaml.Marshal(doc); err != nil {
		return "", err
	}
	path := filepath.Join(cfg.LogDir, "gateway.yaml")
	return path, os.WriteFile(path, b, 0o644)
}

// start runs one binary with its log in LogDir.
func (p *Platform) start(name, addr string, prefix, env []string) (*Process, error) {
	log, err := os.Create(filepath.Join(p.cfg.LogDir, name+".log"))
	if err != nil {
		return nil, err
	}
	argv := append(slices.Clone(prefix), filepath.Join(p.cfg.Bin, name))
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		log.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	proc := &Process{Name: name, Addr: addr, cmd: cmd, done: make(chan error, 1), log: log}
	go func() { proc.done <- cmd.Wait() }()
	return proc, nil
}

// waitReady polls the gateway's /readyz (every service resolvable in
// etcd and answering a Ping) for up to a minute; a process that exits
// meanwhile fails the start at once.
func (p *Platform) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	hc := &http.Client{Timeout: 2 * time.Second}
	var last string
	for {
		for _, proc := range p.Procs {
			select {
			case err := <-proc.done:
				proc.done <- err
				return fmt.Errorf("%s exited during start (%v); see %s", proc.Name, err, proc.log.Name())
			default:
			}
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.GatewayURL+"/readyz", nil)
		if err != nil {
			return err
		}
		resp, err := hc.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = resp.Status
		} else {
			last = err.Error()
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("platform not ready after a minute (last /readyz: %s); logs in %s", last, p.cfg.LogDir)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// Proc returns the named process.
func (p *Platform) Proc(name string) *Process {
	for _, proc := range p.Procs {
		if proc.Name == name {
			return proc
		}
	}
	return nil
}

// Stop stops the gateway, then the services (SIGTERM: each deregisters and
// drains), then drops the run's databases and deletes its Redis keys.
func (p *Platform) Stop() error {
	var errs []error
	// The gateway first, so no new call reaches a stopping service; the
	// services then together (each waits out its own exit wait).
	services := p.Procs
	if n := len(p.Procs); n > 0 && p.Procs[n-1].Name == Gateway {
		errs = append(errs, p.Procs[n-1].stop())
		services = p.Procs[:n-1]
	}
	stopped := make(chan error, len(services))
	for _, proc := range services {
		go func() { stopped <- proc.stop() }()
	}
	for range services {
		errs = append(errs, <-stopped)
	}
	p.Procs = nil
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, svc := range Services {
		db := mysqlx.DefaultConfig(p.cfg.Database(svc))
		db.Addr, db.User, db.Password = p.cfg.Stack.MySQL, p.cfg.Stack.MySQLUser, p.cfg.Stack.MySQLPassword
		errs = append(errs, mysqlx.DropDatabase(ctx, db))
	}
	errs = append(errs, deleteKeys(ctx, p.cfg.Stack.Redis, p.cfg.RedisPrefix()))
	return errors.Join(errs...)
}

func (proc *Process) stop() error {
	defer proc.log.Close()
	if err := proc.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("stop %s: %w", proc.Name, err)
	}
	select {
	case err := <-proc.done:
		if err != nil {
			return fmt.Errorf("%s exited with %v; see %s", proc.Name, err, proc.log.Name())
		}
		return nil
	case <-time.After(20 * time.Second):
		_ = proc.cmd.Process.Kill() // it ignored SIGTERM; the error below says so
		<-proc.done
		return fmt.Errorf("%s ignored SIGTERM for 20s and was killed", proc.Name)
	}
}

// deleteKeys deletes every Redis key under prefix.
func deleteKeys(ctx context.Context, addr, prefix string) error {
	cfg := redisx.DefaultConfig(prefix)
	cfg.Addr = addr
	rdb, err := redisx.Open(cfg)
	if err != nil {
		return err
	}
	defer rdb.Close()
	_, err = redisx.DeletePrefix(ctx, rdb, prefix)
	return err
}

// FreeAddr returns a loopback address for a process to listen on, with a
// free port below the kernel's ephemeral range (see testenv.FreePorts).
func FreeAddr() (string, error) {
	p, err := testenv.FreePorts(1)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("127.0.0.1:%d", p), nil
}
