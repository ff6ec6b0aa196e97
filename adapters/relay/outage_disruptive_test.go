//go:build disruptive

// Disruptive tests stop shared services (Kafka, PostgreSQL), so they run
// alone, after the main suite: `make test-disruptive` (part of `make test`).
package relay

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// script runs one of the repository's scripts/ (found from this package's
// directory), failing the test if it fails.
func script(t *testing.T, name string) {
	t.Helper()
	root, err := filepath.Abs("../..")
	must(t, err)
	cmd := exec.Command("bash", filepath.Join(root, "scripts", name))
	cmd.Dir = root
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("scripts/%s: %v", name, err)
	}
}

func TestDisruptiveKafkaOutageDelaysButNeverLosesEvents(t *testing.T) {
	h := newHarness(t)
	stop := h.startRelay(Config{RetryInterval: 50 * time.Millisecond, MaxRetryInterval: time.Second})
	defer stop()
	before := h.write(10, 1)
	h.readTopic(time.Minute, allOf(before))

	script(t, "kafka-down.sh")
	restarted := false
	defer func() {
		if !restarted {
			script(t, "kafka-up.sh")
		}
	}()
	during := h.write(20, 2) // committed while Kafka is away: they wait in the outbox
	time.Sleep(3 * time.Second)
	script(t, "kafka-up.sh")
	restarted = true

	got := h.ofTenant(h.readTopic(2*time.Minute, allOf(during)))
	dups := checkDelivered(t, during, got)
	t.Logf("after the outage: %d records of this tenant, %d duplicates", len(got), dups)
}
