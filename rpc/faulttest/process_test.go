package faulttest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// process is one service binary that a test starts, kills and restarts.
// Every start appends to the same log file, which is printed (its tail) when
// the test fails.
type process struct {
	name    string
	bin     string
	dir     string
	env     []string
	logPath string

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{} // closed when the current run has been reaped
	state  *os.ProcessState
	starts int
}

// newProcess prepares name (not started); when the test ends it is stopped
// and, if the test failed, the tail of its log is printed.
func newProcess(t testing.TB, name, bin, dir string, env []string) *process {
	t.Helper()
	p := &process{name: name, bin: bin, dir: dir, env: env, logPath: filepath.Join(t.TempDir(), name+".log")}
	t.Cleanup(func() {
		p.stop(t)
		if t.Failed() {
			p.printTail(t, 16<<10)
			p.keepLog(t)
		}
	})
	return p
}

// start runs the binary with its environment plus extra (later entries win,
// so extra can override, e.g. FAILPOINTS=name). FAILPOINTS is always set, so
// one inherited from the test's own environment never arms a point.
func (p *process) start(t testing.TB, extra ...string) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != nil && !p.isExited() {
		t.Fatalf("%s: start while running (pid %d)", p.name, p.cmd.Process.Pid)
	}
	log, err := os.OpenFile(p.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	p.starts++
	fmt.Fprintf(log, "===== start %d of %s at %s, extra env %v\n", p.starts, p.name, time.Now().UTC().Format(time.RFC3339Nano), extra)
	cmd := exec.Command(p.bin)
	cmd.Dir = p.dir
	cmd.Env = append(append(append(os.Environ(), p.env...), "FAILPOINTS="), extra...)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		log.Close()
		t.Fatalf("start %s: %v", p.name, err)
	}
	exited := make(chan struct{})
	p.cmd, p.exited, p.state = cmd, exited, nil
	go func() {
		_ = cmd.Wait()
		log.Close()
		p.mu.Lock()
		p.state = cmd.ProcessState
		p.mu.Unlock()
		close(exited)
	}()
}

func (p *process) isExited() bool {
	select {
	case <-p.exited:
		return true
	default:
		return false
	}
}

// current returns the running command and its exit channel, or nil.
func (p *process) current() (*exec.Cmd, chan struct{}) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cmd, p.exited
}

// kill sends SIGKILL and waits until the process is gone: a crash.
func (p *process) kill(t testing.TB) {
	t.Helper()
	cmd, exited := p.current()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s (pid %d) still alive 10 s after SIGKILL", p.name, cmd.Process.Pid)
	}
}

// stop sends SIGTERM (graceful: deregister, drain, close) and waits; a
// process that does not stop in 20 s is killed and the test fails.
func (p *process) stop(t testing.TB) {
	t.Helper()
	cmd, exited := p.current()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Signal(syscall.SIGKILL)
		<-exited
		t.Errorf("%s did not stop within 20 s of SIGTERM", p.name)
	}
}

// waitKilled waits for the process to die by SIGKILL (a failpoint fired)
// and fails the test if it exits otherwise or lives past timeout.
func (p *process) waitKilled(t testing.TB, timeout time.Duration) {
	t.Helper()
	cmd, exited := p.current()
	if cmd == nil {
		t.Fatalf("%s was never started", p.name)
	}
	select {
	case <-exited:
	case <-time.After(timeout):
		t.Fatalf("%s (pid %d) still alive after %v: the failpoint never fired", p.name, cmd.Process.Pid, timeout)
	}
	p.mu.Lock()
	state := p.state
	p.mu.Unlock()
	ws, ok := state.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("%s exited with %v, want killed by SIGKILL", p.name, state)
	}
}

// running reports whether the current run is alive.
func (p *process) running() bool {
	cmd, exited := p.current()
	if cmd == nil {
		return false
	}
	select {
	case <-exited:
		return false
	default:
		return true
	}
}

func (p *process) printTail(t testing.TB, n int) {
	t.Helper()
	b, err := os.ReadFile(p.logPath)
	if err != nil {
		t.Logf("--- %s log: %v", p.name, err)
		return
	}
	if len(b) > n {
		b = b[len(b)-n:]
	}
	t.Logf("--- %s log (last %d bytes of %s) ---\n%s", p.name, len(b), p.logPath, b)
}

// keepLog copies the whole log of a failed test to $FAULTTEST_LOG_DIR, when
// set: the tail printed with the failure rarely shows how a fault began.
func (p *process) keepLog(t testing.TB) {
	t.Helper()
	dir := os.Getenv("FAULTTEST_LOG_DIR")
	if dir == "" {
		return
	}
	b, err := os.ReadFile(p.logPath)
	if err == nil {
		err = os.MkdirAll(dir, 0o755)
	}
	name := filepath.Join(dir, strings.NewReplacer("/", "_", " ", "_").Replace(t.Name())+"-"+p.name+".log")
	if err == nil {
		err = os.WriteFile(name, b, 0o644)
	}
	if err != nil {
		t.Logf("keep %s log: %v", p.name, err)
		return
	}
	t.Logf("%s log kept in %s", p.name, name)
}
