// Package failpoint lets fault-injection tests kill a real process at a named
// point in its code. A process started with FAILPOINTS=name1,name2 sends
// itself SIGKILL when it reaches one of those points: no deferred function,
// no shutdown hook and no buffered write survives, exactly like a crash.
// Without the variable a point costs one map lookup on a nil map.
package failpoint

import (
	"os"
	"strings"
	"syscall"
)

// Set is the failpoints armed in this process.
type Set map[string]bool

// FromEnv reads FAILPOINTS once, at start; the result is passed to the code
// that has failpoints, so nothing global is consulted on the hot path.
func FromEnv() Set {
	raw := os.Getenv("FAILPOINTS")
	if raw == "" {
		return nil
	}
	s := Set{}
	for _, name := range strings.Split(raw, ",") {
		if name = strings.TrimSpace(name); name != "" {
			s[name] = true
		}
	}
	return s
}

// Crash kills the process with SIGKILL if name is armed.
func (s Set) Crash(name string) {
	if s[name] {
		_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {} // the signal is delivered asynchronously; never run past the point
	}
}
