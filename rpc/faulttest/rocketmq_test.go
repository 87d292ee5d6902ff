package faulttest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	"github.com/kitemall/platform/pkg/testenv"
)

// rocketMQ is a private name server and broker run by deploy/local/stack.sh
// in a run dir of its own, on free ports. Restarting it disturbs nobody: the
// shared broker of the local stack keeps serving every other test.
type rocketMQ struct {
	script  string
	env     []string
	dir     string
	namesrv string // host:port
	broker  string // host:port
}

// startRocketMQ starts the name server and the broker in dir.
func startRocketMQ(root, dir string) (*rocketMQ, error) {
	// The broker listens on its port, port-2 and port+1: take four
	// consecutive free ports and use the third.
	first, err := testenv.FreePorts(4)
	if err != nil {
		return nil, err
	}
	nsPort, err := testenv.FreePorts(1)
	if err != nil {
		return nil, err
	}
	brokerPort := first + 2
	r := &rocketMQ{
		script:  filepath.Join(root, "deploy", "local", "stack.sh"),
		dir:     dir,
		namesrv: "127.0.0.1:" + strconv.Itoa(nsPort),
		broker:  "127.0.0.1:" + strconv.Itoa(brokerPort),
		env: []string{
			"STACK_DIR=" + dir,
			"STACK_NAMESRV_PORT=" + strconv.Itoa(nsPort),
			"STACK_BROKER_PORT=" + strconv.Itoa(brokerPort),
			// A SIGTERM'd broker takes ~15 s to stop; nothing here needs a
			// clean stop, so do not wait long for one.
			"STACK_STOP_TIMEOUT=10",
		},
	}
	// Reuse the main stack's RocketMQ jars when they are complete, so the
	// private stack does not run Maven again.
	mainStack := os.Getenv("STACK_DIR")
	if mainStack == "" {
		mainStack = filepath.Join(root, ".run", "stack")
	}
	if lib := filepath.Join(mainStack, "rocketmq", "lib"); fileExists(filepath.Join(lib, ".complete-5.3.3")) {
		r.env = append(r.env, "STACK_RMQ_LIB="+lib)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := r.stack(ctx, "up", "namesrv", "broker"); err != nil {
		return nil, fmt.Errorf("start the private RocketMQ: %w (stop: %v)", err, r.close())
	}
	return r, nil
}

// stack runs deploy/local/stack.sh with the private stack's environment.
func (r *rocketMQ) stack(ctx context.Context, args ...string) error {
	cmd := exec.CommandContext(ctx, "bash", append([]string{r.script}, args...)...)
	cmd.Env = append(os.Environ(), r.env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("stack.sh %v: %v\n%s", args, err, out)
	}
	return nil
}

// restartBroker kills the broker with SIGKILL (a crash, as clients see it)
// and starts it again on the same ports and store; it returns how long the
// broker was down. It may run on any goroutine.
func (r *rocketMQ) restartBroker() (time.Duration, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	start := time.Now()
	err := r.stack(ctx, "restart", "--kill", "broker")
	return time.Since(start), err
}

// close kills both processes and deletes their data and the run dir.
func (r *rocketMQ) close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	err := r.stack(ctx, "down", "--kill", "--purge", "namesrv", "broker")
	if rmErr := os.RemoveAll(r.dir); err == nil {
		err = rmErr
	}
	return err
}

// serviceEnv is what a service needs to use this broker.
func (r *rocketMQ) serviceEnv() []string {
	return []string{"ROCKETMQ_NAMESRV=" + r.namesrv, "ROCKETMQ_BROKER=" + r.broker}
}
