//go:build chaos

package chaos

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// lockMachine serialises chaos runs on this machine: the private PostgreSQL
// cluster and Kafka broker are one per machine (a Debian cluster name, fixed
// ports), whichever checkout runs the suite, and a run restarts and finally
// stops them, which would break a second run under way (as `make test` in
// two worktrees at once did). The lock is released when the test ends,
// after everything else it started has stopped.
func lockMachine(t *testing.T) {
	t.Helper()
	path := filepath.Join(os.TempDir(), "userservice-chaos.lock")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		t.Fatalf("chaos lock %s: %v", path, err)
	}
	wait := 30 * time.Minute
	if v := os.Getenv("CHAOS_LOCK_WAIT"); v != "" {
		if wait, err = time.ParseDuration(v); err != nil {
			t.Fatalf("CHAOS_LOCK_WAIT=%q: %v", v, err)
		}
	}
	deadline := time.Now().Add(wait)
	logged := false
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			f.Close()
			t.Fatalf("another chaos run has held %s for over %s (CHAOS_LOCK_WAIT)", path, wait)
		}
		if !logged {
			t.Logf("another chaos run on this machine holds %s; waiting up to %s", path, wait)
			logged = true
		}
		time.Sleep(time.Second)
	}
	t.Cleanup(func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	})
}
