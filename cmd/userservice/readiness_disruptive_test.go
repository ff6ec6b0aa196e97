//go:build disruptive

package main

import (
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"testing"
	"time"
)

// TestDisruptiveReadinessNamesAStoppedKafka stops the real broker under a
// running service: /readyz turns 503 naming kafka, and 200 again once the
// broker is back.
func TestDisruptiveReadinessNamesAStoppedKafka(t *testing.T) {
	s := startService(t, "api")
	readyz := func() (int, map[string]string) {
		resp, err := http.Get(s.base + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body struct{ Checks map[string]string }
		_ = json.NewDecoder(resp.Body).Decode(&body)
		return resp.StatusCode, body.Checks
	}
	if code, _ := readyz(); code != 200 {
		t.Fatalf("readyz before = %d", code)
	}
	script(t, "kafka-down.sh")
	up := false
	defer func() {
		if !up {
			script(t, "kafka-up.sh")
		}
	}()
	code, checks := readyz()
	if code != http.StatusServiceUnavailable || checks["kafka"] == "ok" || checks["postgres"] != "ok" {
		t.Fatalf("readyz with Kafka stopped = %d %v; want 503 naming kafka", code, checks)
	}
	t.Logf("kafka check while stopped: %s", checks["kafka"])
	script(t, "kafka-up.sh")
	up = true
	deadline := time.Now().Add(30 * time.Second)
	for {
		if code, _ := readyz(); code == 200 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("readyz did not recover after Kafka came back")
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func script(t *testing.T, name string) {
	t.Helper()
	cmd := exec.Command("bash", "../../scripts/"+name)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("scripts/%s: %v", name, err)
	}
}
