package scripttest

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// LockMachine takes the machine-wide lock NAME for the rest of the test:
// private PostgreSQL clusters and Kafka brokers have fixed names and ports
// per machine, whichever checkout runs the test, so two runs using one
// must take turns. It waits up to wait (then fails the test), and releases
// the lock when the test ends, after the cleanups registered later (those
// that stop what the test started under the lock).
func LockMachine(t testing.TB, name string, wait time.Duration) {
	t.Helper()
	path := filepath.Join(os.TempDir(), "userservice-"+name+".lock")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		t.Fatalf("machine lock %s: %v", path, err)
	}
	deadline := time.Now().Add(wait)
	for logged := false; ; logged = true {
		if syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil {
			break
		}
		if time.Now().After(deadline) {
			f.Close()
			t.Fatalf("another run on this machine has held %s for over %s", path, wait)
		}
		if !logged {
			t.Logf("another run on this machine holds %s; waiting up to %s", path, wait)
		}
		time.Sleep(time.Second)
	}
	t.Cleanup(func() { _ = f.Close() }) // closing the file releases the lock
}
