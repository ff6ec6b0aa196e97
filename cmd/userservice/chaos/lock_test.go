//go:build chaos

package chaos

import (
	"os"
	"testing"
	"time"

	"github.com/userservice/userservice/adapters/scripttest"
)

// lockMachine serialises chaos runs on this machine: the private PostgreSQL
// cluster and Kafka broker are one per machine (a Debian cluster name, fixed
// ports), whichever checkout runs the suite, and a run restarts and finally
// stops them, which would break a second run under way (as `make test` in
// two worktrees at once did). The lock is released when the test ends,
// after everything else it started has stopped.
func lockMachine(t *testing.T) {
	t.Helper()
	wait := 30 * time.Minute
	if v := os.Getenv("CHAOS_LOCK_WAIT"); v != "" {
		var err error
		if wait, err = time.ParseDuration(v); err != nil {
			t.Fatalf("CHAOS_LOCK_WAIT=%q: %v", v, err)
		}
	}
	scripttest.LockMachine(t, "chaos", wait)
}
