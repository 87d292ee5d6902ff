package main

import (
	"bufio"
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

// server is one transport's server running as a child process.
type server struct {
	cmd  *exec.Cmd
	addr string
	done chan error
}

// startServer starts `self serve` for t, pinned to cpu when cpu >= 0, with
// t's GOMAXPROCS,
// profiling its CPU into profile when that is set, and waits until it
// listens.
func startServer(self string, cpu int, t variant, hold time.Duration, profile string) (*server, error) {
	transport := t.label
	args := []string{self, "serve", "-transport", t.Name(), "-hold", hold.String()}
	if profile != "" {
		args = append(args, "-cpuprofile", profile)
	}
	if cpu >= 0 {
		// taskset sets the affinity before exec, so every thread of the Go
		// runtime inherits it and GOMAXPROCS follows (1 core: 1 P).
		args = append([]string{"taskset", "-c", strconv.Itoa(cpu)}, args...)
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stderr = os.Stderr
	cmd.Env = os.Environ()
	if t.procs > 0 {
		cmd.Env = append(cmd.Env, "GOMAXPROCS="+strconv.Itoa(t.procs))
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s server: %w", transport, err)
	}
	s := &server{cmd: cmd, done: make(chan error, 1)}
	ready := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		ready <- line
		s.done <- cmd.Wait()
	}()
	select {
	case line := <-ready:
		addr, ok := strings.CutPrefix(strings.TrimSpace(line), "READY ")
		if !ok {
			s.kill()
			return nil, fmt.Errorf("%s server said %q, want READY <addr>", transport, line)
		}
		s.addr = addr
		return s, nil
	case <-time.After(15 * time.Second):
		s.kill()
		return nil, fmt.Errorf("%s server not ready after 15s", transport)
	}
}

// pid is the server's own pid: taskset execs the server in place.
func (s *server) pid() int { return s.cmd.Process.Pid }

// stop asks the server to exit and waits for it, killing it if it lingers.
func (s *server) stop() error {
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	select {
	case err := <-s.done:
		return err
	case <-time.After(10 * time.Second):
		s.kill()
		return errors.New("server ignored SIGTERM for 10s; killed")
	}
}

func (s *server) kill() {
	_ = s.cmd.Process.Kill() // best effort on a path that already failed
	select {
	case <-s.done:
	case <-time.After(5 * time.Second):
	}
}

// waitUntil returns after d or when ctx ends.
func waitUntil(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
