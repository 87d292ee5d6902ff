package failpoint

import (
	"os"
	"os/exec"
	"syscall"
	"testing"
)

func TestFromEnvParsesNames(t *testing.T) {
	t.Setenv("FAILPOINTS", " a, b ,,")
	s := FromEnv()
	if !s["a"] || !s["b"] || len(s) != 2 {
		t.Fatalf("FromEnv() = %v", s)
	}
	t.Setenv("FAILPOINTS", "")
	if FromEnv() != nil {
		t.Fatal("no variable must mean no failpoints")
	}
	Set(nil).Crash("a") // an unarmed point returns
}

// Proves an armed point really kills the process with SIGKILL: the test
// re-runs itself as a child that reaches the point.
func TestArmedPointKillsProcess(t *testing.T) {
	if os.Getenv("FAILPOINT_CHILD") == "1" {
		FromEnv().Crash("boom")
		os.Exit(0) // reached only if Crash did not kill us
	}
	cmd := exec.Command(os.Args[0], "-test.run=TestArmedPointKillsProcess")
	cmd.Env = append(os.Environ(), "FAILPOINT_CHILD=1", "FAILPOINTS=boom")
	err := cmd.Run()
	ee, ok := err.(*exec.ExitError)
	if !ok {
		t.Fatalf("child exited with %v, want killed by SIGKILL", err)
	}
	ws := ee.Sys().(syscall.WaitStatus)
	if !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("child status %v, want killed by SIGKILL", ws)
	}
}
