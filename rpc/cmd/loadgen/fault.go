package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Faults the run can inject once, in the middle.
const (
	faultNone          = "none"
	faultBrokerRestart = "broker-restart"
	faultOrderKill     = "order-kill"
)

// faultConfig says how to inject the fault.
type faultConfig struct {
	Kind string
	// StackScript is deploy/local/stack.sh; broker-restart runs
	// `stack.sh restart --kill broker` with this process's environment, so
	// STACK_DIR and STACK_*_PORT select the stack (e.g. a private one).
	StackScript string
	// OrderPIDFile holds the order service's pid; order-kill sends it
	// SIGKILL, then runs OrderRestart (a shell command) to start it again.
	OrderPIDFile string
	OrderRestart string
}

func (f faultConfig) validate() error {
	switch f.Kind {
	case faultNone:
		return nil
	case faultBrokerRestart:
		if f.StackScript == "" {
			return errors.New("-stack-script is required for -fault broker-restart")
		}
		return nil
	case faultOrderKill:
		if f.OrderPIDFile == "" || f.OrderRestart == "" {
			return errors.New("-order-pidfile and -order-restart are required for -fault order-kill")
		}
		return nil
	}
	return fmt.Errorf("-fault: %q is not none, broker-restart or order-kill", f.Kind)
}

// inject applies the fault and returns how long the faulty component was
// down (until the script or restart command returned).
func (f faultConfig) inject(ctx context.Context) (time.Duration, error) {
	start := time.Now()
	var err error
	switch f.Kind {
	case faultBrokerRestart:
		err = runCommand(ctx, "bash", f.StackScript, "restart", "--kill", "broker")
	case faultOrderKill:
		err = f.killOrder(ctx)
	}
	return time.Since(start), err
}

func (f faultConfig) killOrder(ctx context.Context) error {
	raw, err := os.ReadFile(f.OrderPIDFile)
	if err != nil {
		return fmt.Errorf("read order pid: %w", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(raw)))
	if err != nil {
		return fmt.Errorf("order pid file %s: %w", f.OrderPIDFile, err)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		return fmt.Errorf("kill order service (pid %d): %w", pid, err)
	}
	// Wait until it is gone, so the restart does not race the old
	// process for its port.
	for i := 0; i < 100 && syscall.Kill(pid, 0) == nil; i++ {
		time.Sleep(50 * time.Millisecond)
	}
	return runCommand(ctx, "bash", "-c", f.OrderRestart)
}

func runCommand(ctx context.Context, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, out)
	}
	return nil
}
