package faulttest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/cloudwego/kitex/pkg/klog"
)

// fixtures are the package's expensive shared pieces, each made at most once
// per test binary and only when a test asks for it: the service binaries and
// the private RocketMQ. The tests run one after another (none is parallel),
// so sharing them is safe; every test still gets its own namespace,
// databases, topics and consumer groups.
type fixtures struct {
	tmp string

	buildOnce sync.Once
	binDir    string
	buildErr  error

	mqOnce sync.Once
	mq     *rocketMQ
	mqErr  error
}

// shared is set up by TestMain; a package-level value is the only way the
// tests of one binary can share a broker that takes seconds to start.
var shared *fixtures

func TestMain(m *testing.M) {
	tmp, err := os.MkdirTemp("", "faulttest-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "faulttest:", err)
		os.Exit(1)
	}
	shared = &fixtures{tmp: tmp}
	// The tests kill servers on purpose; Kitex's warnings about it would
	// bury the test output.
	klog.SetLevel(klog.LevelError)
	code := m.Run()
	if shared.mq != nil {
		if err := shared.mq.close(); err != nil {
			fmt.Fprintln(os.Stderr, "faulttest: stop the private RocketMQ:", err)
			code = 1
		}
	}
	os.RemoveAll(tmp)
	os.Exit(code)
}

// repoRoot is the repository root, two levels above this package.
func repoRoot(t testing.TB) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "rpc", "go.mod")); err != nil {
		t.Fatalf("rpc module not found under %s: %v", root, err)
	}
	return root
}

// serviceBinaries builds the product, order and payment binaries once and
// returns the directory that holds them.
func serviceBinaries(t testing.TB) string {
	t.Helper()
	root := repoRoot(t)
	shared.buildOnce.Do(func() {
		dir := filepath.Join(shared.tmp, "bin")
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "go", "build", "-o", dir+string(os.PathSeparator), "./product", "./order", "./payment")
		cmd.Dir = filepath.Join(root, "rpc")
		// Link the workspace's pkg and kitex_gen even when the test itself
		// runs with GOWORK=off.
		cmd.Env = os.Environ()
		if work := filepath.Join(root, "go.work"); fileExists(work) {
			cmd.Env = append(cmd.Env, "GOWORK="+work)
		}
		if out, err := cmd.CombinedOutput(); err != nil {
			shared.buildErr = fmt.Errorf("go build the services: %v\n%s", err, out)
			return
		}
		shared.binDir = dir
	})
	if shared.buildErr != nil {
		t.Fatal(shared.buildErr)
	}
	return shared.binDir
}

// privateRocketMQ starts the package's own name server and broker once.
func privateRocketMQ(t testing.TB) *rocketMQ {
	t.Helper()
	root := repoRoot(t)
	shared.mqOnce.Do(func() {
		shared.mq, shared.mqErr = startRocketMQ(root, filepath.Join(shared.tmp, "rocketmq"))
	})
	if shared.mqErr != nil {
		t.Fatal(shared.mqErr)
	}
	return shared.mq
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
